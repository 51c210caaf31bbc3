#include "vfiokit/vfio/container.hpp"

#include <fcntl.h>
#include <linux/vfio.h>

#include <cctype>
#include <cerrno>
#include <cstddef>
#include <vector>

#include "vfio/format.hpp"
#include "vfio/raw/vfio_ops.hpp"
#include "vfio/type1_info.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

std::string describe_group_members(const Sysfs& sysfs, int group) {
  std::string s;
  for (const auto& member : sysfs.group_devices(group)) {
    if (!s.empty()) s += ", ";
    const auto drv = sysfs.driver(member);
    s += detail::format("{} ({})", member, drv ? "driver " + *drv : std::string("no driver"));
  }
  return s.empty() ? "no members listed in sysfs" : s;
}

Container::Container(bool force_type1, Sysfs sysfs, std::string node)
    : node_(std::move(node)), sysfs_(std::move(sysfs)) {
  const bool iommufd = node_ == kIommufdNode;
  fd_.reset(raw::vfio_ops().open(node_.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd_)
    throw_error("open", node_, errno,
                errno != ENOENT ? ""
                : iommufd       ? "this kernel has no iommufd: CONFIG_IOMMUFD (modprobe iommufd)"
                                : "load the vfio module (modprobe vfio-pci)");
  const auto api = raw::vfio_ops().get_api_version(fd_.get());
  if (!api) throw_error("VFIO_GET_API_VERSION", node_, api.err);
  if (api.value != VFIO_API_VERSION)
    throw_error(
        "VFIO_GET_API_VERSION", node_, EPROTO,
        detail::format("kernel VFIO API {} but vfiokit speaks {}", api.value, VFIO_API_VERSION));
  if (!force_type1 && raw::vfio_ops().check_extension(fd_.get(), VFIO_TYPE1v2_IOMMU))
    iommu_type_ = VFIO_TYPE1v2_IOMMU;
  else if (raw::vfio_ops().check_extension(fd_.get(), VFIO_TYPE1_IOMMU))
    iommu_type_ = VFIO_TYPE1_IOMMU;
  else
    throw_error("VFIO_CHECK_EXTENSION(TYPE1)", node_, ENODEV,
                iommufd ? "iommufd offers no type1 compat container here"
                        : "no type1 IOMMU driver: modprobe vfio_iommu_type1, and is the IOMMU on? "
                          "(vfiokit check says)");
}

std::string Container::name() const {
  return std::string(node_ == kIommufdNode ? "iommufd-compat" : "container") +
         (iommu_type_ == VFIO_TYPE1v2_IOMMU ? "/type1v2" : "/type1");
}

int Container::group_fd(int group) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? -1 : it->second.get();
}

int Container::open_group(int group, const std::string& bdf) {
  if (auto it = groups_.find(group); it != groups_.end()) return it->second.get();
  const std::string path = detail::format("/dev/vfio/{}", group);
  const std::string object = detail::format("group {} ({}) of {}", group, path, bdf);
  UniqueFd gfd(raw::vfio_ops().open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!gfd) {
    const int err = errno;
    std::string hint;
    if (err == ENOENT) {
      // No node for the group: nothing in it is bound to a VFIO driver yet.
      if (sysfs_.driver(bdf) != "vfio-pci") hint = sysfs_.not_on_vfio_hint(bdf);
    }
    throw_error("open group", object, err, hint);
  }

  const auto status = raw::vfio_ops().group_status(gfd.get());
  if (!status) throw_error("VFIO_GROUP_GET_STATUS", object, status.err);
  if (!(status.value & VFIO_GROUP_FLAGS_VIABLE))
    throw_error("VFIO_GROUP_GET_STATUS", object, EBUSY,
                detail::format("group not viable: every device in it must be bound to vfio-pci "
                               "(or have no driver); members: {}. Bind them all with "
                               "'vfiokit bind --group {}'",
                               describe_group_members(sysfs_, group), bdf));
  if (const auto r = raw::vfio_ops().group_set_container(gfd.get(), fd_.get()); !r)
    throw_error("VFIO_GROUP_SET_CONTAINER", object, r.err);
  if (!iommu_set_) {
    if (const auto r = raw::vfio_ops().set_iommu(fd_.get(), static_cast<uint32_t>(iommu_type_));
        !r) {
      (void)raw::vfio_ops().group_unset_container(gfd.get());
      throw_error(
          iommu_type_ == VFIO_TYPE1v2_IOMMU ? "VFIO_SET_IOMMU(TYPE1v2)" : "VFIO_SET_IOMMU(TYPE1)",
          object, r.err);
    }
    iommu_set_ = true;
  }
  const int raw = gfd.get();
  groups_.emplace(group, std::move(gfd));
  return raw;
}

