// What the IOMMU really mapped: the leaf entries of an Intel VT-d domain's page table
// as the kernel prints them in debugfs (CONFIG_INTEL_IOMMU_DEBUGFS,
// /sys/kernel/debug/iommu/intel/<bdf>/domain_translation_struct), and their comparison
// with what vfiokit mapped — the check the kernel's vfio_dma_mapping_test.c makes:
// every page present at its IOVA, pointing at the buffer's physical page, at the page
// size the buffer allows, nothing else mapped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vfiokit::host {

/// One leaf of the page table: a 4 KiB page, a 2 MiB or a 1 GiB superpage.
struct IommuLeaf {
  uint64_t iova = 0;
  uint64_t size = 0;   ///< 4 KiB, 2 MiB or 1 GiB, from the level the walk stopped at
  uint64_t phys = 0;   ///< the entry's address field
  uint64_t entry = 0;  ///< the raw leaf entry
};

/// The table the kernel printed for one device.
struct IommuPageTable {
  std::string device;       ///< "0000:00:02.0", from the "Device ..." line
  uint64_t root = 0;        ///< the page table's root ("@0x...")
  bool translating = true;  ///< false: "DMA Remapping is not enabled"
  std::vector<IommuLeaf> leaves;
};

/// Parses domain_translation_struct (6.12's format, drivers/iommu/intel/debugfs.c).
/// Throws vfiokit::Error (EINVAL) naming the line for anything it does not recognise
/// (the file is the kernel's, but a parser of outside text trusts nothing).
IommuPageTable parse_vtd_page_table(const std::string& text);

/// One mapping vfiokit made: its IOVA range, the physical address of each 4 KiB page of
/// the buffer behind it (from /proc/self/pagemap), and the IOMMU page size it allows
/// (the buffer's page size, where the IOMMU offers it; else 4 KiB).
struct ExpectedMapping {
  std::string what;  ///< e.g. "64 KiB buffer (4 KiB pages)"
  uint64_t iova = 0;
  uint64_t size = 0;
  std::vector<uint64_t> phys_pages;  ///< one per 4 KiB page
  uint64_t page_size = 4096;
};

/// The comparison: one line per finding, empty when the table matches.
struct PageTableMismatch {
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

/// Checks `table` against `expected`: every 4 KiB page of each mapping covered by a leaf
/// of the expected size whose address is the buffer's page, and (with `exclusive`) no
/// leaf outside the mappings. Each problem prints both sides.
PageTableMismatch compare_page_table(const IommuPageTable& table,
                                     const std::vector<ExpectedMapping>& expected, bool exclusive);

/// The leaves of `table` outside every mapping of `expected`: mapped, but not by vfiokit.
std::vector<IommuLeaf> foreign_leaves(const IommuPageTable& table,
                                      const std::vector<ExpectedMapping>& expected);
/// "IOVA a-b (size) -> physical p is mapped in the IOMMU, but not by vfiokit".
std::string describe_foreign(const IommuLeaf& leaf);

/// The leaves that overlap [iova, iova + size).
std::vector<IommuLeaf> leaves_in(const IommuPageTable& table, uint64_t iova, uint64_t size);

}  // namespace vfiokit::host
