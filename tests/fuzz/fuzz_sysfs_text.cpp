// The numbers and lines sysfs and procfs hand the host checks (vfio/text_parse.hpp):
// a parser returns a value or nullopt, never throws; a value it returns prints back to
// text it parses to the same value. A whole `resource` file (pci/bar.hpp) gives BARs with
// a size or a vfiokit::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "pci/bar.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vfiokit;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto v = parse_u64(text)) require(parse_u64(std::to_string(*v)) == v);
  if (const auto v = parse_u64(text, 16)) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx\n", static_cast<unsigned long long>(*v));
    require(parse_u64(hex, 16) == v);
  }
  if (const auto v = parse_i64(text)) require(parse_i64(std::to_string(*v)) == v);
  if (const auto r = parse_iomem_line(text)) require(r->start <= r->end);
  if (const auto r = parse_reserved_region(text)) require(r->start <= r->end && !r->name.empty());
  if (const auto r = parse_resource_line(text))
    require(r->start <= r->end || (!r->start && !r->end));
  if (const auto kb = parse_hugepages_dir(text)) require(*kb > 0);
  (void)parse_limit_line(text, "Max locked memory");
  try {
    for (const auto& b : pci::parse_bars(text, "resource"))
      require(b.end >= b.start && b.size == b.end - b.start + 1 && b.index <= pci::kRomBarIndex);
  } catch (const Error&) {
  }
  return 0;
}
