// The VFIO ioctls of the container, group and device fds (<linux/vfio.h>), one free
// function each: plain values in, the kernel's answer or its errno out. Nothing here
// owns an fd or throws a vfiokit::Error; the owning types (Container, Device, IrqSet)
// are built on these and add the context an error message needs.
// Kernel reference: Documentation/driver-api/vfio.rst.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vfio/raw/result.hpp"

namespace vfiokit::raw {

// --- container (/dev/vfio/vfio) ---
/// VFIO_GET_API_VERSION.
Result<int> get_api_version(int container_fd);
/// VFIO_CHECK_EXTENSION: whether the container supports `extension` (e.g. VFIO_TYPE1v2_IOMMU).
bool check_extension(int container_fd, uint32_t extension);
/// VFIO_SET_IOMMU.
Status set_iommu(int container_fd, uint32_t iommu_type);
/// VFIO_IOMMU_MAP_DMA of [vaddr, vaddr+size) at `iova`; `flags` VFIO_DMA_MAP_FLAG_*.
Status type1_map_dma(int container_fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                     uint32_t flags);
/// VFIO_IOMMU_UNMAP_DMA of [iova, iova+size): the bytes the kernel unmapped (type1
/// answers success with 0 when nothing was mapped there).
Result<uint64_t> type1_unmap_dma(int container_fd, uint64_t iova, uint64_t size);
/// VFIO_IOMMU_GET_INFO, grown to hold every capability: the whole reply (decode it with
/// decode_type1_info, vfio/type1_info.hpp).
Result<std::vector<uint8_t>> type1_info(int container_fd);

// --- group (/dev/vfio/N) ---
/// VFIO_GROUP_GET_STATUS: the VFIO_GROUP_FLAGS_* bits.
Result<uint32_t> group_status(int group_fd);
/// VFIO_GROUP_SET_CONTAINER / VFIO_GROUP_UNSET_CONTAINER.
Status group_set_container(int group_fd, int container_fd);
Status group_unset_container(int group_fd);
/// VFIO_GROUP_GET_DEVICE_FD for `bdf`: a new device fd the caller owns.
Result<int> group_get_device_fd(int group_fd, const std::string& bdf);

// --- device ---
struct DeviceInfo {
  uint32_t flags = 0;  ///< VFIO_DEVICE_FLAGS_*
  uint32_t num_regions = 0;
  uint32_t num_irqs = 0;
};
/// VFIO_DEVICE_GET_INFO.
Result<DeviceInfo> device_info(int device_fd);
/// VFIO_DEVICE_GET_REGION_INFO of region `index`, grown to hold its capabilities: the
/// whole reply (decode it with parse_region_info).
Result<std::vector<uint8_t>> region_info(int device_fd, uint32_t index);
struct IrqIndexInfo {
  uint32_t index = 0;
  uint32_t flags = 0;  ///< VFIO_IRQ_INFO_*
  uint32_t count = 0;
};
/// VFIO_DEVICE_GET_IRQ_INFO of IRQ index `index`.
Result<IrqIndexInfo> irq_info(int device_fd, uint32_t index);
/// VFIO_DEVICE_SET_IRQS: `flags` VFIO_IRQ_SET_DATA_* | VFIO_IRQ_SET_ACTION_*, vectors
/// [start, start+count); with VFIO_IRQ_SET_DATA_EVENTFD `eventfds` holds `count` fds.
Status set_irqs(int device_fd, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                std::span<const int32_t> eventfds = {});
/// VFIO_DEVICE_RESET.
Status device_reset(int device_fd);
/// VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, grown by device count (the kernel answers
/// ENOSPC with the count it needs): the whole reply (decode_hot_reset_info).
Result<std::vector<uint8_t>> hot_reset_info(int device_fd);
/// VFIO_DEVICE_PCI_HOT_RESET proving ownership with `group_fds` (container) or none
/// (a cdev device bound to an iommufd).
Status pci_hot_reset(int device_fd, std::span<const int32_t> group_fds);

}  // namespace vfiokit::raw
