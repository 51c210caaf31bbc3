#include "vfiokit/dma/mapping.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

DmaMapping::DmaMapping(std::shared_ptr<IommuContext> ctx, const void* vaddr, uint64_t size,
                       uint64_t iova, DmaAccess access)
    : ctx_(std::move(ctx)), vaddr_(vaddr), size_(size), iova_(iova) {
  ctx_->map(vaddr, iova, size, access);
}

DmaMapping::DmaMapping(DmaMapping&& o) noexcept
    : ctx_(std::move(o.ctx_)), space_(std::move(o.space_)), vaddr_(o.vaddr_),
      size_(std::exchange(o.size_, 0)), iova_(o.iova_) {}

DmaMapping& DmaMapping::operator=(DmaMapping&& o) noexcept {
  if (this != &o) {
    release();
    ctx_ = std::move(o.ctx_);
    space_ = std::move(o.space_);
    vaddr_ = o.vaddr_;
    size_ = std::exchange(o.size_, 0);
    iova_ = o.iova_;
  }
  return *this;
}

DmaMapping::~DmaMapping() { release(); }

void DmaMapping::release() noexcept {
  if (!ctx_ || size_ == 0) return;
  try {
    ctx_->unmap(iova_, size_);
  } catch (const std::exception&) {
    // Destructors cannot report; the IOVA stays reserved so it is never reused while mapped.
    size_ = 0;
    return;
  }
  if (space_) space_->release_iova(iova_);
  size_ = 0;
  ctx_.reset();
  space_.reset();
}

void DmaMapping::unmap() {
  if (!ctx_ || size_ == 0) return;
  ctx_->unmap(iova_, size_);
  if (space_) space_->release_iova(iova_);
  size_ = 0;
  ctx_.reset();
  space_.reset();
}

uint64_t DmaMapping::to_iova(const void* p) const {
  const auto off = static_cast<const uint8_t*>(p) - static_cast<const uint8_t*>(vaddr_);
  if (off < 0 || static_cast<uint64_t>(off) >= size_)
    throw_error("translate address", detail::format("{}", p), ERANGE, "not inside this mapping");
  return iova_ + static_cast<uint64_t>(off);
}

void* DmaMapping::to_vaddr(uint64_t iova) const {
  if (iova < iova_ || iova - iova_ >= size_)
    throw_error("translate IOVA", detail::format("{:#x}", iova), ERANGE, "not inside this mapping");
  return static_cast<uint8_t*>(const_cast<void*>(vaddr_)) + (iova - iova_);
}

DmaSpace::DmaSpace(std::shared_ptr<IommuContext> ctx, std::vector<IovaRange> ranges,
                   uint64_t align)
    : ctx_(std::move(ctx)), ranges_(ranges), alloc_(std::move(ranges), align) {}

std::shared_ptr<DmaSpace> DmaSpace::create(std::shared_ptr<IommuContext> ctx,
                                           uint64_t iova_limit) {
  std::vector<IovaRange> ranges;
  for (auto r : ctx->iova_ranges()) {
    if (r.start > iova_limit) continue;
    r.last = std::min(r.last, iova_limit);
    ranges.push_back(r);
  }
  const uint64_t align = ctx->iova_alignment();
  return std::shared_ptr<DmaSpace>(new DmaSpace(std::move(ctx), std::move(ranges), align));
}

DmaMapping DmaSpace::map(const DmaBuffer& buf, DmaAccess access) {
  return map(buf.data(), buf.size(), access, buf.page_size());
}

DmaMapping DmaSpace::map(const void* vaddr, uint64_t size, DmaAccess access, uint64_t align) {
  uint64_t iova;
  {
    std::lock_guard lock(mu_);
    iova = alloc_.allocate(size, align);
  }
  try {
    DmaMapping m(ctx_, vaddr, size, iova, access);
    m.space_ = shared_from_this();
    return m;
  } catch (...) {
    release_iova(iova);
    throw;
  }
}

uint64_t DmaSpace::free_bytes() const {
  std::lock_guard lock(mu_);
  return alloc_.free_bytes();
}

void DmaSpace::release_iova(uint64_t iova) noexcept {
  std::lock_guard lock(mu_);
  try {
    alloc_.free(iova);
  } catch (const std::exception&) {
  }
}

}  // namespace vfiokit
