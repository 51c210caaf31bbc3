#include "vfiokit/dma/dma_pool.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

constexpr uint64_t kPage = 4096;

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// Page-aligned host memory standing in for a mapped segment.
struct Mem {
  explicit Mem(size_t bytes)
      : size(bytes),
        p(static_cast<uint8_t*>(std::aligned_alloc(kPage, (bytes + kPage - 1) / kPage * kPage))) {}
  std::span<uint8_t> span() const { return {p.get(), size}; }
  size_t size;
  std::unique_ptr<uint8_t, FreeDeleter> p;
};

// The error's errno and message, or a failure when `f` does not throw vfiokit::Error.
template <class F>
std::pair<int, std::string> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.error_code(), e.what()};
  }
  ADD_FAILURE() << "no vfiokit::Error";
  return {0, ""};
}

TEST(DmaPool, OverMemoryMapsNothingAndSplitsIntoChunks) {
  Mem m(16 * kPage + 100);  // the tail past the last whole chunk is not used
  DmaPool pool = DmaPool::over_memory(m.span(), 0x100000, kPage);
  EXPECT_EQ(pool.map_calls(), 0u);
  EXPECT_EQ(pool.chunks(), 16u);
  EXPECT_EQ(pool.free_chunks(), 16u);
  ASSERT_EQ(pool.segments().size(), 1u);
  EXPECT_EQ(pool.segments()[0].size, 16 * kPage);
  EXPECT_EQ(pool.segments()[0].iova, 0x100000u);
}

TEST(DmaPool, AllocFreeAndReuse) {
  Mem m(8 * kPage);
  DmaPool pool = DmaPool::over_memory(m.span(), 0x200000, kPage);
  std::vector<DmaChunk> chunks;
  std::set<uint8_t*> seen;
  for (int i = 0; i < 8; ++i) {
    chunks.push_back(pool.alloc());
    const DmaChunk& c = chunks.back();
    ASSERT_TRUE(c);
    EXPECT_EQ(c.size(), kPage);
    // In address order from a fresh segment; IOVA by the arithmetic.
    EXPECT_EQ(c.bytes(), m.p.get() + i * kPage);
    EXPECT_EQ(c.iova(), 0x200000u + i * kPage);
    EXPECT_TRUE(seen.insert(c.bytes()).second) << "chunk handed out twice";
  }
  EXPECT_EQ(pool.free_chunks(), 0u);
  EXPECT_EQ(pool.chunks_in_use(), 8u);
  // Freed by destruction, reset() or move-assignment; the last freed is the next out.
  uint8_t* third = chunks[3].bytes();
  chunks[3].reset();
  EXPECT_FALSE(chunks[3]);
  EXPECT_EQ(chunks[3].size(), 0u);
  EXPECT_EQ(pool.free_chunks(), 1u);
  DmaChunk again = pool.alloc();
  EXPECT_EQ(again.bytes(), third);
  EXPECT_EQ(again.iova(), 0x200000u + 3 * kPage);
  DmaChunk moved = std::move(again);
  EXPECT_FALSE(again);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_EQ(pool.free_chunks(), 0u) << "a move must not free";
  moved = std::move(chunks[0]);  // frees `third`, takes chunk 0
  EXPECT_EQ(pool.free_chunks(), 1u);
  chunks.clear();
  moved.reset();
  EXPECT_EQ(pool.free_chunks(), 8u);
  EXPECT_EQ(pool.chunks_in_use(), 0u);
}

TEST(DmaPool, ExhaustionIsAClearError) {
  Mem m(2 * kPage);
  DmaPool pool = DmaPool::over_memory(m.span(), 0x10000, kPage);
  DmaChunk a = pool.alloc(), b = pool.alloc();
  EXPECT_FALSE(pool.try_alloc());
  auto [err, what] = error_of([&] { (void)pool.alloc(); });
  EXPECT_EQ(err, ENOMEM);
  EXPECT_NE(what.find("2 chunks of 4096 bytes"), std::string::npos) << what;
  EXPECT_NE(what.find("grow()"), std::string::npos) << what;
  b.reset();
  EXPECT_TRUE(pool.try_alloc());  // (and straight back)
}

