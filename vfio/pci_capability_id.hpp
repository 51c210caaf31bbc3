// PCI capability IDs by name (PCI Local Bus 3.0 / PCIe Base Specification, "Capability
// IDs"), for ConfigSpace::find(extended, id): the same numbers every reader looks up.
#pragma once

#include <cstdint>

namespace vfiokit::pci {

// Standard capabilities (ConfigSpace::find(false, id)).
inline constexpr uint16_t kCapPowerManagement = 0x01;
inline constexpr uint16_t kCapMsi = 0x05;
inline constexpr uint16_t kCapPciExpress = 0x10;
inline constexpr uint16_t kCapMsix = 0x11;

// Extended capabilities (ConfigSpace::find(true, id)).
inline constexpr uint16_t kExtCapAcs = 0x0d;
inline constexpr uint16_t kExtCapResizableBar = 0x15;

}  // namespace vfiokit::pci
