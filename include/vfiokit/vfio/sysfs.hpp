// What sysfs says about PCI devices and IOMMU groups. The root is a parameter
// so host unit tests run on fixture trees and tools can inspect a chroot.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vfiokit {

/// Whether a 24-bit PCI class code (class, subclass, prog-if) is a bridge's (class 06:
/// host, ISA/LPC, PCI-to-PCI, ...): VFIO never takes bridges.
constexpr bool is_bridge_class(uint32_t class_code) { return (class_code >> 16) == 0x06; }

/// Whether a device with `driver` leaves its IOMMU group usable by VFIO: no driver,
/// or a driver that manages DMA itself (the kernel's `driver_managed_dma`): vfio-pci
/// and vfio-platform, the vfio-pci variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci,
/// nvgrace_gpu_vfio_pci, virtio_vfio_pci, pds_vfio_pci, qat_vfio_pci: "*_vfio_pci"),
/// pci-stub, and pcieport (bridges).
bool driver_allows_vfio(const std::optional<std::string>& driver);

/// A view of /sys (or a fixture tree that mimics it) for PCI devices.
class Sysfs {
 public:
  /// `root` is the directory that plays "/" (default: the real one).
  explicit Sysfs(std::filesystem::path root = "/") : root_(std::move(root)) {}

  /// /sys/bus/pci/devices/<bdf> under the root.
  std::filesystem::path device_dir(const std::string& bdf) const;
  /// True when the device exists.
  bool has_device(const std::string& bdf) const;
  /// Every PCI device's address, sorted.
  std::vector<std::string> devices() const;
  /// The device's IOMMU group number, or nullopt when it has none (IOMMU off).
  std::optional<int> iommu_group(const std::string& bdf) const;
  /// The members of IOMMU group `group`, sorted.
  std::vector<std::string> group_devices(int group) const;
  /// The name of the driver bound to the device, or nullopt.
  std::optional<std::string> driver(const std::string& bdf) const;
  /// What to tell a user whose device is not on vfio-pci: its driver and the bind
  /// command, or, for a bridge (class 06), that VFIO does not take bridges.
  std::string not_on_vfio_hint(const std::string& bdf) const;
  /// The device's VFIO character device ("vfio0" for /dev/vfio/devices/vfio0), or nullopt.
  std::optional<std::string> vfio_cdev(const std::string& bdf) const;
  /// A sysfs attribute of the device as text, trailing newline removed, or nullopt.
  std::optional<std::string> attr(const std::string& bdf, const std::string& name) const;
  /// A hexadecimal attribute (vendor, device, class), or nullopt.
  std::optional<uint32_t> hex_attr(const std::string& bdf, const std::string& name) const;
  /// Members of IOMMU group `group` whose driver keeps the group from being
  /// viable for VFIO (see driver_allows_vfio).
  std::vector<std::string> group_blockers(int group) const;
  /// The root this view reads.
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace vfiokit
