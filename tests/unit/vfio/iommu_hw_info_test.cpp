// decode_iommu_hw_info on IOMMU_GET_HW_INFO answers laid out as the kernel writes them
// (struct iommu_hw_info_vtd for Intel VT-d).
#include "vfio/iommu_hw_info.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace vfiokit {
namespace {

std::vector<uint8_t> vtd(uint64_t cap, uint64_t ecap) {
  std::vector<uint8_t> b(24, 0);  // flags, reserved, cap_reg, ecap_reg
  std::memcpy(b.data() + 8, &cap, 8);
  std::memcpy(b.data() + 16, &ecap, 8);
  return b;
}

TEST(IommuHwInfo, IntelVtdRegisters) {
  // QEMU's intel-iommu capability and extended capability registers.
  const IommuHwInfo h = decode_iommu_hw_info(1, 0x1, vtd(0x00d2008c22260286, 0x0000000000f0101a));
  EXPECT_EQ(h.data_type_name, "intel-vtd");
  EXPECT_EQ(h.capabilities, 0x1u);
  ASSERT_TRUE(h.vtd_cap_reg);
  EXPECT_EQ(*h.vtd_cap_reg, 0x00d2008c22260286u);
  ASSERT_TRUE(h.vtd_ecap_reg);
  EXPECT_EQ(*h.vtd_ecap_reg, 0x0000000000f0101au);
  EXPECT_EQ(h.data.size(), 24u);
}

TEST(IommuHwInfo, ShortVtdDataLeavesTheRegistersAbsent) {
  std::vector<uint8_t> b = vtd(1, 2);
  b.resize(16);  // the kernel filled less than the struct
  const IommuHwInfo h = decode_iommu_hw_info(1, 0, b);
  EXPECT_EQ(h.data_type_name, "intel-vtd");
  EXPECT_FALSE(h.vtd_cap_reg);
  EXPECT_FALSE(h.vtd_ecap_reg);
}

TEST(IommuHwInfo, OtherTypesAreNamedAndKeptAsTheyCame) {
  EXPECT_EQ(decode_iommu_hw_info(2, 0, {}).data_type_name, "arm-smmuv3");
  const IommuHwInfo none = decode_iommu_hw_info(0, 0, {});
  EXPECT_EQ(none.data_type_name, "none");
  const IommuHwInfo unknown = decode_iommu_hw_info(77, 5, {1, 2, 3});
  EXPECT_EQ(unknown.data_type_name, "none");
  EXPECT_EQ(unknown.data_type, 77u);
  EXPECT_EQ(unknown.data, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_FALSE(unknown.vtd_cap_reg);
}

}  // namespace
}  // namespace vfiokit
