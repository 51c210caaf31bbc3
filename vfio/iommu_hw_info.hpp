// Decoding IOMMU_GET_HW_INFO's reply: a pure function over the kernel's answer.
#pragma once

#include <cstdint>
#include <vector>

#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit {

/// Names the data type and, for Intel VT-d (struct iommu_hw_info_vtd), reads the
/// capability and extended capability registers. Guarantees: reads `data` with a bounds
/// check; a VT-d reply shorter than its struct leaves the registers absent; an unknown
/// type is named "none" with its data kept as it came.
IommuHwInfo decode_iommu_hw_info(uint32_t data_type, uint64_t capabilities,
                                 std::vector<uint8_t> data);

}  // namespace vfiokit
