// One interface over the two ways Linux lets userspace own a device's DMA:
// the legacy VFIO container (/dev/vfio/vfio + groups, type1 IOMMU) and iommufd
// (/dev/iommu IOAS + the device's /dev/vfio/devices/vfioN cdev). Callers — the
// Device, DMA mappings, drivers, tools — see only this.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit {

/// Which IOMMU backend to use.
enum class Backend {
  kAuto,            ///< iommufd when /dev/iommu and the device's cdev exist, else container
  kContainer,       ///< /dev/vfio/vfio, VFIO_TYPE1v2_IOMMU, falling back to VFIO_TYPE1_IOMMU
  kContainerType1,  ///< /dev/vfio/vfio with VFIO_TYPE1_IOMMU even where v2 exists
  kIommufd,         ///< /dev/iommu IOAS + device cdev
  /// /dev/iommu opened as a container (iommufd's vfio_compat), VFIO_TYPE1v2_IOMMU falling
  /// back to VFIO_TYPE1_IOMMU; groups join it with VFIO_GROUP_SET_CONTAINER.
  kIommufdCompat,
  kIommufdCompatType1,  ///< /dev/iommu as a container with VFIO_TYPE1_IOMMU
};

/// "auto", "container", "container-type1", "iommufd", "iommufd-compat",
/// "iommufd-compat-type1".
const char* backend_name(Backend b);
/// Inverse of backend_name; throws vfiokit::Error (EINVAL) naming the choices.
Backend parse_backend(const std::string& name);

/// A usable IOVA range, both ends inclusive.
struct IovaRange {
  uint64_t start;
  uint64_t last;
};

/// What IOMMU_GET_HW_INFO reports for an attached device (iommufd only).
struct IommuHwInfo {
  uint32_t data_type = 0;  ///< enum iommu_hw_info_type: 0 none, 1 intel-vtd, 2 arm-smmuv3
  std::string data_type_name;
  uint64_t capabilities = 0;  ///< IOMMU_HW_CAP_* bits
  std::vector<uint8_t> data;  ///< the driver-specific struct (e.g. iommu_hw_info_vtd)
  /// For intel-vtd: the capability and extended capability registers.
  std::optional<uint64_t> vtd_cap_reg, vtd_ecap_reg;
};

class Device;

/// How a device is attached to a context.
struct AttachOptions {
  /// The VF token (a UUID) of an SR-IOV VF whose PF is on vfio-pci: the PF's owner sets
  /// it (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN) and the kernel refuses the VF without it
  /// (EACCES). Empty: none presented. The container presents it on the group path
  /// ("BDF vf_token=UUID"); 6.12's cdev bind (iommufd) has no way to.
  std::string vf_token;
};

/// DMA access the device gets to a mapping.
enum class DmaAccess : unsigned { kRead = 1, kWrite = 2, kReadWrite = 3 };

/// An IOMMU address space that devices are attached to and DMA is mapped in.
/// Shared (std::shared_ptr) by the devices and mappings that use it, so it
/// outlives every one of them.
class IommuContext {
 public:
  virtual ~IommuContext() = default;

  /// What serves this context: "container/type1v2", "container/type1",
  /// "iommufd-compat/type1v2", "iommufd-compat/type1" or "iommufd".
  virtual std::string name() const = 0;

  /// Attaches the device at `bdf` (bound to vfio-pci) and returns its device fd.
  /// Container: opens (or reuses) its group, checks viability, sets the IOMMU type.
  /// iommufd: opens its cdev, binds it and attaches it to the IOAS.
  /// Throws vfiokit::Error: EINVAL for a vf_token that is not a UUID, EACCES when the
  /// kernel wants (another) VF token, EOPNOTSUPP where the backend cannot present one.
  virtual UniqueFd attach_device(const std::string& bdf, const AttachOptions& options) = 0;
  /// attach_device without options.
  UniqueFd attach_device(const std::string& bdf) { return attach_device(bdf, AttachOptions{}); }

  /// Maps [vaddr, vaddr+size) at `iova` for device DMA. Prefer DmaMapping,
  /// which unmaps on destruction.
  /// Safety: the memory must stay allocated until unmapped; the device may write it.
  virtual void map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) = 0;
  /// Unmaps exactly [iova, iova+size), which must have been mapped whole.
  virtual void unmap(uint64_t iova, uint64_t size) = 0;

  /// The usable IOVA ranges, sorted (needs at least one attached device for the container).
  virtual std::vector<IovaRange> iova_ranges() = 0;
  /// The smallest IOMMU page size (mapping granularity) in bytes.
  virtual uint64_t iova_alignment() = 0;
  /// How many more mappings the kernel allows (type1 DMA_AVAIL), where it says.
  virtual std::optional<uint32_t> dma_avail() = 0;

  /// The IOMMU groups this context holds open (container: one per attached group, so
  /// a device of any of them is ours); empty for iommufd, whose hot-reset info names
  /// owned devices by dev_id instead.
  virtual std::vector<int> owned_groups() const = 0;
  /// IOMMU_GET_HW_INFO for the attached device `bdf`: what the IOMMU driver reports
  /// (iommufd); nullopt where the backend has no such query (the type1 container).
  /// Throws vfiokit::Error when the backend has it and the query fails.
  virtual std::optional<IommuHwInfo> hw_info(const std::string& bdf) = 0;

 private:
  friend class Device;
  /// What VFIO_DEVICE_PCI_HOT_RESET takes as proof of ownership: the group fds this
  /// context holds (container), or none (iommufd: the kernel checks the device's iommufd).
  /// Borrowed fds, valid while the context lives; only Device (which holds the context)
  /// uses them.
  virtual std::vector<int32_t> hot_reset_group_fds() const = 0;
};

/// How an IOVA range is named in errors: "IOVA [0x1000, 0x1fff] (4096 bytes)".
std::string iova_range_name(uint64_t iova, uint64_t size);

/// Refuses, before any ioctl, a range no IOMMU maps: zero bytes, or one that runs past
/// the end of the 64-bit IOVA space. Throws vfiokit::Error (EINVAL) naming `op`.
void check_iova_range(const std::string& op, uint64_t iova, uint64_t size);

/// Opens a context of `backend`. With kAuto, `bdf` (if given) decides: iommufd
/// when /dev/iommu exists and the device has a VFIO cdev, else the container.
std::shared_ptr<IommuContext> open_iommu_context(Backend backend, const std::string& bdf = {});

/// Whether this build and the running kernel offer `backend` (kAuto: always true).
bool backend_available(Backend backend);

}  // namespace vfiokit
