#include "vfiokit/dma/iova_allocator.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

constexpr uint64_t kPage = 4096;

TEST(IovaAllocator, NeverHandsOutPageZero) {
  IovaAllocator a({{0, 0xffff}}, kPage);
  EXPECT_EQ(a.allocate(kPage), kPage);
  EXPECT_EQ(a.free_bytes(), 0xffffu + 1 - 2 * kPage);
}

TEST(IovaAllocator, HonoursRangesAndHoles) {
  // Like x86's MSI window hole: [0, 0xfedfffff] and [0xfef00000, 2^39-1].
  IovaAllocator a({{0xfef00000, (1ull << 39) - 1}, {0, 0xfedfffff}}, kPage);
  const uint64_t big = a.allocate(0xfed00000);  // almost all of the low range
  EXPECT_EQ(big, kPage);
  const uint64_t next = a.allocate(1ull << 20);  // does not fit below the hole any more
  EXPECT_GE(next, 0xfef00000u);
  for (auto r : a.free_ranges()) EXPECT_FALSE(r.start <= 0xfee00000 && 0xfee00000 <= r.last);
}

TEST(IovaAllocator, AlignsToPageAndRequest) {
  IovaAllocator a({{0, 1ull << 32}}, kPage);
  a.allocate(100);  // one page at 0x1000
  const uint64_t huge = a.allocate(2 << 20, 2 << 20);
  EXPECT_EQ(huge % (2 << 20), 0u);
  EXPECT_THROW(a.allocate(kPage, 3000), Error);  // not a power of two
}

TEST(IovaAllocator, UnalignedRangeEndsAreTrimmed) {
  IovaAllocator a({{0x1800, 0x47ff}}, kPage);
  const auto r = a.free_ranges();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].start, 0x2000u);
  EXPECT_EQ(r[0].last, 0x3fffu);
}

TEST(IovaAllocator, FreeCoalescesAndAllowsReuse) {
  IovaAllocator a({{0, 0x10fff}}, kPage);
  const uint64_t x = a.allocate(kPage), y = a.allocate(kPage), z = a.allocate(kPage);
  a.free(y);
  a.free(x);
  a.free(z);
  ASSERT_EQ(a.free_ranges().size(), 1u);
  EXPECT_EQ(a.allocate(0x10000), kPage);  // the whole space again, in one piece
}

TEST(IovaAllocator, ExhaustionAndBadFreeAreClearErrors) {
  IovaAllocator a({{0, 0x2fff}}, kPage);
  a.allocate(2 * kPage);
  try {
    a.allocate(kPage);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENOSPC);
  }
  EXPECT_THROW(a.free(0x5000), Error);
}

TEST(IovaAllocator, FullSixtyFourBitSpace) {
  IovaAllocator a({{0, UINT64_MAX}}, kPage);
  const uint64_t top = a.allocate(1ull << 63, 1ull << 63);
  EXPECT_EQ(top, 1ull << 63);
  a.free(top);
}

TEST(IovaAllocator, RejectsBadAlignment) {
  EXPECT_THROW(IovaAllocator({{0, 0xffff}}, 3000), Error);
}

}  // namespace
}  // namespace vfiokit
