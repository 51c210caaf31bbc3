#include "check/stdout_guard.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "check/check.hpp"

namespace vfiokit::check {
namespace {

const char* g_program = "vfiokit";

extern "C" void check_stdout_at_exit() {
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  const int err = errno;
  // ferror: a write during the run failed (the stream's buffer was flushed then).
  if (!flush_failed && !std::ferror(stdout)) return;
  std::fprintf(stderr,
               "%s: write on stdout: %s; hint: stdout must be writable (a full disk? a closed "
               "pipe?): the output is incomplete\n",
               g_program,
               flush_failed && err != 0 ? std::strerror(err) : "an earlier write failed");
  std::_Exit(kExitCouldNotRun);
}

}  // namespace

void exit_could_not_run_when_stdout_is_lost(const char* program) {
  g_program = program;
  std::atexit(check_stdout_at_exit);
}

}  // namespace vfiokit::check
