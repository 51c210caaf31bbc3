#include "vfiokit/vfio/region.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/vfio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "vfio/info_decode.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

// A VFIO_DEVICE_GET_REGION_INFO reply for BAR0 with a sparse-mmap capability
// (two areas: around an MSI-X table) followed by MSIX_MAPPABLE.
std::vector<uint8_t> bar0_reply(uint32_t nr_areas = 2) {
  std::vector<uint8_t> b(sizeof(vfio_region_info) + 64);
  vfio_region_info ri{};
  ri.argsz = static_cast<uint32_t>(b.size());
  ri.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP |
             VFIO_REGION_INFO_FLAG_CAPS;
  ri.index = 0;
  ri.cap_offset = sizeof(vfio_region_info);
  ri.size = 0x4000;
  ri.offset = 0;
  std::memcpy(b.data(), &ri, sizeof(ri));
  const size_t sm_off = sizeof(vfio_region_info);
  vfio_region_info_cap_sparse_mmap sm{};
  sm.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
  sm.header.version = 1;
  const size_t sm_len = sizeof(sm) + 2 * sizeof(vfio_region_sparse_mmap_area);
  sm.header.next = static_cast<uint32_t>(sm_off + sm_len);
  sm.nr_areas = nr_areas;
  std::memcpy(b.data() + sm_off, &sm, sizeof(sm));
  vfio_region_sparse_mmap_area areas[2] = {{0, 0x1000}, {0x2000, 0x2000}};
  std::memcpy(b.data() + sm_off + sizeof(sm), areas, sizeof(areas));
  vfio_info_cap_header mx{VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, 0};
  std::memcpy(b.data() + sm_off + sm_len, &mx, sizeof(mx));
  return b;
}

TEST(RegionInfo, DecodesSparseAreasAndMsixMappable) {
  const RegionInfo r = parse_region_info(bar0_reply());
  EXPECT_EQ(r.name(), "BAR0");
  EXPECT_TRUE(r.readable() && r.writable() && r.mmappable() && r.has_caps());
  EXPECT_EQ(r.flag_names(), (std::vector<std::string>{"read", "write", "mmap", "caps"}));
  ASSERT_TRUE(r.has_sparse);
  ASSERT_EQ(r.sparse.size(), 2u);
  EXPECT_EQ(r.sparse[1].offset, 0x2000u);
  EXPECT_TRUE(r.msix_mappable);
  EXPECT_EQ(r.mmap_areas().size(), 2u);
  EXPECT_EQ(r.cap_ids, (std::vector<uint16_t>{VFIO_REGION_INFO_CAP_SPARSE_MMAP,
                                              VFIO_REGION_INFO_CAP_MSIX_MAPPABLE}));
}

TEST(RegionInfo, TooManyAreasForTheCapabilityIsAnError) {
  EXPECT_THROW(parse_region_info(bar0_reply(1000)), Error);
}

TEST(RegionInfo, AreaOutsideTheRegionIsAnError) {
  auto b = bar0_reply();
  vfio_region_sparse_mmap_area bad{0x3000, 0x2000};
  std::memcpy(
      b.data() + sizeof(vfio_region_info) + sizeof(vfio_region_info_cap_sparse_mmap) + sizeof(bad),
      &bad, sizeof(bad));
  EXPECT_THROW(parse_region_info(b), Error);
}

TEST(RegionInfo, NoCapsMeansWholeRegionMmap) {
  auto b = bar0_reply();
  auto* ri = reinterpret_cast<vfio_region_info*>(b.data());
  ri->flags &= ~VFIO_REGION_INFO_FLAG_CAPS;
  const RegionInfo r = parse_region_info(b);
  EXPECT_EQ(r.flag_names(), (std::vector<std::string>{"read", "write", "mmap"}));
  ASSERT_EQ(r.mmap_areas().size(), 1u);
  EXPECT_EQ(r.mmap_areas()[0].size, 0x4000u);
}

TEST(RegionInfo, ShortReplyIsAnError) {
  EXPECT_THROW(parse_region_info(std::vector<uint8_t>(8)), Error);
}

TEST(MappedRegion, AccessesAreBoundedAndNaturallyAligned) {
  // A region served by pread/pwrite (no MMAP flag) over a memfd: the checks come
  // before any access, so no device is needed.
  const int fd = memfd_create("region", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 64), 0);
  RegionInfo info;
  info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  info.size = 64;
  {
    const MappedRegion r(std::make_shared<const UniqueFd>(fd), info, "0000:00:03.0");
    r.write32(4, 0x11223344);
    EXPECT_EQ(r.read32(4), 0x11223344u);
    EXPECT_EQ(r.read8(5), 0x33u);
    EXPECT_EQ(r.read16(6), 0x1122u);
    for (const uint64_t off : {1, 2, 3, 58}) {
      try {
        (void)r.read32(off);
        FAIL() << "read32 at " << off;
      } catch (const Error& e) {
        EXPECT_EQ(e.error_code(), EINVAL) << off;
        EXPECT_NE(e.hint().find("4-byte aligned"), std::string::npos) << e.hint();
      }
    }
    EXPECT_THROW(r.write64(4, 1), Error);
    EXPECT_THROW(r.write16(63, 1), Error);
    try {
      (void)r.read64(64);
      FAIL() << "read64 past the end";
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), ERANGE);
    }
  }  // the region held the only reference: the memfd is closed
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
}

TEST(MappedRegion, OverMemoryTakesTheInlinePathAndKeepsTheChecks) {
  alignas(8) uint8_t mem[64] = {};
  const MappedRegion r = MappedRegion::over_memory(mem, sizeof(mem), "test BAR");
  EXPECT_EQ(r.ptr(0, 4), mem);
  r.write32(8, 0xa1b2c3d4);
  EXPECT_EQ(mem[8], 0xd4);
  EXPECT_EQ(r.read32(8), 0xa1b2c3d4u);
  EXPECT_EQ(r.read16(10), 0xa1b2u);
  EXPECT_EQ(r.read8(11), 0xa1u);
  r.write64(56, 0x0102030405060708ull);  // the last 8 bytes
  EXPECT_EQ(r.read64(56), 0x0102030405060708ull);
  r.write8(63, 0xee);
  EXPECT_EQ(mem[63], 0xee);
  try {
    (void)r.read32(62);
    FAIL() << "read32 at 62";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ERANGE);
  }
  try {
    r.write32(6, 1);
    FAIL() << "unaligned write32";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
  }
  EXPECT_THROW((void)r.read64(UINT64_MAX - 7), Error);  // off + 8 would wrap to 0
  EXPECT_THROW((void)r.read8(64), Error);
  EXPECT_THROW(MappedRegion::over_memory(nullptr, 64), Error);
}

TEST(MappedRegion, MovesCarryTheFastPath) {
  alignas(8) uint8_t mem[16] = {};
  MappedRegion a = MappedRegion::over_memory(mem, sizeof(mem));
  MappedRegion b = std::move(a);
  b.write32(0, 7);
  EXPECT_EQ(b.read32(0), 7u);
  MappedRegion c;
  EXPECT_THROW((void)c.read32(0), Error);  // empty: no fast path, no fd
  c = std::move(b);
  EXPECT_EQ(c.read32(0), 7u);
  EXPECT_EQ(mem[0], 7);
}

}  // namespace
}  // namespace vfiokit
