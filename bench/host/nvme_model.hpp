// An NVMe controller modelled in host memory, for the host benchmarks (no VM, no root,
// no device): BAR0 is a plain byte array (the library writes its doorbells there
// through MappedRegion::over_memory), the queues and data buffers are host memory whose
// IOVA is their virtual address. process() does what a controller does when a doorbell
// is rung (NVM Express Base Specification 1.4, 4.1, 4.6): it fetches the SQEs between its
// SQ head and the SQ tail doorbell, "reads" each (writes the LBA into the first 8 bytes
// of the destination, as a tag the benchmark checks), and posts a CQE with the current
// phase tag, the status dword last; it never overruns the CQ (the CQ head doorbell says
// what the host consumed). Deterministic and single-threaded: the benchmark loop calls
// process() where a real controller would run concurrently.
//
// Shadow doorbells (Doorbell Buffer Config, NVMe 1.4 5.8): after use_shadow_doorbells() the
// model writes an EventIdx for its SQ and CQ after each process(), and learns the host's
// values in one of two ways:
// - kPolling: like a controller that polls its queues, it reads the Shadow Doorbell slots
//   (never the MMIO doorbells) and asks for an MMIO write only when half a queue has gone by
//   unseen (EventIdx = last seen + entries/2): the host can skip most MMIO writes;
// - kEventEach: like a controller that sleeps until rung, it reads the MMIO doorbells and
//   asks to be rung for every new value (EventIdx = the value it consumed); it checks that
//   each MMIO value equals the shadow slot. A host that skips an MMIO write this controller
//   needs leaves commands unseen: the benchmark's completion check fails.
#pragma once

#include <cstdint>
#include <cstring>

#include "vfio/barrier.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/drivers/nvme/registers.hpp"

namespace vfiokit::bench {

class NvmeModel {
 public:
  enum class Shadow { kNone, kPolling, kEventEach };

  NvmeModel(uint8_t* bar, uint32_t doorbell_stride, uint16_t qid, uint8_t* sq, uint8_t* cq,
            uint32_t entries)
      : sq_tail_db_(reinterpret_cast<volatile uint32_t*>(
            bar + nvme::sq_tail_doorbell(qid, doorbell_stride))),
        cq_head_db_(reinterpret_cast<volatile uint32_t*>(
            bar + nvme::cq_head_doorbell(qid, doorbell_stride))),
        sq_(reinterpret_cast<const nvme::Sqe*>(sq)),
        cq_(reinterpret_cast<nvme::Cqe*>(cq)),
        qid_(qid),
        entries_(entries),
        sq_slot_((nvme::sq_tail_doorbell(qid, doorbell_stride) - 0x1000) / 4),
        cq_slot_((nvme::cq_head_doorbell(qid, doorbell_stride) - 0x1000) / 4) {}

  /// Completes every command the SQ tail doorbell announces, as far as the CQ has room.
  /// Returns how many it completed; counts an unknown opcode or a bad PRP1 as an error.
  /// From now on, the shadow doorbell and EventIdx slots of this queue are in the pages
  /// `shadow` and `event_idx` (at the doorbells' offsets from 1000h).
  void use_shadow_doorbells(uint32_t* shadow, uint32_t* event_idx, Shadow mode) {
    shadow_sq_ = shadow + sq_slot_;
    shadow_cq_ = shadow + cq_slot_;
    ei_sq_ = event_idx + sq_slot_;
    ei_cq_ = event_idx + cq_slot_;
    mode_ = mode;
  }

  uint32_t process() {
    switch (mode_) {
      case Shadow::kPolling:
        return process_as<Shadow::kPolling>();
      case Shadow::kEventEach:
        return process_as<Shadow::kEventEach>();
      case Shadow::kNone:
        break;
    }
    return process_as<Shadow::kNone>();
  }

  uint64_t errors() const { return errors_; }

 private:
  template <Shadow kMode>
  uint32_t process_as() {
    uint32_t tail, host_head;
    if constexpr (kMode == Shadow::kPolling) {
      tail = *shadow_sq_;
      host_head = *shadow_cq_;
    } else {
      tail = *sq_tail_db_;
      host_head = *cq_head_db_;
      if constexpr (kMode == Shadow::kEventEach)
        if (tail != *shadow_sq_ || host_head != *shadow_cq_)
          ++errors_;  // an MMIO doorbell that disagrees with its shadow slot
    }
    uint32_t done = 0;
    while (sq_head_ != tail) {
      if ((cq_tail_ + 1) % entries_ == host_head) break;  // CQ full
      const nvme::Sqe& s = sq_[sq_head_];
      uint16_t status = 0;
      if (s.opcode == nvme::kNvmRead && s.prp1 != 0 && (s.prp1 & 3) == 0) {
        const uint64_t lba = uint64_t{s.cdw11} << 32 | s.cdw10;
        std::memcpy(reinterpret_cast<void*>(s.prp1), &lba, sizeof(lba));
      } else {
        status = 0x0002 << 1;  // Invalid Field in Command
        ++errors_;
      }
      sq_head_ = (sq_head_ + 1) % entries_;
      nvme::Cqe& c = cq_[cq_tail_];
      c.dw0 = 0;
      c.dw1 = 0;
      c.sqhd = static_cast<uint16_t>(sq_head_);
      c.sqid = qid_;
      c.cid = s.cid;
      io::compiler_barrier();  // the entry before its phase tag
      *reinterpret_cast<volatile uint16_t*>(&c.status) = static_cast<uint16_t>(status | phase_);
      if (++cq_tail_ == entries_) {
        cq_tail_ = 0;
        phase_ ^= 1;
      }
      ++done;
    }
    if constexpr (kMode == Shadow::kPolling) {
      *ei_sq_ = (sq_head_ + entries_ / 2) % entries_;
      *ei_cq_ = (host_head + entries_ / 2) % entries_;
    } else if constexpr (kMode == Shadow::kEventEach) {
      *ei_sq_ = sq_head_;
      *ei_cq_ = host_head;
    }
    return done;
  }

  volatile uint32_t* sq_tail_db_;
  volatile uint32_t* cq_head_db_;
  const nvme::Sqe* sq_;
  nvme::Cqe* cq_;
  uint16_t qid_;
  uint32_t entries_;
  uint32_t sq_slot_, cq_slot_;
  Shadow mode_ = Shadow::kNone;
  volatile uint32_t* shadow_sq_ = nullptr;
  volatile uint32_t* shadow_cq_ = nullptr;
  volatile uint32_t* ei_sq_ = nullptr;
  volatile uint32_t* ei_cq_ = nullptr;
  uint32_t sq_head_ = 0, cq_tail_ = 0;
  uint16_t phase_ = 1;
  uint64_t errors_ = 0;
};

}  // namespace vfiokit::bench
