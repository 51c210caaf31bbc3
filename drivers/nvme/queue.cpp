#include "drivers/nvme/queue.hpp"

#include <fmt/format.h>

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
    throw_error("NVMe queue", fmt::format("queue {} of {} entries", qid, entries), EINVAL,
                "a queue has 2 to 65536 entries (and at most CAP.MQES + 1)");
  qid_ = qid;
  entries_ = entries;
  sq_doorbell_ = sq_tail_doorbell(qid, doorbell_stride);
  cq_doorbell_ = cq_head_doorbell(qid, doorbell_stride);
  page_size_ = page_size;
  prp_pages_ = prp_pages;
  cq_offset_ = round_up(uint64_t{entries} * sizeof(Sqe), page_size);
  prp_offset_ = cq_offset_ + round_up(uint64_t{entries} * sizeof(Cqe), page_size);
  busy_.assign(capacity(), false);
}

QueuePair::QueuePair(DmaSpace& dma, const MappedRegion& bar0, uint16_t qid, uint32_t entries,
                     uint32_t doorbell_stride, uint64_t page_size, size_t prp_pages)
    : bar0_(&bar0) {
  init_layout(qid, entries, doorbell_stride, page_size, prp_pages);
  mem_ = DmaBuffer::allocate(memory_size(entries, page_size, prp_pages), PageBacking::kAuto, true);
  map_ = dma.map(mem_.data(), mem_.size(), DmaAccess::kReadWrite, page_size);
  base_ = mem_.bytes();
  iova_ = map_.iova();
}

QueuePair QueuePair::over_memory(std::span<uint8_t> mem, uint64_t iova, const MappedRegion& bar0,
                                 uint16_t qid, uint32_t entries, uint32_t doorbell_stride,
                                 uint64_t page_size, size_t prp_pages) {
  QueuePair q;
  q.bar0_ = &bar0;
  q.init_layout(qid, entries, doorbell_stride, page_size, prp_pages);
  if (mem.size() < memory_size(entries, page_size, prp_pages) ||
      reinterpret_cast<uintptr_t>(mem.data()) % page_size || iova % page_size)
    throw_error("NVMe queue over memory", fmt::format("queue {} of {} entries", qid, entries),
                EINVAL,
                fmt::format("needs {} bytes, page-aligned at a page-aligned IOVA",
                            memory_size(entries, page_size, prp_pages)));
  q.base_ = mem.data();
  q.iova_ = iova;
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
  return *this;
}

uint16_t QueuePair::claim() {
  if (full())
    throw_error(
        "NVMe submit", fmt::format("queue {}", qid_), EBUSY,
        fmt::format("{} commands in flight (the queue depth): reap completions first", in_flight_));
  for (uint16_t cid = 0; cid < busy_.size(); ++cid)
    if (!busy_[cid]) {
      busy_[cid] = true;
      ++in_flight_;
      return cid;
    }
  throw_error("NVMe submit", fmt::format("queue {}", qid_), EBUSY, "no free command identifier");
}

void QueuePair::unclaim(uint16_t cid) {
  if (busy(cid)) {
    busy_[cid] = false;
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
  try {
    const PrpPlan plan = plan_prps(iova, bytes, page_size_, prp_list_iova(cid), prp_pages_);
    if (!plan.list.empty())
      std::memcpy(prp_list(cid), plan.list.data(), plan.list.size() * sizeof(uint64_t));
    Sqe sqe = make_rw(opcode, nsid, lba, blocks);
    sqe.cid = cid;
    sqe.prp1 = plan.prp1;
    sqe.prp2 = plan.prp2;
    submit(sqe, ring_now);
  } catch (...) {
    unclaim(cid);
    throw;
  }
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

void QueuePair::update_head() {
  if (cq_head_ == head_written_) return;
  bar0_->write32(cq_doorbell_, cq_head_);
  head_written_ = cq_head_;
}

}  // namespace vfiokit::nvme
