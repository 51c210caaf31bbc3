#include "vfio/raw/iommufd_ioctl.hpp"

#if VFIOKIT_HAVE_IOMMUFD

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>

namespace vfiokit::raw {

Result<uint32_t> ioas_alloc(int iommufd) {
  iommu_ioas_alloc a{.size = sizeof(a), .flags = 0, .out_ioas_id = 0};
  if (::ioctl(iommufd, IOMMU_IOAS_ALLOC, &a) < 0) return {0, errno};
  return ok(a.out_ioas_id);
}

Status iommufd_destroy(int iommufd, uint32_t id) {
  iommu_destroy d{.size = sizeof(d), .id = id};
  return Status{::ioctl(iommufd, IOMMU_DESTROY, &d) < 0 ? errno : 0};
}

Result<uint32_t> bind_iommufd(int device_fd, int iommufd) {
  vfio_device_bind_iommufd b{};
  b.argsz = sizeof(b);
  b.iommufd = iommufd;
  if (::ioctl(device_fd, VFIO_DEVICE_BIND_IOMMUFD, &b) < 0) return {0, errno};
  return ok(b.out_devid);
}

Status attach_iommufd_pt(int device_fd, uint32_t pt_id) {
  vfio_device_attach_iommufd_pt a{.argsz = sizeof(a), .flags = 0, .pt_id = pt_id};
  return Status{::ioctl(device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) < 0 ? errno : 0};
}

Status ioas_map(int iommufd, uint32_t ioas_id, uint64_t vaddr, uint64_t iova, uint64_t length,
                uint32_t flags) {
  iommu_ioas_map m{};
  m.size = sizeof(m);
  m.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA;
  m.ioas_id = ioas_id;
  m.user_va = vaddr;
  m.length = length;
  m.iova = iova;
  return Status{::ioctl(iommufd, IOMMU_IOAS_MAP, &m) < 0 ? errno : 0};
}

Result<uint64_t> ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova, uint64_t length) {
  iommu_ioas_unmap u{.size = sizeof(u), .ioas_id = ioas_id, .iova = iova, .length = length};
  if (::ioctl(iommufd, IOMMU_IOAS_UNMAP, &u) < 0) return {0, errno};
  return ok<uint64_t>(u.length);
}

Result<IoasRanges> ioas_iova_ranges(int iommufd, uint32_t ioas_id) {
  std::vector<iommu_iova_range> buf(4);
  iommu_ioas_iova_ranges q{};
  for (int tries = 0;; ++tries) {
    q = {.size = sizeof(q), .ioas_id = ioas_id, .num_iovas = static_cast<uint32_t>(buf.size())};
    q.allowed_iovas = reinterpret_cast<uint64_t>(buf.data());
    if (::ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q) == 0) break;
    // EMSGSIZE with the count it needs: grow and ask again (the ranges can change between).
    if (errno != EMSGSIZE || q.num_iovas <= buf.size() || tries == 4) return {{}, errno};
    buf.resize(q.num_iovas);
  }
  IoasRanges r;
  for (uint32_t i = 0; i < q.num_iovas && i < buf.size(); ++i)
    r.ranges.push_back({buf[i].start, buf[i].last});
  r.alignment = q.out_iova_alignment;
  return ok(std::move(r));
}

Result<HwInfoReply> get_hw_info(int iommufd, uint32_t dev_id) {
  HwInfoReply out;
  out.data.resize(256);
  iommu_hw_info q{};
  q.size = sizeof(q);
  q.dev_id = dev_id;
  q.data_len = static_cast<uint32_t>(out.data.size());
  q.data_uptr = reinterpret_cast<uint64_t>(out.data.data());
  if (::ioctl(iommufd, IOMMU_GET_HW_INFO, &q) < 0) return {{}, errno};
  out.data.resize(std::min<size_t>(q.data_len, out.data.size()));
  out.data_type = q.out_data_type;
  out.capabilities = q.out_capabilities;
  return ok(std::move(out));
}

}  // namespace vfiokit::raw

#endif  // VFIOKIT_HAVE_IOMMUFD
