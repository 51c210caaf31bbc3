// vfiokit soak --rebind: the device handed back to its host driver and taken again, N
// times (the "works once, hangs on the second VM start" failures: a driver that leaves
// the device in a state VFIO cannot use, a device that never comes back to its driver).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "check/check.hpp"
#include "tools/host/binder.hpp"
#include "tools/host/journal.hpp"

namespace vfiokit::cli {

/// What the rebind cycles did.
struct RebindResult {
  unsigned cycles_asked = 0;
  unsigned cycles_done = 0;
  std::string host_driver;               ///< the journal's original driver of the device
  std::string usable;                    ///< what showed the host driver had it, last cycle
  std::vector<double> release_ms;        ///< unbind from vfio-pci until the host driver had it
  std::vector<double> take_ms;           ///< bind back to vfio-pci
  std::optional<unsigned> failed_cycle;  ///< 1-based
  std::string failure;
  std::string skipped;       ///< why no cycle ran ("" when they ran)
  bool proven = false;       ///< DMA and an interrupt proven after each take-back
  bool device_lost = false;  ///< it stopped answering at `failed_cycle` (removed, link down)
};

/// Runs `cycles` rebinds of `bdf` through `binder` (`journal`'s original driver and
/// back to vfio-pci, each under the journal lock, refusing what `vfiokit bind` refuses:
/// nothing is written to the device's storage). A cycle waits up to `usable_wait_ms` for
/// the host driver to bind and, for storage and network devices, for a block device or
/// an interface to appear. `after_take(cycle)` proves the device again (throws on
/// failure; empty: nothing to prove). A failed cycle leaves the device where it stopped,
/// never without a driver the journal does not record.
RebindResult soak_rebind(host::Binder& binder, const host::Journal& journal, const host::HostFs& fs,
                         const std::string& bdf, unsigned cycles,
                         const std::function<void(unsigned)>& after_take,
                         int usable_wait_ms = 10000);

/// The check `soak.rebind` of a result.
check::Check rebind_check(const RebindResult& r);

}  // namespace vfiokit::cli
