// Decoding VFIO_IOMMU_GET_INFO's reply (struct vfio_iommu_type1_info and its capability
// chain): a pure function over the kernel's bytes, so it is tested on captured replies.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit {

/// What a type1 container's IOMMU offers.
struct Type1Info {
  uint64_t pgsizes = 0;               ///< supported page sizes (bitmap); 4096 if unreported
  std::vector<IovaRange> ranges;      ///< usable IOVA ranges; [0, 2^64-1] if unreported
  std::optional<uint32_t> dma_avail;  ///< mappings left (VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
};

/// Decodes a VFIO_IOMMU_GET_INFO reply. Guarantees: every field and capability is read
/// with a bounds check; a truncated reply, a capability chain that loops or leaves the
/// buffer, or a range count larger than its capability throws vfiokit::Error (EINVAL)
/// naming what was cut short, never reads past `reply`.
Type1Info decode_type1_info(std::span<const uint8_t> reply);

}  // namespace vfiokit
