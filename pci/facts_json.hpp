// A device's facts as JSON: the one shape `vfiokit probe --json` ("device") and
// vfiokit-guest-check (context.devices[]) print them in.
#pragma once

#include <nlohmann/json.hpp>

#include "pci/device_facts.hpp"

namespace vfiokit::pci {

/// {bdf, present} and, when present: vendor_id, device_id, class (hex), vendor, device,
/// class_name, driver, iommu_group, numa_node (null when unknown), bars[], config_bytes,
/// msix, msi, link (with its bandwidth budget), aer where the device has them.
nlohmann::json facts_json(const DeviceFacts& f);

}  // namespace vfiokit::pci
