// Runs a built program with arguments, for the tests that drive vfiokit (VFIOKIT_BIN)
// and vfiokit-guest-check end to end on fixture trees.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace vfiokit {

struct CliRun {
  int status;       ///< the exit status; -1 when the program did not exit normally
  std::string out;  ///< what it wrote to stdout (and stderr, with with_stderr)
};

/// `PROGRAM ARGS` through the shell; stderr is dropped unless `with_stderr`.
inline CliRun run_program(const std::string& program, const std::string& args,
                          bool with_stderr = false) {
  const std::string cmd = program + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed: " + cmd};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

#ifdef VFIOKIT_BIN
/// `vfiokit ARGS`.
inline CliRun run_cli(const std::string& args, bool with_stderr = false) {
  return run_program(VFIOKIT_BIN, args, with_stderr);
}
#endif

}  // namespace vfiokit
