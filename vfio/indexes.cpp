#include "vfiokit/vfio/indexes.hpp"

#include <linux/vfio.h>

#include <cerrno>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

// The public enums carry the kernel's numbers without its header: pinned here, where the
// header is allowed, so a renumbering (never expected: it is uAPI) fails the build.
static_assert(index_number(RegionIndex::kBar0) == VFIO_PCI_BAR0_REGION_INDEX);
static_assert(index_number(RegionIndex::kBar1) == VFIO_PCI_BAR1_REGION_INDEX);
static_assert(index_number(RegionIndex::kBar2) == VFIO_PCI_BAR2_REGION_INDEX);
static_assert(index_number(RegionIndex::kBar3) == VFIO_PCI_BAR3_REGION_INDEX);
static_assert(index_number(RegionIndex::kBar4) == VFIO_PCI_BAR4_REGION_INDEX);
static_assert(index_number(RegionIndex::kBar5) == VFIO_PCI_BAR5_REGION_INDEX);
static_assert(index_number(RegionIndex::kRom) == VFIO_PCI_ROM_REGION_INDEX);
static_assert(index_number(RegionIndex::kConfig) == VFIO_PCI_CONFIG_REGION_INDEX);
static_assert(index_number(RegionIndex::kVga) == VFIO_PCI_VGA_REGION_INDEX);
static_assert(index_number(RegionIndex::kVga) + 1 == VFIO_PCI_NUM_REGIONS);
static_assert(index_number(IrqIndex::kIntx) == VFIO_PCI_INTX_IRQ_INDEX);
static_assert(index_number(IrqIndex::kMsi) == VFIO_PCI_MSI_IRQ_INDEX);
static_assert(index_number(IrqIndex::kMsix) == VFIO_PCI_MSIX_IRQ_INDEX);
static_assert(index_number(IrqIndex::kErr) == VFIO_PCI_ERR_IRQ_INDEX);
static_assert(index_number(IrqIndex::kReq) == VFIO_PCI_REQ_IRQ_INDEX);
static_assert(index_number(IrqIndex::kReq) + 1 == VFIO_PCI_NUM_IRQS);

RegionIndex bar_region(unsigned n) {
  if (n > 5)
    throw_error("bar_region", detail::format("BAR{}", n), EINVAL,
                "a PCI function has BARs 0 to 5; the ROM is RegionIndex::kRom");
  return region_at(index_number(RegionIndex::kBar0) + n);
}

std::string to_string(RegionIndex i) {
  const uint32_t n = index_number(i);
  if (i <= RegionIndex::kBar5) return detail::format("BAR{}", n);
  switch (i) {
    case RegionIndex::kRom:
      return "ROM";
    case RegionIndex::kConfig:
      return "config";
    case RegionIndex::kVga:
      return "VGA";
    default:
      return detail::format("region {}", n);
  }
}

std::string to_string(IrqIndex i) {
  switch (i) {
    case IrqIndex::kIntx:
      return "INTx";
    case IrqIndex::kMsi:
      return "MSI";
    case IrqIndex::kMsix:
      return "MSI-X";
    case IrqIndex::kErr:
      return "ERR";
    case IrqIndex::kReq:
      return "REQ";
    default:
      return detail::format("index {}", index_number(i));
  }
}

}  // namespace vfiokit
