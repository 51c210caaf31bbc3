#include "tests/support/fake_vfio.hpp"

#if VFIOKIT_HAVE_IOMMUFD
#include <linux/iommufd.h>
#endif
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace vfiokit::testing {

namespace fs = std::filesystem;

namespace {

// vfio-pci places region N at N << 40 in the device fd (VFIO_PCI_OFFSET_SHIFT).
constexpr int kRegionShift = 40;
constexpr uint64_t kConfigSize = 256;

uint64_t region_offset(uint32_t index) { return uint64_t{index} << kRegionShift; }

template <typename T>
void append(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

}  // namespace

FakeVfio::FakeVfio(std::filesystem::path sysfs_root)
    : api_version(VFIO_API_VERSION),
      group_flags(VFIO_GROUP_FLAGS_VIABLE),
      device_flags(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET),
      config(kConfigSize, 0) {
  // An NVMe controller's header: QEMU's vendor/device, class 01:08:02.
  config[0] = 0x36, config[1] = 0x1b, config[2] = 0x10, config[3] = 0x00;
  config[9] = 0x02, config[10] = 0x08, config[11] = 0x01;
  if (!sysfs_root.empty()) {
    root_ = std::move(sysfs_root);
    return;
  }
  char tmpl[] = "/tmp/vfiokit-fake-sysfs-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("FakeVfio: mkdtemp failed");
  root_ = tmpl;
  owns_root_ = true;
}

FakeVfio::~FakeVfio() {
  for (const auto& [fd, kind] : fds_) ::close(fd);
  std::error_code ec;
  if (owns_root_) fs::remove_all(root_, ec);
}

int FakeVfio::new_fd(Kind kind) {
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  if (fd >= 0) fds_[fd] = kind;
  return fd;
}

bool FakeVfio::is(int fd, Kind kind) const {
  auto it = fds_.find(fd);
  return it != fds_.end() && it->second == kind;
}

// iommufd answers the container's ioctls too (drivers/iommu/iommufd/vfio_compat.c).
bool FakeVfio::is_container(int fd) const {
  return is(fd, Kind::kContainer) || is(fd, Kind::kIommufd);
}

int FakeVfio::take_failure(const char* op) {
  auto it = failures_.find(op);
  if (it == failures_.end()) return 0;
  const int err = it->second;
  failures_.erase(it);
  return err;
}

int FakeVfio::msix_eventfd(uint32_t vector) const {
  return vector < msix_fds_.size() ? msix_fds_[vector] : -1;
}

void FakeVfio::raise_msix(uint32_t vector) const {
  const int fd = msix_eventfd(vector);
  if (fd < 0) return;
  const uint64_t one = 1;
  (void)!::write(fd, &one, sizeof(one));
}

void* FakeVfio::translate(uint64_t iova, uint64_t len, bool device_writes) const {
  if (len == 0 || iova + (len - 1) < iova) return nullptr;
  auto it = mappings_.upper_bound(iova);
  if (it == mappings_.begin()) return nullptr;
  const Mapping& m = (--it)->second;
  if (iova - m.iova >= m.size || len > m.size - (iova - m.iova)) return nullptr;
  if (!(m.flags & (device_writes ? VFIO_DMA_MAP_FLAG_WRITE : VFIO_DMA_MAP_FLAG_READ)))
    return nullptr;
  return reinterpret_cast<void*>(m.vaddr + (iova - m.iova));
}

Sysfs FakeVfio::sysfs() const {
  // What Container reads: the device, its iommu_group link, its driver, the group's members.
  const fs::path dev = root_ / "sys/bus/pci/devices" / bdf;
  const fs::path grp = root_ / "sys/kernel/iommu_groups" / std::to_string(group);
  const fs::path drv = root_ / "sys/bus/pci/drivers/vfio-pci";
  std::error_code ec;
  // Built already for this device and group (a shared root): nothing to do.
  if (fs::read_symlink(dev / "iommu_group", ec) == grp && fs::exists(grp / "devices" / bdf, ec))
    return Sysfs(root_);
  fs::create_directories(dev, ec);
  fs::create_directories(grp / "devices", ec);
  fs::create_directories(drv, ec);
  fs::remove(dev / "iommu_group", ec);
  fs::create_directory_symlink(grp, dev / "iommu_group", ec);
  fs::remove(dev / "driver", ec);
  fs::create_directory_symlink(drv, dev / "driver", ec);
  fs::create_directories(dev / "vfio-dev/vfio0", ec);  // the cdev iommufd opens
  fs::remove(grp / "devices" / bdf, ec);
  fs::create_directory_symlink(dev, grp / "devices" / bdf, ec);
  return Sysfs(root_);
}

// --- files -----------------------------------------------------------------------------------

int FakeVfio::open(const char* path, int) {
  if (const int err = take_failure("open")) {
    errno = err;
    return -1;
  }
  const std::string p = path;
  if (p == "/dev/vfio/vfio") return new_fd(Kind::kContainer);
  if (p == "/dev/vfio/" + std::to_string(group)) return new_fd(Kind::kGroup);
  if (p == "/dev/iommu") return new_fd(Kind::kIommufd);
  if (p == "/dev/vfio/devices/vfio0") return new_fd(Kind::kDevice);
  errno = ENOENT;
  return -1;
}

ssize_t FakeVfio::access(int fd, void* buf, size_t count, off_t offset, bool write) {
  if (!is(fd, Kind::kDevice)) {
    errno = EBADF;
    return -1;
  }
  if (const int err = take_failure(write ? "pwrite" : "pread")) {
    errno = err;
    return -1;
  }
  const auto off = static_cast<uint64_t>(offset);
  const auto index = static_cast<uint32_t>(off >> kRegionShift);
  const uint64_t in = off & ((uint64_t{1} << kRegionShift) - 1);
  if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
    if (in >= config.size()) return 0;
    const size_t n = std::min<uint64_t>(count, config.size() - in);
    if (write)
      std::memcpy(config.data() + in, buf, n);
    else
      std::memcpy(buf, config.data() + in, n);
    return static_cast<ssize_t>(n);
  }
  if (index == VFIO_PCI_BAR0_REGION_INDEX && in < bar0_size && count <= bar0_size - in) {
    if (bar0) {
      if (count != 1 && count != 2 && count != 4 && count != 8) {
        errno = EINVAL;
        return -1;
      }
      const auto size = static_cast<unsigned>(count);
      if (write) {
        uint64_t v = 0;
        std::memcpy(&v, buf, count);
        bar0->write(in, v, size);
      } else {
        const uint64_t v = bar0->read(in, size);
        std::memcpy(buf, &v, count);
      }
      return static_cast<ssize_t>(count);
    }
    bar0_memory.resize(bar0_size);
    if (write)
      std::memcpy(bar0_memory.data() + in, buf, count);
    else
      std::memcpy(buf, bar0_memory.data() + in, count);
    return static_cast<ssize_t>(count);
  }
  errno = EINVAL;
  return -1;
}

ssize_t FakeVfio::pread(int fd, void* buf, size_t count, off_t offset) {
  return access(fd, buf, count, offset, false);
}

ssize_t FakeVfio::pwrite(int fd, const void* buf, size_t count, off_t offset) {
  return access(fd, const_cast<void*>(buf), count, offset, true);
}

void* FakeVfio::mmap(size_t, int, int, off_t) {
  errno = EINVAL;  // no region of the fake device is mmap-able
  return MAP_FAILED;
}

int FakeVfio::munmap(void*, size_t) {
  errno = EINVAL;
  return -1;
}

int FakeVfio::map(uint64_t vaddr, uint64_t iova, uint64_t size, uint32_t flags) {
  // Page-aligned, inside a usable range, not overlapping an existing mapping.
  const uint64_t page = pgsizes & -pgsizes;
  if (size == 0 || (iova | size | vaddr) & (page - 1)) return EINVAL;
  if (iova + (size - 1) < iova) return EINVAL;
  if (!ranges.empty()) {
    bool inside = false;
    for (const auto& r : ranges) inside |= iova >= r.start && iova + (size - 1) <= r.last;
    if (!inside) return EINVAL;
  }
  auto next = mappings_.lower_bound(iova);
  if (next != mappings_.end() && next->first <= iova + (size - 1)) return EEXIST;
  if (next != mappings_.begin()) {
    const Mapping& prev = std::prev(next)->second;
    if (prev.iova + (prev.size - 1) >= iova) return EEXIST;
  }
  if (dma_avail) {
    if (*dma_avail == 0) return ENOSPC;
    --*dma_avail;
  }
  mappings_[iova] = {vaddr, iova, size, flags};
  return 0;
}

int FakeVfio::unmap(uint64_t iova, uint64_t size, uint64_t& unmapped) {
  // Neither type1v2 nor iommufd splits a mapping; they remove those wholly inside.
  const uint64_t last = iova + (size - 1);
  unmapped = 0;
  for (const auto& [start, m] : mappings_) {
    const uint64_t m_last = m.iova + (m.size - 1);
    const bool overlaps = m.iova <= last && m_last >= iova;
    const bool inside = m.iova >= iova && m_last <= last;
    if (overlaps && !inside) return EINVAL;
  }
  for (auto it = mappings_.lower_bound(iova); it != mappings_.end() && it->first <= last;) {
    unmapped += it->second.size;
    if (dma_avail) ++*dma_avail;
    it = mappings_.erase(it);
  }
  return 0;
}

// --- container and group ---------------------------------------------------------------------

raw::Result<int> FakeVfio::get_api_version(int fd) {
  if (!is_container(fd)) return {0, EBADF};
  if (const int err = take_failure("get_api_version")) return {0, err};
  return raw::ok(api_version);
}

bool FakeVfio::check_extension(int fd, uint32_t extension) {
  if (!is_container(fd)) return false;
  return (extension == VFIO_TYPE1v2_IOMMU && type1v2) || (extension == VFIO_TYPE1_IOMMU && type1);
}

raw::Status FakeVfio::set_iommu(int fd, uint32_t type) {
  if (!is_container(fd)) return {EBADF};
  if (const int err = take_failure("set_iommu")) return {err};
  if (!group_in_container_) return {EINVAL};  // the kernel wants a group first
  if (iommu_type_) return {EBUSY};
  iommu_type_ = static_cast<int>(type);
  return {};
}

raw::Status FakeVfio::type1_map_dma(int fd, uint64_t vaddr, uint64_t iova, uint64_t size,
                                    uint32_t flags) {
  if (!is_container(fd)) return {EBADF};
  if (const int err = take_failure("type1_map_dma")) return {err};
  if (!iommu_type_) return {EINVAL};
  return {map(vaddr, iova, size, flags)};
}

raw::Result<uint64_t> FakeVfio::type1_unmap_dma(int fd, uint64_t iova, uint64_t size) {
  if (!is_container(fd)) return {0, EBADF};
  if (const int err = take_failure("type1_unmap_dma")) return {0, err};
  if (!iommu_type_) return {0, EINVAL};
  uint64_t unmapped = 0;
  if (const int err = unmap(iova, size, unmapped)) return {0, err};
  return raw::ok(unmapped);
}

raw::Result<std::vector<uint8_t>> FakeVfio::type1_info(int fd) {
  if (!is_container(fd)) return {{}, EBADF};
  if (const int err = take_failure("type1_info")) return {{}, err};
  std::vector<uint8_t> out;
  vfio_iommu_type1_info info{};
  info.flags = VFIO_IOMMU_INFO_PGSIZES;
  info.iova_pgsizes = pgsizes;
  append(out, info);
  uint32_t* next_slot = nullptr;
  size_t next_at = 0;
  auto link = [&](size_t at) {
    if (next_slot == nullptr) {
      auto* i = reinterpret_cast<vfio_iommu_type1_info*>(out.data());
      i->flags |= VFIO_IOMMU_INFO_CAPS;
      i->cap_offset = static_cast<uint32_t>(at);
    } else {
      const auto v = static_cast<uint32_t>(at);
      std::memcpy(out.data() + next_at, &v, sizeof(v));
    }
    next_slot = reinterpret_cast<uint32_t*>(1);  // any non-null: linked once
    next_at = at + offsetof(vfio_info_cap_header, next);
  };
  if (!ranges.empty()) {
    const size_t at = out.size();
    vfio_iommu_type1_info_cap_iova_range r{};
    r.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
    r.header.version = 1;
    r.nr_iovas = static_cast<uint32_t>(ranges.size());
    append(out, r);
    for (const auto& range : ranges) append(out, vfio_iova_range{range.start, range.last});
    link(at);
  }
  if (dma_avail) {
    const size_t at = out.size();
    vfio_iommu_type1_info_dma_avail a{};
    a.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
    a.header.version = 1;
    a.avail = *dma_avail;
    append(out, a);
    link(at);
  }
  reinterpret_cast<vfio_iommu_type1_info*>(out.data())->argsz = static_cast<uint32_t>(out.size());
  return raw::ok(std::move(out));
}

raw::Result<uint32_t> FakeVfio::group_status(int fd) {
  if (!is(fd, Kind::kGroup)) return {0, EBADF};
  if (const int err = take_failure("group_status")) return {0, err};
  return raw::ok(group_flags | (group_in_container_ ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0u));
}

raw::Status FakeVfio::group_set_container(int group_fd, int container_fd) {
  if (!is(group_fd, Kind::kGroup) || !is_container(container_fd)) return {EBADF};
  if (const int err = take_failure("group_set_container")) return {err};
  if (group_in_container_) return {EBUSY};
  group_in_container_ = true;
  group_on_iommufd_ = is(container_fd, Kind::kIommufd);
  return {};
}

raw::Status FakeVfio::group_unset_container(int group_fd) {
  if (!is(group_fd, Kind::kGroup)) return {EBADF};
  if (!group_in_container_) return {EINVAL};
  group_in_container_ = false;
  return {};
}

raw::Result<int> FakeVfio::group_get_device_fd(int group_fd, const std::string& name) {
  if (!is(group_fd, Kind::kGroup)) return {0, EBADF};
  if (const int err = take_failure("group_get_device_fd")) return {0, err};
  if (!group_in_container_ || !iommu_type_) return {0, EINVAL};
  if (name.rfind(bdf, 0) != 0) return {0, ENODEV};
  if (name != (vf_token.empty() ? bdf : bdf + " vf_token=" + vf_token)) return {0, EACCES};
  const int fd = new_fd(Kind::kDevice);
  if (fd < 0) return {0, errno};
  return raw::ok(fd);
}

// --- device ----------------------------------------------------------------------------------

raw::Result<raw::DeviceInfo> FakeVfio::device_info(int fd) {
  if (!is(fd, Kind::kDevice)) return {{}, EBADF};
  if (const int err = take_failure("device_info")) return {{}, err};
  return raw::ok(raw::DeviceInfo{device_flags, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS});
}

raw::Result<std::vector<uint8_t>> FakeVfio::region_info(int fd, uint32_t index) {
  if (!is(fd, Kind::kDevice)) return {{}, EBADF};
  if (const int err = take_failure("region_info")) return {{}, err};
  if (index >= VFIO_PCI_NUM_REGIONS) return {{}, EINVAL};
  if (index == VFIO_PCI_VGA_REGION_INDEX) return {{}, EINVAL};  // not a VGA controller
  vfio_region_info r{};
  r.argsz = sizeof(r);
  r.index = index;
  r.offset = region_offset(index);
  if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
    r.size = config.size();
    r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  } else if (index == VFIO_PCI_BAR0_REGION_INDEX) {
    r.size = bar0_size;
    r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  }
  std::vector<uint8_t> out;
  append(out, r);
  return raw::ok(std::move(out));
}

