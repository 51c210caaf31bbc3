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

/// What IOMMU_GET_HW_INFO reports for an attached device.
struct IommuHwInfo {
  uint32_t data_type = 0;  ///< enum iommu_hw_info_type: 0 none, 1 intel-vtd, 2 arm-smmuv3
  std::string data_type_name;
  uint64_t capabilities = 0;  ///< IOMMU_HW_CAP_* bits
  std::vector<uint8_t> data;  ///< the driver-specific struct (e.g. iommu_hw_info_vtd)
  /// For intel-vtd: the capability and extended capability registers.
  std::optional<uint64_t> vtd_cap_reg, vtd_ecap_reg;
};

/// An iommufd with one IOAS; devices attach to it by BDF.
class Iommufd final : public IommuContext {
 public:
  /// Opens /dev/iommu and allocates an IOAS.
  explicit Iommufd(Sysfs sysfs = Sysfs());
  ~Iommufd() override;

  std::string name() const override { return "iommufd"; }
  UniqueFd attach_device(const std::string& bdf) override;
  void map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) override;
  void unmap(uint64_t iova, uint64_t size) override;
  std::vector<IovaRange> iova_ranges() override;
  uint64_t iova_alignment() override;
  std::optional<uint32_t> dma_avail() override { return std::nullopt; }
  std::vector<int> ownership_fds() const override { return {fd_.get()}; }
  std::vector<int> owned_groups() const override { return {}; }
  bool is_iommufd() const override { return true; }

  /// IOMMU_GET_HW_INFO for an attached device.
  IommuHwInfo hw_info(const std::string& bdf);
  /// The iommufd (for raw-ioctl benchmarks and debugging).
  int fd() const { return fd_.get(); }
  /// The IOAS id.
  uint32_t ioas_id() const { return ioas_id_; }

 private:
  struct Ranges {
    std::vector<IovaRange> ranges;
    uint64_t alignment = 0;
  };
  Ranges query_ranges();

  UniqueFd fd_;
  Sysfs sysfs_;
  uint32_t ioas_id_ = 0;
  std::map<std::string, uint32_t> dev_ids_;  // BDF -> iommufd device id
  std::mutex mu_;
};

}  // namespace vfiokit
