// The legacy VFIO container backend: /dev/vfio/vfio with the type1 IOMMU driver,
// and the IOMMU groups attached to it. Also serves iommufd's compat container, which
// answers the same ioctls: on /dev/vfio/vfio (CONFIG_IOMMUFD_VFIO_CONTAINER) or on
// /dev/iommu itself (any kernel with iommufd: drivers/iommu/iommufd/vfio_compat.c).
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "vfiokit/vfio/iommu_context.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit {

/// The legacy container node (vfio_iommu_type1, or iommufd's emulation of it).
inline constexpr const char* kVfioContainerNode = "/dev/vfio/vfio";
/// iommufd's node: opened as a container, it is iommufd's compat container.
inline constexpr const char* kIommufdNode = "/dev/iommu";

/// A VFIO container and its groups. Several devices, of one group or several,
/// share one container; a group is opened once per container.
class Container final : public IommuContext {
 public:
  /// Opens `node` (kVfioContainerNode or kIommufdNode) and checks the API version and
  /// type1 support. `force_type1` selects VFIO_TYPE1_IOMMU even where
  /// VFIO_TYPE1v2_IOMMU exists.
  explicit Container(bool force_type1 = false, Sysfs sysfs = Sysfs(),
                     std::string node = kVfioContainerNode);

  /// "container/type1v2" or "container/type1"; on /dev/iommu "iommufd-compat/type1v2"
  /// or "iommufd-compat/type1".

  std::string name() const override;
  using IommuContext::attach_device;
  UniqueFd attach_device(const std::string& bdf, const AttachOptions& options) override;
  void map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) override;
  void unmap(uint64_t iova, uint64_t size) override;
  std::vector<IovaRange> iova_ranges() override;
  uint64_t iova_alignment() override;
  std::optional<uint32_t> dma_avail() override;
  std::vector<int> owned_groups() const override;
  /// nullopt: IOMMU_GET_HW_INFO is an iommufd ioctl.
  std::optional<IommuHwInfo> hw_info(const std::string&) override { return std::nullopt; }

  /// The container fd (for raw-ioctl benchmarks and debugging).
  int fd() const { return fd_.get(); }
  /// The group fd of IOMMU group `group` opened by this container, or -1.
  int group_fd(int group) const;

 private:
  int open_group(int group, const std::string& bdf);
  void require_iommu_set(const char* op) const;
  std::vector<int32_t> hot_reset_group_fds() const override;

  std::string node_;
  UniqueFd fd_;
  Sysfs sysfs_;
  int iommu_type_ = 0;                  // VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU
  std::atomic<bool> iommu_set_{false};  // read by map/unmap without mu_
  std::map<int, UniqueFd> groups_;
  mutable std::mutex mu_;
};

/// Why group `group` is not viable: every member with its driver, as one sentence.
std::string describe_group_members(const Sysfs& sysfs, int group);

}  // namespace vfiokit
