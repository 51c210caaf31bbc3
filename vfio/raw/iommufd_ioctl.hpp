// The iommufd ioctls (<linux/iommufd.h>) and the VFIO cdev ioctls that bind a device to
// an iommufd, one free function each: plain values in, the kernel's answer or its errno
// out. The owning type is Iommufd (vfiokit/vfio/iommufd.hpp).
// Kernel reference: Documentation/userspace-api/iommufd.rst.
#pragma once

#include <cstdint>
#include <vector>

#include "vfio/raw/result.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit::raw {

/// IOMMU_IOAS_ALLOC: the new IOAS id.
Result<uint32_t> ioas_alloc(int iommufd);
/// IOMMU_DESTROY of object `id`.
Status iommufd_destroy(int iommufd, uint32_t id);
/// VFIO_DEVICE_BIND_IOMMUFD of a cdev device fd: the device's id in the iommufd.
Result<uint32_t> bind_iommufd(int device_fd, int iommufd);
/// VFIO_DEVICE_ATTACH_IOMMUFD_PT: attaches a bound device to IOAS/HWPT `pt_id`.
Status attach_iommufd_pt(int device_fd, uint32_t pt_id);
/// IOMMU_IOAS_MAP at a fixed IOVA; `flags` IOMMU_IOAS_MAP_* (FIXED_IOVA is added).
Status ioas_map(int iommufd, uint32_t ioas_id, uint64_t vaddr, uint64_t iova, uint64_t length,
                uint32_t flags);
/// IOMMU_IOAS_UNMAP of [iova, iova+length): the bytes the kernel unmapped.
Result<uint64_t> ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova, uint64_t length);

struct IoasRanges {
  std::vector<IovaRange> ranges;  ///< as the kernel lists them
  uint64_t alignment = 0;         ///< out_iova_alignment
};
/// IOMMU_IOAS_IOVA_RANGES, grown (EMSGSIZE) until every range fits.
Result<IoasRanges> ioas_iova_ranges(int iommufd, uint32_t ioas_id);

struct HwInfoReply {
  uint32_t data_type = 0;  ///< enum iommu_hw_info_type
  uint64_t capabilities = 0;
  std::vector<uint8_t> data;  ///< the driver's struct, as long as the kernel filled it
};
/// IOMMU_GET_HW_INFO for device `dev_id` (decode it with decode_iommu_hw_info).
Result<HwInfoReply> get_hw_info(int iommufd, uint32_t dev_id);

}  // namespace vfiokit::raw
