// What a fleet wants to know about a node, read off `vfiokit check`'s results:
// the IOMMU and interrupt remapping state, iommufd, and which devices could be
// passed through now. Nothing here judges anew: each fact is a check's verdict
// or a fact in its data (docs/fleet.md lists which).
#pragma once

#include <string>
#include <vector>

#include "check/check.hpp"

namespace vfiokit::host {

/// One checked device and whether it is passthrough-ready.
struct DeviceReadiness {
  std::string bdf;
  std::string vendor, device;  ///< 4 lower-case hex digits each ("1b36", "0010")
  std::string class_code;      ///< 6 hex digits ("030000": a VGA controller)
  bool on_vfio = false;        ///< bound to a vfio driver now (device.driver)
  /// Ready: device.iommu_group PASS (the group is viable with its companions),
  /// device.rmrr and device.framebuffer not FAIL, and device.reset found a reset
  /// method (PASS, or a WARN that lists bus/pm methods).
  bool ready = false;
  std::vector<std::string> blockers;  ///< ids of the checks that kept it from ready
};

/// The node's facts.
struct FleetFacts {
  std::string iommu = "unknown";       ///< "on" (host.iommu PASS), "off" (FAIL), "unknown"
  std::string iommu_mode = "unknown";  ///< default domain type of the groups: "dma",
                                       ///< "dma-fq", "identity", "mixed", "unknown"
  /// "on" (PASS), "unsafe" (WARN: off, allow_unsafe_interrupts=Y), "off" (FAIL), "unknown".
  std::string interrupt_remapping = "unknown";
  bool iommufd = false;  ///< /dev/iommu exists (host.dev_iommu PASS or WARN)
  bool vfio = false;     ///< host.vfio_modules not FAIL
  /// host.vfio_backends: what serves /dev/vfio/vfio: "type1", "iommufd-compat", "none",
  /// "unknown"; and whether the per-device cdev exists: "true", "false", "unknown".
  std::string vfio_container = "unknown";
  std::string vfio_cdev = "unknown";
  std::vector<DeviceReadiness> devices;
};

/// Reads the facts off `groups` ("host" first, then one group per device, as
/// `vfiokit check` makes them). A check that is absent leaves its fact "unknown".
FleetFacts fleet_facts(const std::vector<check::Report>& groups);

/// "vvvv:dddd" of a device.
inline std::string pci_id(const DeviceReadiness& d) { return d.vendor + ":" + d.device; }

}  // namespace vfiokit::host
