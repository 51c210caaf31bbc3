#include "vfio/raw/vfio_ops.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace vfiokit::raw {

namespace {

VfioOps g_kernel;  // the base class is the real kernel
std::atomic<VfioOps*> g_installed{nullptr};

}  // namespace

VfioOps& vfio_ops() {
  VfioOps* ops = g_installed.load(std::memory_order_acquire);
  return ops ? *ops : g_kernel;
}

VfioOps* install_vfio_ops(VfioOps* ops) {
  return g_installed.exchange(ops, std::memory_order_acq_rel);
}

int VfioOps::open(const char* path, int flags) { return ::open(path, flags); }
ssize_t VfioOps::pread(int fd, void* buf, size_t count, off_t offset) {
  return ::pread(fd, buf, count, offset);
}
ssize_t VfioOps::pwrite(int fd, const void* buf, size_t count, off_t offset) {
  return ::pwrite(fd, buf, count, offset);
}
void* VfioOps::mmap(size_t length, int prot, int fd, off_t offset) {
  return ::mmap(nullptr, length, prot, MAP_SHARED, fd, offset);
}
int VfioOps::munmap(void* addr, size_t length) { return ::munmap(addr, length); }

Result<int> VfioOps::get_api_version(int fd) { return raw::get_api_version(fd); }
bool VfioOps::check_extension(int fd, uint32_t ext) { return raw::check_extension(fd, ext); }
Status VfioOps::set_iommu(int fd, uint32_t type) { return raw::set_iommu(fd, type); }
Status VfioOps::type1_map_dma(int fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                              uint32_t flags) {
  return raw::type1_map_dma(fd, vaddr, iova, size, flags);
}
Result<uint64_t> VfioOps::type1_unmap_dma(int fd, uint64_t iova, uint64_t size) {
  return raw::type1_unmap_dma(fd, iova, size);
}
Result<std::vector<uint8_t>> VfioOps::type1_info(int fd) { return raw::type1_info(fd); }
Result<uint32_t> VfioOps::group_status(int fd) { return raw::group_status(fd); }
Status VfioOps::group_set_container(int gfd, int cfd) { return raw::group_set_container(gfd, cfd); }
Status VfioOps::group_unset_container(int gfd) { return raw::group_unset_container(gfd); }
Result<int> VfioOps::group_get_device_fd(int gfd, const std::string& bdf) {
  return raw::group_get_device_fd(gfd, bdf);
}

Result<DeviceInfo> VfioOps::device_info(int fd) { return raw::device_info(fd); }
Result<std::vector<uint8_t>> VfioOps::region_info(int fd, uint32_t index) {
  return raw::region_info(fd, index);
}
Result<IrqIndexInfo> VfioOps::irq_info(int fd, uint32_t index) { return raw::irq_info(fd, index); }
Status VfioOps::set_irqs(int fd, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                         std::span<const int32_t> eventfds) {
  return raw::set_irqs(fd, index, flags, start, count, eventfds);
}
Status VfioOps::device_reset(int fd) { return raw::device_reset(fd); }
Result<std::vector<uint8_t>> VfioOps::hot_reset_info(int fd) { return raw::hot_reset_info(fd); }
Status VfioOps::pci_hot_reset(int fd, std::span<const int32_t> group_fds) {
  return raw::pci_hot_reset(fd, group_fds);
}

#if VFIOKIT_HAVE_IOMMUFD
Result<uint32_t> VfioOps::ioas_alloc(int fd) { return raw::ioas_alloc(fd); }
Status VfioOps::iommufd_destroy(int fd, uint32_t id) { return raw::iommufd_destroy(fd, id); }
Result<uint32_t> VfioOps::bind_iommufd(int dfd, int fd) { return raw::bind_iommufd(dfd, fd); }
Status VfioOps::attach_iommufd_pt(int dfd, uint32_t pt) { return raw::attach_iommufd_pt(dfd, pt); }
Status VfioOps::ioas_map(int fd, uint32_t ioas, uint64_t vaddr, uint64_t iova, uint64_t length,
                         uint32_t flags) {
  return raw::ioas_map(fd, ioas, vaddr, iova, length, flags);
}
Result<uint64_t> VfioOps::ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t length) {
  return raw::ioas_unmap(fd, ioas, iova, length);
}
Result<IoasRanges> VfioOps::ioas_iova_ranges(int fd, uint32_t ioas) {
  return raw::ioas_iova_ranges(fd, ioas);
}
Result<HwInfoReply> VfioOps::get_hw_info(int fd, uint32_t dev) { return raw::get_hw_info(fd, dev); }
#else
Result<uint32_t> VfioOps::ioas_alloc(int) { return {0, ENOTTY}; }
Status VfioOps::iommufd_destroy(int, uint32_t) { return {ENOTTY}; }
Result<uint32_t> VfioOps::bind_iommufd(int, int) { return {0, ENOTTY}; }
Status VfioOps::attach_iommufd_pt(int, uint32_t) { return {ENOTTY}; }
Status VfioOps::ioas_map(int, uint32_t, uint64_t, uint64_t, uint64_t, uint32_t) { return {ENOTTY}; }
Result<uint64_t> VfioOps::ioas_unmap(int, uint32_t, uint64_t, uint64_t) { return {0, ENOTTY}; }
Result<IoasRanges> VfioOps::ioas_iova_ranges(int, uint32_t) { return {{}, ENOTTY}; }
Result<HwInfoReply> VfioOps::get_hw_info(int, uint32_t) { return {{}, ENOTTY}; }
#endif

}  // namespace vfiokit::raw
