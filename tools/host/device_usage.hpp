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

/// Every use of `bdf` found; empty when it is free to take.
std::vector<DeviceUse> find_uses(const HostFs& fs, const std::string& bdf);

}  // namespace vfiokit::host
