// The VT-d page table as debugfs prints it (`vfiokit info --iommu-tables`,
// tools/host/iommu_page_table.hpp): any text. Checks: nothing crashes; a parsed table's
// leaves are of the three VT-d sizes and aligned to them; the comparison of the table with
// its own leaves (as vfiokit's mappings) finds nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/host/iommu_page_table.hpp"
#include "vfiokit/vfio/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vfiokit::host::IommuPageTable t;
  try {
    t = vfiokit::host::parse_vtd_page_table(text);
  } catch (const vfiokit::Error&) {
    return 0;
  }
  std::vector<vfiokit::host::ExpectedMapping> own;
  for (const auto& l : t.leaves) {
    if (l.size != 4096 && l.size != (2u << 20) && l.size != (1u << 30)) __builtin_trap();
    if (l.iova % l.size != 0 || l.phys % l.size != 0) __builtin_trap();
    if (own.size() < 64 && l.size == 4096)
      own.push_back({"leaf", l.iova, l.size, {l.phys}, l.size});
  }
  // Duplicate or overlapping leaves may legitimately disagree; a table of distinct 4 KiB
  // leaves compared with itself must match.
  bool distinct = true;
  for (size_t i = 0; i < own.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (own[i].iova == own[j].iova) distinct = false;
  if (distinct && t.translating) {
    bool overlapped = false;
    for (const auto& m : own) overlapped |= vfiokit::host::leaves_in(t, m.iova, m.size).size() != 1;
    if (!overlapped && !vfiokit::host::compare_page_table(t, own, false).ok()) __builtin_trap();
  }
  return 0;
}
