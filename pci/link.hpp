// A device's PCIe link: from its configuration space (Link Capabilities/Status), or,
// when that is cut off at 64 bytes (not root), from the sysfs link attributes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vfiokit/vfio/config_space.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::pci {

/// Parses a sysfs link speed ("32.0 GT/s PCIe", "8 GT/s") into GT/s; 0 for "Unknown" or
/// any other text (a number that is not positive and finite, other words after it).
double parse_sysfs_link_speed(std::string_view text);

/// The PCIe generation (1..6) of a rate in GT/s, 0 if unknown.
unsigned pcie_gen_of(double gts);

/// The link and where it was read.
struct LinkReading {
  std::optional<PcieLink> link;
  std::string source;  ///< "config" or "sysfs"; empty without a link
};

/// The link of `bdf`: from `cfg` when it holds the PCIe capability, else from sysfs's
/// current/max_link_speed/width when all four parse and the maximum is a real link.
LinkReading read_link(const ConfigSpace& cfg, const Sysfs& sysfs, const std::string& bdf);

}  // namespace vfiokit::pci
