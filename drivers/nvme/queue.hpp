// One NVMe submission/completion queue pair in DMA memory (NVM Express Base
// Specification 1.4, 4.1 "Submission Queue & Completion Queue Definition"):
// circular queues, the SQ Tail / CQ Head doorbells (3.1.24, 3.1.25) and the
// CQ Phase Tag (4.6) that tells new entries from old ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"
#include "vfiokit/vfio/region.hpp"

namespace vfiokit::nvme {

/// An SQ and its CQ (same ID, same size), plus a PRP list area for each command
/// slot. Command identifiers are slot numbers, so at most entries()-1 commands
/// are in flight: the SQ and the CQ can then never overflow. Move-only; the
/// memory is unmapped on destruction, so the controller must have stopped
/// using the queue (deleted, or controller disabled) before that.
/// Not thread-safe.
class QueuePair {
 public:
  QueuePair() = default;
  /// Allocates zeroed queues of `entries` (2..65536) entries and `prp_pages`
  /// PRP list pages per command, mapped at a `page_size`-aligned IOVA in `dma`.
  /// Doorbells are written through `bar0`, which must outlive the queue.
  QueuePair(DmaSpace& dma, const MappedRegion& bar0, uint16_t qid, uint32_t entries,
            uint32_t doorbell_stride, uint64_t page_size, size_t prp_pages);
  /// The same queue pair over `mem` (memory_size() bytes, page-aligned, zeroed), which
  /// the caller owns and keeps alive, at controller-visible address `iova`: nothing is
  /// allocated or mapped. For host tests and benchmarks where a model of the controller
  /// stands in for a device (bench/host); the queue code run is the same.
  static QueuePair over_memory(std::span<uint8_t> mem, uint64_t iova, const MappedRegion& bar0,
                               uint16_t qid, uint32_t entries, uint32_t doorbell_stride,
                               uint64_t page_size, size_t prp_pages);
  /// Bytes of queue memory (SQ, CQ, PRP list pages) the constructor allocates.
  static uint64_t memory_size(uint32_t entries, uint64_t page_size, size_t prp_pages);
  QueuePair(QueuePair&& o) noexcept { *this = std::move(o); }
  /// Unmaps the old queue memory before freeing it.
  QueuePair& operator=(QueuePair&& o) noexcept;
  QueuePair(const QueuePair&) = delete;
  QueuePair& operator=(const QueuePair&) = delete;

  uint16_t qid() const { return qid_; }
  uint32_t entries() const { return entries_; }
  uint64_t sq_iova() const { return iova_; }
  uint64_t cq_iova() const { return iova_ + cq_offset_; }
  /// Commands that may be in flight at once (entries() - 1).
  uint32_t capacity() const { return entries_ ? entries_ - 1 : 0; }
  uint32_t in_flight() const { return in_flight_; }
  bool full() const { return in_flight_ >= capacity(); }
  /// Whether command `cid` is submitted and not yet completed.
  bool busy(uint16_t cid) const { return cid < busy_.size() && busy_[cid] != 0; }

  /// Claims a free command identifier from a free list (O(1)). Throws vfiokit::Error (EBUSY) when
  /// full().
  uint16_t claim();
  /// Gives back a claimed identifier that was never submitted.
  void unclaim(uint16_t cid);
  /// PRP list pages of command slot `cid`.
  size_t prp_pages() const { return prp_pages_; }
  uint64_t prp_list_iova(uint16_t cid) const;
  uint64_t* prp_list(uint16_t cid) const;

  /// The I/O submission path: claims a cid, writes the PRPs of [iova, iova+bytes)
  /// (a list in the cid's PRP pages when needed), queues a Read/Write (`opcode`) of
  /// `blocks` blocks from `lba` of `nsid` and rings when `ring`. Returns the cid; throws
  /// vfiokit::Error (EBUSY when full, EINVAL for bad PRP input) with nothing queued.
  uint16_t submit_rw(uint8_t opcode, uint32_t nsid, uint64_t lba, uint32_t blocks, uint64_t iova,
                     uint64_t bytes, bool ring = true);
  /// Appends every new completion to `out`, frees their cids and writes the CQ head
  /// doorbell once. Returns how many were appended.
  size_t drain(std::vector<NvmeCompletion>& out);
  /// As drain, into caller memory: at most out.size() completions, the rest stay in the CQ.
  size_t drain(std::span<NvmeCompletion> out);

  /// Copies `sqe` (its cid claimed) to the SQ tail; rings the tail doorbell when `ring`.
  void submit(const Sqe& sqe, bool ring = true);
  /// Writes the SQ tail doorbell if commands were queued since the last ring.
  void ring();
  /// Consumes the next new CQE, if any (its phase tag matches), and frees its
  /// command slot. The CQ head doorbell is written by update_head().
  std::optional<Cqe> pop();
  /// Writes the CQ head doorbell if pop() consumed entries since the last call.
  void update_head();

 private:
  [[noreturn, gnu::cold]] void throw_full() const;
  void cache_doorbells();
  void init_layout(uint16_t qid, uint32_t entries, uint32_t doorbell_stride, uint64_t page_size,
                   size_t prp_pages);

  const MappedRegion* bar0_ = nullptr;
  uint8_t* base_ = nullptr;  // mem_'s bytes, or over_memory()'s
  uint64_t iova_ = 0;
  DmaBuffer mem_;
  DmaMapping map_;
  uint16_t qid_ = 0;
  uint32_t entries_ = 0;
  uint32_t sq_doorbell_ = 0, cq_doorbell_ = 0;
  volatile uint32_t* sq_db_ = nullptr;  // the doorbells in bar0_'s mapping, if mmap'ed
  volatile uint32_t* cq_db_ = nullptr;
  uint64_t page_size_ = 0;
  uint64_t cq_offset_ = 0, prp_offset_ = 0;
  size_t prp_pages_ = 0;
  uint32_t sq_tail_ = 0, rung_tail_ = 0;
  uint32_t cq_head_ = 0, head_written_ = 0;
  uint16_t phase_ = 1;
  uint32_t in_flight_ = 0;
  std::vector<uint8_t> busy_;   // per cid: submitted, not completed
  std::vector<uint16_t> free_;  // free cids, a stack
};

}  // namespace vfiokit::nvme
