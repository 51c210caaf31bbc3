// The VT-d page-table view (tools/host/iommu_page_table.hpp) on text in the kernel's
// format (drivers/iommu/intel/debugfs.c, 6.12): leaves of each size, the comparison's
// findings with both sides, and malformed lines refused.
#include "tools/host/iommu_page_table.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

// A 4-level table: two 4 KiB pages at IOVA 0x1000 and 0x2000, a 2 MiB superpage at
// 0x200000 (PDE with the PS bit, 0x80), a 1 GiB one at 0x40000000.
constexpr const char* kTable =
    "Device 0000:00:02.0 @0x10d5b000\n"
    "IOVA_PFN\t\tPML5E\t\t\tPML4E\t\t\tPDPE\t\t\tPDE\t\t\tPTE\n"
    "0x0000000000001 |\t0x0000000000000000\t0x0000000010d5c003\t0x0000000010d5d003\t"
    "0x0000000010d5e003\t0x0000000047f05003\n"
    "0x0000000000002 |\t0x0000000000000000\t0x0000000010d5c003\t0x0000000010d5d003\t"
    "0x0000000010d5e003\t0x0000000047f06003\n"
    "0x0000000000200 |\t0x0000000000000000\t0x0000000010d5c003\t0x0000000010d5d003\t"
    "0x0000000048a00083\n"
    "0x0000000040000 |\t0x0000000000000000\t0x0000000010d5c003\t0x0000000080000083\n";

TEST(IommuPageTable, ParsesLeavesOfEachSize) {
  const IommuPageTable t = parse_vtd_page_table(kTable);
  EXPECT_EQ(t.device, "0000:00:02.0");
  EXPECT_EQ(t.root, 0x10d5b000u);
  ASSERT_EQ(t.leaves.size(), 4u);
  EXPECT_EQ(t.leaves[0].iova, 0x1000u);
  EXPECT_EQ(t.leaves[0].size, 4096u);
  EXPECT_EQ(t.leaves[0].phys, 0x47f05000u);
  EXPECT_EQ(t.leaves[2].iova, 0x200000u);
  EXPECT_EQ(t.leaves[2].size, 2u << 20);
  EXPECT_EQ(t.leaves[2].phys, 0x48a00000u);
  EXPECT_EQ(t.leaves[3].size, 1u << 30);
  EXPECT_EQ(t.leaves[3].phys, 0x80000000u);
  EXPECT_EQ(leaves_in(t, 0x1800, 0x1000).size(), 2u);
}

ExpectedMapping two_pages() {
  return {"8 KiB buffer", 0x1000, 0x2000, {0x47f05000, 0x47f06000}, 4096};
}

ExpectedMapping hugepage() {
  ExpectedMapping m{"2 MiB hugepage", 0x200000, 2u << 20, {}, 2u << 20};
  for (uint64_t off = 0; off < m.size; off += 4096) m.phys_pages.push_back(0x48a00000 + off);
  return m;
}

TEST(IommuPageTable, MatchingMappingsPass) {
  const IommuPageTable t = parse_vtd_page_table(kTable);
  EXPECT_TRUE(compare_page_table(t, {two_pages(), hugepage()}, false).ok());
}

// A deliberately wrong expectation fails, printing both sides.
TEST(IommuPageTable, WrongPhysicalPageFailsWithBothSides) {
  const IommuPageTable t = parse_vtd_page_table(kTable);
  ExpectedMapping m = two_pages();
  m.phys_pages[1] = 0x47f07000;
  const auto r = compare_page_table(t, {m}, false);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("IOVA 0x2000 -> physical 0x47f06000 in the IOMMU"),
            std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[0].find("buffer's page is at 0x47f07000"), std::string::npos);
}

TEST(IommuPageTable, HugepageMappedIn4KPagesFails) {
  const IommuPageTable t = parse_vtd_page_table(kTable);
  ExpectedMapping m = two_pages();
  m.page_size = 2u << 20;
  const auto r = compare_page_table(t, {m}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].find("mapped by a 4 KiB IOMMU page; the buffer allows 2 MiB pages"),
            std::string::npos)
      << r.problems[0];
}

TEST(IommuPageTable, MissingPageAndForeignMappingsFail) {
  const IommuPageTable t = parse_vtd_page_table(kTable);
  ExpectedMapping m{"buffer", 0x5000, 0x1000, {0x1234000}, 4096};
  const auto r = compare_page_table(t, {m, two_pages()}, true);
  ASSERT_GE(r.problems.size(), 3u);
  EXPECT_NE(r.problems[0].find("IOVA 0x5000 is not mapped in the IOMMU"), std::string::npos);
  EXPECT_NE(r.problems[1].find("IOVA 0x200000-0x400000 (2 MiB) -> physical 0x48a00000 is mapped "
                               "in the IOMMU, but not by vfiokit"),
            std::string::npos)
      << r.problems[1];
}

TEST(IommuPageTable, NotTranslatingIsAProblem) {
  const IommuPageTable t = parse_vtd_page_table("DMA Remapping is not enabled on dmar0\n");
  EXPECT_FALSE(t.translating);
  EXPECT_FALSE(compare_page_table(t, {}, true).ok());
}

TEST(IommuPageTable, MalformedLinesAreRefusedNamingTheLine) {
  for (const char* text :
       {"0x1 |\t0x0\t0x0\t0x0\n",       // no header before the leaves
        "IOVA_PFN\n0x1 |\t0x0\t0x0\n",  // two entries: no leaf level
        "IOVA_PFN\n0x1 |\t0x0\t0x0\t0x0\t0xzz\t0x0\n",
        "IOVA_PFN\n0x0000000000201 |\t0x0\t0x0\t0x0\t0x48a00083\n",  // 2 MiB leaf, 4 KiB aligned
        "IOVA_PFN\n0xfffffffffffffff |\t0x0\t0x0\t0x0\t0x0\t0x0\n", "Device\n"}) {
    try {
      (void)parse_vtd_page_table(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), EINVAL);
      EXPECT_NE(std::string(e.what()).find("line "), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace vfiokit::host
