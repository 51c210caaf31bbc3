// Every PCI device under a root, grouped by IOMMU group, with names and
// whether each group can be handed to VFIO as it stands (`vfiokit list`).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/host/host_fs.hpp"
#include "vfio/pci_names.hpp"

namespace vfiokit::host {

/// One device in the inventory.
struct InventoryDevice {
  std::string bdf;
  uint16_t vendor = 0, device = 0;
  uint32_t class_code = 0;
  std::string vendor_name, device_name, class_name;  ///< empty when not in pci.ids
  std::optional<std::string> driver;
  bool allows_vfio = false;  ///< its driver leaves the group usable (see driver_allows_vfio)
};

/// One IOMMU group (group -1 holds the devices without one).
struct InventoryGroup {
  int group = -1;
  std::vector<InventoryDevice> devices;
  /// VFIO can open the group now: every member is on vfio-pci, pci-stub,
  /// pcieport or no driver. Group -1 is never viable.
  bool viable = false;
};

/// The groups, sorted by number, the group-less devices last.
std::vector<InventoryGroup> inventory(const HostFs& fs, const PciNames& names);

/// The JSON of `vfiokit list` (see docs/schema/list.schema.json).
nlohmann::json to_json(const std::vector<InventoryGroup>& groups);

}  // namespace vfiokit::host
