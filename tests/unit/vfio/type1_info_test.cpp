// decode_type1_info on VFIO_IOMMU_GET_INFO replies laid out as the kernel writes them
// (vfio_iommu_type1_get_info: the info struct, then the capability chain), with the
// values the test bed's Intel IOMMU reports (4K/2M/1G pages, the MSI window carved
// out of the IOVA space, type1's default dma_entry_limit).
#include "vfio/type1_info.hpp"

#include <linux/vfio.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

template <class T>
void put(std::vector<uint8_t>& b, size_t off, const T& v) {
  ASSERT_LE(off + sizeof(T), b.size());
  std::memcpy(b.data() + off, &v, sizeof(T));
}

constexpr uint32_t kCapOffset = sizeof(vfio_iommu_type1_info);

// info + IOVA_RANGE cap with `ranges` (claiming `claimed` of them) + DMA_AVAIL cap.
std::vector<uint8_t> reply(const std::vector<vfio_iova_range>& ranges, uint32_t claimed,
                           uint32_t avail) {
  const size_t range_cap = offsetof(vfio_iommu_type1_info_cap_iova_range, iova_ranges) +
                           ranges.size() * sizeof(vfio_iova_range);
  const size_t avail_off = kCapOffset + range_cap;
  std::vector<uint8_t> b(avail_off + sizeof(vfio_iommu_type1_info_dma_avail));
  vfio_iommu_type1_info info{};
  info.argsz = static_cast<uint32_t>(b.size());
  info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
  info.iova_pgsizes = 0x40201000;  // 4 KiB | 2 MiB | 1 GiB
  info.cap_offset = kCapOffset;
  put(b, 0, info);
  vfio_iommu_type1_info_cap_iova_range r{};
  r.header = {VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, static_cast<uint32_t>(avail_off)};
  r.nr_iovas = claimed;
  put(b, kCapOffset, r);
  for (size_t i = 0; i < ranges.size(); ++i)
    put(b, kCapOffset + offsetof(vfio_iommu_type1_info_cap_iova_range, iova_ranges) +
               i * sizeof(vfio_iova_range),
        ranges[i]);
  vfio_iommu_type1_info_dma_avail a{};
  a.header = {VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, 0};
  a.avail = avail;
  put(b, avail_off, a);
  return b;
}

const std::vector<vfio_iova_range> kIntelRanges = {{0x0, 0xfedfffff},
                                                   {0xfef00000, 0xffffffffffffffff}};

TEST(Type1Info, DecodesPageSizesRangesAndMappingsLeft) {
  const Type1Info t = decode_type1_info(reply(kIntelRanges, 2, 65535));
  EXPECT_EQ(t.pgsizes, 0x40201000u);
  ASSERT_EQ(t.ranges.size(), 2u);
  EXPECT_EQ(t.ranges[0].start, 0u);
  EXPECT_EQ(t.ranges[0].last, 0xfedfffffu);
  EXPECT_EQ(t.ranges[1].start, 0xfef00000u);
  EXPECT_EQ(t.ranges[1].last, UINT64_MAX);
  ASSERT_TRUE(t.dma_avail);
  EXPECT_EQ(*t.dma_avail, 65535u);
}

TEST(Type1Info, WithoutCapabilitiesTheWholeSpaceAndNoCount) {
  std::vector<uint8_t> b(sizeof(vfio_iommu_type1_info));
  vfio_iommu_type1_info info{};
  info.argsz = static_cast<uint32_t>(b.size());
  put(b, 0, info);  // neither PGSIZES nor CAPS: an old kernel's answer
  const Type1Info t = decode_type1_info(b);
  EXPECT_EQ(t.pgsizes, 4096u);
  ASSERT_EQ(t.ranges.size(), 1u);
  EXPECT_EQ(t.ranges[0].start, 0u);
  EXPECT_EQ(t.ranges[0].last, UINT64_MAX);
  EXPECT_FALSE(t.dma_avail);
}

TEST(Type1Info, MoreRangesClaimedThanSentIsAnErrorNamingTheRange) {
  // The count says 5, the capability holds 2: the third is read past it.
  try {
    decode_type1_info(reply(kIntelRanges, 5, 1));
    FAIL() << "decoded a range that is not there";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("range 2 of 5"), std::string::npos) << e.what();
  }
}

TEST(Type1Info, TruncatedReplyIsAnError) {
  const std::vector<uint8_t> full = reply(kIntelRanges, 2, 1);
  for (size_t n : {size_t{0}, size_t{8}, sizeof(vfio_iommu_type1_info) - 1}) {
    const std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(decode_type1_info(cut), Error) << n << " bytes";
  }
  // The header promises capabilities the buffer does not hold.
  const std::vector<uint8_t> no_caps(full.begin(), full.begin() + kCapOffset);
  EXPECT_THROW(decode_type1_info(no_caps), Error);
}

}  // namespace
}  // namespace vfiokit
