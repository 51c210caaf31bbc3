#include "vfiokit/dma/iova_allocator.hpp"

#include <algorithm>
#include <cerrno>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

}  // namespace

IovaAllocator::IovaAllocator(std::vector<IovaRange> ranges, uint64_t alignment)
    : alignment_(alignment) {
  if (!is_pow2(alignment))
    throw_error("IOVA allocator", detail::format("alignment {:#x}", alignment), EINVAL,
                "alignment must be a power of two");
  std::sort(ranges.begin(), ranges.end(),
            [](const IovaRange& a, const IovaRange& b) { return a.start < b.start; });
  for (auto r : ranges) {
    if (r.last < r.start) continue;
    // Keep only whole aligned pages, and never IOVA 0's page.
    uint64_t start = r.start < alignment ? alignment : r.start;
    if (start % alignment) {
      if (start > UINT64_MAX - alignment) continue;
      start = (start + alignment - 1) & ~(alignment - 1);
    }
    if (r.last - (alignment - 1) < start || r.last < alignment - 1) continue;
    const uint64_t last = ((r.last - (alignment - 1)) & ~(alignment - 1)) + (alignment - 1);
    if (last < start) continue;
    // Merge with an overlapping or adjacent previous range.
    if (!free_.empty()) {
      auto prev = std::prev(free_.end());
      if (prev->second != UINT64_MAX && start <= prev->second + 1) {
        prev->second = std::max(prev->second, last);
        continue;
      }
      if (prev->second == UINT64_MAX) continue;
    }
    free_[start] = last;
  }
}

uint64_t IovaAllocator::allocate(uint64_t size, uint64_t align) {
  if (size == 0 || (align != 0 && !is_pow2(align)))
    throw_error("allocate IOVA", detail::format("{} bytes, alignment {:#x}", size, align), EINVAL,
                "size must be > 0 and alignment a power of two");
  align = std::max(align, alignment_);
  const uint64_t rounded = (size + alignment_ - 1) & ~(alignment_ - 1);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const uint64_t start = it->first, last = it->second;
    uint64_t iova = (start + align - 1) & ~(align - 1);
    if (iova < start || iova > last || last - iova < rounded - 1) continue;
    // Split the free range around [iova, iova + rounded - 1].
    free_.erase(it);
    if (iova > start) free_[start] = iova - 1;
    if (iova + rounded - 1 < last) free_[iova + rounded] = last;
    allocated_[iova] = rounded;
    return iova;
  }
  throw_error("allocate IOVA", detail::format("{} bytes aligned to {:#x}", size, align), ENOSPC,
              detail::format("no usable IOVA range has room ({} bytes free in {} ranges)",
                             free_bytes(), free_.size()));
}

void IovaAllocator::free(uint64_t iova) {
  auto it = allocated_.find(iova);
  if (it == allocated_.end())
    throw_error("free IOVA", detail::format("{:#x}", iova), EINVAL, "not allocated here");
  uint64_t start = iova, last = iova + it->second - 1;
  allocated_.erase(it);
  auto next = free_.upper_bound(start);
  if (next != free_.end() && next->first == last + 1) {
    last = next->second;
    free_.erase(next);
  }
  auto prev = free_.lower_bound(start);
  if (prev != free_.begin()) {
    --prev;
    if (prev->second + 1 == start) {
      start = prev->first;
      free_.erase(prev);
    }
  }
  free_[start] = last;
}

uint64_t IovaAllocator::free_bytes() const {
  uint64_t total = 0;
  for (const auto& [s, l] : free_) total += l - s + 1;  // may wrap for a full 2^64 space
  return total;
}

std::vector<IovaRange> IovaAllocator::free_ranges() const {
  std::vector<IovaRange> out;
  for (const auto& [s, l] : free_) out.push_back({s, l});
  return out;
}

}  // namespace vfiokit
