#include "vfiokit/vfio/iommufd.hpp"

#if VFIOKIT_HAVE_IOMMUFD

#include <fcntl.h>
#include <linux/iommufd.h>

#include <algorithm>
#include <cerrno>

#include "vfio/format.hpp"
#include "vfio/iommu_hw_info.hpp"
#include "vfio/raw/vfio_ops.hpp"
#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

Iommufd::Iommufd(Sysfs sysfs) : sysfs_(std::move(sysfs)) {
  fd_.reset(raw::vfio_ops().open("/dev/iommu", O_RDWR | O_CLOEXEC));
  if (!fd_)
    throw_error("open", "/dev/iommu", errno,
                errno == ENOENT ? "the kernel has no iommufd (CONFIG_IOMMUFD): use the "
                                  "container backend (--backend container)"
                                : "");
  const auto ioas = raw::vfio_ops().ioas_alloc(fd_.get());
  if (!ioas) throw_error("IOMMU_IOAS_ALLOC", "/dev/iommu", ioas.err);
  ioas_id_ = ioas.value;
}

Iommufd::~Iommufd() {
  // Devices hold this context, so they are closed (and detached) before we get here.
  (void)raw::vfio_ops().iommufd_destroy(fd_.get(), ioas_id_);
}

UniqueFd Iommufd::attach_device(const std::string& bdf, const AttachOptions& options) {
  std::lock_guard lock(mu_);
  if (!options.vf_token.empty())
    throw_error("present VF token", bdf, EOPNOTSUPP,
                "the cdev's VFIO_DEVICE_BIND_IOMMUFD takes no VF token before Linux 6.17: open the "
                "VF through the container (--backend container)");
  if (!sysfs_.has_device(bdf))
    throw_error("find device", bdf, ENODEV, "no such PCI device (see lspci -D)");
  const auto cdev = sysfs_.vfio_cdev(bdf);
  if (!cdev) {
    const auto drv = sysfs_.driver(bdf);
    throw_error("find VFIO cdev", bdf, ENODEV,
                drv && *drv == "vfio-pci"
                    ? "vfio-pci has no cdev for it: the kernel lacks CONFIG_VFIO_DEVICE_CDEV; "
                      "use --backend container"
                    : sysfs_.not_on_vfio_hint(bdf));
  }
  const std::string path = "/dev/vfio/devices/" + *cdev;
  const std::string object = detail::format("{} ({})", bdf, path);
  UniqueFd dfd(raw::vfio_ops().open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!dfd) throw_error("open device cdev", object, errno);

  const auto bound = raw::vfio_ops().bind_iommufd(dfd.get(), fd_.get());
  if (!bound) {
    const int err = bound.err;
    const auto group = sysfs_.iommu_group(bdf);
    if (group && !sysfs_.group_blockers(*group).empty())
      throw_error(
          "VFIO_DEVICE_BIND_IOMMUFD", object, err,
          detail::format("group {} not viable: every device in it must be bound to vfio-pci "
                         "(or have no driver); members: {}. Bind them all with "
                         "'vfiokit bind --group {}'",
                         *group, describe_group_members(sysfs_, *group), bdf));
    // The kernel answers EINVAL (not EBUSY) when the device is already open elsewhere.
    throw_error("VFIO_DEVICE_BIND_IOMMUFD", object, err,
                err == EINVAL || err == EBUSY
                    ? "the device is already open (by another process, or through its group): "
                      "a VFIO device has one owner; find it with 'fuser -v /dev/vfio/devices/*'"
                    : "");
  }
  if (const auto r = raw::vfio_ops().attach_iommufd_pt(dfd.get(), ioas_id_); !r)
    throw_error("VFIO_DEVICE_ATTACH_IOMMUFD_PT", object, r.err);
  dev_ids_[bdf] = bound.value;
  return dfd;
}

