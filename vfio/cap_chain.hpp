// The capability chains the VFIO ioctls return after their fixed structs
// (VFIO_DEVICE_GET_REGION_INFO, VFIO_IOMMU_GET_INFO, VFIO_DEVICE_GET_INFO):
// a `struct vfio_info_cap_header {u16 id; u16 version; u32 next;}` list whose
// offsets count from the start of the info struct. Parsed from bytes, bounds-
// and loop-checked, so a malformed chain from a buggy kernel is an error, not a crash.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vfiokit {

/// One capability found in a chain.
struct InfoCap {
  uint16_t id;
  uint16_t version;
  uint32_t offset;  ///< of its header, from the start of the info buffer
  std::span<const uint8_t> bytes;  ///< the capability, header included, up to the next one or the end
};

/// Walks the chain that starts at `first_offset` in `info` (0 = no chain).
/// Throws vfiokit::Error (EINVAL) on an offset outside the buffer, a header
/// that does not fit, or a loop.
std::vector<InfoCap> parse_info_caps(std::span<const uint8_t> info, uint32_t first_offset,
                                     const char* what);

/// The first capability with `id`, or nullptr.
const InfoCap* find_info_cap(const std::vector<InfoCap>& caps, uint16_t id);

}  // namespace vfiokit
