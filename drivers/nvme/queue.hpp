// One NVMe submission/completion queue pair in DMA memory (NVM Express Base
// Specification 1.4, 4.1 "Submission Queue & Completion Queue Definition"):
// circular queues, the SQ Tail / CQ Head doorbells (3.1.24, 3.1.25), the CQ Phase
// Tag (4.6) that tells new entries from old ones, and the Shadow Doorbell / EventIdx
// buffers of Doorbell Buffer Config (5.8).
//
// The I/O path (submit_rw, drain, claim, ring, update_head) is inline here: this header
// is private to the library, and the path's cost is gated in instructions per I/O
// (bench/host, docs/benchmarks.md). Its input errors stay out of line and cold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "drivers/nvme/prp.hpp"
#include "vfio/barrier.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"
#include "vfiokit/vfio/region.hpp"

namespace vfiokit::nvme {

/// Whether a doorbell moving from `old_value` to `new_value` crosses `event_idx`: the
/// EventIdx rule of Doorbell Buffer Config (NVMe 1.4, 5.8). The controller asks to be
/// told (an MMIO doorbell write) once the value it left in EventIdx is passed, i.e. when
/// event_idx lies in the half-open range [old_value, new_value) going forward. Doorbell
/// values are 16 bits wide and the range may wrap past 65535 to 0, so both distances are
/// taken modulo 2^16: event_idx is inside iff it is fewer steps past old_value than
/// new_value is. old == new is an empty range (nothing to tell).
constexpr bool event_idx_crossed(uint16_t event_idx, uint16_t old_value, uint16_t new_value) {
  return static_cast<uint16_t>(event_idx - old_value) <
         static_cast<uint16_t>(new_value - old_value);
}

/// The plain state of a QueuePair: pointers into its memory and BAR0, ring indices,
/// layout and counters. Trivially copyable, so QueuePair's move is one assignment of it
/// (and a moved-from queue is this default: empty). The hot fields first, together.
/// Protected: QueuePair's own members, reached only through it.
class QueuePairState {
 protected:
  Sqe* sq_ = nullptr;
  Cqe* cq_ = nullptr;
  uint16_t* free_ = nullptr;            // free cids, a stack: free_[0, free_count_)
  uint8_t* busy_ = nullptr;             // per cid: submitted, not completed
  volatile uint32_t* sq_db_ = nullptr;  // the doorbells in bar0_'s mapping, if mmap'ed
  volatile uint32_t* cq_db_ = nullptr;
  volatile uint32_t* shadow_sq_ = nullptr;  // shadow doorbell slots, when in use
  volatile uint32_t* shadow_cq_ = nullptr;
  const volatile uint32_t* ei_sq_ = nullptr;  // EventIdx slots
  const volatile uint32_t* ei_cq_ = nullptr;
  uint32_t entries_ = 0;
  uint32_t capacity_ = 0;  // entries_ - 1 (0 for an empty queue)
  uint32_t free_count_ = 0;
  uint32_t sq_tail_ = 0, rung_tail_ = 0;
  uint32_t cq_head_ = 0, head_written_ = 0;
  uint16_t phase_ = 1;
  bool slow_doorbells_ = true;  // shadow doorbells in use, or a doorbell not mmap'ed
  bool always_mmio_ = false;
  uint64_t page_size_ = 0, page_mask_ = 0, two_pages_ = 0;
  uint64_t mmio_written_ = 0, mmio_skipped_ = 0, mmio_kicked_ = 0;

  const MappedRegion* bar0_ = nullptr;
  uint8_t* base_ = nullptr;  // mem_'s bytes, or over_memory()'s
  uint64_t iova_ = 0;
  uint16_t qid_ = 0;
  uint32_t sq_doorbell_ = 0, cq_doorbell_ = 0;
  uint64_t cq_offset_ = 0, prp_offset_ = 0, prp_stride_ = 0;
  size_t prp_pages_ = 0;
};

static_assert(std::is_trivially_copyable_v<QueuePairState>);

/// An SQ and its CQ (same ID, same size), plus a PRP list area for each command
/// slot. Command identifiers are slot numbers, so at most entries()-1 commands
/// are in flight: the SQ and the CQ can then never overflow. Move-only; the
/// memory is unmapped on destruction, so the controller must have stopped
/// using the queue (deleted, or controller disabled) before that.
/// Not thread-safe.
class QueuePair : private QueuePairState {
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
  uint32_t capacity() const { return capacity_; }
  uint32_t in_flight() const { return capacity() - free_count_; }
  bool full() const { return free_count_ == 0; }
  /// Whether command `cid` is submitted and not yet completed.
  bool busy(uint16_t cid) const { return cid < capacity() && busy_[cid] != 0; }

