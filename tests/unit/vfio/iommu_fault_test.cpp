// IOMMU fault records: lines as the 6.12 kernel logs them (Intel and virtio-iommu
// captured from test-bed guests; AMD from the kernel's format strings).
#include "vfio/iommu_fault.hpp"

#include <gtest/gtest.h>

namespace vfiokit {
namespace {

TEST(IommuFault, IntelDmaWriteAndRead) {
  const auto w = parse_iommu_fault(
      "[    5.123456] DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x1000 "
      "[fault reason 0x05] PTE Write access is not set");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->iommu, "DMAR");
  EXPECT_EQ(w->requester, "00:03.0");
  EXPECT_EQ(w->iova, 0x1000u);
  EXPECT_EQ(w->access, "write");
  EXPECT_EQ(w->reason, "PTE Write access is not set");
  EXPECT_TRUE(fault_matches(*w, "0000:00:03.0", 0x1000, 4096));
  EXPECT_EQ(describe(*w),
            "DMAR: write by 00:03.0 at IOVA 0x1000 blocked (PTE Write access is not set)");

  const auto r = parse_iommu_fault(
      "DMAR: [DMA Read PASID 0x1] Request device [0A:1F.7] fault addr 0xfffff000 [fault reason "
      "0x06] PTE Read access is not set");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->access, "read");
  EXPECT_EQ(r->requester, "0a:1f.7");
  EXPECT_TRUE(fault_matches(*r, "0000:0a:1f.7", 0xfffff000, 0x1000));
}

TEST(IommuFault, IntelInterruptRemappingFaultIsNoDmaFault) {
  EXPECT_FALSE(parse_iommu_fault(
      "DMAR: [INTR-REMAP] Request device [00:03.0] fault index 0x10 [fault reason 0x25] "
      "Blocked a compatibility format interrupt request"));
}

TEST(IommuFault, AmdWithAndWithoutPciDevice) {
  const auto a = parse_iommu_fault(
      "vfio-pci 0000:00:03.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002 "
      "address=0x2000 flags=0x0020]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->iommu, "AMD-Vi");
  EXPECT_EQ(a->requester, "00:03.0");
  EXPECT_EQ(a->iova, 0x2000u);
  EXPECT_EQ(a->access, "write");
  EXPECT_TRUE(fault_matches(*a, "0000:00:03.0", 0x2000, 1));

  const auto b = parse_iommu_fault(
      "AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:41:00.1 domain=0x000e "
      "address=0xfee00000 flags=0x0000]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->requester, "41:00.1");
  EXPECT_EQ(b->access, "read");
}

TEST(IommuFault, VirtioEndpointIsTheRequesterId) {
  // Captured from a stock-kernel guest with virtio-iommu-pci and edu at 00:03.0.
  const auto v =
      parse_iommu_fault("[    7.092729] virtio_iommu virtio0: page fault from EP 24 at 0x1000 []");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->iommu, "virtio-iommu");
  EXPECT_TRUE(v->requester.empty());
  EXPECT_EQ(v->endpoint, 24u);
  EXPECT_EQ(v->iova, 0x1000u);
  EXPECT_EQ(v->access, "");
  EXPECT_EQ(v->reason, "page fault");
  EXPECT_TRUE(fault_matches(*v, "0000:00:03.0", 0x1000, 4096));   // 3 << 3 = 24
  EXPECT_FALSE(fault_matches(*v, "0000:00:04.0", 0x1000, 4096));  // 32
  const auto w = parse_iommu_fault("virtio_iommu virtio0: page fault from EP 264 at 0x5000 [W]");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->access, "write");
  EXPECT_TRUE(fault_matches(*w, "0000:01:01.0", 0x5000, 1));  // 1 << 8 | 1 << 3
}

TEST(IommuFault, OtherDeviceOrOtherIovaDoesNotMatch) {
  const auto f = parse_iommu_fault(
      "DMAR: [DMA Write NO_PASID] Request device [00:04.0] fault addr 0x3000 [fault reason "
      "0x05] PTE Write access is not set");
  ASSERT_TRUE(f);
  EXPECT_FALSE(fault_matches(*f, "0000:00:03.0", 0x3000, 4096));  // another requester
  EXPECT_FALSE(fault_matches(*f, "0000:00:04.0", 0x4000, 4096));  // below the range
  EXPECT_FALSE(fault_matches(*f, "0000:00:04.0", 0x2000, 4096));  // just past it
  EXPECT_TRUE(fault_matches(*f, "0000:00:04.0", 0x2001, 4096));
  EXPECT_FALSE(fault_matches(*f, "bogus", 0x3000, 4096));
}

TEST(IommuFault, SegmentIsPartOfTheRequester) {
  const auto a = parse_iommu_fault(
      "AMD-Vi: Event logged [IO_PAGE_FAULT device=0001:41:00.1 domain=0x000e "
      "address=0x1000 flags=0x0020]");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->segment, 1u);
  EXPECT_FALSE(fault_matches(*a, "0000:41:00.1", 0x1000, 4096));  // same bus:dev.fn, other segment
  EXPECT_FALSE(fault_matches(*a, "41:00.1", 0x1000, 4096));
  EXPECT_TRUE(fault_matches(*a, "0001:41:00.1", 0x1000, 4096));

  const auto b = parse_iommu_fault(
      "vfio-pci 0002:00:03.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002 "
      "address=0x2000 flags=0x0000]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->segment, 2u);
  EXPECT_FALSE(fault_matches(*b, "0000:00:03.0", 0x2000, 1));
  EXPECT_TRUE(fault_matches(*b, "0002:00:03.0", 0x2000, 1));

  // Intel's record names no segment: it proves nothing for a device outside 0000.
  const auto i = parse_iommu_fault(
      "DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x1000 [fault reason "
      "0x05] PTE Write access is not set");
  ASSERT_TRUE(i);
  EXPECT_FALSE(i->segment);
  EXPECT_TRUE(fault_matches(*i, "0000:00:03.0", 0x1000, 1));
  EXPECT_FALSE(fault_matches(*i, "0001:00:03.0", 0x1000, 1));
}

TEST(IommuFault, UnrelatedAndTruncatedLinesAreNotFaults) {
  for (const char* line :
       {"", "DMAR: IOMMU enabled", "AMD-Vi: Interrupt remapping enabled",
        "virtio_iommu virtio0: input address: 64 bits",
        "DMAR: [DMA Write NO_PASID] Request device [00:03", "DMAR: [DMA Write NO_PASID] Request device [zz:03.0] fault addr 0x1",
        "AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:00:03.0 domain=0x0002]",
        "virtio_iommu virtio0: page fault from EP x at 0x1000",
        "pci 0000:00:03.0: page fault from EP 24 at"}) {
    EXPECT_FALSE(parse_iommu_fault(line)) << line;
  }
}

}  // namespace
}  // namespace vfiokit
