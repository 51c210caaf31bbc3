#include "vfio/raw/vfio_ioctl.hpp"

#include <linux/vfio.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "vfio/raw/argsz.hpp"

namespace vfiokit::raw {
namespace {

Status status_of(int rc) { return Status{rc < 0 ? errno : 0}; }

// A struct whose size the kernel checks, followed by an array of `n` T: a zeroed buffer.
template <class Head, class T>
std::vector<uint8_t> head_and_array(Head head, size_t array_offset, std::span<const T> items) {
  std::vector<uint8_t> buf(array_offset + items.size() * sizeof(T));
  head.argsz = static_cast<uint32_t>(buf.size());
  std::memcpy(buf.data(), &head, std::min(sizeof(Head), buf.size()));
  if (!items.empty())
    std::memcpy(buf.data() + array_offset, items.data(), items.size() * sizeof(T));
  return buf;
}

}  // namespace

Result<int> get_api_version(int container_fd) {
  const int v = ::ioctl(container_fd, VFIO_GET_API_VERSION);
  return v < 0 ? Result<int>{0, errno} : ok(v);
}

bool check_extension(int container_fd, uint32_t extension) {
  return ::ioctl(container_fd, VFIO_CHECK_EXTENSION, static_cast<unsigned long>(extension)) == 1;
}

Status set_iommu(int container_fd, uint32_t iommu_type) {
  return status_of(::ioctl(container_fd, VFIO_SET_IOMMU, static_cast<unsigned long>(iommu_type)));
}

Status type1_map_dma(int container_fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                     uint32_t flags) {
  vfio_iommu_type1_dma_map m{
      .argsz = sizeof(m), .flags = flags, .vaddr = vaddr, .iova = iova, .size = size};
  return status_of(::ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &m));
}

Result<uint64_t> type1_unmap_dma(int container_fd, uint64_t iova, uint64_t size) {
  vfio_iommu_type1_dma_unmap u{.argsz = sizeof(u), .flags = 0, .iova = iova, .size = size};
  if (::ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &u) < 0) return {0, errno};
  return ok<uint64_t>(u.size);
}

Result<std::vector<uint8_t>> type1_info(int container_fd) {
  return ioctl_argsz_grow(container_fd, VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info{});
}

Result<uint32_t> group_status(int group_fd) {
  vfio_group_status s{.argsz = sizeof(s), .flags = 0};
  if (::ioctl(group_fd, VFIO_GROUP_GET_STATUS, &s) < 0) return {0, errno};
  return ok(s.flags);
}

Status group_set_container(int group_fd, int container_fd) {
  return status_of(::ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd));
}

Status group_unset_container(int group_fd) {
  return status_of(::ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER));
}

Result<int> group_get_device_fd(int group_fd, const std::string& bdf) {
  const int fd = ::ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
  return fd < 0 ? Result<int>{-1, errno} : ok(fd);
}

Result<DeviceInfo> device_info(int device_fd) {
  vfio_device_info info{};
  info.argsz = sizeof(info);
  if (::ioctl(device_fd, VFIO_DEVICE_GET_INFO, &info) < 0) return {{}, errno};
  return ok(DeviceInfo{info.flags, info.num_regions, info.num_irqs});
}

Result<std::vector<uint8_t>> region_info(int device_fd, uint32_t index) {
  vfio_region_info head{};
  head.index = index;
  return ioctl_argsz_grow(device_fd, VFIO_DEVICE_GET_REGION_INFO, head);
}

Result<IrqIndexInfo> irq_info(int device_fd, uint32_t index) {
  vfio_irq_info q{.argsz = sizeof(q), .flags = 0, .index = index, .count = 0};
  if (::ioctl(device_fd, VFIO_DEVICE_GET_IRQ_INFO, &q) < 0) return {{}, errno};
  return ok(IrqIndexInfo{q.index, q.flags, q.count});
}

Status set_irqs(int device_fd, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                std::span<const int32_t> eventfds) {
  vfio_irq_set head{};
  head.flags = flags;
  head.index = index;
  head.start = start;
  head.count = count;
  std::vector<uint8_t> buf = head_and_array(head, offsetof(vfio_irq_set, data), eventfds);
  return status_of(::ioctl(device_fd, VFIO_DEVICE_SET_IRQS, buf.data()));
}

Status device_reset(int device_fd) { return status_of(::ioctl(device_fd, VFIO_DEVICE_RESET)); }

Result<std::vector<uint8_t>> hot_reset_info(int device_fd) {
  // This ioctl grows by count (ENOSPC, with the count it needs), not by argsz.
  uint32_t count = 8;
  for (int tries = 0; tries < 4; ++tries) {
    std::vector<uint8_t> buf(sizeof(vfio_pci_hot_reset_info) +
                             count * sizeof(vfio_pci_dependent_device));
    vfio_pci_hot_reset_info head{};
    head.argsz = static_cast<uint32_t>(buf.size());
    std::memcpy(buf.data(), &head, sizeof(head));
    if (::ioctl(device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, buf.data()) == 0)
      return ok(std::move(buf));
    if (errno != ENOSPC) return {{}, errno};
    std::memcpy(&head, buf.data(), sizeof(head));
    count = head.count;
  }
  return {{}, ENOSPC};
}

Status pci_hot_reset(int device_fd, std::span<const int32_t> group_fds) {
  vfio_pci_hot_reset head{};
  head.count = static_cast<uint32_t>(group_fds.size());
  std::vector<uint8_t> buf =
      head_and_array(head, offsetof(vfio_pci_hot_reset, group_fds), group_fds);
  return status_of(::ioctl(device_fd, VFIO_DEVICE_PCI_HOT_RESET, buf.data()));
}

}  // namespace vfiokit::raw
