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
#pragma once

#include <cstdint>
#include <cstring>

#include "vfio/barrier.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/drivers/nvme/registers.hpp"

namespace vfiokit::bench {

class NvmeModel {
 public:
  NvmeModel(uint8_t* bar, uint32_t doorbell_stride, uint16_t qid, uint8_t* sq, uint8_t* cq,
            uint32_t entries)
      : sq_tail_db_(reinterpret_cast<volatile uint32_t*>(
            bar + nvme::sq_tail_doorbell(qid, doorbell_stride))),
        cq_head_db_(reinterpret_cast<volatile uint32_t*>(
            bar + nvme::cq_head_doorbell(qid, doorbell_stride))),
        sq_(reinterpret_cast<const nvme::Sqe*>(sq)),
        cq_(reinterpret_cast<nvme::Cqe*>(cq)),
        qid_(qid),
        entries_(entries) {}

  /// Completes every command the SQ tail doorbell announces, as far as the CQ has room.
  /// Returns how many it completed; counts an unknown opcode or a bad PRP1 as an error.
  uint32_t process() {
    const uint32_t tail = *sq_tail_db_;
    const uint32_t host_head = *cq_head_db_;
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
    return done;
  }

  uint64_t errors() const { return errors_; }

 private:
  volatile uint32_t* sq_tail_db_;
  volatile uint32_t* cq_head_db_;
  const nvme::Sqe* sq_;
  nvme::Cqe* cq_;
  uint16_t qid_;
  uint32_t entries_;
  uint32_t sq_head_ = 0, cq_tail_ = 0;
  uint16_t phase_ = 1;
  uint64_t errors_ = 0;
};

}  // namespace vfiokit::bench
