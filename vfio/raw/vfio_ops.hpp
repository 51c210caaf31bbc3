// The seam between the owning types (Container, Iommufd, Device, MappedRegion, IrqSet) and
// the kernel: every open, ioctl, pread/pwrite and mmap they issue on a VFIO or iommufd fd
// goes through the VfioOps installed in the process (vfio_ops()). The default instance is
// this base class itself, whose members call the raw functions (vfio_ioctl.hpp,
// iommufd_ioctl.hpp) and the system calls; host tests install a double (tests/support/
// fake_vfio.hpp) with ScopedVfioOps, so the library types run over an in-memory kernel.
//
// What does not go through it, on purpose: the I/O hot path. Register accesses inside a
// BAR's mmap'ed area are loads and stores through MappedRegion's cached pointer, NVMe
// doorbells through QueuePair's cached pointer, completions are read from DMA memory, and
// IrqSet waits with poll/read on its eventfds. A double that wants to see register
// accesses reports the region as not mmap-able, so they take MappedRegion's cold
// pread/pwrite path, which is here. Closing an fd is ::close (UniqueFd): a double hands
// out real fds (e.g. eventfds) that stand for its objects.
//
// Installing is not synchronized with calls: install a double while no VFIO object
// lives, and keep it installed until every object made over it is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vfio/raw/iommufd_ioctl.hpp"
#include "vfio/raw/result.hpp"
#include "vfio/raw/vfio_ioctl.hpp"

namespace vfiokit::raw {

/// The kernel as the owning types see it. Each member behaves as the function of the
/// same name in the raw layer (or the system call: -1 and errno on failure).
class VfioOps {
 public:
  virtual ~VfioOps() = default;

  /// open(2) of a VFIO or iommufd node (/dev/vfio/vfio, /dev/vfio/N, /dev/iommu, cdevs).
  virtual int open(const char* path, int flags);
  virtual ssize_t pread(int fd, void* buf, size_t count, off_t offset);
  virtual ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset);
  /// mmap(2) of a device fd region, MAP_SHARED; MAP_FAILED and errno on failure.
  virtual void* mmap(size_t length, int prot, int fd, off_t offset);
  virtual int munmap(void* addr, size_t length);

  // --- container and group ---
  virtual Result<int> get_api_version(int container_fd);
  virtual bool check_extension(int container_fd, uint32_t extension);
  virtual Status set_iommu(int container_fd, uint32_t iommu_type);
  virtual Status type1_map_dma(int container_fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                               uint32_t flags);
  virtual Result<uint64_t> type1_unmap_dma(int container_fd, uint64_t iova, uint64_t size);
  virtual Result<std::vector<uint8_t>> type1_info(int container_fd);
  virtual Result<uint32_t> group_status(int group_fd);
  virtual Status group_set_container(int group_fd, int container_fd);
  virtual Status group_unset_container(int group_fd);
  virtual Result<int> group_get_device_fd(int group_fd, const std::string& bdf);

  // --- device ---
  virtual Result<DeviceInfo> device_info(int device_fd);
  virtual Result<std::vector<uint8_t>> region_info(int device_fd, uint32_t index);
  virtual Result<IrqIndexInfo> irq_info(int device_fd, uint32_t index);
  virtual Status set_irqs(int device_fd, uint32_t index, uint32_t flags, uint32_t start,
                          uint32_t count, std::span<const int32_t> eventfds = {});
  virtual Status device_reset(int device_fd);
  virtual Result<std::vector<uint8_t>> hot_reset_info(int device_fd);
  virtual Status pci_hot_reset(int device_fd, std::span<const int32_t> group_fds);

  // --- iommufd (ENOTTY where the build has no iommufd) ---
  virtual Result<uint32_t> ioas_alloc(int iommufd);
  virtual Status iommufd_destroy(int iommufd, uint32_t id);
  virtual Result<uint32_t> bind_iommufd(int device_fd, int iommufd);
  virtual Status attach_iommufd_pt(int device_fd, uint32_t pt_id);
  virtual Status ioas_map(int iommufd, uint32_t ioas_id, uint64_t vaddr, uint64_t iova,
                          uint64_t length, uint32_t flags);
  virtual Result<uint64_t> ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova,
                                      uint64_t length);
  virtual Result<IoasRanges> ioas_iova_ranges(int iommufd, uint32_t ioas_id);
  virtual Result<HwInfoReply> get_hw_info(int iommufd, uint32_t dev_id);
};

/// The VfioOps the owning types use now: the installed double, else the real kernel.
VfioOps& vfio_ops();

/// Installs `ops` (nullptr: the real kernel again) and returns the one it replaces.
VfioOps* install_vfio_ops(VfioOps* ops);

/// Installs `ops` for its lifetime and puts the previous one back.
class ScopedVfioOps {
 public:
  explicit ScopedVfioOps(VfioOps& ops) : previous_(install_vfio_ops(&ops)) {}
  ~ScopedVfioOps() { install_vfio_ops(previous_); }
  ScopedVfioOps(const ScopedVfioOps&) = delete;
  ScopedVfioOps& operator=(const ScopedVfioOps&) = delete;

 private:
  VfioOps* previous_;
};

}  // namespace vfiokit::raw
