#include "vfio/pci_port_type.hpp"

#include "vfio/pci_capability_id.hpp"
#include "vfio/format.hpp"

namespace vfiokit::pci {

std::optional<unsigned> pcie_port_type(const ConfigSpace& cfg) {
  const auto c = cfg.find(false, kCapPciExpress);
  if (!c) return std::nullopt;
  return (cfg.read16(c->offset + 2) >> 4) & 0xf;
}

std::string pcie_port_type_name(unsigned type) {
  switch (type) {
    case kPortTypeEndpoint:
      return "endpoint";
    case 1:
      return "legacy endpoint";
    case kPortTypeRootPort:
      return "root port";
    case 5:
      return "upstream port";
    case kPortTypeDownstreamPort:
      return "downstream port";
    case 7:
      return "PCIe-to-PCI bridge";
    case 8:
      return "PCI-to-PCIe bridge";
    case kPortTypeIntegratedEndpoint:
      return "integrated endpoint";
    case kPortTypeEventCollector:
      return "event collector";
    default:
      return detail::format("port type {}", type);
  }
}

}  // namespace vfiokit::pci
