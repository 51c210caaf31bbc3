// The raw baseline the wrapper is measured against: the same kernel calls the
// library makes (VFIO_IOMMU_MAP_DMA, IOMMU_IOAS_MAP, mmap of a BAR,
// VFIO_DEVICE_SET_IRQS), issued directly, with nothing of vfiokit in the path.
// Setup (finding fds and offsets) may use the library; the timed calls do not.
#pragma once

#include <cstdint>

#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/iommu_context.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::bench {

/// Maps and unmaps at a fixed IOVA with one ioctl each on the context's own fd:
/// VFIO_IOMMU_MAP_DMA/UNMAP_DMA on a Container, IOMMU_IOAS_MAP/UNMAP on an Iommufd.
class RawDmaMapper {
 public:
  /// Takes the fd (and IOAS id) of `ctx`; throws vfiokit::Error for an unknown context type.
  explicit RawDmaMapper(IommuContext& ctx);
  /// One map ioctl; returns 0 or the errno.
  int map(const void* vaddr, uint64_t iova, uint64_t size) const;
  /// One unmap ioctl; returns 0 or the errno.
  int unmap(uint64_t iova, uint64_t size) const;

 private:
  int fd_ = -1;
  bool iommufd_ = false;
  uint32_t ioas_id_ = 0;
};

/// A BAR mmap'ed straight from the device fd (no MappedRegion), unmapped on destruction.
class RawBar {
 public:
  /// mmaps BAR `index` of `dev`; throws vfiokit::Error if the BAR cannot be mmap'ed.
  RawBar(const Device& dev, RegionIndex index);
  RawBar(const RawBar&) = delete;
  RawBar& operator=(const RawBar&) = delete;
  ~RawBar();
  /// The register at `off` as a volatile 32-bit location.
  volatile uint32_t* reg32(uint64_t off) const {
    return reinterpret_cast<volatile uint32_t*>(base_ + off);
  }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

/// Vector 0 of an IRQ index wired to an eventfd of our own with one
/// VFIO_DEVICE_SET_IRQS; disabled again on destruction.
class RawIrq {
 public:
  /// Throws vfiokit::Error when the kernel refuses.
  RawIrq(const Device& dev, IrqIndex index);
  RawIrq(const RawIrq&) = delete;
  RawIrq& operator=(const RawIrq&) = delete;
  ~RawIrq();
  /// poll(2) + read(2) on the eventfd: the count, or 0 on timeout.
  uint64_t wait(int timeout_ms) const;

 private:
  int device_fd_;
  IrqIndex index_;
  UniqueFd efd_;
};

}  // namespace vfiokit::bench
