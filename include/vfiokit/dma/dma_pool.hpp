// A map-once DMA pool: memory mapped into a DmaSpace once, when the pool (or a segment)
// is made, then handed out in fixed-size chunks and translated to IOVAs by arithmetic,
// so an I/O path that takes its buffers from the pool never calls the map ioctl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"

namespace vfiokit {

class DmaPool;

/// One contiguous run of pool memory and the IOVA its first byte is mapped at.
struct DmaPoolSegment {
  uint8_t* base = nullptr;
  uint64_t size = 0;
  uint64_t iova = 0;
};

/// A chunk of a DmaPool: `size()` bytes at `data()`, seen by the device at `iova()`.
/// Returned to its pool on destruction (or reset()). Move-only; an empty chunk
/// (default-made, moved-from or from a failed try_alloc) is false.
class DmaChunk {
 public:
  DmaChunk() = default;
  DmaChunk(DmaChunk&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), data_(o.data_), iova_(o.iova_) {}
  DmaChunk& operator=(DmaChunk&& o) noexcept {
    if (this != &o) {
      reset();
      pool_ = std::exchange(o.pool_, nullptr);
      data_ = o.data_;
      iova_ = o.iova_;
    }
    return *this;
  }
  DmaChunk(const DmaChunk&) = delete;
  DmaChunk& operator=(const DmaChunk&) = delete;
  ~DmaChunk() { reset(); }

  /// Returns the chunk to its pool now (the device must be done with it).
  inline void reset() noexcept;
  explicit operator bool() const { return pool_ != nullptr; }
  /// The first byte.
  void* data() const { return data_; }
  uint8_t* bytes() const { return data_; }
  /// Device address of the first byte.
  uint64_t iova() const { return iova_; }
  /// Bytes in the chunk (the pool's chunk size; 0 when empty).
  inline uint64_t size() const;

 private:
  friend class DmaPool;
  DmaChunk(DmaPool* pool, uint8_t* data, uint64_t iova) : pool_(pool), data_(data), iova_(iova) {}
  DmaPool* pool_ = nullptr;
  uint8_t* data_ = nullptr;
  uint64_t iova_ = 0;
};

/// How a mapped DmaPool is laid out.
struct DmaPoolOptions {
  /// Bytes per chunk: a non-zero multiple of 64 (every chunk starts on a cache line,
  /// so on a dword and, for multiples of 4096, on a page).
  uint64_t chunk_size = 4096;
  /// Chunks per segment (a segment is rounded up to its page size; the rounding adds
  /// chunks, never partial ones).
  uint64_t chunks = 512;
  /// kAuto takes 2 MiB hugepages when a segment is >= 2 MiB and enough are free.
  PageBacking backing = PageBacking::kAuto;
  DmaAccess access = DmaAccess::kReadWrite;
};

/// Guarantees:
/// - every segment is mapped exactly once, when it is added (the constructor and grow()
///   add one each; map_calls() counts them), and unmapped when the pool is destroyed;
///   alloc(), try_alloc(), freeing a chunk and every lookup make no system call;
/// - alloc/free are O(1) (a free list reserved at full size: freeing never allocates);
///   a freed chunk is the next one handed out (LIFO), so reuse stays cache-warm;
/// - iova_of/translate are O(1) for the first segment (a subtraction and a range check,
///   inline) and O(log n) over the others; a pointer outside every segment, or a range
///   that runs past its segment's end, throws vfiokit::Error (EINVAL) naming the address
///   and the pool's ranges; chunks never cross a segment end;
/// - exhaustion is an Error (ENOMEM) from alloc(), an empty chunk from try_alloc().
/// Lifetimes: the DmaSpace is held by the pool's mappings; every DmaChunk must be
/// returned (destroyed) before its pool, which is neither copied nor moved (chunks point
/// to it). An over_memory() pool maps nothing: its memory is the caller's, and must
/// outlive the pool.
/// Thread-safety: lookups are const and may run concurrently with each other and with
/// alloc/free; alloc, free and grow/add_memory belong to one thread at a time (like the
/// driver whose I/O path uses the pool), and grow/add_memory must not race lookups.
class DmaPool {
 public:
  /// Allocates one segment (options.chunks x options.chunk_size bytes, of
  /// options.backing) and maps it into `space` once. Throws vfiokit::Error for bad
  /// options (EINVAL), or as DmaBuffer::allocate and DmaSpace::map do.
  DmaPool(std::shared_ptr<DmaSpace> space, const DmaPoolOptions& options = {});
  /// A pool over memory the caller owns, whose first byte the device sees at `iova`:
  /// nothing is allocated or mapped (map_calls() stays 0). For host tests and
  /// benchmarks, like MappedRegion::over_memory and nvme::QueuePair::over_memory.
  static DmaPool over_memory(std::span<uint8_t> mem, uint64_t iova, uint64_t chunk_size);

