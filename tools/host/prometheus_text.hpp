// `vfiokit check`'s results as Prometheus metrics in the text exposition format,
// for node_exporter's textfile collector (a `*.prom` file; docs/fleet.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check/check.hpp"
#include "tools/host/fleet_facts.hpp"

namespace vfiokit::host {

/// A label value escaped for the text format: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
std::string escape_label_value(std::string_view v);
/// HELP text escaped for the text format: `\` -> `\\`, newline -> `\n`.
std::string escape_help(std::string_view v);

/// Every metric (docs/fleet.md lists them): vfiokit_build_info, vfiokit_host_check,
/// vfiokit_device_check, vfiokit_checks, vfiokit_iommu_enabled,
/// vfiokit_interrupt_remapping_enabled, vfiokit_iommufd_available,
/// vfiokit_device_passthrough_ready, vfiokit_pci_devices,
/// vfiokit_pci_devices_passthrough_ready, vfiokit_last_check_timestamp_seconds.
std::string prometheus_text(const std::vector<check::Report>& groups, const FleetFacts& facts,
                            std::string_view version, int64_t now_unix);

}  // namespace vfiokit::host
