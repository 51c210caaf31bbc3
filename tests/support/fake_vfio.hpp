// FakeVfio: an in-memory kernel for host tests of the library types. Installed with
// raw::ScopedVfioOps, it stands for /dev/vfio/vfio (a type1 container), /dev/iommu (one
// IOAS; it also answers the container's ioctls, as iommufd's vfio_compat.c does), one IOMMU group
// and one PCI device in it (also as cdev /dev/vfio/devices/vfio0): Container, Iommufd, Device,
// MappedRegion, IrqSet and DmaSpace run their real code over it; a test reads what they asked the
// "kernel" for (the DMA map table, the MSI-X eventfds, resets) and makes the kernel fail where it
// wants.
//
// Fds: each object is a real eventfd standing for it, so UniqueFd's close works.
// Regions: config (256 bytes of memory the test owns) and BAR0, read and written through
// pread/pwrite (not mmap-able: every register access reaches the BAR's handler, e.g. the
// NVMe controller model). DMA: translate() turns an IOVA into the mapped host memory, as an
// IOMMU would, so a device model reads and writes what the driver mapped.
// Also makes a sysfs fixture tree (device, group, driver vfio-pci, cdev) for Container/Iommufd.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vfio/raw/vfio_ops.hpp"
#include "vfiokit/vfio/iommu_context.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::testing {

/// What pread/pwrite of a BAR do: the device behind it. Offsets are from the BAR's start.
class FakeBar {
 public:
  virtual ~FakeBar() = default;
  virtual uint64_t read(uint64_t offset, unsigned size) = 0;
  virtual void write(uint64_t offset, uint64_t value, unsigned size) = 0;
  /// VFIO_DEVICE_RESET (a function-level reset).
  virtual void reset() {}
};

class FakeVfio final : public raw::VfioOps {
 public:
  struct Mapping {
    uint64_t vaddr, iova, size;
    uint32_t flags;  ///< VFIO_DMA_MAP_FLAG_*
  };

  /// With `sysfs_root`, the sysfs tree goes there (a folder the caller keeps, shared by
  /// the fakes of a fuzz target's runs); by default, a temporary folder of its own.
  explicit FakeVfio(std::filesystem::path sysfs_root = {});
  ~FakeVfio() override;
  FakeVfio(const FakeVfio&) = delete;
  FakeVfio& operator=(const FakeVfio&) = delete;

  // --- what the fake kernel offers (set before the objects are opened) ---
  std::string bdf = "0000:00:04.0";
  int group = 7;
  int api_version;                    ///< VFIO_API_VERSION
  bool type1v2 = true, type1 = true;  ///< VFIO_CHECK_EXTENSION answers
  /// Non-empty: the device is a VF whose PF is on vfio-pci, and the group path wants
  /// "BDF vf_token=<this>" (EACCES otherwise, as vfio_pci_core_match answers).
  std::string vf_token;
  uint32_t group_flags;               ///< VFIO_GROUP_FLAGS_VIABLE
  std::vector<IovaRange> ranges;      ///< IOVA_RANGE capability; empty: none
  uint64_t pgsizes = 4096;
  std::optional<uint32_t> dma_avail;  ///< DMA_AVAIL capability, counted down per map
  uint32_t device_flags;              ///< PCI | RESET
  uint32_t msix_vectors = 2;
  std::vector<uint8_t> config;  ///< 256 bytes: vendor 1b36 device 0010, class 010802
  uint64_t bar0_size = 0x4000;
  FakeBar* bar0 = nullptr;  ///< nullptr: BAR0 is plain memory (bar0_memory)
  std::vector<uint8_t> bar0_memory;

  /// The next call of raw operation `op` (its VfioOps member name, e.g. "type1_map_dma")
  /// fails with `err`.
  void fail_next(const std::string& op, int err) { failures_[op] = err; }

  // --- what the library asked for ---
  const std::map<uint64_t, Mapping>& mappings() const { return mappings_; }  ///< by IOVA
  int resets() const { return resets_; }
  int iommu_type() const { return iommu_type_; }
  /// Whether the group joined a /dev/iommu fd (iommufd's compat container), not /dev/vfio/vfio.
  bool group_on_iommufd() const { return group_on_iommufd_; }
  /// The eventfd wired to MSI-X `vector`, or -1.
  int msix_eventfd(uint32_t vector) const;
  /// Raises MSI-X `vector` (signals its eventfd, when one is wired).
  void raise_msix(uint32_t vector) const;
  /// The host memory behind [iova, iova+len) when one mapping covers it all and allows the
  /// access (a device write needs FLAG_WRITE, a read FLAG_READ); nullptr otherwise.
  void* translate(uint64_t iova, uint64_t len, bool device_writes) const;

