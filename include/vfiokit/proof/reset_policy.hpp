// When the ownership proof issues VFIO_DEVICE_RESET (issue #23): never unasked on a
// display device, whose reset bugs can leave a GPU wedged until the host reboots.
#pragma once

#include <cstdint>
#include <string>

namespace vfiokit::proof {

/// Whether the reset step runs: `vfiokit probe` (default), `--reset`, `--no-reset`.
enum class ResetPolicy {
  kUnlessDisplay,  ///< runs, except on display devices (class 03)
  kAlways,         ///< runs on every device (--reset)
  kNever,          ///< runs on none (--no-reset)
};

/// PCI base class 03: VGA, XGA, 3D and other display controllers (GPUs).
constexpr bool is_display_class(uint32_t class_code) { return (class_code >> 16) == 0x03; }

/// Why the reset step does not run for a device of `class_code` (24-bit class code)
/// under `policy`: the SKIP summary; empty when it runs.
std::string reset_skip_reason(ResetPolicy policy, uint32_t class_code);

/// The reset step in the plan line: "reset", or "reset (skipped: --no-reset)" /
/// "reset (skipped: display device, --reset not given)".
std::string reset_plan(ResetPolicy policy, uint32_t class_code);

}  // namespace vfiokit::proof
