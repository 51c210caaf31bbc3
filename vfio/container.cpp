#include "vfiokit/vfio/container.hpp"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstddef>
#include <vector>

#include <fmt/format.h>

#include "vfio/cap_chain.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfio/kernel_struct.hpp"

namespace vfiokit {

std::string describe_group_members(const Sysfs& sysfs, int group) {
  std::string s;
  for (const auto& member : sysfs.group_devices(group)) {
    if (!s.empty()) s += ", ";
    const auto drv = sysfs.driver(member);
    s += fmt::format("{} ({})", member, drv ? "driver " + *drv : std::string("no driver"));
  }
  return s.empty() ? "no members listed in sysfs" : s;
}

Container::Container(bool force_type1, Sysfs sysfs) : sysfs_(std::move(sysfs)) {
  fd_.reset(::open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC));
  if (!fd_)
    throw_error("open", "/dev/vfio/vfio", errno,
                errno == ENOENT ? "load the vfio module (modprobe vfio-pci)" : "");
  const int api = ioctl(fd_.get(), VFIO_GET_API_VERSION);
  if (api != VFIO_API_VERSION)
    throw_error("VFIO_GET_API_VERSION", "/dev/vfio/vfio", api < 0 ? errno : EPROTO,
                fmt::format("kernel VFIO API {} but vfiokit speaks {}", api, VFIO_API_VERSION));
  if (!force_type1 && ioctl(fd_.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1)
    iommu_type_ = VFIO_TYPE1v2_IOMMU;
  else if (ioctl(fd_.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1)
    iommu_type_ = VFIO_TYPE1_IOMMU;
  else
    throw_error("VFIO_CHECK_EXTENSION(TYPE1)", "/dev/vfio/vfio", ENODEV,
                "no type1 IOMMU driver: modprobe vfio_iommu_type1, and is the IOMMU on "
                "(intel_iommu=on / amd_iommu=on)?");
}

std::string Container::name() const {
  return iommu_type_ == VFIO_TYPE1v2_IOMMU ? "container/type1v2" : "container/type1";
}

int Container::group_fd(int group) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? -1 : it->second.get();
}

int Container::open_group(int group, const std::string& bdf) {
  if (auto it = groups_.find(group); it != groups_.end()) return it->second.get();
  const std::string path = fmt::format("/dev/vfio/{}", group);
  const std::string object = fmt::format("group {} ({}) of {}", group, path, bdf);
  UniqueFd gfd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!gfd) {
    const int err = errno;
    std::string hint;
    if (err == ENOENT) {
      // No node for the group: nothing in it is bound to a VFIO driver yet.
      if (sysfs_.driver(bdf) != "vfio-pci") hint = sysfs_.not_on_vfio_hint(bdf);
    }
    throw_error("open group", object, err, hint);
  }

  vfio_group_status status{.argsz = sizeof(status)};
  if (ioctl(gfd.get(), VFIO_GROUP_GET_STATUS, &status) < 0)
    throw_error("VFIO_GROUP_GET_STATUS", object, errno);
  if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
    throw_error("VFIO_GROUP_GET_STATUS", object, EBUSY,
                fmt::format("group not viable: every device in it must be bound to vfio-pci "
                            "(or have no driver); members: {}. Bind them all with "
                            "'vfiokit bind --group {}'",
                            describe_group_members(sysfs_, group), bdf));
  int cfd = fd_.get();
  if (ioctl(gfd.get(), VFIO_GROUP_SET_CONTAINER, &cfd) < 0)
    throw_error("VFIO_GROUP_SET_CONTAINER", object, errno);
  if (!iommu_set_) {
    if (ioctl(fd_.get(), VFIO_SET_IOMMU, iommu_type_) < 0) {
      const int err = errno;
      ioctl(gfd.get(), VFIO_GROUP_UNSET_CONTAINER);
      throw_error(iommu_type_ == VFIO_TYPE1v2_IOMMU ? "VFIO_SET_IOMMU(TYPE1v2)"
                                                    : "VFIO_SET_IOMMU(TYPE1)",
                  object, err);
    }
    iommu_set_ = true;
  }
  const int raw = gfd.get();
  groups_.emplace(group, std::move(gfd));
  return raw;
}