raw::Result<raw::IrqIndexInfo> FakeVfio::irq_info(int fd, uint32_t index) {
  if (!is(fd, Kind::kDevice)) return {{}, EBADF};
  if (const int err = take_failure("irq_info")) return {{}, err};
  if (index >= VFIO_PCI_NUM_IRQS) return {{}, EINVAL};
  raw::IrqIndexInfo info{index, VFIO_IRQ_INFO_EVENTFD, 0};
  if (index == VFIO_PCI_INTX_IRQ_INDEX) {
    info.count = 1;
    info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
  } else if (index == VFIO_PCI_MSIX_IRQ_INDEX) {
    info.count = msix_vectors;
    info.flags |= VFIO_IRQ_INFO_NORESIZE;
  } else if (index == VFIO_PCI_ERR_IRQ_INDEX || index == VFIO_PCI_REQ_IRQ_INDEX) {
    info.count = 1;
  }
  return raw::ok(info);
}

raw::Status FakeVfio::set_irqs(int fd, uint32_t index, uint32_t flags, uint32_t start,
                               uint32_t count, std::span<const int32_t> eventfds) {
  if (!is(fd, Kind::kDevice)) return {EBADF};
  if (const int err = take_failure("set_irqs")) return {err};
  if (index != VFIO_PCI_MSIX_IRQ_INDEX) return {EINVAL};  // the fake wires MSI-X only
  const uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
  const uint32_t data = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
  if (action != VFIO_IRQ_SET_ACTION_TRIGGER) return {EINVAL};
  if (data == VFIO_IRQ_SET_DATA_NONE && count == 0) {
    msix_fds_.clear();
    return {};
  }
  if (start > msix_vectors || count > msix_vectors - start) return {EINVAL};
  if (data == VFIO_IRQ_SET_DATA_NONE) {
    for (uint32_t v = start; v < start + count; ++v) raise_msix(v);
    return {};
  }
  if (data != VFIO_IRQ_SET_DATA_EVENTFD || eventfds.size() != count) return {EINVAL};
  if (msix_fds_.size() < start + count) msix_fds_.resize(start + count, -1);
  for (uint32_t i = 0; i < count; ++i) msix_fds_[start + i] = eventfds[i];
  return {};
}

