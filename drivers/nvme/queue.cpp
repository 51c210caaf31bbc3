#include "drivers/nvme/queue.hpp"

#include "vfio/format.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include "drivers/nvme/prp.hpp"
#include "vfio/barrier.hpp"
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
  qid_ = qid;
  entries_ = entries;
  sq_doorbell_ = sq_tail_doorbell(qid, doorbell_stride);
  cq_doorbell_ = cq_head_doorbell(qid, doorbell_stride);
  page_size_ = page_size;
  prp_pages_ = prp_pages;
  cq_offset_ = round_up(uint64_t{entries} * sizeof(Sqe), page_size);
  prp_offset_ = cq_offset_ + round_up(uint64_t{entries} * sizeof(Cqe), page_size);
  busy_.assign(capacity(), 0);
  free_.resize(capacity());
  // Lowest cid on top: a fresh queue hands out 0, 1, 2, ... like the scan it replaced.
  for (uint32_t i = 0; i < capacity(); ++i) free_[i] = static_cast<uint16_t>(capacity() - 1 - i);
}

void QueuePair::cache_doorbells() {
  // A direct pointer where the doorbells are mmap'ed (always, on a BAR without sparse
  // areas over them); else ring() and update_head() go through MappedRegion's checks.
  sq_db_ = reinterpret_cast<volatile uint32_t*>(bar0_->ptr(sq_doorbell_, 4));
  cq_db_ = reinterpret_cast<volatile uint32_t*>(bar0_->ptr(cq_doorbell_, 4));
}

QueuePair::QueuePair(DmaSpace& dma, const MappedRegion& bar0, uint16_t qid, uint32_t entries,
                     uint32_t doorbell_stride, uint64_t page_size, size_t prp_pages)
    : bar0_(&bar0) {
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
  bar0_ = std::exchange(o.bar0_, nullptr);
  base_ = std::exchange(o.base_, nullptr);
  iova_ = std::exchange(o.iova_, 0);
  qid_ = o.qid_;
  entries_ = std::exchange(o.entries_, 0);
  sq_doorbell_ = o.sq_doorbell_;
  cq_doorbell_ = o.cq_doorbell_;
  sq_db_ = std::exchange(o.sq_db_, nullptr);
  cq_db_ = std::exchange(o.cq_db_, nullptr);
  page_size_ = o.page_size_;
  cq_offset_ = o.cq_offset_;
  prp_offset_ = o.prp_offset_;
  prp_pages_ = o.prp_pages_;
  sq_tail_ = o.sq_tail_;
  rung_tail_ = o.rung_tail_;
  cq_head_ = o.cq_head_;
  head_written_ = o.head_written_;
  phase_ = o.phase_;
  in_flight_ = std::exchange(o.in_flight_, 0);
  busy_ = std::move(o.busy_);
  free_ = std::move(o.free_);
  return *this;
}

void QueuePair::throw_full() const {
  throw_error(
      "NVMe submit", detail::format("queue {}", qid_), EBUSY,
      detail::format("{} commands in flight (the queue depth): reap completions first", in_flight_));
}

uint16_t QueuePair::claim() {
  if (free_.empty()) [[unlikely]]
    throw_full();
  const uint16_t cid = free_.back();
  free_.pop_back();
  busy_[cid] = 1;
  ++in_flight_;
  return cid;
}

void QueuePair::unclaim(uint16_t cid) {
  if (busy(cid)) {
    busy_[cid] = 0;
    free_.push_back(cid);
    --in_flight_;
  }
}

uint64_t QueuePair::prp_list_iova(uint16_t cid) const {
  return iova_ + prp_offset_ + uint64_t{cid} * prp_pages_ * page_size_;
}

uint64_t* QueuePair::prp_list(uint16_t cid) const {
  return reinterpret_cast<uint64_t*>(base_ + prp_offset_ + uint64_t{cid} * prp_pages_ * page_size_);
}

void QueuePair::submit(const Sqe& sqe, bool ring_now) {
  std::memcpy(base_ + uint64_t{sq_tail_} * sizeof(Sqe), &sqe, sizeof(Sqe));
  sq_tail_ = (sq_tail_ + 1) % entries_;
  if (ring_now) ring();
}

void QueuePair::ring() {
  if (sq_tail_ == rung_tail_) return;
  // The entries must be in memory before the controller learns of them.
  io::dma_wmb();
  if (sq_db_) [[likely]]
    *sq_db_ = sq_tail_;
  else
    bar0_->write32(sq_doorbell_, sq_tail_);
  rung_tail_ = sq_tail_;
}

std::optional<Cqe> QueuePair::pop() {
  auto* slot = reinterpret_cast<Cqe*>(base_ + cq_offset_) + cq_head_;
  // The controller writes the entry, then flips its phase tag (4.6): read the tag first.
  const uint16_t status = *reinterpret_cast<const volatile uint16_t*>(&slot->status);
  if ((status & 1) != phase_) return std::nullopt;
  io::dma_rmb();
  Cqe e;
  std::memcpy(&e, slot, sizeof(e));
  e.status = status;
  if (++cq_head_ == entries_) {
    cq_head_ = 0;
    phase_ ^= 1;
  }
  unclaim(e.cid);
  return e;
}

uint16_t QueuePair::submit_rw(uint8_t opcode, uint32_t nsid, uint64_t lba, uint32_t blocks,
                              uint64_t iova, uint64_t bytes, bool ring_now) {
  const uint16_t cid = claim();
  PrpPair prp;
  try {
    prp = write_prps(iova, bytes, page_size_, prp_list_iova(cid), prp_list(cid), prp_pages_);
  } catch (...) {
    unclaim(cid);
    throw;
  }
  // The SQE is built in its SQ slot: no staging copy.
  Sqe& slot = reinterpret_cast<Sqe*>(base_)[sq_tail_];
  slot = make_rw(opcode, nsid, lba, blocks);
  slot.cid = cid;
  slot.prp1 = prp.prp1;
  slot.prp2 = prp.prp2;
  if (++sq_tail_ == entries_) sq_tail_ = 0;
  if (ring_now) ring();
  return cid;
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

size_t QueuePair::drain(std::span<NvmeCompletion> out) {
  size_t n = 0;
  while (n < out.size()) {
    const auto e = pop();
    if (!e) break;
    out[n++] = {e->cid, status_field(e->status), e->dw0, e->sqhd};
  }
  update_head();
  return n;
}

void QueuePair::update_head() {
  if (cq_head_ == head_written_) return;
  if (cq_db_) [[likely]]
    *cq_db_ = cq_head_;
  else
    bar0_->write32(cq_doorbell_, cq_head_);
  head_written_ = cq_head_;
}

}  // namespace vfiokit::nvme
