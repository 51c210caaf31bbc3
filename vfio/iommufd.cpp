#include "vfiokit/vfio/iommufd.hpp"

#if VFIOKIT_HAVE_IOMMUFD

#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

}  // namespace

Iommufd::Iommufd(Sysfs sysfs) : sysfs_(std::move(sysfs)) {
  fd_.reset(::open("/dev/iommu", O_RDWR | O_CLOEXEC));
  if (!fd_)
    throw_error("open", "/dev/iommu", errno,
                errno == ENOENT ? "the kernel has no iommufd (CONFIG_IOMMUFD): use the "
                                  "container backend (--backend container)"
                                : "");
  iommu_ioas_alloc alloc{.size = sizeof(alloc)};
  if (ioctl(fd_.get(), IOMMU_IOAS_ALLOC, &alloc) < 0)
    throw_error("IOMMU_IOAS_ALLOC", "/dev/iommu", errno);
  ioas_id_ = alloc.out_ioas_id;
}

Iommufd::~Iommufd() {
  // Devices hold this context, so they are closed (and detached) before we get here.
  iommu_destroy d{.size = sizeof(d), .id = ioas_id_};
  ioctl(fd_.get(), IOMMU_DESTROY, &d);
}

UniqueFd Iommufd::attach_device(const std::string& bdf) {
  std::lock_guard lock(mu_);
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
  const std::string object = fmt::format("{} ({})", bdf, path);
  UniqueFd dfd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!dfd) throw_error("open device cdev", object, errno);

  vfio_device_bind_iommufd bind{.argsz = sizeof(bind), .flags = 0, .iommufd = fd_.get()};
  if (ioctl(dfd.get(), VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
    const int err = errno;
    const auto group = sysfs_.iommu_group(bdf);
    if (group && !sysfs_.group_blockers(*group).empty())
      throw_error("VFIO_DEVICE_BIND_IOMMUFD", object, err,
                  fmt::format("group {} not viable: every device in it must be bound to vfio-pci "
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
  vfio_device_attach_iommufd_pt attach{.argsz = sizeof(attach), .flags = 0, .pt_id = ioas_id_};
  if (ioctl(dfd.get(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0)
    throw_error("VFIO_DEVICE_ATTACH_IOMMUFD_PT", object, errno);
  dev_ids_[bdf] = bind.out_devid;
  return dfd;
}

void Iommufd::map(const void* vaddr, uint64_t iova, uint64_t size, DmaAccess access) {
  check_iova_range("IOMMU_IOAS_MAP", iova, size);
  iommu_ioas_map m{.size = sizeof(m)};
  m.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
            (static_cast<unsigned>(access) & 1 ? IOMMU_IOAS_MAP_READABLE : 0) |
            (static_cast<unsigned>(access) & 2 ? IOMMU_IOAS_MAP_WRITEABLE : 0);
  m.ioas_id = ioas_id_;
  m.user_va = reinterpret_cast<uint64_t>(vaddr);
  m.length = size;
  m.iova = iova;
  if (ioctl(fd_.get(), IOMMU_IOAS_MAP, &m) < 0)
    throw_error("IOMMU_IOAS_MAP", iova_range_name(iova, size), errno);
}

void Iommufd::unmap(uint64_t iova, uint64_t size) {
  check_iova_range("IOMMU_IOAS_UNMAP", iova, size);
  iommu_ioas_unmap u{.size = sizeof(u), .ioas_id = ioas_id_, .iova = iova, .length = size};
  if (ioctl(fd_.get(), IOMMU_IOAS_UNMAP, &u) < 0)
    throw_error("IOMMU_IOAS_UNMAP", iova_range_name(iova, size), errno,
                errno == ENOENT ? "that range was not mapped whole" : "");
  if (u.length != size)
    throw_error("IOMMU_IOAS_UNMAP", iova_range_name(iova, size), ENOENT,
                fmt::format("unmapped {} bytes, not {}", u.length, size));
}

Iommufd::Ranges Iommufd::query_ranges() {
  std::vector<iommu_iova_range> buf(4);
  iommu_ioas_iova_ranges q{};
  for (;;) {
    q = {.size = sizeof(q), .ioas_id = ioas_id_, .num_iovas = static_cast<uint32_t>(buf.size())};
    q.allowed_iovas = reinterpret_cast<uint64_t>(buf.data());
    if (ioctl(fd_.get(), IOMMU_IOAS_IOVA_RANGES, &q) == 0) break;
    if (errno != EMSGSIZE || q.num_iovas <= buf.size())
      throw_error("IOMMU_IOAS_IOVA_RANGES", fmt::format("IOAS {}", ioas_id_), errno);
    buf.resize(q.num_iovas);
  }
  Ranges r;
  for (uint32_t i = 0; i < q.num_iovas; ++i) r.ranges.push_back({buf[i].start, buf[i].last});
  std::sort(r.ranges.begin(), r.ranges.end(),
            [](const IovaRange& a, const IovaRange& b) { return a.start < b.start; });
  r.alignment = q.out_iova_alignment ? q.out_iova_alignment : 4096;
  return r;
}

std::vector<IovaRange> Iommufd::iova_ranges() {
  std::lock_guard lock(mu_);
  return query_ranges().ranges;
}

uint64_t Iommufd::iova_alignment() {
  std::lock_guard lock(mu_);
  return query_ranges().alignment;
}

IommuHwInfo Iommufd::hw_info(const std::string& bdf) {
  std::lock_guard lock(mu_);
  auto it = dev_ids_.find(bdf);
  if (it == dev_ids_.end())
    throw_error("IOMMU_GET_HW_INFO", bdf, ENODEV, "attach the device to this iommufd first");
  IommuHwInfo out;
  out.data.resize(256);
  iommu_hw_info q{.size = sizeof(q), .dev_id = it->second,
                  .data_len = static_cast<uint32_t>(out.data.size())};
  q.data_uptr = reinterpret_cast<uint64_t>(out.data.data());
  if (ioctl(fd_.get(), IOMMU_GET_HW_INFO, &q) < 0)
    throw_error("IOMMU_GET_HW_INFO", bdf, errno);
  out.data.resize(std::min<size_t>(q.data_len, out.data.size()));
  out.data_type = q.out_data_type;
  out.capabilities = q.out_capabilities;
  switch (q.out_data_type) {
    case IOMMU_HW_INFO_TYPE_INTEL_VTD: {
      out.data_type_name = "intel-vtd";
      if (out.data.size() >= sizeof(iommu_hw_info_vtd)) {
        const auto* v = reinterpret_cast<const iommu_hw_info_vtd*>(out.data.data());
        out.vtd_cap_reg = v->cap_reg;
        out.vtd_ecap_reg = v->ecap_reg;
      }
      break;
    }
    case 2: out.data_type_name = "arm-smmuv3"; break;  // IOMMU_HW_INFO_TYPE_ARM_SMMUV3 (6.13+)
    default: out.data_type_name = "none"; break;
  }
  return out;
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
UniqueFd Iommufd::attach_device(const std::string&) { no_iommufd(); }
void Iommufd::map(const void*, uint64_t, uint64_t, DmaAccess) { no_iommufd(); }
void Iommufd::unmap(uint64_t, uint64_t) { no_iommufd(); }
std::vector<IovaRange> Iommufd::iova_ranges() { no_iommufd(); }
uint64_t Iommufd::iova_alignment() { no_iommufd(); }
IommuHwInfo Iommufd::hw_info(const std::string&) { no_iommufd(); }
}  // namespace vfiokit

#endif
