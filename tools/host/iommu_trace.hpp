// The kernel's iommu trace events (include/trace/events/iommu.h) as tracefs prints them,
// decoded: what the IOMMU was asked to map and unmap, which devices were attached to a
// domain, and the faults it reported, each with the process that caused it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vfiokit::host {

/// One decoded line of a tracefs `trace` file.
struct IommuTraceEvent {
  std::string comm;  ///< the task that was running ("vfiokit")
  uint32_t pid = 0;
  double time_s = 0;      ///< trace clock, seconds
  std::string event;      ///< "map", "unmap", "attach_device_to_domain", "io_page_fault", ...
  uint64_t iova = 0;      ///< map, unmap, io_page_fault
  uint64_t size = 0;      ///< map, unmap
  uint64_t paddr = 0;     ///< map
  uint64_t unmapped = 0;  ///< unmap: what the IOMMU really unmapped
  std::string device;     ///< attach/add/remove, io_page_fault
  uint32_t flags = 0;     ///< io_page_fault
};

/// Decodes `line` ("  vfiokit-191 [000] ..... 4.371624: map: IOMMU: iova=0x... - 0x...
/// paddr=0x... size=8192"); nullopt for comments, other events and malformed lines.
std::optional<IommuTraceEvent> parse_iommu_trace_line(std::string_view line);

/// What a trace adds up to.
struct IommuTraceSummary {
  unsigned maps = 0, unmaps = 0, faults = 0, attaches = 0;
  uint64_t mapped_bytes = 0, unmapped_bytes = 0;
  /// [iova, iova + size) ranges mapped and not unmapped by the end of the trace, in
  /// IOVA order (one IOVA space per trace is assumed: domains are not in the events).
  std::vector<std::pair<uint64_t, uint64_t>> left_mapped;
  std::vector<std::string> devices;  ///< attached or faulting, in first-seen order
};

/// Adds up `events` in order; an unmap removes what it covers from the mapped ranges.
IommuTraceSummary summarize(const std::vector<IommuTraceEvent>& events);

}  // namespace vfiokit::host