  /// Claims a free command identifier from a free list (O(1)). Throws vfiokit::Error (EBUSY) when
  /// full().
  uint16_t claim() {
    if (free_count_ == 0) [[unlikely]]
      throw_full();
    const uint16_t cid = free_[--free_count_];
    busy_[cid] = 1;
    return cid;
  }
  /// Gives back a claimed identifier that was never submitted (or has completed) and says
  /// whether it was claimed; a cid that is not busy is ignored, so a stray or repeated cid
  /// from a controller frees nothing twice.
  [[gnu::always_inline]] bool unclaim(uint16_t cid) {
    if (cid < capacity() && busy_[cid]) [[likely]] {
      busy_[cid] = 0;
      free_[free_count_++] = cid;
      return true;
    }
    return false;
  }
  /// PRP list pages of command slot `cid`.
  size_t prp_pages() const { return prp_pages_; }
  uint64_t prp_list_iova(uint16_t cid) const {
    return iova_ + prp_offset_ + uint64_t{cid} * prp_stride_;
  }
  uint64_t* prp_list(uint16_t cid) const {
    return reinterpret_cast<uint64_t*>(base_ + prp_offset_ + uint64_t{cid} * prp_stride_);
  }

  /// The I/O submission path: claims a cid, writes the PRPs of [iova, iova+bytes)
  /// (a list in the cid's PRP pages when needed), queues a Read/Write (`opcode`) of
  /// `blocks` blocks from `lba` of `nsid` and rings when `ring`. Returns the cid; throws
  /// vfiokit::Error (EBUSY when full, EINVAL for bad PRP input) with nothing queued.
  /// Forced inline (the call and its seven arguments were a fifth of the path's cost).
  [[gnu::always_inline]] uint16_t submit_rw(uint8_t opcode, uint32_t nsid, uint64_t lba,
                                            uint32_t blocks, uint64_t iova, uint64_t bytes,
                                            bool ring_now = true) {
    if (free_count_ == 0) [[unlikely]]
      throw_full();
    const uint16_t cid = free_[free_count_ - 1];
    // One or two data pages (PRP2 0 or the second page), dword-aligned, not empty, not
    // wrapping: PRP1/PRP2 straight into the SQE. Anything else (a list, or an input error,
    // thrown before anything is claimed or queued) goes out of line.
    const uint64_t off = iova & page_mask_;
    const uint64_t reach = off + bytes;  // the end, from the first page's start (no overflow
                                         // once iova + bytes does not wrap: off <= iova)
    uint64_t prp2;
    if ((iova & 3) == 0 && iova + bytes > iova && reach <= two_pages_) [[likely]]
      prp2 = reach > page_size_ ? iova - off + page_size_ : 0;
    else
      prp2 =
          write_prps(iova, bytes, page_size_, prp_list_iova(cid), prp_list(cid), prp_pages_).prp2;
    --free_count_;
    busy_[cid] = 1;
    // The SQE is built in its SQ slot (6.9 Read / 6.15 Write): no staging copy.
    Sqe& s = sq_[sq_tail_];
    s = Sqe{};
    s.opcode = opcode;
    s.cid = cid;
    s.nsid = nsid;
    s.prp1 = iova;
    s.prp2 = prp2;
    s.cdw10 = static_cast<uint32_t>(lba);
    s.cdw11 = static_cast<uint32_t>(lba >> 32);
    s.cdw12 = (blocks - 1) & 0xffff;
    if (++sq_tail_ == entries_) sq_tail_ = 0;
    if (ring_now) write_sq_doorbell();
    return cid;
  }
  /// Appends every new completion to `out`, frees their cids and writes the CQ head
  /// doorbell once. Returns how many were appended.
  size_t drain(std::vector<NvmeCompletion>& out);
  /// As drain, into caller memory: at most out.size() completions, the rest stay in the CQ.
  /// The I/O hot path. Like pop(), a CQE whose cid is not in flight (a repeat, or one the
  /// controller made up) is consumed and completes nothing: the in-flight test is the one
  /// unclaim() makes anyway.
  [[gnu::always_inline]] size_t drain(std::span<NvmeCompletion> out) {
    size_t n = 0;
    Cqe e;
    while (n < out.size() && next_completion(e))
      if (unclaim(e.cid)) [[likely]]
        out[n++] = {e.cid, status_field(e.status), e.dw0, e.sqhd};
    if (n) write_cq_doorbell();
    return n;
  }

  /// Copies `sqe` (its cid claimed) to the SQ tail; rings the tail doorbell when `ring`.
  void submit(const Sqe& sqe, bool ring = true);
  /// Writes the SQ tail doorbell if commands were queued since the last ring.
  void ring() {
    if (sq_tail_ != rung_tail_) write_sq_doorbell();
  }
  /// Consumes the next new CQE, if any (its phase tag matches), and frees its
  /// command slot. CQEs whose cid is not in flight are consumed and skipped. The CQ head
  /// doorbell is written by update_head().
  std::optional<Cqe> pop();
  /// Writes the CQ head doorbell if pop() consumed entries since the last call.
  void update_head() {
    if (cq_head_ != head_written_) write_cq_doorbell();
  }

