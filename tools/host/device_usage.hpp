// What keeps a PCI device busy on the host: an interface that is up, a mounted
// filesystem (any mount namespace PID 1 or we see, btrfs members included), swap,
// a md/dm/LVM holder, an exclusive or plain open of its block devices, an open
// DRM/NVIDIA node, enabled VFs, the boot VGA, a framebuffer on its BARs.
// `vfiokit bind` refuses such a device; --force overrides only the uses that
// bear no data (losing a mounted filesystem or a VM's disk is not recoverable).
#pragma once

#include <string>
#include <vector>

#include "tools/host/host_fs.hpp"

namespace vfiokit::host {

/// One use of a device that taking it from its driver would break.
struct DeviceUse {
  /// "netdev-up", "mounted", "btrfs-member", "swap", "holder", "exclusive", "open",
  /// "gpu-open", "sriov-vfs", "boot-vga", "framebuffer"
  std::string kind;
  std::string detail;  ///< e.g. "/dev/nvme0n1p1 mounted on /data"
  std::string fix;     ///< what frees it, e.g. "umount /data"
  /// Data would be lost or corrupted (a filesystem, swap, RAID/LVM, a process with
  /// the disk open): refused even with --force.
  bool data_bearing = false;
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

/// A process with one of a device's nodes open (/dev/vfio/12, /dev/nvme0n1,
/// /dev/dri/renderD128).
struct NodeHolder {
  int pid = 0;
  std::string comm;  ///< proc/<pid>/comm
  std::string node;  ///< "/dev/vfio/12"
  /// "comm (pid N)"
  std::string who() const;
};
/// Scans proc/[0-9]*/fd under the root once for fds on any of `nodes`; one entry
/// per process and node.
std::vector<NodeHolder> node_holders(const HostFs& fs, const std::vector<std::string>& nodes);

/// The device's VFIO group node (/dev/vfio/N) and cdev (/dev/vfio/devices/vfioN).
std::vector<std::string> vfio_nodes(const HostFs& fs, const std::string& bdf);
/// A process holding the device's VFIO group or cdev open: why a second open
/// fails with EBUSY, and why unbinding it now would pull it out of a running VM.
using VfioHolder = NodeHolder;
std::vector<VfioHolder> vfio_holders(const HostFs& fs, const std::string& bdf);

/// A firmware RMRR (Intel "direct" reserved region) of the device's group, which
/// makes the kernel refuse VFIO ("ineligible for IOMMU domain attach").
struct DirectRegion {
  uint64_t start = 0, end = 0;
  std::string type;  ///< "direct" (refused) or "direct-relaxable" (USB/graphics, allowed)
};
/// The direct-mapped reserved regions of `group` (iommu_groups/N/reserved_regions).
std::vector<DirectRegion> direct_regions(const HostFs& fs, int group);

/// Every use of `bdf` found; empty when it is free to take. On the real root it
/// also tries an O_EXCL open of each block device (EBUSY: held exclusively).
std::vector<DeviceUse> find_uses(const HostFs& fs, const std::string& bdf);

}  // namespace vfiokit::host
