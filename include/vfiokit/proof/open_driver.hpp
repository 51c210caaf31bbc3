// A device's vfiokit driver in one call: the registry entry, a DMA space limited to
// what the device can address, and the driver itself.
#pragma once

#include <memory>

#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/driver.hpp"
#include "vfiokit/vfio/device.hpp"

namespace vfiokit::proof {

/// What open_driver found for a device.
struct OpenedDriver {
  /// The registry entry (drivers()), or nullptr when vfiokit has no driver for it.
  const DriverEntry* entry = nullptr;
  /// A DMA space in the device's context whose IOVAs stay below the entry's
  /// dma_mask (edu: 28 bits); the full IOVA space when there is no driver.
  std::shared_ptr<DmaSpace> space;
  /// The driver, created but not yet init()ed; nullptr when there is none.
  std::unique_ptr<Driver> driver;
};

/// The driver for `device` (open, its context attached): entry, space and driver.
/// Throws vfiokit::Error when the device cannot be read or the driver's BAR mapped.
OpenedDriver open_driver(Device& device);

}  // namespace vfiokit::proof
