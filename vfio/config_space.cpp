#include "vfiokit/vfio/config_space.hpp"

#include <set>

#include "vfio/pci_capability_id.hpp"
#include "vfio/pci_port_type.hpp"
#include "vfio/format.hpp"

namespace vfiokit {

std::string pci_capability_name(bool extended, uint16_t id) {
  if (!extended) {
    switch (id) {
      case 0x01: return "Power Management";
      case 0x02: return "AGP";
      case 0x03: return "VPD";
      case 0x04: return "Slot ID";
      case 0x05: return "MSI";
      case 0x07: return "PCI-X";
      case 0x08: return "HyperTransport";
      case 0x09: return "Vendor Specific";
      case 0x0a: return "Debug Port";
      case 0x0d: return "Bridge Subsystem ID";
      case 0x10: return "PCI Express";
      case 0x11: return "MSI-X";
      case 0x12: return "SATA";
      case 0x13: return "Advanced Features";
      case 0x14: return "Enhanced Allocation";
      default:
        return detail::format("capability {:#04x}", id);
    }
  }
  switch (id) {
    case 0x01: return "AER";
    case 0x02: return "Virtual Channel";
    case 0x03: return "Device Serial Number";
    case 0x04: return "Power Budgeting";
    case 0x0b: return "Vendor Specific";
    case 0x0d: return "ACS";
    case 0x0e: return "ARI";
    case 0x0f: return "ATS";
    case 0x10: return "SR-IOV";
    case 0x13: return "PRI";
    case 0x15: return "Resizable BAR";
    case 0x17: return "TPH";
    case 0x18: return "LTR";
    case 0x19: return "Secondary PCIe";
    case 0x1b: return "PASID";
    case 0x1d: return "DPC";
    case 0x1e: return "L1 PM Substates";
    case 0x1f: return "PTM";
    case 0x23: return "DVSEC";
    case 0x24: return "VF Resizable BAR";
    case 0x25: return "Data Link Feature";
    case 0x26: return "Physical Layer 16 GT/s";
    case 0x27: return "Lane Margining";
    default:
      return detail::format("extended capability {:#06x}", id);
  }
}

double pcie_speed_gts(unsigned code) {
  static constexpr double kGts[] = {0, 2.5, 5, 8, 16, 32, 64};
  return code < std::size(kGts) ? kGts[code] : 0;
}

ConfigSpace::ConfigSpace(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) { walk(); }

uint8_t ConfigSpace::read8(size_t off) const { return off < bytes_.size() ? bytes_[off] : 0xff; }
uint16_t ConfigSpace::read16(size_t off) const {
  return static_cast<uint16_t>(read8(off) | read8(off + 1) << 8);
}
uint32_t ConfigSpace::read32(size_t off) const {
  return static_cast<uint32_t>(read16(off)) | static_cast<uint32_t>(read16(off + 2)) << 16;
}

void ConfigSpace::walk() {
  if (bytes_.size() < 64) {
    errors_.push_back(detail::format("config space snapshot is {} bytes, need 64", bytes_.size()));
    return;
  }
  // Standard list: Status bit 4, pointer at 0x34 (0x14 for CardBus bridges).
  if (read16(0x06) & 0x10) {
    size_t ptr = read8(header_type() == 2 ? 0x14 : 0x34);
    std::set<size_t> seen;
    while (ptr != 0) {
      ptr &= ~size_t{3};
      if (ptr < 0x40 || ptr + 2 > std::min<size_t>(bytes_.size(), 256)) {
        errors_.push_back(detail::format("capability pointer {:#x} out of range", ptr));
        break;
      }
      if (!seen.insert(ptr).second) {
        errors_.push_back(detail::format("capability list loops at {:#x}", ptr));
        break;
      }
      const uint8_t id = read8(ptr);
      caps_.push_back({false, id, static_cast<uint16_t>(ptr), 0, pci_capability_name(false, id)});
      ptr = read8(ptr + 1);
    }
  }
  // Extended list from 0x100, PCIe devices with 4 KiB snapshots only.
  if (bytes_.size() < 0x104 || !find(false, pci::kCapPciExpress)) return;
  size_t ptr = 0x100;
  std::set<size_t> seen;
  while (ptr != 0) {
    if (ptr < 0x100 || ptr + 4 > bytes_.size()) {
      errors_.push_back(detail::format("extended capability pointer {:#x} out of range", ptr));
      break;
    }
    if (!seen.insert(ptr).second) {
      errors_.push_back(detail::format("extended capability list loops at {:#x}", ptr));
      break;
    }
    const uint32_t hdr = read32(ptr);
    if (hdr == 0 || hdr == 0xffffffff) break;
    const auto id = static_cast<uint16_t>(hdr & 0xffff);
    caps_.push_back({true, id, static_cast<uint16_t>(ptr), static_cast<uint8_t>((hdr >> 16) & 0xf),
                     pci_capability_name(true, id)});
    ptr = (hdr >> 20) & 0xffc;
  }
}

std::optional<PciCapability> ConfigSpace::find(bool extended, uint16_t id) const {
  for (const auto& c : caps_)
    if (c.extended == extended && c.id == id) return c;
  return std::nullopt;
}

std::optional<unsigned> ConfigSpace::msi_vectors() const {
  auto c = find(false, pci::kCapMsi);
  if (!c) return std::nullopt;
  return 1u << ((read16(c->offset + 2) >> 1) & 7);
}

std::optional<unsigned> ConfigSpace::msix_table_size() const {
  auto c = find(false, pci::kCapMsix);
  if (!c) return std::nullopt;
  return (read16(c->offset + 2) & 0x7ff) + 1u;
}

std::optional<PcieLink> ConfigSpace::pcie_link() const {
  const auto type = pci::pcie_port_type(*this);
  if (!type || !pci::port_type_has_link(*type)) return std::nullopt;
  const auto c = find(false, pci::kCapPciExpress);
  const uint32_t lcap = read32(c->offset + 0x0c);
  const uint16_t lsta = read16(c->offset + 0x12);
  PcieLink l;
  l.max_gen = lcap & 0xf;
  l.max_width = (lcap >> 4) & 0x3f;
  l.cur_gen = lsta & 0xf;
  l.cur_width = (lsta >> 4) & 0x3f;
  l.max_gts = pcie_speed_gts(l.max_gen);
  l.cur_gts = pcie_speed_gts(l.cur_gen);
  return l;
}

bool ConfigSpace::has_flr() const {
  auto c = find(false, pci::kCapPciExpress);
  return c && (read32(c->offset + 4) & (1u << 28));
}

std::optional<bool> ConfigSpace::pm_reset() const {
  auto c = find(false, pci::kCapPowerManagement);
  if (!c) return std::nullopt;
  return !(read16(c->offset + 4) & 0x8);  // PMCSR No_Soft_Reset
}

}  // namespace vfiokit