  /// Shadow doorbells (Doorbell Buffer Config, 5.8): from now on every doorbell value is
  /// written to this queue's slots in `shadow` (the Shadow Doorbell buffer) first, and the
  /// MMIO doorbell only when `event_idx` (the EventIdx buffer, which the controller writes)
  /// says the controller asks for it; with `always_mmio`, the MMIO doorbell is written too
  /// every time (the admin queue: controllers need not use shadows for it). Both buffers
  /// are one memory page the caller keeps mapped while the queue lives; this queue's slots
  /// are at its doorbells' offsets from 1000h. The slots get the current values now.
  void use_shadow_doorbells(volatile uint32_t* shadow, const volatile uint32_t* event_idx,
                            bool always_mmio);
  bool shadow_doorbells() const { return shadow_sq_ != nullptr; }
  /// With shadow doorbells: MMIO doorbell writes made and skipped (EventIdx not crossed).
  uint64_t mmio_doorbells_written() const { return mmio_written_; }
  uint64_t mmio_doorbells_skipped() const { return mmio_skipped_; }
  /// With shadow doorbells: writes the current SQ tail and CQ head to the MMIO doorbells
  /// whatever EventIdx says (the values are the ones the shadow slots hold, so for the
  /// controller this is a repeat, never new information) and counts it in
  /// mmio_doorbells_kicked(). The driver's wait paths call it when a command makes no
  /// progress for a while: a controller that reads a shadow slot before its own EventIdx
  /// write is visible can miss one doorbell, and this hands it over. No-op without shadows.
  void kick();
  uint64_t mmio_doorbells_kicked() const { return mmio_kicked_; }
  /// With shadow doorbells: the SQ's and CQ's EventIdx as the controller left them.
  uint32_t sq_event_idx() const { return shadow_sq_ ? *ei_sq_ : 0; }
  uint32_t cq_event_idx() const { return shadow_sq_ ? *ei_cq_ : 0; }

 private:
  // The one completion reader (pop and both drains): when the entry at the CQ head is new
  // (its Phase Tag is the one expected, 4.6), copies it to `e`, moves the head on (the
  // expected phase flips at the wrap) and returns true. The CQ head doorbell is the caller's.
  [[gnu::always_inline]] bool next_completion(Cqe& e) {
    const Cqe& slot = cq_[cq_head_];
    // The controller writes the entry, then flips its phase tag: read the tag first.
    const uint16_t status = *reinterpret_cast<const volatile uint16_t*>(&slot.status);
    if ((status & 1) != phase_) return false;
    io::dma_rmb();
    e = slot;
    e.status = status;
    if (++cq_head_ == entries_) {
      cq_head_ = 0;
      phase_ ^= 1;
    }
    return true;
  }
  [[noreturn, gnu::cold]] void throw_full() const;
  // A doorbell through MappedRegion's checked accessor (BAR0 not mmap'ed over it).
  [[gnu::cold]] void write_doorbell_slow(uint32_t offset, uint32_t value);
  // An MMIO doorbell off the plain path: through `db` when mmap'ed, else the slow accessor.
  void write_mmio_doorbell(volatile uint32_t* db, uint32_t offset, uint32_t value);
  // The shadow-doorbell path; `last` is the value the slot held before.
  void write_shadow(volatile uint32_t* shadow, const volatile uint32_t* ei, volatile uint32_t* db,
                    uint32_t db_offset, uint32_t last, uint32_t value);
  [[gnu::always_inline]] void write_sq_doorbell() {
    // The entries must be in memory before the controller learns of them.
    io::dma_wmb();
    if (slow_doorbells_) [[unlikely]]
      write_sq_doorbell_slow();
    else
      *sq_db_ = sq_tail_;
    rung_tail_ = sq_tail_;
  }
  [[gnu::always_inline]] void write_cq_doorbell() {
    if (slow_doorbells_) [[unlikely]]
      write_cq_doorbell_slow();
    else
      *cq_db_ = cq_head_;
    head_written_ = cq_head_;
  }
  // Shadow doorbells, or a BAR0 without an mmap'ed doorbell page: one flag keeps the
  // plain MMIO path to one test.
  [[gnu::noinline]] void write_sq_doorbell_slow();
  [[gnu::noinline]] void write_cq_doorbell_slow();
  void cache_doorbells();
  void init_layout(uint16_t qid, uint32_t entries, uint32_t doorbell_stride, uint64_t page_size,
                   size_t prp_pages);

  DmaBuffer mem_;
  DmaMapping map_;
  std::unique_ptr<uint16_t[]> free_mem_;
  std::unique_ptr<uint8_t[]> busy_mem_;
};

}  // namespace vfiokit::nvme
