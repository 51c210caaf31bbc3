// The PCI Express Device/Port Type (PCIe Capabilities register bits 7:4, PCIe Base
// Specification 7.5.3.2): what a function is in the PCIe hierarchy.
#pragma once

#include <optional>
#include <string>

#include "vfiokit/vfio/config_space.hpp"

namespace vfiokit::pci {

inline constexpr unsigned kPortTypeEndpoint = 0;
inline constexpr unsigned kPortTypeRootPort = 4;
inline constexpr unsigned kPortTypeDownstreamPort = 6;
/// A Root Complex Integrated Endpoint: no link (how QEMU shows devices on q35's pcie.0).
inline constexpr unsigned kPortTypeIntegratedEndpoint = 9;
/// A Root Complex Event Collector: no link either.
inline constexpr unsigned kPortTypeEventCollector = 10;

/// The Device/Port Type of `cfg`, or nullopt when it has no PCIe capability (conventional
/// PCI, or a 64-byte snapshot read without root).
std::optional<unsigned> pcie_port_type(const ConfigSpace& cfg);

/// "root port", "downstream port", "upstream port", "endpoint", ...; "port type N" otherwise.
std::string pcie_port_type_name(unsigned type);

/// Whether a function of this type has a link of its own (integrated endpoints and event
/// collectors sit inside the root complex).
constexpr bool port_type_has_link(unsigned type) {
  return type != kPortTypeIntegratedEndpoint && type != kPortTypeEventCollector;
}

}  // namespace vfiokit::pci
