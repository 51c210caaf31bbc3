// Decoders of the kernel's VFIO_DEVICE_GET_REGION_INFO and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
// replies (struct layouts of <linux/vfio.h>) into the public types. Private to the library:
// the public API hands out what they decode, never the kernel's bytes; the unit tests and
// the fuzzers call them directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/region.hpp"

namespace vfiokit {

/// Decodes a VFIO_DEVICE_GET_REGION_INFO reply (the struct and its capability
/// chain). Throws vfiokit::Error on a malformed chain.
RegionInfo parse_region_info(std::span<const uint8_t> reply);

/// Decodes VFIO_DEVICE_GET_PCI_HOT_RESET_INFO's reply: every device the reset would
/// reach, owned when its group is in `owned_groups` (every group the context holds; a
/// container may hold several) or, on iommufd, when the kernel gave it a dev_id.
/// Throws vfiokit::Error naming `bdf` if the reply is shorter than its count says.
std::vector<HotResetDevice> decode_hot_reset_info(std::span<const uint8_t> reply,
                                                  const std::vector<int>& owned_groups,
                                                  const std::string& bdf);

}  // namespace vfiokit
