// The kernel's iommu trace events as `vfiokit trace` reads them from tracefs
// (tools/host/iommu_trace.hpp): any text, line by line; decoded events are then summed.
// Checks: nothing crashes; every decoded event is one of the kinds asked for; the sums
// count what was decoded; the ranges left mapped are sorted, non-empty and disjoint.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/host/iommu_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<vfiokit::host::IommuTraceEvent> events;
  unsigned maps = 0;
  for (size_t pos = 0; pos <= text.size();) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    if (auto e = vfiokit::host::parse_iommu_trace_line(text.substr(pos, eol - pos))) {
      if (e->event != "map" && e->event != "unmap" && e->event != "io_page_fault" &&
          e->event != "attach_device_to_domain" && e->event != "add_device_to_group" &&
          e->event != "remove_device_from_group")
        __builtin_trap();
      maps += e->event == "map";
      events.push_back(std::move(*e));
    }
    pos = eol + 1;
  }
  const auto s = vfiokit::host::summarize(events);
  if (s.maps != maps) __builtin_trap();
  uint64_t end = 0;
  for (const auto& [iova, len] : s.left_mapped) {
    if (len == 0 || iova < end) __builtin_trap();
    end = iova + len;
  }
  return 0;
}