namespace {

// A UUID as the kernel parses one (uuid_parse: 8-4-4-4-12 hex digits).
bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

UniqueFd Container::attach_device(const std::string& bdf, const AttachOptions& options) {
  std::lock_guard lock(mu_);
  if (!options.vf_token.empty() && !is_uuid(options.vf_token))
    throw_error("present VF token", bdf, EINVAL,
                detail::format("'{}' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                               options.vf_token));
  if (!sysfs_.has_device(bdf))
    throw_error("find device", bdf, ENODEV, "no such PCI device (see lspci -D)");
  const auto group = sysfs_.iommu_group(bdf);
  if (!group)
    throw_error("find IOMMU group", bdf, ENODEV,
                "the device has no IOMMU group: the IOMMU is off or absent (VT-d/AMD-Vi in "
                "firmware; intel_iommu=on on Intel before Linux 6.8; `vfiokit check` says which)");
  const int gfd = open_group(*group, bdf);
  // The group path takes a VF token after the device name (vfio_pci_core_match).
  const std::string name =
      options.vf_token.empty() ? bdf : detail::format("{} vf_token={}", bdf, options.vf_token);
  const auto dfd = raw::vfio_ops().group_get_device_fd(gfd, name);
  if (!dfd) {
    const int err = dfd.err;
    const auto drv = sysfs_.driver(bdf);
    throw_error(
        "VFIO_GROUP_GET_DEVICE_FD", bdf, err,
        err == EACCES
            ? (options.vf_token.empty()
                   ? "an SR-IOV VF (or PF) whose PF is on vfio-pci with VFs in use: present "
                     "the VF token the PF's owner set (vfiokit probe --vf-token UUID)"
                   : "the VF token does not match the one the PF's owner set")
        : err == EBUSY ? "the device is already open (another process or this one)"
        : drv && *drv != "vfio-pci"
            ? detail::format("the device is bound to {}, not vfio-pci: 'vfiokit bind {}'", *drv,
                             bdf)
            : "");
  }
  return UniqueFd(dfd.value);
}

void Container::require_iommu_set(const char* op) const {
  if (!iommu_set_)
    throw_error(op, "container", EINVAL,
                "attach a device first: the container has no IOMMU until its first group "
                "joins");
}

void Container::map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) {
  require_iommu_set("VFIO_IOMMU_MAP_DMA");
  check_iova_range("VFIO_IOMMU_MAP_DMA", iova, size);
  const uint32_t flags = (static_cast<unsigned>(access) & 1 ? VFIO_DMA_MAP_FLAG_READ : 0) |
                         (static_cast<unsigned>(access) & 2 ? VFIO_DMA_MAP_FLAG_WRITE : 0);
  if (const auto r = raw::vfio_ops().type1_map_dma(fd_.get(), reinterpret_cast<uint64_t>(vaddr),
                                                   iova, size, flags);
      !r)
    throw_error("VFIO_IOMMU_MAP_DMA", iova_range_name(iova, size), r.err);
}

void Container::unmap(uint64_t iova, uint64_t size) {
  require_iommu_set("VFIO_IOMMU_UNMAP_DMA");
  check_iova_range("VFIO_IOMMU_UNMAP_DMA", iova, size);
  const std::string object = iova_range_name(iova, size);
  const auto unmapped = raw::vfio_ops().type1_unmap_dma(fd_.get(), iova, size);
  if (!unmapped) throw_error("VFIO_IOMMU_UNMAP_DMA", object, unmapped.err);
  // type1 reports success with size 0 when nothing was mapped there.
  if (unmapped.value != size)
    throw_error("VFIO_IOMMU_UNMAP_DMA", object, ENOENT,
                detail::format("unmapped {} bytes, not {}: that range was not mapped whole",
                               unmapped.value, size));
}

namespace {
Type1Info query_info(int container_fd) {
  const auto reply = raw::vfio_ops().type1_info(container_fd);
  if (!reply) throw_error("VFIO_IOMMU_GET_INFO", "container", reply.err);
  return decode_type1_info(reply.value);
}
}  // namespace

std::vector<IovaRange> Container::iova_ranges() {
  std::lock_guard lock(mu_);
  require_iommu_set("VFIO_IOMMU_GET_INFO");
  return query_info(fd_.get()).ranges;
}

uint64_t Container::iova_alignment() {
  std::lock_guard lock(mu_);
  require_iommu_set("VFIO_IOMMU_GET_INFO");
  const uint64_t p = query_info(fd_.get()).pgsizes;
  return p ? (p & -p) : 4096;
}

std::optional<uint32_t> Container::dma_avail() {
  std::lock_guard lock(mu_);
  require_iommu_set("VFIO_IOMMU_GET_INFO");
  return query_info(fd_.get()).dma_avail;
}

std::vector<int> Container::owned_groups() const {
  std::lock_guard lock(mu_);
  std::vector<int> ids;
  for (const auto& [g, fd] : groups_) ids.push_back(g);
  return ids;
}

std::vector<int32_t> Container::hot_reset_group_fds() const {
  std::lock_guard lock(mu_);
  std::vector<int32_t> fds;
  for (const auto& [g, fd] : groups_) fds.push_back(fd.get());
  return fds;
}

}  // namespace vfiokit
