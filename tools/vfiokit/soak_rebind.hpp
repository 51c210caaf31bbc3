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
#include "tools/vfiokit/soak.hpp"

namespace vfiokit::cli {

/// What the rebind cycles did (`proven`: DMA and an interrupt after each take-back).
struct RebindResult : SoakOutcome {
  std::string host_driver;         ///< the journal's original driver of the device
  std::string usable;              ///< what showed the host driver had it, last cycle
  std::vector<double> release_ms;  ///< unbind from vfio-pci until the host driver had it
  std::vector<double> take_ms;     ///< bind back to vfio-pci
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
