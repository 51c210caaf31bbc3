// The iommu trace events `vfiokit trace` decodes, on lines captured from Debian's 6.12
// kernel on the test bed (VT-d), and the sums it prints.
#include "tools/host/iommu_trace.hpp"

#include <gtest/gtest.h>

namespace vfiokit::host {
namespace {

TEST(IommuTrace, CapturedLinesDecode) {
  const auto map = parse_iommu_trace_line(
      "         vfiokit-191     [000] .....     4.410559: map: IOMMU: iova=0x0000000000001000 - "
      "0x0000000000201000 paddr=0x00000000114e9000 size=2097152");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->comm, "vfiokit");
  EXPECT_EQ(map->pid, 191u);
  EXPECT_DOUBLE_EQ(map->time_s, 4.410559);
  EXPECT_EQ(map->event, "map");
  EXPECT_EQ(map->iova, 0x1000u);
  EXPECT_EQ(map->size, 2097152u);
  EXPECT_EQ(map->paddr, 0x114e9000u);
  const auto unmap = parse_iommu_trace_line(
      "  qemu-system-x86-7-1234 [001] ..... 4.411295: unmap: IOMMU: iova=0x0000000000001000 - "
      "0x0000000000201000 size=2097152 unmapped_size=4096");
  ASSERT_TRUE(unmap);
  EXPECT_EQ(unmap->comm, "qemu-system-x86-7");  // a '-' in the task name stays in it
  EXPECT_EQ(unmap->unmapped, 4096u);
  const auto attach = parse_iommu_trace_line(
      "vfiokit-191 [000] ..... 4.370357: attach_device_to_domain: IOMMU: device=0000:00:02.0");
  ASSERT_TRUE(attach);
  EXPECT_EQ(attach->device, "0000:00:02.0");
  const auto fault = parse_iommu_trace_line(
      "<idle>-0 [001] d.h1. 9.000001: io_page_fault: IOMMU:AMD-Vi 0000:00:03.0 "
      "iova=0x0000000000001000 flags=0x0020");
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->device, "0000:00:03.0");
  EXPECT_EQ(fault->flags, 0x20u);
}

TEST(IommuTrace, CommentsOtherEventsAndDamagedLinesAreNone) {
  for (const char* line :
       {"# tracer: nop", "", "vfiokit-1 [000] ..... 1.0: sched_switch: prev=a next=b",
        "vfiokit-1 [000] ..... 1.0: map: IOMMU: iova=0xzz - 0x1 paddr=0x0 size=1",
        "vfiokit-1 [000] ..... 1.0: map: IOMMU: iova=0x1000 size=4096",  // no paddr
        "vfiokit-x [000] ..... 1.0: map: IOMMU: iova=0x0 - 0x1 paddr=0x0 size=1",
        "vfiokit-1 [000] ..... soon: map: IOMMU: iova=0x0 - 0x1 paddr=0x0 size=1",
        "vfiokit-1 [000] ..... 1.0: attach_device_to_domain: IOMMU: device="})
    EXPECT_FALSE(parse_iommu_trace_line(line)) << line;
}

IommuTraceEvent ev(const char* kind, uint64_t iova, uint64_t size) {
  IommuTraceEvent e;
  e.event = kind;
  e.iova = iova;
  e.size = size;
  e.unmapped = size;
  return e;
}

TEST(IommuTrace, SummaryFollowsUnmapsThatSplitAMapping) {
  // What `vfiokit probe` did on the test bed: 8 KiB mapped at 0 and unmapped in two
  // 4 KiB halves, then 2 MiB mapped and unmapped; one 4 KiB mapping is left.
  const auto s =
      summarize({ev("map", 0, 0x2000), ev("unmap", 0, 0x1000), ev("unmap", 0x1000, 0x1000),
                 ev("map", 0x1000, 0x200000), ev("unmap", 0x1000, 0x200000),
                 ev("map", 0x5000, 0x3000), ev("unmap", 0x6000, 0x1000)});
  EXPECT_EQ(s.maps, 3u);
  EXPECT_EQ(s.unmaps, 4u);
  EXPECT_EQ(s.mapped_bytes, 0x2000u + 0x200000 + 0x3000);
  const std::vector<std::pair<uint64_t, uint64_t>> left{{0x5000, 0x1000}, {0x7000, 0x1000}};
  EXPECT_EQ(s.left_mapped, left);
}

// A map over a range already mapped (found by fuzz_iommu_trace: a damaged trace) replaces
// it, so what is left mapped stays disjoint.
TEST(IommuTrace, OverlappingMapsKeepTheRangesDisjoint) {
  const auto s = summarize({ev("map", 0x1000, 0x3000), ev("map", 0x2000, 0x1000)});
  const std::vector<std::pair<uint64_t, uint64_t>> left{
      {0x1000, 0x1000}, {0x2000, 0x1000}, {0x3000, 0x1000}};
  EXPECT_EQ(s.left_mapped, left);
}

}  // namespace
}  // namespace vfiokit::host
