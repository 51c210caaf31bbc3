// A device that stops answering mid-soak (hot-unplugged, its link down): how soak tells,
// the FAIL it ends with, and what becomes of the device's journal entry (issue #25).
#pragma once

#include <string>

#include "tools/host/host_fs.hpp"
#include "tools/host/journal.hpp"
#include "vfiokit/vfio/config_space.hpp"

namespace vfiokit::cli {

/// Empty while `config`'s IDs answer; else what it reads ("config space reads 0xffff"),
/// as from a device that is gone or behind a link that is down.
std::string not_answering(const ConfigSpace& config);

/// The same, read from the device's sysfs `config` now, which the kernel reads from the
/// device (VFIO's config region answers the IDs from a virtualized copy); also says when
/// the device has left sysfs ("it is no longer in sysfs").
std::string not_answering_now(const host::HostFs& fs, const std::string& bdf);

/// The FAIL summary of a soak that found the device gone at `cycle` of `method`:
/// "device stopped answering at cycle 4 of flr: config space reads 0xffff; it was
/// removed or its link is down".
std::string lost_summary(const std::string& method, unsigned cycle, const std::string& what);

/// The hint of that FAIL, read after soak closed the device: where the device stands
/// now and what `vfiokit restore` does with its journal entry. Soak moves no driver
/// itself; the entry stays until restore finds the device back.
std::string lost_device_hint(const host::HostFs& fs, const host::Journal& journal,
                             const std::string& bdf);

#ifdef VFIOKIT_TEST_HOOKS
/// Test builds only (vfiokit-testhooks): VFIOKIT_TEST_SOAK_AT=METHOD:CYCLE:COMMAND runs
/// COMMAND (sh -c) as that cycle of that method starts, before its first config read,
/// so a VM test removes the device at a known cycle without racing the soak.
void run_soak_at_hook(const std::string& method, unsigned cycle);
#endif

}  // namespace vfiokit::cli