raw::Status FakeVfio::device_reset(int fd) {
  if (!is(fd, Kind::kDevice)) return {EBADF};
  if (const int err = take_failure("device_reset")) return {err};
  if (!(device_flags & VFIO_DEVICE_FLAGS_RESET)) return {ENOTTY};
  ++resets_;
  if (bar0) bar0->reset();
  return {};
}

raw::Result<std::vector<uint8_t>> FakeVfio::hot_reset_info(int fd) {
  if (!is(fd, Kind::kDevice)) return {{}, EBADF};
  return {{}, ENODEV};  // alone on the root bus: no bus to reset
}

raw::Status FakeVfio::pci_hot_reset(int fd, std::span<const int32_t>) {
  if (!is(fd, Kind::kDevice)) return {EBADF};
  return {ENODEV};
}

// --- iommufd ---------------------------------------------------------------------------------

raw::Result<uint32_t> FakeVfio::ioas_alloc(int fd) {
  if (!is(fd, Kind::kIommufd)) return {0, EBADF};
  if (const int err = take_failure("ioas_alloc")) return {0, err};
  if (ioas_) return {0, ENOSPC};  // the fake has one IOAS
  ioas_ = 1;
  return raw::ok(ioas_);
}

raw::Status FakeVfio::iommufd_destroy(int fd, uint32_t id) {
  if (!is(fd, Kind::kIommufd)) return {EBADF};
  if (id != ioas_ || id == 0) return {ENOENT};
  ioas_ = 0;
  return {};
}

