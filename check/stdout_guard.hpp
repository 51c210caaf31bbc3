// What every vfiokit program prints is an output too: `vfiokit list > /dev/full` or a
// report into a full disk must not exit 0 (or with a verdict) as if it had been written.
#pragma once

namespace vfiokit::check {

/// Registers an exit handler that flushes stdout and, when that or any earlier write
/// to it failed, prints "PROGRAM: write on stdout: ERROR; hint: ..." to stderr and
/// exits kExitCouldNotRun instead of the status main returned. Call once, first thing
/// in main (the handler runs after main returns, before static destructors).
void exit_could_not_run_when_stdout_is_lost(const char* program);

}  // namespace vfiokit::check
