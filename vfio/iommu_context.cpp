#include "vfiokit/vfio/iommu_context.hpp"

#include <unistd.h>

#include <cerrno>

#include "vfio/format.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommufd.hpp"

namespace vfiokit {

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::kAuto: return "auto";
    case Backend::kContainer: return "container";
    case Backend::kContainerType1: return "container-type1";
    case Backend::kIommufd: return "iommufd";
    case Backend::kIommufdCompat: return "iommufd-compat";
    case Backend::kIommufdCompatType1: return "iommufd-compat-type1";
  }
  return "?";
}

Backend parse_backend(const std::string& name) {
  for (Backend b : {Backend::kAuto, Backend::kContainer, Backend::kContainerType1,
                    Backend::kIommufd, Backend::kIommufdCompat, Backend::kIommufdCompatType1})
    if (name == backend_name(b)) return b;
  throw_error("parse backend", "'" + name + "'", EINVAL,
              "choose auto, container, container-type1, iommufd, iommufd-compat or "
              "iommufd-compat-type1");
}

std::string iova_range_name(uint64_t iova, uint64_t size) {
  if (size == 0) return detail::format("IOVA {:#x} (0 bytes)", iova);
  return detail::format("IOVA [{:#x}, {:#x}] ({} bytes)", iova, iova + (size - 1), size);
}

void check_iova_range(const std::string& op, uint64_t iova, uint64_t size) {
  if (size == 0)
    throw_error(op, iova_range_name(iova, size), EINVAL,
                "a mapping needs at least one IOMMU page: give a size > 0");
  if (iova + (size - 1) < iova)
    throw_error(op, detail::format("IOVA {:#x} + {} bytes", iova, size), EINVAL,
                "the range runs past the end of the 64-bit IOVA space: pick an IOVA inside "
                "the IOMMU's ranges ('vfiokit info BDF' lists them)");
}

bool backend_available(Backend backend) {
  switch (backend) {
    case Backend::kAuto: return true;
    case Backend::kContainer:
    case Backend::kContainerType1: return access(kVfioContainerNode, F_OK) == 0;
    case Backend::kIommufd: return VFIOKIT_HAVE_IOMMUFD && access(kIommufdNode, F_OK) == 0;
    // Only VFIO's own ioctls on the iommufd fd: no iommufd uAPI header needed.
    case Backend::kIommufdCompat:
    case Backend::kIommufdCompatType1: return access(kIommufdNode, F_OK) == 0;
  }
  return false;
}

std::shared_ptr<IommuContext> open_iommu_context(Backend backend, const std::string& bdf) {
  if (backend == Backend::kAuto) {
    const bool cdev = bdf.empty() || Sysfs().vfio_cdev(bdf).has_value();
    backend = backend_available(Backend::kIommufd) && cdev ? Backend::kIommufd
                                                            : Backend::kContainer;
  }
  switch (backend) {
    case Backend::kIommufd: return std::make_shared<Iommufd>();
    case Backend::kContainerType1: return std::make_shared<Container>(true);
    case Backend::kIommufdCompat:
      return std::make_shared<Container>(false, Sysfs(), kIommufdNode);
    case Backend::kIommufdCompatType1:
      return std::make_shared<Container>(true, Sysfs(), kIommufdNode);
    default: return std::make_shared<Container>(false);
  }
}

}  // namespace vfiokit