raw::Result<uint32_t> FakeVfio::bind_iommufd(int device_fd, int iommufd) {
  if (!is(device_fd, Kind::kDevice) || !is(iommufd, Kind::kIommufd)) return {0, EBADF};
  if (const int err = take_failure("bind_iommufd")) return {0, err};
  if (!(group_flags & VFIO_GROUP_FLAGS_VIABLE)) return {0, EPERM};
  if (dev_id_) return {0, EINVAL};  // already bound: the kernel's answer
  dev_id_ = 2;
  return raw::ok(dev_id_);
}

raw::Status FakeVfio::attach_iommufd_pt(int device_fd, uint32_t pt_id) {
  if (!is(device_fd, Kind::kDevice)) return {EBADF};
  if (const int err = take_failure("attach_iommufd_pt")) return {err};
  if (!dev_id_) return {EINVAL};
  if (pt_id == 0 || pt_id != ioas_) return {ENOENT};
  attached_pt_ = pt_id;
  return {};
}

raw::Status FakeVfio::ioas_map(int fd, uint32_t ioas_id, uint64_t vaddr, uint64_t iova,
                               uint64_t length, uint32_t flags) {
  if (!is(fd, Kind::kIommufd)) return {EBADF};
  if (const int err = take_failure("ioas_map")) return {err};
  if (ioas_id == 0 || ioas_id != ioas_) return {ENOENT};
#if VFIOKIT_HAVE_IOMMUFD
  const uint32_t vfio_flags = (flags & IOMMU_IOAS_MAP_READABLE ? VFIO_DMA_MAP_FLAG_READ : 0u) |
                              (flags & IOMMU_IOAS_MAP_WRITEABLE ? VFIO_DMA_MAP_FLAG_WRITE : 0u);
#else
  (void)flags;
  const uint32_t vfio_flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
#endif
  return {map(vaddr, iova, length, vfio_flags)};
}