  /// A sysfs tree that has the device in the group, bound to vfio-pci.
  /// Builds it (again) for the current bdf and group.
  Sysfs sysfs() const;

  // --- raw::VfioOps ---
  int open(const char* path, int flags) override;
  ssize_t pread(int fd, void* buf, size_t count, off_t offset) override;
  ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) override;
  void* mmap(size_t length, int prot, int fd, off_t offset) override;
  int munmap(void* addr, size_t length) override;
  raw::Result<int> get_api_version(int fd) override;
  bool check_extension(int fd, uint32_t extension) override;
  raw::Status set_iommu(int fd, uint32_t type) override;
  raw::Status type1_map_dma(int fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                            uint32_t flags) override;
  raw::Result<uint64_t> type1_unmap_dma(int fd, uint64_t iova, uint64_t size) override;
  raw::Result<std::vector<uint8_t>> type1_info(int fd) override;
  raw::Result<uint32_t> group_status(int fd) override;
  raw::Status group_set_container(int group_fd, int container_fd) override;
  raw::Status group_unset_container(int group_fd) override;
  raw::Result<int> group_get_device_fd(int group_fd, const std::string& bdf) override;
  raw::Result<raw::DeviceInfo> device_info(int fd) override;
  raw::Result<std::vector<uint8_t>> region_info(int fd, uint32_t index) override;
  raw::Result<raw::IrqIndexInfo> irq_info(int fd, uint32_t index) override;
  raw::Status set_irqs(int fd, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                       std::span<const int32_t> eventfds) override;
  raw::Status device_reset(int fd) override;
  raw::Result<std::vector<uint8_t>> hot_reset_info(int fd) override;
  raw::Status pci_hot_reset(int fd, std::span<const int32_t> group_fds) override;
  raw::Result<uint32_t> ioas_alloc(int iommufd) override;
  raw::Status iommufd_destroy(int iommufd, uint32_t id) override;
  raw::Result<uint32_t> bind_iommufd(int device_fd, int iommufd) override;
  raw::Status attach_iommufd_pt(int device_fd, uint32_t pt_id) override;
  raw::Status ioas_map(int iommufd, uint32_t ioas_id, uint64_t vaddr, uint64_t iova,
                       uint64_t length, uint32_t flags) override;
  raw::Result<uint64_t> ioas_unmap(int iommufd, uint32_t ioas_id, uint64_t iova,
                                   uint64_t length) override;
  raw::Result<raw::IoasRanges> ioas_iova_ranges(int iommufd, uint32_t ioas_id) override;
  raw::Result<raw::HwInfoReply> get_hw_info(int iommufd, uint32_t dev_id) override;

  /// The device's id in the iommufd once bound (0 before), and the IOAS it is attached to.
  uint32_t bound_dev_id() const { return dev_id_; }
  uint32_t attached_pt() const { return attached_pt_; }

 private:
  enum class Kind { kContainer, kGroup, kDevice, kIommufd };
  int new_fd(Kind kind);
  bool is(int fd, Kind kind) const;
  bool is_container(int fd) const;
  int take_failure(const char* op);
  ssize_t access(int fd, void* buf, size_t count, off_t offset, bool write);
  // The type1 and IOAS map tables are one (one IOMMU domain): map and unmap as type1v2
  // does (no split of a mapping); errors as errno, 0 on success.
  int map(uint64_t vaddr, uint64_t iova, uint64_t size, uint32_t vfio_flags);
  int unmap(uint64_t iova, uint64_t size, uint64_t& unmapped);

  std::filesystem::path root_;
  bool owns_root_ = false;
  std::map<int, Kind> fds_;
  std::map<std::string, int> failures_;
  std::map<uint64_t, Mapping> mappings_;
  std::vector<int> msix_fds_;
  int iommu_type_ = 0;
  bool group_in_container_ = false;
  bool group_on_iommufd_ = false;
  int resets_ = 0;
  uint32_t ioas_ = 0, dev_id_ = 0, attached_pt_ = 0;
};

}  // namespace vfiokit::testing