  DmaPool(const DmaPool&) = delete;
  DmaPool& operator=(const DmaPool&) = delete;
  DmaPool(DmaPool&&) = delete;
  DmaPool& operator=(DmaPool&&) = delete;
  ~DmaPool();

  /// A free chunk; throws vfiokit::Error (ENOMEM) naming the pool when all are in use.
  DmaChunk alloc() {
    DmaChunk c = try_alloc();
    if (!c) [[unlikely]]
      throw_exhausted();
    return c;
  }
  /// A free chunk, or an empty one when all are in use.
  DmaChunk try_alloc() noexcept {
    if (free_.empty()) [[unlikely]]
      return {};
    const FreeChunk f = free_.back();
    free_.pop_back();
    return {this, f.data, f.iova};
  }

  /// The IOVA of the byte at `p`. Throws vfiokit::Error (EINVAL) outside the pool.
  uint64_t iova_of(const void* p) const {
    const uint64_t off = reinterpret_cast<uintptr_t>(p) - first_base_;
    if (off < first_size_) [[likely]]
      return first_iova_ + off;
    return translate_slow(p, 1);
  }
  /// The IOVA of [p, p+len), which must lie inside one segment (len 0 counts as 1).
  /// Throws vfiokit::Error (EINVAL) naming the address and the pool's ranges otherwise.
  uint64_t translate(const void* p, uint64_t len) const {
    const uint64_t off = reinterpret_cast<uintptr_t>(p) - first_base_;
    if (off < first_size_ && len <= first_size_ - off) [[likely]]
      return first_iova_ + off;
    return translate_slow(p, len);
  }

  /// Maps one more segment of the constructor's options (one map call). Throws
  /// vfiokit::Error (EINVAL) on an over_memory() pool: use add_memory there.
  void grow();
  /// Adds a segment over memory the caller owns and has made visible to the device at
  /// `iova` (the pool maps nothing). Throws (EINVAL) for memory smaller than a chunk,
  /// or overlapping a segment in address or IOVA.
  void add_memory(std::span<uint8_t> mem, uint64_t iova);

  uint64_t chunk_size() const { return chunk_size_; }
  /// Chunks in all segments, free ones, and ones handed out.
  uint64_t chunks() const { return chunks_; }
  uint64_t free_chunks() const { return free_.size(); }
  uint64_t chunks_in_use() const { return chunks_ - free_.size(); }
  /// The segments, in the order they were added.
  const std::vector<DmaPoolSegment>& segments() const { return segments_; }
  /// Map calls the pool has made (one per mapped segment; 0 for over_memory()): the
  /// proof that I/O through the pool maps nothing.
  uint64_t map_calls() const { return mapped_.size(); }
  /// The backing of the mapped segments (k4K for an over_memory() pool).
  PageBacking backing() const { return backing_; }

 private:
  friend class DmaChunk;
  struct FreeChunk {
    uint8_t* data;
    uint64_t iova;
  };
  struct Mapped {
    DmaBuffer buf;  // declared first: destroyed after the mapping is gone
    DmaMapping map;
  };
  DmaPool(std::span<uint8_t> mem, uint64_t iova, uint64_t chunk_size);  // over_memory()
  void add_segment(uint8_t* base, uint64_t size, uint64_t iova);
  void release(uint8_t* data, uint64_t iova) noexcept { free_.push_back({data, iova}); }
  [[noreturn]] void throw_exhausted() const;
  uint64_t translate_slow(const void* p, uint64_t len) const;

  // The first segment, copied out of segments_ for the inline lookup.
  uintptr_t first_base_ = 0;
  uint64_t first_size_ = 0;
  uint64_t first_iova_ = 0;
  uint64_t chunk_size_;
  uint64_t chunks_ = 0;
  std::vector<FreeChunk> free_;
  std::vector<DmaPoolSegment> segments_;
  std::vector<DmaPoolSegment> by_address_;  // segments_ sorted by base, for the O(log n) lookup
  std::shared_ptr<DmaSpace> space_;
  DmaPoolOptions options_;
  PageBacking backing_ = PageBacking::k4K;
  std::vector<Mapped> mapped_;
};

inline void DmaChunk::reset() noexcept {
  if (pool_) std::exchange(pool_, nullptr)->release(data_, iova_);
}

inline uint64_t DmaChunk::size() const { return pool_ ? pool_->chunk_size() : 0; }

}  // namespace vfiokit
