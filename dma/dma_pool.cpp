#include "vfiokit/dma/dma_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

void check_chunk_size(uint64_t chunk_size) {
  if (chunk_size == 0 || chunk_size % 64 != 0)
    throw_error("create DMA pool", detail::format("chunk size {}", chunk_size), EINVAL,
                "the chunk size must be a non-zero multiple of 64 bytes (e.g. 4096)");
}

// "[0x7f00..., 0x7f00...) at IOVA 0x100000" for each segment, in address order.
std::string ranges_text(const std::vector<DmaPoolSegment>& segs) {
  if (segs.empty()) return "the pool has no memory";
  std::string s = "the pool holds";
  for (const auto& g : segs)
    s += detail::format(" [{}, {}) at IOVA {:#x};", static_cast<const void*>(g.base),
                        static_cast<const void*>(g.base + g.size), g.iova);
  s.pop_back();
  return s;
}

}  // namespace

DmaPool::DmaPool(std::span<uint8_t> mem, uint64_t iova, uint64_t chunk_size)
    : chunk_size_(chunk_size) {
  check_chunk_size(chunk_size);
  add_memory(mem, iova);
}

DmaPool::DmaPool(std::shared_ptr<DmaSpace> space, const DmaPoolOptions& options)
    : chunk_size_(options.chunk_size), space_(std::move(space)), options_(options) {
  check_chunk_size(options.chunk_size);
  if (!space_) throw_error("create DMA pool", "no DmaSpace", EINVAL, "pass the space to map into");
  if (options.chunks == 0 || options.chunks > (uint64_t{1} << 40) / options.chunk_size)
    throw_error("create DMA pool",
                detail::format("{} chunks of {} bytes", options.chunks, options.chunk_size), EINVAL,
                "ask for 1 or more chunks, at most 1 TiB per segment");
  grow();
}

DmaPool DmaPool::over_memory(std::span<uint8_t> mem, uint64_t iova, uint64_t chunk_size) {
  return DmaPool(mem, iova, chunk_size);
}

DmaPool::~DmaPool() = default;

void DmaPool::grow() {
  if (!space_)
    throw_error("grow DMA pool", "an over_memory pool", EINVAL,
                "an over_memory pool maps nothing: add memory with add_memory(mem, iova)");
  Mapped m;
  m.buf = DmaBuffer::allocate(options_.chunks * options_.chunk_size, options_.backing,
                              /*populate=*/true);
  m.map = space_->map(m.buf, options_.access);
  mapped_.reserve(mapped_.size() + 1);
  backing_ = m.buf.backing();
  // add_segment throws only on overlap, which fresh memory at a fresh IOVA cannot have;
  // the mapping is kept first so it is unmapped with the pool either way.
  mapped_.push_back(std::move(m));
  add_segment(mapped_.back().buf.bytes(), mapped_.back().buf.size(), mapped_.back().map.iova());
}

void DmaPool::add_memory(std::span<uint8_t> mem, uint64_t iova) {
  if (mem.data() == nullptr || mem.size() < chunk_size_)
    throw_error("add memory to DMA pool",
                detail::format("{} bytes at {}", mem.size(), static_cast<const void*>(mem.data())),
                EINVAL,
                detail::format("needs memory of at least one chunk ({} bytes)", chunk_size_));
  add_segment(mem.data(), mem.size(), iova);
}

void DmaPool::add_segment(uint8_t* base, uint64_t size, uint64_t iova) {
  const uint64_t n = size / chunk_size_;
  const uint64_t used = n * chunk_size_;
  if (iova + used < iova ||
      reinterpret_cast<uintptr_t>(base) + used < reinterpret_cast<uintptr_t>(base))
    throw_error("add memory to DMA pool", iova_range_name(iova, used), EINVAL,
                "the segment runs past the end of the address space");
  for (const auto& g : segments_) {
    const bool addr = base < g.base + g.size && g.base < base + used;
    const bool dev = iova < g.iova + g.size && g.iova < iova + used;
    if (addr || dev)
      throw_error(
          "add memory to DMA pool",
          detail::format("[{}, {}) at {}", static_cast<const void*>(base),
                         static_cast<const void*>(base + used), iova_range_name(iova, used)),
          EINVAL,
          detail::format("it overlaps a segment in {}; {}", addr ? "address" : "IOVA",
                         ranges_text(by_address_)));
  }
  const DmaPoolSegment seg{base, used, iova};
  // Reserve everything first: a throw below leaves the pool as it was, and freeing a
  // chunk later never allocates.
  free_.reserve(chunks_ + n);
  segments_.reserve(segments_.size() + 1);
  by_address_.reserve(by_address_.size() + 1);
  segments_.push_back(seg);
  by_address_.insert(std::upper_bound(by_address_.begin(), by_address_.end(), seg,
                                      [](const DmaPoolSegment& a, const DmaPoolSegment& b) {
                                        return a.base < b.base;
                                      }),
                     seg);
  if (segments_.size() == 1) {
    first_base_ = reinterpret_cast<uintptr_t>(base);
    first_size_ = used;
    first_iova_ = iova;
  }
  chunks_ += n;
  // Pushed last to first, so chunks go out in address order from a fresh segment.
  for (uint64_t i = n; i-- > 0;) free_.push_back({base + i * chunk_size_, iova + i * chunk_size_});
}

void DmaPool::throw_exhausted() const {
  throw_error("allocate DMA pool chunk",
              detail::format("DMA pool of {} chunks of {} bytes in {} segment(s)", chunks_,
                             chunk_size_, segments_.size()),
              ENOMEM,
              detail::format("all {} chunks are in use: return some (destroy their DmaChunk) or "
                             "add a segment with grow()",
                             chunks_));
}

uint64_t DmaPool::translate_slow(const void* p, uint64_t len) const {
  const auto* b = static_cast<const uint8_t*>(p);
  // The last segment starting at or below p.
  auto it = std::upper_bound(by_address_.begin(), by_address_.end(), b,
                             [](const uint8_t* x, const DmaPoolSegment& s) { return x < s.base; });
  if (it != by_address_.begin()) {
    const DmaPoolSegment& s = *std::prev(it);
    const uint64_t off = static_cast<uint64_t>(b - s.base);
    if (off < s.size) {
      if (len <= s.size - off) return s.iova + off;
      throw_error("translate DMA pool address", detail::format("{} + {} bytes", p, len), EINVAL,
                  detail::format("the range crosses the end of its segment [{}, {}) by {} bytes (a "
                                 "transfer must stay inside one segment, as every chunk does); {}",
                                 static_cast<const void*>(s.base),
                                 static_cast<const void*>(s.base + s.size), len - (s.size - off),
                                 ranges_text(by_address_)));
    }
  }
  throw_error("translate DMA pool address", detail::format("{} + {} bytes", p, len), EINVAL,
              detail::format("not inside the pool: pass memory from one of its chunks; {}",
                             ranges_text(by_address_)));
}

}  // namespace vfiokit
