// What keeps a PCI device busy on the host: an interface that is up, a mounted
// filesystem, swap or a md/dm/LVM holder on its block devices, the boot VGA, a
// framebuffer on its BARs. `vfiokit bind` refuses such a device unless --force.
#pragma once

#include <string>
#include <vector>

#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// One use of a device that taking it from its driver would break.
struct DeviceUse {
  std::string kind;    ///< "netdev-up", "mounted", "swap", "holder", "boot-vga", "framebuffer"
  std::string detail;  ///< e.g. "/dev/nvme0n1p1 mounted on /data"
  std::string fix;     ///< what frees it, e.g. "umount /data"
};

/// A framebuffer (efifb, simplefb, vesafb, BOOTFB) range from /proc/iomem that
/// lies on one of the device's BARs.
struct FramebufferOverlap {
  std::string name;
  uint64_t start = 0, end = 0;
  unsigned bar = 0;
};
/// The framebuffers in proc/iomem over the device's BARs. `addresses_hidden` is
/// set when iomem shows only zeros (not root), so nothing could be compared.
std::vector<FramebufferOverlap> framebuffer_overlaps(const HostFs& fs, const std::string& bdf,
                                                     bool* addresses_hidden = nullptr);

/// The block devices (disks and partitions) that belong to the device.
std::vector<std::string> block_devices(const HostFs& fs, const std::string& bdf);
/// The network interfaces of the device.
std::vector<std::string> net_interfaces(const HostFs& fs, const std::string& bdf);

/// A process holding the device's VFIO group (/dev/vfio/N) or cdev
/// (/dev/vfio/devices/vfioN) open: why a second open fails with EBUSY.
struct VfioHolder {
  int pid = 0;
  std::string comm;  ///< proc/<pid>/comm
  std::string node;  ///< "/dev/vfio/12"
};
/// Scans proc/[0-9]*/fd under the root for the device's VFIO nodes.
std::vector<VfioHolder> vfio_holders(const HostFs& fs, const std::string& bdf);

/// A firmware RMRR (Intel "direct" reserved region) of the device's group, which
/// makes the kernel refuse VFIO ("ineligible for IOMMU domain attach").
struct DirectRegion {
  uint64_t start = 0, end = 0;
  std::string type;  ///< "direct" (refused) or "direct-relaxable" (USB/graphics, allowed)
};
/// The direct-mapped reserved regions of `group` (iommu_groups/N/reserved_regions).
std::vector<DirectRegion> direct_regions(const HostFs& fs, int group);

/// Every use of `bdf` found; empty when it is free to take.
std::vector<DeviceUse> find_uses(const HostFs& fs, const std::string& bdf);

}  // namespace vfiokit::host
