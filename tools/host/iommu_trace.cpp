#include "tools/host/iommu_trace.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace vfiokit::host {
namespace {

// The value after `key` ("iova=") up to the next space, as an unsigned number (hex with
// "0x", else decimal); nullopt when missing or not a number.
std::optional<uint64_t> field(std::string_view s, std::string_view key) {
  const auto at = s.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view v = s.substr(at + key.size());
  v = v.substr(0, v.find(' '));
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && v[1] == 'x') v.remove_prefix(2), base = 16;
  uint64_t out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out, base);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The event-specific text after "IOMMU:" into `e`; false when it does not decode.
bool decode_payload(std::string_view p, IommuTraceEvent& e) {
  if (e.event == "map" || e.event == "unmap") {
    const auto iova = field(p, "iova="), size = field(p, "size=");
    if (!iova || !size) return false;
    e.iova = *iova, e.size = *size;
    if (e.event == "map") {
      const auto paddr = field(p, "paddr=");
      if (!paddr) return false;
      e.paddr = *paddr;
    } else {
      e.unmapped = field(p, "unmapped_size=").value_or(e.size);
    }
    return true;
  }
  if (e.event == "attach_device_to_domain" || e.event == "add_device_to_group" ||
      e.event == "remove_device_from_group") {
    const auto at = p.find("device=");
    if (at == std::string_view::npos) return false;
    e.device = std::string(trim(p.substr(at + 7)));
    return !e.device.empty() && e.device.size() <= 64;
  }
  if (e.event == "io_page_fault") {  // "IOMMU:DRIVER DEVICE iova=0x... flags=0x..."
    const auto iova = field(p, "iova="), flags = field(p, "flags=");
    if (!iova || !flags || *flags > 0xffffffffu) return false;
    e.iova = *iova, e.flags = static_cast<uint32_t>(*flags);
    const std::string_view before = trim(p.substr(0, p.find(" iova=")));
    e.device = std::string(before.substr(before.rfind(' ') + 1));
    return !e.device.empty() && e.device.size() <= 64;
  }
  return false;
}

// Cuts [lo, hi) out of every range of `mapped` (start -> end, exclusive) it touches.
void cut(std::map<uint64_t, uint64_t>& mapped, uint64_t lo, uint64_t hi) {
  std::vector<std::pair<uint64_t, uint64_t>> keep;
  for (auto it = mapped.begin(); it != mapped.end();) {
    if (it->second <= lo || it->first >= hi) {
      ++it;
      continue;
    }
    if (it->first < lo) keep.emplace_back(it->first, lo);
    if (it->second > hi) keep.emplace_back(hi, it->second);
    it = mapped.erase(it);
  }
  for (const auto& [a, b] : keep) mapped[a] = b;
}

}  // namespace

std::optional<IommuTraceEvent> parse_iommu_trace_line(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() == '#') return std::nullopt;
  // "COMM-PID [CPU] FLAGS TIME: EVENT: IOMMU:..." (COMM may hold '-' and spaces).
  const auto bracket = line.find(" [");
  if (bracket == std::string_view::npos) return std::nullopt;
  const std::string_view task = trim(line.substr(0, bracket));
  const auto dash = task.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  IommuTraceEvent e;
  e.comm = std::string(task.substr(0, dash));
  const std::string_view pid = task.substr(dash + 1);
  if (std::from_chars(pid.data(), pid.data() + pid.size(), e.pid).ptr != pid.data() + pid.size())
    return std::nullopt;
  const auto colon = line.find(": ", bracket);
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view head = line.substr(0, colon);
  const std::string_view time = head.substr(head.rfind(' ') + 1);
  const auto [tp, tec] = std::from_chars(time.data(), time.data() + time.size(), e.time_s);
  if (tec != std::errc() || tp != time.data() + time.size()) return std::nullopt;
  const std::string_view rest = line.substr(colon + 2);
  const auto colon2 = rest.find(": ");
  if (colon2 == std::string_view::npos) return std::nullopt;
  e.event = std::string(rest.substr(0, colon2));
  const std::string_view payload = rest.substr(colon2 + 2);
  if (payload.rfind("IOMMU:", 0) != 0 || !decode_payload(payload.substr(6), e)) return std::nullopt;
  return e;
}

IommuTraceSummary summarize(const std::vector<IommuTraceEvent>& events) {
  IommuTraceSummary s;
  std::map<uint64_t, uint64_t> mapped;  // start -> end (exclusive), non-overlapping
  const auto note_device = [&](const std::string& d) {
    if (!d.empty() && std::find(s.devices.begin(), s.devices.end(), d) == s.devices.end())
      s.devices.push_back(d);
  };
  for (const auto& e : events) {
    if (e.event == "map") {
      ++s.maps, s.mapped_bytes += e.size;
      // A map over a range already mapped (no kernel does that; a damaged trace might)
      // replaces it, so the ranges stay disjoint.
      if (e.size && e.iova + e.size > e.iova) {
        cut(mapped, e.iova, e.iova + e.size);
        mapped[e.iova] = e.iova + e.size;
      }
    } else if (e.event == "unmap") {
      ++s.unmaps, s.unmapped_bytes += e.unmapped;
      const uint64_t lo = e.iova, hi = e.iova + e.unmapped;
      if (hi > lo) cut(mapped, lo, hi);
    } else if (e.event == "io_page_fault") {
      ++s.faults;
      note_device(e.device);
    } else if (e.event == "attach_device_to_domain") {
      ++s.attaches;
      note_device(e.device);
    }
  }
  for (const auto& [a, b] : mapped) s.left_mapped.emplace_back(a, b - a);
  return s;
}

}  // namespace vfiokit::host
