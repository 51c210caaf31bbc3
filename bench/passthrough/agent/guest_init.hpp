#pragma once
// The agent as PID 1 of a minimal guest (the initramfs holds only /init): mounts
// /proc, /sys and /dev, reads its orders from the kernel command line
// (vfiokit.workload=block|net and friends), finds the disk or NIC under test, runs
// the workloads and prints tagged lines on /dev/ttyS1 for the harness:
//   @@VFKPT-READY | @@VFKPT-INFO {json} | @@VFKPT-RESULT {json} | @@VFKPT-DONE | @@VFKPT-FAIL why
// then powers the guest off.

namespace vfiokit::passthrough {

/// Runs the guest side and powers off; never returns.
[[noreturn]] void guest_main();

}  // namespace vfiokit::passthrough
