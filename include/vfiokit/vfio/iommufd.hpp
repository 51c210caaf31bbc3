// The iommufd backend: an IO address space (IOAS) in /dev/iommu, and devices
// opened through their VFIO cdev (/dev/vfio/devices/vfioN), bound to the iommufd
// and attached to the IOAS. Built only with 6.x UAPI headers (VFIOKIT_HAVE_IOMMUFD).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "vfiokit/vfio/iommu_context.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit {

/// An iommufd with one IOAS; devices attach to it by BDF.
class Iommufd final : public IommuContext {
 public:
  /// Opens /dev/iommu and allocates an IOAS.
  explicit Iommufd(Sysfs sysfs = Sysfs());
  ~Iommufd() override;

  std::string name() const override { return "iommufd"; }
  using IommuContext::attach_device;
  UniqueFd attach_device(const std::string& bdf, const AttachOptions& options) override;
  void map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) override;
  void unmap(uint64_t iova, uint64_t size) override;
  std::vector<IovaRange> iova_ranges() override;
  uint64_t iova_alignment() override;
  std::optional<uint32_t> dma_avail() override { return std::nullopt; }
  std::vector<int> owned_groups() const override { return {}; }
  /// IOMMU_GET_HW_INFO for an attached device (never nullopt; throws vfiokit::Error,
  /// ENODEV, for a device not attached here).
  std::optional<IommuHwInfo> hw_info(const std::string& bdf) override;
  /// The iommufd (for raw-ioctl benchmarks and debugging).
  int fd() const { return fd_.get(); }
  /// The IOAS id.
  uint32_t ioas_id() const { return ioas_id_; }

 private:
  std::vector<int32_t> hot_reset_group_fds() const override { return {}; }

  UniqueFd fd_;
  Sysfs sysfs_;
  uint32_t ioas_id_ = 0;
  std::map<std::string, uint32_t> dev_ids_;  // BDF -> iommufd device id
  std::mutex mu_;
};

}  // namespace vfiokit
