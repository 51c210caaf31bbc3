#include <gtest/gtest.h>

#include "drivers/nvme/prp.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kList = 0x900000;

TEST(NvmePrp, OnePageNeedsOnlyPrp1) {
  const PrpPlan p = plan_prps(0x10000, 4096, kPage, kList, 1);
  EXPECT_EQ(p.prp1, 0x10000u);
  EXPECT_EQ(p.prp2, 0u);
  EXPECT_TRUE(p.list.empty());
  // A short buffer with an offset inside one page.
  const PrpPlan q = plan_prps(0x10200, 512, kPage, kList, 1);
  EXPECT_EQ(q.prp1, 0x10200u);
  EXPECT_EQ(q.prp2, 0u);
}

TEST(NvmePrp, TwoPagesPutTheSecondInPrp2) {
  const PrpPlan p = plan_prps(0x10000, 8192, kPage, kList, 1);
  EXPECT_EQ(p.prp2, 0x11000u);
  EXPECT_TRUE(p.list.empty());
  // An offset buffer of one page's length spans two pages.
  const PrpPlan q = plan_prps(0x10800, 4096, kPage, kList, 1);
  EXPECT_EQ(q.prp1, 0x10800u);
  EXPECT_EQ(q.prp2, 0x11000u);
}

TEST(NvmePrp, ThreePagesUseAList) {
  const PrpPlan p = plan_prps(0x10000, 3 * 4096, kPage, kList, 1);
  EXPECT_EQ(p.prp1, 0x10000u);
  EXPECT_EQ(p.prp2, kList);
  ASSERT_EQ(p.list.size(), 2u);
  EXPECT_EQ(p.list[0], 0x11000u);
  EXPECT_EQ(p.list[1], 0x12000u);
}

TEST(NvmePrp, OffsetBufferListsPagesNotOffsets) {
  const PrpPlan p = plan_prps(0x10004, 2 * 4096, kPage, kList, 1);  // touches 3 pages
  EXPECT_EQ(p.prp1, 0x10004u);
  EXPECT_EQ(p.prp2, kList);
  ASSERT_EQ(p.list.size(), 2u);
  EXPECT_EQ(p.list[0], 0x11000u);
  EXPECT_EQ(p.list[1], 0x12000u);
}

TEST(NvmePrp, FullListPageNeedsNoChain) {
  // 513 pages: 512 list entries fill exactly one 4 KiB list page.
  const PrpPlan p = plan_prps(0x100000, 513 * 4096, kPage, kList, 1);
  ASSERT_EQ(p.list.size(), 512u);
  EXPECT_EQ(p.list[511], 0x100000u + 512 * 4096);
}

TEST(NvmePrp, LongListsChainToTheNextListPage) {
  // 514 pages: 513 entries; page 0 holds 511 and a pointer to page 1, which holds 2.
  const PrpPlan p = plan_prps(0x100000, 514 * 4096, kPage, kList, 2);
  ASSERT_EQ(p.list.size(), 514u);
  EXPECT_EQ(p.list[510], 0x100000u + 511 * 4096);
  EXPECT_EQ(p.list[511], kList + kPage);  // the chain pointer
  EXPECT_EQ(p.list[512], 0x100000u + 512 * 4096);
  EXPECT_EQ(p.list[513], 0x100000u + 513 * 4096);
  EXPECT_THROW(plan_prps(0x100000, 514 * 4096, kPage, kList, 1), Error);
}

TEST(NvmePrp, ListPagesForWorstCaseOffsets) {
  EXPECT_EQ(prp_list_pages(4096, kPage), 0u);  // 2 pages at worst
  EXPECT_EQ(prp_list_pages(8192, kPage), 1u);  // 3 pages at worst
  EXPECT_EQ(prp_list_pages(512 * 1024, kPage), 1u);
  EXPECT_EQ(prp_list_pages(2 * 1024 * 1024, kPage), 1u);  // 513 pages: 512 entries
  EXPECT_EQ(prp_list_pages(2 * 1024 * 1024 + 4096, kPage), 2u);
  EXPECT_EQ(prp_list_pages(0, kPage), 0u);
  // Every worst case fits what prp_list_pages promised.
  for (uint64_t len : {8192ull, 12288ull, 2097152ull, 2101248ull}) {
    SCOPED_TRACE(len);
    EXPECT_NO_THROW(plan_prps(0x100ffc, len, kPage, kList, prp_list_pages(len, kPage)));
  }
}

TEST(NvmePrp, LargerPageSize) {
  const PrpPlan p = plan_prps(0x40000, 3 * 16384, 16384, 0x80000, 1);
  EXPECT_EQ(p.prp2, 0x80000u);
  ASSERT_EQ(p.list.size(), 2u);
  EXPECT_EQ(p.list[0], 0x44000u);
  EXPECT_EQ(p.list[1], 0x48000u);
}

TEST(NvmePrp, RejectsBadInput) {
  EXPECT_THROW(plan_prps(0x10002, 512, kPage, kList, 1), Error);           // not dword aligned
  EXPECT_THROW(plan_prps(0x10000, 0, kPage, kList, 1), Error);             // empty
  EXPECT_THROW(plan_prps(0x10000, 512, 3000, kList, 1), Error);            // page size
  EXPECT_THROW(plan_prps(0x10000, 3 * 4096, kPage, kList + 8, 1), Error);  // unaligned list
  EXPECT_THROW(plan_prps(~0ull - 4095, 8192, kPage, kList, 1), Error);     // wraps
  try {
    plan_prps(0x10001, 512, kPage, kList, 1);
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("dword"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vfiokit::nvme
