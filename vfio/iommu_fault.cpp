#include "vfio/iommu_fault.hpp"

#include <cctype>
#include <charconv>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace vfiokit {
namespace {

/// The unsigned number (hex with "0x", else decimal) that starts `s`.
std::optional<uint64_t> number_at(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

/// The number after `key` in `s`, or nullopt.
std::optional<uint64_t> number_after(std::string_view s, std::string_view key) {
  const auto at = s.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  return number_at(s.substr(at + key.size()));
}

/// "bb:dd.f" made of hex digits, the requester form all three IOMMUs share.
bool is_bus_dev_fn(std::string_view s) {
  if (s.size() != 7 || s[2] != ':' || s[5] != '.') return false;
  for (size_t i : {0, 1, 3, 4, 6})
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The requester "bb:dd.f" (lower case) that starts `s`, or nullopt.
std::optional<std::string> requester_at(std::string_view s) {
  const auto rq = s.substr(0, 7);
  if (!is_bus_dev_fn(rq)) return std::nullopt;
  return lower(rq);
}

/// The 4-hex-digit PCI segment that starts `s`, or nullopt.
std::optional<uint16_t> segment_at(std::string_view s) {
  if (s.size() < 4) return std::nullopt;
  uint16_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + 4, v, 16);
  if (ec != std::errc() || end != s.data() + 4) return std::nullopt;
  return v;
}

std::optional<IommuFault> parse_dmar(std::string_view line) {
  // [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x1000 [fault reason 0x05] text
  const auto tag = line.find("[DMA ");
  if (tag == std::string_view::npos) return std::nullopt;
  IommuFault f;
  f.iommu = "DMAR";
  f.access = line.compare(tag + 5, 5, "Write") == 0 ? "write" : "read";
  const auto dev = line.find("Request device [", tag);
  if (dev == std::string_view::npos) return std::nullopt;
  const auto rq = requester_at(line.substr(dev + 16));
  if (!rq) return std::nullopt;
  f.requester = *rq;
  const auto addr = number_after(line, "fault addr ");
  if (!addr) return std::nullopt;
  f.iova = *addr;
  if (const auto r = line.find("[fault reason "); r != std::string_view::npos) {
    const auto close = line.find(']', r);
    if (close != std::string_view::npos && close + 1 < line.size()) {
      auto text = line.substr(close + 1);
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      f.reason = std::string(text);
    }
  }
  return f;
}

std::optional<IommuFault> parse_amd(std::string_view line) {
  // "vfio-pci 0000:00:03.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002
  //  address=0x1000 flags=0x0020]" or, without a struct pci_dev, "... [IO_PAGE_FAULT
  //  device=0000:00:03.0 domain=...".
  const auto ev = line.find("IO_PAGE_FAULT");
  if (ev == std::string_view::npos) return std::nullopt;
  IommuFault f;
  f.iommu = "AMD-Vi";
  std::optional<std::string> rq;
  if (const auto d = line.find("device=", ev); d != std::string_view::npos) {
    auto rest = line.substr(d + 7);
    if (rest.size() >= 12 && rest[4] == ':') {
      f.segment = segment_at(rest);
      rest.remove_prefix(5);
    }
    rq = requester_at(rest);
  } else {
    // The device prefix that pci_err() puts before "AMD-Vi:": "<driver> 0000:bb:dd.f: ".
    const auto amd = line.find("AMD-Vi:");
    const auto prefix = line.substr(0, amd == std::string_view::npos ? 0 : amd);
    const auto colon = prefix.rfind(": ");
    if (colon != std::string_view::npos && colon >= 7) rq = requester_at(prefix.substr(colon - 7));
    if (rq && colon >= 12 && prefix[colon - 8] == ':')
      f.segment = segment_at(prefix.substr(colon - 12));
  }
  if (!rq) return std::nullopt;
  f.requester = *rq;
  const auto addr = number_after(line, "address=");
  if (!addr) return std::nullopt;
  f.iova = *addr;
  if (const auto flags = number_after(line, "flags=")) {
    f.access = (*flags & 0x20) ? "write" : "read";  // RW bit of the event's flags
    f.reason = detail::format("IO_PAGE_FAULT flags={:#06x}", *flags);
  } else {
    f.reason = "IO_PAGE_FAULT";
  }
  return f;
}

std::optional<IommuFault> parse_virtio(std::string_view line) {
  // "virtio_iommu virtio0: page fault from EP 24 at 0x1000 [W]"
  const auto from = line.find(" fault from EP ");
  if (from == std::string_view::npos || line.find("virtio") == std::string_view::npos)
    return std::nullopt;
  IommuFault f;
  f.iommu = "virtio-iommu";
  const auto ep = number_at(line.substr(from + 15));
  const auto at = number_after(line.substr(from), " at ");
  if (!ep || !at || *ep > 0xffffffffu) return std::nullopt;
  f.endpoint = static_cast<uint32_t>(*ep);
  f.iova = *at;
  // The reason word just before " fault": "page", "domain", "unknown".
  auto head = line.substr(0, from);
  const auto sp = head.rfind(' ');
  f.reason = std::string(head.substr(sp == std::string_view::npos ? 0 : sp + 1)) + " fault";
  if (const auto br = line.find('[', from); br != std::string_view::npos) {
    const auto flags = line.substr(br + 1, line.find(']', br) - br - 1);
    if (flags.find('W') != std::string_view::npos) f.access = "write";
    else if (flags.find('R') != std::string_view::npos) f.access = "read";
  }
  return f;
}

}  // namespace

std::optional<IommuFault> parse_iommu_fault(std::string_view line) {
  if (line.find("DMAR:") != std::string_view::npos) return parse_dmar(line);
  if (line.find("AMD-Vi") != std::string_view::npos) return parse_amd(line);
  return parse_virtio(line);
}

bool fault_matches(const IommuFault& fault, const std::string& bdf, uint64_t iova, uint64_t size) {
  if (fault.iova < iova || fault.iova - iova >= size) return false;
  std::string full;
  try {
    full = normalize_bdf(bdf);
  } catch (const Error&) {
    return false;
  }
  const auto segment = segment_at(full);
  if (!segment || fault.segment.value_or(0) != *segment) return false;
  const std::string bus_dev_fn = full.substr(5);
  if (!fault.requester.empty()) return fault.requester == bus_dev_fn;
  if (!fault.endpoint) return false;
  // x86 virtio-iommu endpoint ids are requester ids: bus << 8 | device << 3 | function.
  const auto bus = number_at("0x" + bus_dev_fn.substr(0, 2));
  const auto dev = number_at("0x" + bus_dev_fn.substr(3, 2));
  const auto fn = number_at(bus_dev_fn.substr(6, 1));
  if (!bus || !dev || !fn) return false;
  return *fault.endpoint == ((*bus << 8) | (*dev << 3) | *fn);
}

std::string describe(const IommuFault& f) {
  const std::string who =
      f.requester.empty() ? detail::format("endpoint {}", f.endpoint.value_or(0)) : f.requester;
  return detail::format("{}: {} by {} at IOVA {:#x} blocked{}", f.iommu,
                        f.access.empty() ? std::string("DMA") : f.access, who, f.iova,
                        f.reason.empty() ? "" : " (" + f.reason + ")");
}

}  // namespace vfiokit
