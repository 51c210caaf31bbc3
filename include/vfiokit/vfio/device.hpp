// A PCI device owned through VFIO: its regions, config space, interrupts and resets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vfiokit/vfio/config_space.hpp"
#include "vfiokit/vfio/indexes.hpp"
#include "vfiokit/vfio/iommu_context.hpp"
#include "vfiokit/vfio/irq.hpp"
#include "vfiokit/vfio/region.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit {

/// A device a hot reset would also reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO).
struct HotResetDevice {
  std::string bdf;
  int group_id = -1;   ///< container: its IOMMU group
  int dev_id = -1;     ///< iommufd: its device id in our iommufd, -1 if not ours
  bool owned = false;  ///< opened by this process (needed for the reset to be allowed)
};

/// The VFIO_DEVICE_FLAGS_* bits of `flags` (Device::flags()) by name, in bit order:
/// "reset", "pci", "platform", "amba", "ccw", "ap", "fsl-mc", "caps", "cdx".
std::vector<std::string> device_flag_names(uint32_t flags);

/// An open VFIO device. Neither copied nor moved: drivers keep a reference to it, and
/// its regions and IRQ sets share its fd, so none of them can reach a closed (and
/// perhaps reused) fd number. Holds its IommuContext, so the context (container or
/// iommufd) outlives it.
class Device {
 public:
  /// Attaches `bdf` (bound to vfio-pci) to `ctx` and queries its info.
  Device(std::shared_ptr<IommuContext> ctx, const std::string& bdf,
         const AttachOptions& options = {});
  /// Opens `bdf` in a new context of `backend`.
  static Device open(const std::string& bdf, Backend backend = Backend::kAuto);
  /// As open(), on the heap (a Device cannot be moved there).
  static std::unique_ptr<Device> open_unique(const std::string& bdf,
                                             Backend backend = Backend::kAuto);

  Device(Device&&) = delete;
  Device& operator=(Device&&) = delete;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// The device's PCI address.
  const std::string& bdf() const { return bdf_; }
  /// The VFIO device fd (for raw-ioctl benchmarks and debugging; still owned).
  int fd() const { return fd_->get(); }
  /// The IOMMU context the device is attached to.
  const std::shared_ptr<IommuContext>& context() const { return ctx_; }

  /// VFIO_DEVICE_FLAGS_* of VFIO_DEVICE_GET_INFO (by name: device_flag_names).
  uint32_t flags() const { return flags_; }
  /// Number of regions (VFIO_DEVICE_GET_INFO).
  uint32_t num_regions() const { return num_regions_; }
  /// Number of IRQ indexes.
  uint32_t num_irqs() const { return num_irqs_; }
  /// VFIO_DEVICE_FLAGS_RESET: VFIO_DEVICE_RESET works (FLR, PM or bus reset).
  bool can_reset() const;

  /// VFIO_DEVICE_GET_REGION_INFO with its capability chain. Throws for a bad index. A
  /// region the device lacks (the VGA region of a non-VGA device) comes back with size 0.
  RegionInfo region_info(RegionIndex index) const;
  /// Maps region `index` (mmap where allowed, else pread/pwrite access).
  MappedRegion map_region(RegionIndex index) const;

  /// Reads the whole config region (256 or 4096 bytes) as VFIO shows it.
  ConfigSpace config() const;
  /// Config-space reads and writes through the VFIO config region (virtualized
  /// by vfio-pci where it must be). Throw vfiokit::Error outside the region.
  uint8_t config_read8(uint32_t off) const;
  /// See config_read8.
  uint16_t config_read16(uint32_t off) const;
  /// See config_read8.
  uint32_t config_read32(uint32_t off) const;
  /// See config_read8.
  void config_write16(uint32_t off, uint16_t v) const;
  /// See config_read8.
  void config_write32(uint32_t off, uint32_t v) const;
  /// Sets Memory Space and Bus Master Enable in the Command register.
  void enable_bus_master() const;

  /// VFIO_DEVICE_GET_IRQ_INFO of `index`; throws for a bad index.
  IrqInfo irq_info(IrqIndex index) const;
  /// Every IRQ index's info (ERR on a conventional PCI device reads as count 0).
  std::vector<IrqInfo> irqs() const;
  /// Wires `count` vectors of `index` to eventfds; disabled when the IrqSet dies.
  IrqSet enable_irq(IrqIndex index, uint32_t count = 1) const;

  /// VFIO_DEVICE_RESET. Throws (ENOTTY hint) when the device has no reset.
  void reset() const;
  /// The reset methods sysfs lists (reset_method: flr, pm, bus, ...); empty if unknown.
  std::vector<std::string> reset_methods() const;
  /// Devices a hot (secondary bus) reset would affect.
  std::vector<HotResetDevice> hot_reset_info() const;
  /// VFIO_DEVICE_PCI_HOT_RESET; the kernel allows it only when every affected
  /// device is owned by this context.
  void hot_reset() const;

 private:
  template <typename T>
  T cfg_read(uint32_t off) const;
  template <typename T>
  void cfg_write(uint32_t off, T v) const;

  std::shared_ptr<IommuContext> ctx_;
  std::string bdf_;
  SharedFd fd_;
  uint32_t flags_ = 0, num_regions_ = 0, num_irqs_ = 0;
  uint64_t config_offset_ = 0, config_size_ = 0;
};

}  // namespace vfiokit
