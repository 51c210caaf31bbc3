#include "drivers/nvme/queue.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include "vfio/format.hpp"
#include "vfiokit/drivers/nvme/registers.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {

namespace {

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

uint64_t QueuePair::memory_size(uint32_t entries, uint64_t page_size, size_t prp_pages) {
  const uint64_t sq = round_up(uint64_t{entries} * sizeof(Sqe), page_size);
  const uint64_t cq = round_up(uint64_t{entries} * sizeof(Cqe), page_size);
  return sq + cq + uint64_t{entries > 0 ? entries - 1 : 0} * prp_pages * page_size;
}

void QueuePair::init_layout(uint16_t qid, uint32_t entries, uint32_t doorbell_stride,
                            uint64_t page_size, size_t prp_pages) {
  if (entries < 2 || entries > 65536)
    throw_error("NVMe queue", detail::format("queue {} of {} entries", qid, entries), EINVAL,
                "a queue has 2 to 65536 entries (and at most CAP.MQES + 1)");
  // submit_rw's inline PRP path relies on it (write_prps checks it on every call).
  if (page_size < 4096 || (page_size & (page_size - 1)))
    throw_error("NVMe queue", detail::format("queue {} page size {}", qid, page_size), EINVAL,
                "the memory page size must be a power of two >= 4096");
  qid_ = qid;
  entries_ = entries;
  capacity_ = entries - 1;
  sq_doorbell_ = sq_tail_doorbell(qid, doorbell_stride);
  cq_doorbell_ = cq_head_doorbell(qid, doorbell_stride);
  page_size_ = page_size;
  page_mask_ = page_size - 1;
  two_pages_ = 2 * page_size;
  prp_pages_ = prp_pages;
  prp_stride_ = uint64_t{prp_pages} * page_size;
  cq_offset_ = round_up(uint64_t{entries} * sizeof(Sqe), page_size);
  prp_offset_ = cq_offset_ + round_up(uint64_t{entries} * sizeof(Cqe), page_size);
  busy_mem_ = std::make_unique<uint8_t[]>(capacity());  // zeroed: nothing busy
  free_mem_ = std::make_unique<uint16_t[]>(capacity());
  busy_ = busy_mem_.get();
  free_ = free_mem_.get();
  free_count_ = capacity();
  // Lowest cid on top: a fresh queue hands out 0, 1, 2, ...
  for (uint32_t i = 0; i < capacity(); ++i) free_[i] = static_cast<uint16_t>(capacity() - 1 - i);
}

void QueuePair::cache_doorbells() {
  sq_ = reinterpret_cast<Sqe*>(base_);
  cq_ = reinterpret_cast<Cqe*>(base_ + cq_offset_);
  // A direct pointer where the doorbells are mmap'ed (always, on a BAR without sparse
  // areas over them); else the doorbells go through MappedRegion's checks.
  sq_db_ = reinterpret_cast<volatile uint32_t*>(bar0_->ptr(sq_doorbell_, 4));
  cq_db_ = reinterpret_cast<volatile uint32_t*>(bar0_->ptr(cq_doorbell_, 4));
  slow_doorbells_ = !sq_db_ || !cq_db_ || shadow_sq_;
}

QueuePair::QueuePair(DmaSpace& dma, const MappedRegion& bar0, uint16_t qid, uint32_t entries,
                     uint32_t doorbell_stride, uint64_t page_size, size_t prp_pages) {
  bar0_ = &bar0;
  init_layout(qid, entries, doorbell_stride, page_size, prp_pages);
  mem_ = DmaBuffer::allocate(memory_size(entries, page_size, prp_pages), PageBacking::kAuto, true);
  map_ = dma.map(mem_.data(), mem_.size(), DmaAccess::kReadWrite, page_size);
  base_ = mem_.bytes();
  iova_ = map_.iova();
  cache_doorbells();
}

QueuePair QueuePair::over_memory(std::span<uint8_t> mem, uint64_t iova, const MappedRegion& bar0,
                                 uint16_t qid, uint32_t entries, uint32_t doorbell_stride,
                                 uint64_t page_size, size_t prp_pages) {
  QueuePair q;
  q.bar0_ = &bar0;
  q.init_layout(qid, entries, doorbell_stride, page_size, prp_pages);
  if (mem.size() < memory_size(entries, page_size, prp_pages) ||
      reinterpret_cast<uintptr_t>(mem.data()) % page_size || iova % page_size)
    throw_error("NVMe queue over memory", detail::format("queue {} of {} entries", qid, entries),
                EINVAL,
                detail::format("needs {} bytes, page-aligned at a page-aligned IOVA",
                               memory_size(entries, page_size, prp_pages)));
  q.base_ = mem.data();
  q.iova_ = iova;
  q.cache_doorbells();
  return q;
}

QueuePair& QueuePair::operator=(QueuePair&& o) noexcept {
  if (this == &o) return *this;
  map_ = std::move(o.map_);  // unmap first: the old memory stays mapped until here
  mem_ = std::move(o.mem_);
  static_cast<QueuePairState&>(*this) = std::exchange(static_cast<QueuePairState&>(o), {});
  free_mem_ = std::move(o.free_mem_);  // free_ and busy_ point into these; the heap
  busy_mem_ = std::move(o.busy_mem_);  // blocks do not move with the unique_ptrs
  return *this;
}

void QueuePair::throw_full() const {
  throw_error("NVMe submit", detail::format("queue {}", qid_), EBUSY,
              detail::format("{} commands in flight (the queue depth): reap completions first",
                             in_flight()));
}

void QueuePair::write_doorbell_slow(uint32_t offset, uint32_t value) {
  bar0_->write32(offset, value);
}

void QueuePair::write_mmio_doorbell(volatile uint32_t* db, uint32_t offset, uint32_t value) {
  if (db) [[likely]]
    *db = value;
  else
    write_doorbell_slow(offset, value);
}

void QueuePair::write_sq_doorbell_slow() {
  if (shadow_sq_)
    write_shadow(shadow_sq_, ei_sq_, sq_db_, sq_doorbell_, rung_tail_, sq_tail_);
  else
    write_mmio_doorbell(sq_db_, sq_doorbell_, sq_tail_);
}

void QueuePair::write_cq_doorbell_slow() {
  if (shadow_sq_)
    write_shadow(shadow_cq_, ei_cq_, cq_db_, cq_doorbell_, head_written_, cq_head_);
  else
    write_mmio_doorbell(cq_db_, cq_doorbell_, cq_head_);
}

void QueuePair::kick() {
  if (!shadow_sq_) return;
  io::mb();  // every shadow write before the repeat
  write_mmio_doorbell(sq_db_, sq_doorbell_, rung_tail_);
  write_mmio_doorbell(cq_db_, cq_doorbell_, head_written_);
  ++mmio_kicked_;
}

void QueuePair::write_shadow(volatile uint32_t* shadow, const volatile uint32_t* ei,
                             volatile uint32_t* db, uint32_t db_offset, uint32_t last,
                             uint32_t value) {
  *shadow = value;
  // 5.8: the shadow value must be visible to the controller before EventIdx is read, or a
  // controller that just went idle (and left an EventIdx we would cross) could be missed.
  io::mb();
  const auto idx = static_cast<uint16_t>(*ei);
  if (always_mmio_ ||
      event_idx_crossed(idx, static_cast<uint16_t>(last), static_cast<uint16_t>(value))) {
    write_mmio_doorbell(db, db_offset, value);
    ++mmio_written_;
  } else {
    ++mmio_skipped_;
  }
}

void QueuePair::use_shadow_doorbells(volatile uint32_t* shadow, const volatile uint32_t* event_idx,
                                     bool always_mmio) {
  // The slots sit at the doorbells' offsets from the first doorbell (1000h), 5.8.
  constexpr uint32_t kFirstDoorbell = 0x1000;
  shadow_sq_ = shadow + (sq_doorbell_ - kFirstDoorbell) / 4;
  shadow_cq_ = shadow + (cq_doorbell_ - kFirstDoorbell) / 4;
  ei_sq_ = event_idx + (sq_doorbell_ - kFirstDoorbell) / 4;
  ei_cq_ = event_idx + (cq_doorbell_ - kFirstDoorbell) / 4;
  always_mmio_ = always_mmio;
  slow_doorbells_ = true;
  *shadow_sq_ = rung_tail_;
  *shadow_cq_ = head_written_;
  io::mb();
}

void QueuePair::submit(const Sqe& sqe, bool ring_now) {
  std::memcpy(&sq_[sq_tail_], &sqe, sizeof(Sqe));
  if (++sq_tail_ == entries_) sq_tail_ = 0;
  if (ring_now) ring();
}

std::optional<Cqe> QueuePair::pop() {
  // A CQE for a cid not in flight (a repeat, or one the controller made up) completes
  // nothing: consumed and skipped, so it cannot stand in for a later command that reuses
  // the cid.
  Cqe e;
  while (next_completion(e))
    if (unclaim(e.cid)) return e;
  return std::nullopt;
}

size_t QueuePair::drain(std::vector<NvmeCompletion>& out) {
  size_t n = 0;
  while (auto e = pop()) {
    out.push_back({e->cid, status_field(e->status), e->dw0, e->sqhd});
    ++n;
  }
  update_head();
  return n;
}

}  // namespace vfiokit::nvme
