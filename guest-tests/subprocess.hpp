// Runs a program with a time limit on its whole life and captures what it prints:
// how the guest check calls nvidia-smi and the CUDA samples. Behind an interface, so
// tests substitute canned output. A run never blocks past its deadline plus the kill
// grace, whatever the child does (closes its pipes and sleeps, leaves a grandchild
// holding them, floods them, sits in D state), and keeps a bounded tail of its output.
#pragma once

#include <csignal>
#include <cstddef>
#include <string>
#include <vector>

namespace vfiokit::guest {

/// The outcome of one program run.
struct RunResult {
  bool started =
      false;           ///< false when the program could not be executed (not found, not executable)
  int exit_code = -1;  ///< exit status; 128+N when killed by signal N; -1 when never reaped
  bool timed_out = false;     ///< the deadline passed: its process group was killed
  int interrupted_by = 0;     ///< the signal (SIGINT, SIGTERM) that stopped the run early, or 0
  bool did_not_exit = false;  ///< still there after SIGKILL and the grace (D state?): not reaped
  int timeout_s = 0;          ///< the deadline the run had, for messages
  std::string out, err;       ///< captured stdout and stderr: at most the last output cap of each
  std::size_t out_dropped = 0, err_dropped = 0;  ///< bytes dropped from the front of each stream

  /// What went wrong with the run itself, for a report: "timed out after 60 s",
  /// "did not exit after SIGKILL (D state?)", "stopped by signal 15", with
  /// "; N bytes of stdout dropped (kept the last 1048576)" when output was capped.
  /// Empty when it started, finished in time and nothing was dropped.
  std::string problem() const;
};

/// Something that runs programs.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs argv[0] (searched on PATH when it has no '/') with argv, for at most `timeout_s` seconds.
  virtual RunResult run(const std::vector<std::string>& argv, int timeout_s) = 0;
};

/// Limits of a ProcessRunner; the defaults are what the guest check uses.
struct ProcessLimits {
  std::size_t output_cap = std::size_t{1} << 20;  ///< bytes kept of each stream (the last ones)
  int kill_grace_ms = 2000;  ///< SIGTERM to SIGKILL, and SIGKILL to giving up on the child
};

/// Runs real processes: fork + execvp in a process group of their own (PR_SET_PDEATHSIG:
/// SIGKILL, so they die with the checker), stdin /dev/null, stdout/stderr through pipes
/// read with poll. At the deadline, or when stop_requested(), the group gets SIGTERM,
/// then SIGKILL after the grace; a child that still does not exit is given up on.
class ProcessRunner : public CommandRunner {
 public:
  ProcessRunner() = default;
  explicit ProcessRunner(ProcessLimits limits) : limits_(limits) {}
  RunResult run(const std::vector<std::string>& argv, int timeout_s) override;

 private:
  ProcessLimits limits_;
};

/// Installs SIGINT and SIGTERM handlers that only record the signal (no SA_RESTART):
/// a running ProcessRunner then kills its child's group and returns, and the caller
/// exits 128+signal after its cleanup. Ctrl-C reaches only the checker's process
/// group, and a pod stop only the container's PID 1: without this, the children ran on.
void install_stop_handlers();

/// The signal recorded by the handlers, or 0.
int stop_requested();

}  // namespace vfiokit::guest
