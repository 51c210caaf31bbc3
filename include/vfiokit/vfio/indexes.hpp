// The region and interrupt indexes of a vfio-pci device, typed, so that callers name a
// BAR or an MSI-X index without the kernel's VFIO UAPI header (vfio/indexes.cpp checks each
// value against the kernel's VFIO_PCI_*_INDEX).
#pragma once

#include <cstdint>
#include <string>

namespace vfiokit {

/// A region of a vfio-pci device. Indexes past kVga are device-specific regions (their
/// count is Device::num_regions()); reach them with region_at().
enum class RegionIndex : uint32_t {
  kBar0,
  kBar1,
  kBar2,
  kBar3,
  kBar4,
  kBar5,
  kRom,
  kConfig,
  kVga,
};

/// An interrupt index of a vfio-pci device.
enum class IrqIndex : uint32_t {
  kIntx,
  kMsi,
  kMsix,
  kErr,  ///< AER error reporting
  kReq,  ///< the kernel asks for the device back
};

/// The region of BAR `n`. Throws vfiokit::Error (EINVAL) for n > 5.
RegionIndex bar_region(unsigned n);
/// The region at index `n` as VFIO numbers it, device-specific ones included (what a
/// loop over Device::num_regions() needs).
constexpr RegionIndex region_at(uint32_t n) { return static_cast<RegionIndex>(n); }
/// The IRQ index at `n` as VFIO numbers it (a loop over Device::num_irqs()).
constexpr IrqIndex irq_at(uint32_t n) { return static_cast<IrqIndex>(n); }

/// The number VFIO gives the region (for printing and JSON).
constexpr uint32_t index_number(RegionIndex i) { return static_cast<uint32_t>(i); }
/// The number VFIO gives the IRQ index (for printing and JSON).
constexpr uint32_t index_number(IrqIndex i) { return static_cast<uint32_t>(i); }

/// "BAR0".."BAR5", "ROM", "config", "VGA", or "region N" for a device-specific one.
std::string to_string(RegionIndex i);
/// "INTx", "MSI", "MSI-X", "ERR", "REQ", or "index N" past them.
std::string to_string(IrqIndex i);

}  // namespace vfiokit
