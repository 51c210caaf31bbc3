#include "tools/host/iommu_page_table.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <sstream>

#include "tools/host/host_fs.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

constexpr uint64_t k4K = 4096;
// The address field of a VT-d second-level entry: bits 12..51 (VT-d spec 9.8).
constexpr uint64_t kAddressMask = 0x000ffffffffff000ULL;

[[noreturn]] void bad_line(size_t n, const std::string& line, const std::string& why) {
  throw_error("parse domain_translation_struct", fmt::format("line {}: '{}'", n, line), EINVAL,
              why);
}

uint64_t hex_field(size_t n, const std::string& line, const std::string& word) {
  const auto v = parse_u64(word, 16);
  if (!v) bad_line(n, line, fmt::format("'{}' is not a hex number", word));
  return *v;
}

// "0x0000000000001 |\t0xPML5E\t0xPML4E\t0xPDPE[\t0xPDE[\t0xPTE]]": the walk prints the
// entries down to the leaf, so the number of entries gives the level (debugfs.c,
// dump_page_info): three end at a 1 GiB PDPE, four at a 2 MiB PDE, five at a 4 KiB PTE.
IommuLeaf parse_leaf(size_t n, const std::string& line) {
  const auto bar = line.find('|');
  const auto pfn_word = split_ws(line.substr(0, bar));
  const auto entries = split_ws(line.substr(bar + 1));
  if (pfn_word.size() != 1) bad_line(n, line, "expected one IOVA_PFN before '|'");
  IommuLeaf leaf;
  const uint64_t pfn = hex_field(n, line, pfn_word[0]);
  if (pfn > (UINT64_MAX >> 12)) bad_line(n, line, "IOVA_PFN past the 64-bit IOVA space");
  leaf.iova = pfn << 12;
  switch (entries.size()) {
    case 3:
      leaf.size = 1ULL << 30;
      break;
    case 4:
      leaf.size = 2ULL << 20;
      break;
    case 5:
      leaf.size = k4K;
      break;
    default:
      bad_line(n, line,
               fmt::format("{} table entries; a leaf has 3 (1 GiB), 4 (2 MiB) or 5 (4 KiB)",
                           entries.size()));
  }
  for (const auto& e : entries) leaf.entry = hex_field(n, line, e);  // the last is the leaf
  leaf.phys = leaf.entry & kAddressMask & ~(leaf.size - 1);
  if (leaf.iova % leaf.size != 0)
    bad_line(
        n, line,
        fmt::format("IOVA {:#x} is not aligned to its {} page", leaf.iova, human_bytes(leaf.size)));
  return leaf;
}

}  // namespace

IommuPageTable parse_vtd_page_table(const std::string& text) {
  IommuPageTable t;
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line.rfind("DMA Remapping is not enabled", 0) == 0) {
      t.translating = false;
      continue;
    }
    if (line.rfind("Device ", 0) == 0) {
      const auto w = split_ws(line);
      const auto at = line.find("@0x");
      if (w.size() < 3 || at == std::string::npos)
        bad_line(n, line, "expected 'Device BDF ... @0x...'");
      t.device = w[1];
      t.root = hex_field(n, line, line.substr(at + 1));
      continue;
    }
    if (line.rfind("IOVA_PFN", 0) == 0) {
      header = true;
      continue;
    }
    if (!header || line.find('|') == std::string::npos)
      bad_line(n, line, "expected the IOVA_PFN header, then 'PFN | entries' lines");
    t.leaves.push_back(parse_leaf(n, line));
  }
  return t;
}

std::vector<IommuLeaf> leaves_in(const IommuPageTable& table, uint64_t iova, uint64_t size) {
  std::vector<IommuLeaf> out;
  for (const auto& l : table.leaves)
    if (l.iova < iova + size && iova < l.iova + l.size) out.push_back(l);
  return out;
}

namespace {

// The problems of one mapping: each 4 KiB page found in a leaf of the expected size at
// the buffer's physical page.
void compare_mapping(const IommuPageTable& table, const ExpectedMapping& m,
                     std::vector<std::string>& problems) {
  const auto leaves = leaves_in(table, m.iova, m.size);
  for (uint64_t off = 0; off < m.size; off += k4K) {
    const uint64_t iova = m.iova + off;
    const IommuLeaf* leaf = nullptr;
    for (const auto& l : leaves)
      if (l.iova <= iova && iova < l.iova + l.size) leaf = &l;
    const uint64_t want = m.phys_pages.at(off / k4K);
    if (!leaf) {
      problems.push_back(
          fmt::format("{}: IOVA {:#x} is not mapped in the IOMMU; vfiokit mapped it "
                      "to physical {:#x}",
                      m.what, iova, want));
      return;
    }
    const uint64_t got = leaf->phys + (iova - leaf->iova);
    if (got != want) {
      problems.push_back(
          fmt::format("{}: IOVA {:#x} -> physical {:#x} in the IOMMU (entry "
                      "{:#018x}), but the buffer's page is at {:#x}",
                      m.what, iova, got, leaf->entry, want));
      return;
    }
    if (leaf->size != m.page_size) {
      problems.push_back(
          fmt::format("{}: IOVA {:#x} is mapped by a {} IOMMU page; the buffer "
                      "allows {} pages",
                      m.what, iova, human_bytes(leaf->size), human_bytes(m.page_size)));
      return;
    }
  }
}

}  // namespace

PageTableMismatch compare_page_table(const IommuPageTable& table,
                                     const std::vector<ExpectedMapping>& expected, bool exclusive) {
  PageTableMismatch r;
  if (!table.translating)
    r.problems.push_back("the IOMMU does not translate DMA (DMA Remapping is not enabled)");
  for (const auto& m : expected) compare_mapping(table, m, r.problems);
  if (!exclusive) return r;
  for (const auto& l : foreign_leaves(table, expected)) r.problems.push_back(describe_foreign(l));
  return r;
}

std::vector<IommuLeaf> foreign_leaves(const IommuPageTable& table,
                                      const std::vector<ExpectedMapping>& expected) {
  std::vector<IommuLeaf> out;
  for (const auto& l : table.leaves) {
    bool ours = false;
    for (const auto& m : expected)
      if (l.iova >= m.iova && l.iova + l.size <= m.iova + m.size) ours = true;
    if (!ours) out.push_back(l);
  }
  return out;
}

std::string describe_foreign(const IommuLeaf& l) {
  return fmt::format(
      "IOVA {:#x}-{:#x} ({}) -> physical {:#x} is mapped in the IOMMU, but not by "
      "vfiokit",
      l.iova, l.iova + l.size, human_bytes(l.size), l.phys);
}

}  // namespace vfiokit::host
