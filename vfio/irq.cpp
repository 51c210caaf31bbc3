#include "vfiokit/vfio/irq.hpp"

#include <linux/vfio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "vfio/format.hpp"
#include "vfio/raw/vfio_ops.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

bool IrqInfo::eventfd() const { return flags & VFIO_IRQ_INFO_EVENTFD; }
bool IrqInfo::maskable() const { return flags & VFIO_IRQ_INFO_MASKABLE; }
bool IrqInfo::automasked() const { return flags & VFIO_IRQ_INFO_AUTOMASKED; }
bool IrqInfo::noresize() const { return flags & VFIO_IRQ_INFO_NORESIZE; }

std::vector<std::string> IrqInfo::flag_names() const {
  std::vector<std::string> out;
  if (eventfd()) out.emplace_back("eventfd");
  if (maskable()) out.emplace_back("maskable");
  if (automasked()) out.emplace_back("automasked");
  if (noresize()) out.emplace_back("noresize");
  return out;
}

std::string IrqInfo::name() const { return to_string(index); }

namespace {

std::string irq_object(const std::string& bdf, IrqIndex index) {
  return detail::format("{} {}", bdf, to_string(index));
}

}  // namespace

IrqSet::IrqSet(SharedFd device_fd, IrqIndex index, uint32_t count, std::string bdf)
    : device_fd_(std::move(device_fd)), index_(index), bdf_(std::move(bdf)) {
  if (count == 0)
    throw_error("VFIO_DEVICE_SET_IRQS", irq_object(bdf_, index), EINVAL, "count must be >= 1");
  std::vector<int32_t> raw_fds;
  for (uint32_t i = 0; i < count; ++i) {
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!efd) throw_error("eventfd", irq_object(bdf_, index), errno);
    raw_fds.push_back(efd.get());
    fds_.push_back(std::move(efd));
  }
  if (const auto r = raw::vfio_ops().set_irqs(
          device_fd_->get(), index_number(index),
          VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, count, raw_fds);
      !r) {
    const int err = r.err;
    fds_.clear();
    throw_error("VFIO_DEVICE_SET_IRQS",
                detail::format("{} vectors 0..{}", irq_object(bdf_, index), count - 1), err,
                err == EINVAL ? "more vectors than the device offers, or the index has none "
                                "(see 'vfiokit info')"
                              : "");
  }
}

IrqSet::IrqSet(IrqSet&& o) noexcept
    : device_fd_(std::move(o.device_fd_)),
      index_(o.index_),
      bdf_(std::move(o.bdf_)),
      fds_(std::move(o.fds_)) {}

IrqSet& IrqSet::operator=(IrqSet&& o) noexcept {
  if (this != &o) {
    disable();
    device_fd_ = std::move(o.device_fd_);
    index_ = o.index_;
    bdf_ = std::move(o.bdf_);
    fds_ = std::move(o.fds_);
  }
  return *this;
}

IrqSet::~IrqSet() { disable(); }

void IrqSet::disable() noexcept {
  if (!device_fd_ || fds_.empty()) return;
  // count 0 with DATA_NONE | TRIGGER tears down every vector of the index.
  (void)raw::vfio_ops().set_irqs(device_fd_->get(), index_number(index_),
                                 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0);
  fds_.clear();
  device_fd_.reset();
}

int IrqSet::eventfd(uint32_t vector) const {
  if (vector >= fds_.size())
    throw_error("eventfd", detail::format("{} vector {}", irq_object(bdf_, index_), vector),
                ERANGE);
  return fds_[vector].get();
}

uint64_t IrqSet::drain(uint32_t vector) const {
  uint64_t n = 0;
  if (::read(eventfd(vector), &n, sizeof(n)) != sizeof(n)) return 0;
  return n;
}

uint64_t IrqSet::wait(uint32_t vector, int timeout_ms) const {
  pollfd p{.fd = eventfd(vector), .events = POLLIN, .revents = 0};
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw_error("poll eventfd", irq_object(bdf_, index_), errno);
  return r == 0 ? 0 : drain(vector);
}

void IrqSet::unmask() const {
  if (!device_fd_)
    throw_error("VFIO_DEVICE_SET_IRQS(UNMASK)", irq_object(bdf_, index_), EBADF,
                "this IrqSet is empty (default-constructed or moved from)");
  if (const auto r =
          raw::vfio_ops().set_irqs(device_fd_->get(), index_number(index_),
                                   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1);
      !r)
    throw_error("VFIO_DEVICE_SET_IRQS(UNMASK)", irq_object(bdf_, index_), r.err);
}

void IrqSet::trigger(uint32_t vector) const {
  if (!device_fd_)
    throw_error("VFIO_DEVICE_SET_IRQS(TRIGGER)", irq_object(bdf_, index_), EBADF,
                "this IrqSet is empty (default-constructed or moved from)");
  if (const auto r =
          raw::vfio_ops().set_irqs(device_fd_->get(), index_number(index_),
                                   VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, vector, 1);
      !r)
    throw_error("VFIO_DEVICE_SET_IRQS(TRIGGER)", irq_object(bdf_, index_), r.err);
}

}  // namespace vfiokit
