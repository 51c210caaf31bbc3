// Runs the built vfiokit binary (VFIOKIT_BIN) with arguments, for the host tests that
// drive it end to end on fixture trees.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace vfiokit {

struct CliRun {
  int status;       ///< the exit status; -1 when the program did not exit normally
  std::string out;  ///< what it wrote to stdout (and stderr, with with_stderr)
};

/// `vfiokit ARGS` through the shell; stderr is dropped unless `with_stderr`.
inline CliRun run_cli(const std::string& args, bool with_stderr = false) {
  const std::string cmd =
      std::string(VFIOKIT_BIN) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed: " + cmd};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace vfiokit
