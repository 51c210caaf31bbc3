// Runs a program with a time limit and captures what it prints: how the guest
// check calls nvidia-smi and the CUDA samples. Behind an interface, so tests
// substitute canned output.
#pragma once

#include <string>
#include <vector>

namespace vfiokit::guest {

/// The outcome of one program run.
struct RunResult {
  bool started =
      false;           ///< false when the program could not be executed (not found, not executable)
  int exit_code = -1;  ///< exit status; 128+N when killed by signal N
  bool timed_out = false;
  std::string out, err;  ///< captured stdout and stderr
};

/// Something that runs programs.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs argv[0] (searched on PATH when it has no '/') with argv, for at most `timeout_s` seconds.
  virtual RunResult run(const std::vector<std::string>& argv, int timeout_s) = 0;
};

/// Runs real processes: fork + execvp, stdout/stderr through pipes, SIGKILL at the time limit.
class ProcessRunner : public CommandRunner {
 public:
  RunResult run(const std::vector<std::string>& argv, int timeout_s) override;
};

}  // namespace vfiokit::guest