raw::Result<uint64_t> FakeVfio::ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova,
                                           uint64_t length) {
  if (!is(fd, Kind::kIommufd)) return {0, EBADF};
  if (const int err = take_failure("ioas_unmap")) return {0, err};
  if (ioas_id == 0 || ioas_id != ioas_) return {0, ENOENT};
  uint64_t unmapped = 0;
  if (const int err = unmap(iova, length, unmapped)) return {0, err};
  if (unmapped == 0) return {0, ENOENT};  // iommufd: nothing there is an error
  return raw::ok(unmapped);
}

raw::Result<raw::IoasRanges> FakeVfio::ioas_iova_ranges(int fd, uint32_t ioas_id) {
  if (!is(fd, Kind::kIommufd)) return {{}, EBADF};
  if (const int err = take_failure("ioas_iova_ranges")) return {{}, err};
  if (ioas_id == 0 || ioas_id != ioas_) return {{}, ENOENT};
  raw::IoasRanges r;
  r.ranges = ranges.empty() ? std::vector<IovaRange>{{0, UINT64_MAX}} : ranges;
  r.alignment = pgsizes & -pgsizes;
  return raw::ok(std::move(r));
}

raw::Result<raw::HwInfoReply> FakeVfio::get_hw_info(int fd, uint32_t dev_id) {
  if (!is(fd, Kind::kIommufd)) return {{}, EBADF};
  if (dev_id == 0 || dev_id != dev_id_) return {{}, ENOENT};
  return raw::ok(raw::HwInfoReply{});  // IOMMU_HW_INFO_TYPE_NONE: no driver data
}

}  // namespace vfiokit::testing
