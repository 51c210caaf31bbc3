// vfiokit soak: a device cycled through each reset method it offers, and after every
// reset its config space checked and its DMA and interrupt proven again (the "works
// once, fails on the third VM start" reset bugs: AMD's, 0xFF config space after a reset).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "check/check.hpp"
#include "tools/host/host_fs.hpp"
#include "vfiokit/drivers/driver.hpp"
#include "vfiokit/vfio/device.hpp"

namespace vfiokit::cli {

/// How the cycles of one soak (a reset method, or the rebinds) ended.
struct SoakOutcome {
  unsigned cycles_asked = 0;
  unsigned cycles_done = 0;              ///< cycles that passed every check
  std::optional<unsigned> failed_cycle;  ///< 1-based
  std::string failure;                   ///< what failed on that cycle
  std::string skipped;                   ///< why no cycle ran ("" when they ran)
  bool proven = false;                   ///< DMA and an interrupt proven after each cycle
  /// The device stopped answering (removed, link down) at `failed_cycle`: nothing more
  /// is run on it.
  bool device_lost = false;
};

/// Judges the ends that read the same for every soak into `c` and returns true: a
/// SKIP (no cycle ran), or a FAIL of a device that stopped answering (its hint, the
/// journal's answer, is added once the device is closed). False: the cycles ran to
/// their end or to a failed cycle, which the caller judges.
bool judge_early_end(const SoakOutcome& o, check::Check& c);

/// What one reset method did over its cycles.
struct SoakMethodResult : SoakOutcome {
  std::string method;            ///< "flr", "pm", "bus", "device_specific", "hot-reset", ...
  std::vector<double> reset_ms;  ///< each reset's own time
};

/// The checks after one reset, against the state before it.
struct SoakCycleCheck {
  /// Empty when config space is sane: IDs not 0xffff and unchanged, the BAR registers,
  /// command register and capability list as before the reset.
  static std::string config_problem(const ConfigSpace& before, const ConfigSpace& after);
};

/// One device's soak over `methods` (each a sysfs reset_method name, or "hot-reset").
/// `driver_proof(cycle)` proves DMA and an interrupt after each reset and throws on failure;
/// empty when vfiokit has no driver for the device (config checks only).
/// Restores the device's reset_method list whatever happens. A cycle that finds the device
/// gone before its reset (IDs read 0xffff, the VFIO device answers ENODEV) ends the run
/// with `device_lost`.
class Soak {
 public:
  Soak(const host::HostFs& fs, Device& device, std::string bdf, unsigned cycles);
  SoakMethodResult run(const std::string& method,
                       const std::function<void(unsigned cycle)>& driver_proof);

 private:
  /// One reset by `method` (the sysfs list narrowed to it, or a hot reset).
  void reset(const std::string& method) const;
  const host::HostFs& fs_;
  Device& dev_;
  std::string bdf_;
  unsigned cycles_;
};

/// p-quantile (0..1) of `v` by nearest rank; 0 for an empty vector.
double quantile(std::vector<double> v, double p);

}  // namespace vfiokit::cli