TEST(DmaPool, LookupOfFirstAndLastByte) {
  Mem m(4 * kPage);
  DmaPool pool = DmaPool::over_memory(m.span(), 0x7000'0000, kPage);
  const uint8_t* base = m.p.get();
  EXPECT_EQ(pool.iova_of(base), 0x7000'0000u);
  EXPECT_EQ(pool.iova_of(base + 4 * kPage - 1), 0x7000'0000u + 4 * kPage - 1);
  EXPECT_EQ(pool.translate(base, 4 * kPage), 0x7000'0000u);  // the whole segment
  EXPECT_EQ(pool.translate(base + kPage, 0), 0x7000'0000u + kPage);
  DmaChunk c = pool.alloc();
  EXPECT_EQ(pool.translate(c.data(), c.size()), c.iova());
  EXPECT_EQ(pool.iova_of(c.bytes() + c.size() - 1), c.iova() + c.size() - 1);
}

TEST(DmaPool, OutOfPoolAndCrossingAreClearErrors) {
  Mem m(4 * kPage);
  DmaPool pool = DmaPool::over_memory(m.span(), 0x40000, kPage);
  const uint8_t* base = m.p.get();
  // One past the end, one before the start, an unrelated pointer.
  for (const void* p : {static_cast<const void*>(base + 4 * kPage),
                        static_cast<const void*>(base - 1), static_cast<const void*>(&pool)}) {
    auto [err, what] = error_of([&] { (void)pool.iova_of(p); });
    EXPECT_EQ(err, EINVAL);
    EXPECT_NE(what.find("not inside the pool"), std::string::npos) << what;
    EXPECT_NE(what.find("at IOVA 0x40000"), std::string::npos) << "names the ranges: " << what;
  }
  // A range that starts inside and runs one byte past the end.
  auto [err, what] = error_of([&] { (void)pool.translate(base + 3 * kPage, kPage + 1); });
  EXPECT_EQ(err, EINVAL);
  EXPECT_NE(what.find("crosses the end of its segment"), std::string::npos) << what;
  EXPECT_NE(what.find("by 1 bytes"), std::string::npos) << what;
  // A huge length cannot wrap the check.
  EXPECT_THROW((void)pool.translate(base, UINT64_MAX), Error);
}

TEST(DmaPool, MultiSegmentLookupMatchesTheArithmetic) {
  // Three segments, added out of address order, at IOVAs unrelated to their addresses.
  Mem a(8 * kPage), b(4 * kPage), c(2 * kPage);
  DmaPool pool = DmaPool::over_memory(b.span(), 0x900000, kPage);
  pool.add_memory(a.span(), 0x100000);
  pool.add_memory(c.span(), 0x5000000);
  EXPECT_EQ(pool.chunks(), 14u);
  EXPECT_EQ(pool.segments().size(), 3u);
  EXPECT_EQ(pool.map_calls(), 0u);
  struct Seg {
    const Mem* m;
    uint64_t iova;
  };
  const Seg segs[] = {{&a, 0x100000}, {&b, 0x900000}, {&c, 0x5000000}};
  std::mt19937_64 rng(7);
  for (const Seg& s : segs) {
    const uint8_t* base = s.m->p.get();
    EXPECT_EQ(pool.iova_of(base), s.iova);
    EXPECT_EQ(pool.iova_of(base + s.m->size - 1), s.iova + s.m->size - 1);
    for (int i = 0; i < 1000; ++i) {
      const uint64_t off = rng() % s.m->size;
      const uint64_t len = 1 + rng() % (s.m->size - off);
      ASSERT_EQ(pool.translate(base + off, len), s.iova + off) << "offset " << off;
    }
    EXPECT_THROW((void)pool.translate(base + s.m->size - 8, 9), Error);
  }
  // Every chunk, whichever segment it came from: its IOVA is its segment's arithmetic.
  std::vector<DmaChunk> all;
  while (DmaChunk ch = pool.try_alloc()) all.push_back(std::move(ch));
  ASSERT_EQ(all.size(), 14u);
  for (const DmaChunk& ch : all) {
    bool found = false;
    for (const Seg& s : segs) {
      const uint8_t* base = s.m->p.get();
      if (ch.bytes() >= base && ch.bytes() < base + s.m->size) {
        found = true;
        EXPECT_EQ(ch.iova(), s.iova + static_cast<uint64_t>(ch.bytes() - base));
        EXPECT_EQ(pool.translate(ch.data(), ch.size()), ch.iova());
      }
    }
    EXPECT_TRUE(found) << "a chunk outside every segment";
  }
}

TEST(DmaPool, RejectsBadMemoryAndOptions) {
  Mem m(4 * kPage), n(4 * kPage);
  EXPECT_EQ(error_of([&] { (void)DmaPool::over_memory(m.span(), 0x1000, 100); }).first, EINVAL);
  EXPECT_EQ(error_of([&] { (void)DmaPool::over_memory(m.span(), 0x1000, 0); }).first, EINVAL);
  EXPECT_EQ(error_of([&] { (void)DmaPool::over_memory(m.span().first(100), 0x1000, kPage); }).first,
            EINVAL);
  DmaPool pool = DmaPool::over_memory(m.span(), 0x10000, kPage);
  // Overlap in address, overlap in IOVA; neither changes the pool.
  auto [err, what] = error_of([&] { pool.add_memory(m.span().subspan(kPage), 0x900000); });
  EXPECT_EQ(err, EINVAL);
  EXPECT_NE(what.find("overlaps a segment in address"), std::string::npos) << what;
  what = error_of([&] { pool.add_memory(n.span(), 0x12000); }).second;
  EXPECT_NE(what.find("overlaps a segment in IOVA"), std::string::npos) << what;
  EXPECT_EQ(pool.segments().size(), 1u);
  EXPECT_EQ(pool.chunks(), 4u);
  // An over-memory pool cannot map.
  what = error_of([&] { pool.grow(); }).second;
  EXPECT_NE(what.find("add_memory"), std::string::npos) << what;
  EXPECT_THROW(DmaPool(nullptr), Error);
}

}  // namespace
}  // namespace vfiokit
