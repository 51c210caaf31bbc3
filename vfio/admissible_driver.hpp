// Which drivers vfiokit accepts on a device it is about to hand to VFIO, or that it
// finds on a device passed through. One list (admissible_driver.cpp) answers two
// questions, because the callers ask different things of the same drivers.
#pragma once

#include <optional>
#include <string>

namespace vfiokit::pci {

/// Whether a device bound to `driver` leaves its IOMMU group usable by VFIO: no driver,
/// or one that manages DMA itself (the kernel's `driver_managed_dma`): vfio-pci and the
/// other vfio drivers, the vfio-pci variant drivers ("*_vfio_pci"), pci-stub, pcieport.
/// Asked of every member of a group (Sysfs::group_blockers, bind, host checks).
bool driver_leaves_group_usable(const std::optional<std::string>& driver);

/// Whether `driver` holds the device without using it: a stub that sets up no interrupts
/// until a user opens the device (vfio-pci, pci-stub, Xen's pciback). The guest check
/// asks it to tell an idle device from a broken one. No driver is not a holder.
bool driver_holds_idle(const std::optional<std::string>& driver);

}  // namespace vfiokit::pci