UniqueFd Container::attach_device(const std::string& bdf) {
  std::lock_guard lock(mu_);
  if (!sysfs_.has_device(bdf))
    throw_error("find device", bdf, ENODEV, "no such PCI device (see lspci -D)");
  const auto group = sysfs_.iommu_group(bdf);
  if (!group)
    throw_error("find IOMMU group", bdf, ENODEV,
                "the device has no IOMMU group: the IOMMU is off or absent (intel_iommu=on / "
                "amd_iommu=on on the kernel command line, VT-d/AMD-Vi in firmware)");
  const int gfd = open_group(*group, bdf);
  const int dfd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
  if (dfd < 0) {
    const int err = errno;
    const auto drv = sysfs_.driver(bdf);
    throw_error("VFIO_GROUP_GET_DEVICE_FD", bdf, err,
                err == EBUSY ? "the device is already open (another process or this one)"
                : drv && *drv != "vfio-pci"
                    ? fmt::format("the device is bound to {}, not vfio-pci: 'vfiokit bind {}'",
                                  *drv, bdf)
                    : "");
  }
  return UniqueFd(dfd);
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
  vfio_iommu_type1_dma_map m{.argsz = sizeof(m)};
  m.flags = (static_cast<unsigned>(access) & 1 ? VFIO_DMA_MAP_FLAG_READ : 0) |
            (static_cast<unsigned>(access) & 2 ? VFIO_DMA_MAP_FLAG_WRITE : 0);
  m.vaddr = reinterpret_cast<uint64_t>(vaddr);
  m.iova = iova;
  m.size = size;
  if (ioctl(fd_.get(), VFIO_IOMMU_MAP_DMA, &m) < 0)
    throw_error("VFIO_IOMMU_MAP_DMA", iova_range_name(iova, size), errno);
}

void Container::unmap(uint64_t iova, uint64_t size) {
  require_iommu_set("VFIO_IOMMU_UNMAP_DMA");
  check_iova_range("VFIO_IOMMU_UNMAP_DMA", iova, size);
  vfio_iommu_type1_dma_unmap u{.argsz = sizeof(u)};
  u.iova = iova;
  u.size = size;
  const std::string object = iova_range_name(iova, size);
  if (ioctl(fd_.get(), VFIO_IOMMU_UNMAP_DMA, &u) < 0)
    throw_error("VFIO_IOMMU_UNMAP_DMA", object, errno);
  // type1 reports success with size 0 when nothing was mapped there.
  if (u.size != size)
    throw_error("VFIO_IOMMU_UNMAP_DMA", object, ENOENT,
                fmt::format("unmapped {} bytes, not {}: that range was not mapped whole", u.size,
                            size));
}

Container::Type1Info Container::get_info() {
  require_iommu_set("VFIO_IOMMU_GET_INFO");
  const std::string op = "VFIO_IOMMU_GET_INFO";
  const std::vector<uint8_t> buf =
      ioctl_grow(fd_.get(), VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info{}, op, "container");
  const auto info = read_struct<vfio_iommu_type1_info>(buf, 0, op, "container");
  Type1Info out;
  out.pgsizes = (info.flags & VFIO_IOMMU_INFO_PGSIZES) ? info.iova_pgsizes : 4096;
  if (info.flags & VFIO_IOMMU_INFO_CAPS) {
    const auto caps = parse_info_caps(buf, info.cap_offset, op.c_str());
    if (const auto* c = find_info_cap(caps, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)) {
      const std::string what = "parse VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE";
      const auto r = read_struct<vfio_iommu_type1_info_cap_iova_range>(c->bytes, 0, what, "container");
      // Each range is read with a bounds check, so a count larger than the
      // capability stops at the first range that is not there.
      const size_t first = offsetof(vfio_iommu_type1_info_cap_iova_range, iova_ranges);
      for (uint32_t i = 0; i < r.nr_iovas; ++i) {
        const auto range =
            read_struct<vfio_iova_range>(c->bytes, first + i * sizeof(vfio_iova_range), what,
                                         fmt::format("container, range {} of {}", i, r.nr_iovas));
        out.ranges.push_back({range.start, range.end});
      }
    }
    if (const auto* c = find_info_cap(caps, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)) {
      out.dma_avail = read_struct<vfio_iommu_type1_info_dma_avail>(
                          c->bytes, 0, "parse VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL", "container")
                          .avail;
    }
  }
  if (out.ranges.empty()) out.ranges.push_back({0, UINT64_MAX});
  return out;
}

std::vector<IovaRange> Container::iova_ranges() {
  std::lock_guard lock(mu_);
  return get_info().ranges;
}

uint64_t Container::iova_alignment() {
  std::lock_guard lock(mu_);
  const uint64_t p = get_info().pgsizes;
  return p ? (p & -p) : 4096;
}

std::optional<uint32_t> Container::dma_avail() {
  std::lock_guard lock(mu_);
  return get_info().dma_avail;
}

std::vector<int> Container::owned_groups() const {
  std::lock_guard lock(mu_);
  std::vector<int> ids;
  for (const auto& [g, fd] : groups_) ids.push_back(g);
  return ids;
}

std::vector<int> Container::ownership_fds() const {
  std::lock_guard lock(mu_);
  std::vector<int> fds;
  for (const auto& [g, fd] : groups_) fds.push_back(fd.get());
  return fds;
}

}  // namespace vfiokit
