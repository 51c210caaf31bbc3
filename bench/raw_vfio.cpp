#include "bench/raw_vfio.hpp"

#include <fmt/format.h>
#include <linux/vfio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vfiokit/vfio/container.hpp"
#include "vfiokit/vfio/error.hpp"
#if VFIOKIT_HAVE_IOMMUFD
#include <linux/iommufd.h>

#include "vfiokit/vfio/iommufd.hpp"
#endif

namespace vfiokit::bench {

RawDmaMapper::RawDmaMapper(IommuContext& ctx) {
  if (auto* c = dynamic_cast<Container*>(&ctx)) {
    fd_ = c->fd();
    return;
  }
#if VFIOKIT_HAVE_IOMMUFD
  if (auto* i = dynamic_cast<Iommufd*>(&ctx)) {
    fd_ = i->fd();
    ioas_id_ = i->ioas_id();
    iommufd_ = true;
    return;
  }
#endif
  throw_error("raw DMA mapper", ctx.name(), EINVAL,
              "only Container and Iommufd contexts have a raw path");
}

int RawDmaMapper::map(const void* vaddr, uint64_t iova, uint64_t size) const {
  int r;
  if (iommufd_) {
#if VFIOKIT_HAVE_IOMMUFD
    iommu_ioas_map m{};
    m.size = sizeof(m);
    m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    m.ioas_id = ioas_id_;
    m.user_va = reinterpret_cast<uint64_t>(vaddr);
    m.length = size;
    m.iova = iova;
    r = ioctl(fd_, IOMMU_IOAS_MAP, &m);
#else
    return ENOTSUP;
#endif
  } else {
    vfio_iommu_type1_dma_map m{};
    m.argsz = sizeof(m);
    m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    m.vaddr = reinterpret_cast<uint64_t>(vaddr);
    m.iova = iova;
    m.size = size;
    r = ioctl(fd_, VFIO_IOMMU_MAP_DMA, &m);
  }
  return r < 0 ? errno : 0;
}

int RawDmaMapper::unmap(uint64_t iova, uint64_t size) const {
  int r;
  if (iommufd_) {
#if VFIOKIT_HAVE_IOMMUFD
    iommu_ioas_unmap u{};
    u.size = sizeof(u);
    u.ioas_id = ioas_id_;
    u.iova = iova;
    u.length = size;
    r = ioctl(fd_, IOMMU_IOAS_UNMAP, &u);
#else
    return ENOTSUP;
#endif
  } else {
    vfio_iommu_type1_dma_unmap u{};
    u.argsz = sizeof(u);
    u.iova = iova;
    u.size = size;
    r = ioctl(fd_, VFIO_IOMMU_UNMAP_DMA, &u);
  }
  return r < 0 ? errno : 0;
}

RawBar::RawBar(const Device& dev, RegionIndex index) {
  const RegionInfo info = dev.region_info(index);
  if (!info.mmappable() || info.has_sparse)
    throw_error("mmap " + info.name(), dev.bdf(), ENOTSUP,
                "the raw MMIO baseline needs a BAR that VFIO lets us mmap whole");
  void* p = mmap(nullptr, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev.fd(),
                 static_cast<off_t>(info.offset));
  if (p == MAP_FAILED) throw_error("mmap " + info.name(), dev.bdf(), errno);
  base_ = static_cast<uint8_t*>(p);
  size_ = info.size;
}

RawBar::~RawBar() {
  if (base_) munmap(base_, size_);
}

RawIrq::RawIrq(const Device& dev, IrqIndex index)
    : device_fd_(dev.fd()), index_(index), efd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!efd_) throw_error("eventfd", dev.bdf(), errno);
  alignas(vfio_irq_set) uint8_t buf[sizeof(vfio_irq_set) + sizeof(int32_t)];
  auto* set = reinterpret_cast<vfio_irq_set*>(buf);
  set->argsz = sizeof(buf);
  set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  set->index = index_number(index);
  set->start = 0;
  set->count = 1;
  const int32_t fd = efd_.get();
  std::memcpy(set->data, &fd, sizeof(fd));
  if (ioctl(device_fd_, VFIO_DEVICE_SET_IRQS, set) < 0)
    throw_error("VFIO_DEVICE_SET_IRQS (raw)", fmt::format("{} {}", dev.bdf(), to_string(index)),
                errno);
}

RawIrq::~RawIrq() {
  vfio_irq_set set{};
  set.argsz = sizeof(set);
  set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
  set.index = index_number(index_);
  ioctl(device_fd_, VFIO_DEVICE_SET_IRQS, &set);
}

uint64_t RawIrq::wait(int timeout_ms) const {
  pollfd p{.fd = efd_.get(), .events = POLLIN, .revents = 0};
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  uint64_t n = 0;
  if (r <= 0 || ::read(efd_.get(), &n, sizeof(n)) != sizeof(n)) return 0;
  return n;
}

}  // namespace vfiokit::bench