void Iommufd::map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) {
  check_iova_range("IOMMU_IOAS_MAP", iova, size);
  const uint32_t flags = (static_cast<unsigned>(access) & 1 ? IOMMU_IOAS_MAP_READABLE : 0) |
                         (static_cast<unsigned>(access) & 2 ? IOMMU_IOAS_MAP_WRITEABLE : 0);
  if (const auto r = raw::vfio_ops().ioas_map(fd_.get(), ioas_id_,
                                              reinterpret_cast<uint64_t>(vaddr), iova, size, flags);
      !r)
    throw_error("IOMMU_IOAS_MAP", iova_range_name(iova, size), r.err);
}

void Iommufd::unmap(uint64_t iova, uint64_t size) {
  check_iova_range("IOMMU_IOAS_UNMAP", iova, size);
  const auto unmapped = raw::vfio_ops().ioas_unmap(fd_.get(), ioas_id_, iova, size);
  if (!unmapped)
    throw_error("IOMMU_IOAS_UNMAP", iova_range_name(iova, size), unmapped.err,
                unmapped.err == ENOENT ? "that range was not mapped whole" : "");
  if (unmapped.value != size)
    throw_error("IOMMU_IOAS_UNMAP", iova_range_name(iova, size), ENOENT,
                detail::format("unmapped {} bytes, not {}", unmapped.value, size));
}

namespace {
raw::IoasRanges query_ranges(int iommufd, uint32_t ioas_id) {
  auto r = raw::vfio_ops().ioas_iova_ranges(iommufd, ioas_id);
  if (!r) throw_error("IOMMU_IOAS_IOVA_RANGES", detail::format("IOAS {}", ioas_id), r.err);
  std::sort(r.value.ranges.begin(), r.value.ranges.end(),
            [](const IovaRange& a, const IovaRange& b) { return a.start < b.start; });
  if (r.value.alignment == 0) r.value.alignment = 4096;
  return std::move(r.value);
}
}  // namespace

std::vector<IovaRange> Iommufd::iova_ranges() {
  std::lock_guard lock(mu_);
  return query_ranges(fd_.get(), ioas_id_).ranges;
}

uint64_t Iommufd::iova_alignment() {
  std::lock_guard lock(mu_);
  return query_ranges(fd_.get(), ioas_id_).alignment;
}

std::optional<IommuHwInfo> Iommufd::hw_info(const std::string& bdf) {
  std::lock_guard lock(mu_);
  auto it = dev_ids_.find(bdf);
  if (it == dev_ids_.end())
    throw_error("IOMMU_GET_HW_INFO", bdf, ENODEV, "attach the device to this iommufd first");
  auto reply = raw::vfio_ops().get_hw_info(fd_.get(), it->second);
  if (!reply) throw_error("IOMMU_GET_HW_INFO", bdf, reply.err);
  return decode_iommu_hw_info(reply.value.data_type, reply.value.capabilities,
                              std::move(reply.value.data));
}

}  // namespace vfiokit

#else  // !VFIOKIT_HAVE_IOMMUFD

#include <cerrno>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {
[[noreturn]] void no_iommufd() {
  throw_error("open", "/dev/iommu", ENOTSUP,
              "this vfiokit was built without iommufd UAPI headers; rebuild with "
              "-DVFIOKIT_UAPI_INCLUDE=<6.x headers> or use --backend container");
}
}  // namespace
Iommufd::Iommufd(Sysfs sysfs) : sysfs_(std::move(sysfs)) { no_iommufd(); }
Iommufd::~Iommufd() = default;
UniqueFd Iommufd::attach_device(const std::string&, const AttachOptions&) { no_iommufd(); }
void Iommufd::map(const void*, uint64_t, uint64_t, DmaAccess) { no_iommufd(); }
void Iommufd::unmap(uint64_t, uint64_t) { no_iommufd(); }
std::vector<IovaRange> Iommufd::iova_ranges() { no_iommufd(); }
uint64_t Iommufd::iova_alignment() { no_iommufd(); }
std::optional<IommuHwInfo> Iommufd::hw_info(const std::string&) { no_iommufd(); }
}  // namespace vfiokit

#endif
