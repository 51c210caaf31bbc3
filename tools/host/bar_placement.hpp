// Whether a device's BARs got addresses: a BAR the firmware and the kernel could not
// place (a large GPU BAR without Above-4G decoding, a 64-bit window too small) has no
// resource in sysfs, and VFIO then offers the region with size 0: passthrough fails
// later, in the VMM ("BAR no space", kata's IOMMU_IOAS_MAP errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pci/device_facts.hpp"
#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// A BAR the device implements (its config register says so) that has no address.
struct UnplacedBar {
  unsigned index = 0;
  bool io = false, mem64 = false, prefetchable = false;
  /// From the kernel's own "BAR N [mem size 0x...]: failed to assign" record, if any.
  std::optional<uint64_t> size;
  std::string kernel_record;  ///< that record, or ""
};

/// BARs 0-5 whose config register shows an implemented BAR (I/O, 64-bit or prefetchable
/// memory, or an address) while sysfs `resource` has none. A 32-bit non-prefetchable BAR
/// left at address 0 reads like an absent one without sizing it (a config write), so it is
/// not reported. `kmsg` is the kernel log to take sizes from (facility 0 records only).
std::vector<UnplacedBar> unplaced_bars(const HostFs& fs, const pci::DeviceFacts& f,
                                       const std::string& kmsg = "dev/kmsg");

/// The host bridge memory windows of the device's root bus above 4 GiB, from the top
/// level of /proc/iomem ("PCI Bus 0000:00"): their total size, 0 when there is none,
/// nullopt when /proc/iomem shows no addresses (not root).
std::optional<uint64_t> root_window_above_4g(const HostFs& fs, const std::string& bdf);

}  // namespace vfiokit::host
