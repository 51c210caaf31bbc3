// Hands out IOVA ranges inside the IOMMU's usable ranges, aligned to its pages.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit {

/// First-fit IOVA allocator over a set of usable ranges. IOVA 0's page is
/// never handed out, so a device DMA to a null IOVA faults instead of hitting a buffer.
class IovaAllocator {
 public:
  /// `ranges`: usable IOVA ranges (inclusive ends; any order, may overlap);
  /// `alignment`: the IOMMU page size, a power of two.
  IovaAllocator(std::vector<IovaRange> ranges, uint64_t alignment);

  /// An IOVA for `size` bytes aligned to max(alignment, align). Throws
  /// vfiokit::Error (ENOSPC) naming the size and the free space when none fits.
  uint64_t allocate(uint64_t size, uint64_t align = 0);
  /// Returns a range from allocate(); throws (EINVAL) for one it did not hand out.
  void free(uint64_t iova);
  /// Bytes still free.
  uint64_t free_bytes() const;
  /// The free ranges, sorted (inclusive ends).
  std::vector<IovaRange> free_ranges() const;
  uint64_t alignment() const { return alignment_; }

 private:
  uint64_t alignment_;
  std::map<uint64_t, uint64_t> free_;       // start -> last (inclusive)
  std::map<uint64_t, uint64_t> allocated_;  // iova -> size (rounded)
};

}  // namespace vfiokit
