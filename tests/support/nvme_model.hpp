// An NVMe controller in host memory, behind FakeVfio's BAR0 (NVM Express Base
// Specification 1.4): the registers (CAP, VS, CC, CSTS, AQA, ASQ, ACQ, doorbells) and the
// admin and I/O queues. Every register access reaches it through pread/pwrite (the fake's
// BAR0 is not mmap-able), and a doorbell write makes it process the queue at once:
// commands are fetched, and data moved, through FakeVfio::translate (what the driver
// mapped, as an IOMMU would allow it), completions are posted with the phase tag last and
// the queue's MSI-X vector raised. Deterministic and single-threaded: when init() or a
// read returns, the model has done all it was asked.
//
// Admin: Identify (controller, namespace, active namespace list), Set/Get Features
// (Number of Queues), Create/Delete I/O CQ and SQ; Doorbell Buffer Config is refused
// (Invalid Opcode). I/O: Read and Write with PRP1/PRP2/PRP lists on a sparse RAM disk.
// The test sets CAP, VS and the Identify bytes, and quirks that bend completions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "tests/support/fake_vfio.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"

namespace vfiokit::testing {

class NvmeControllerModel final : public FakeBar {
 public:
  /// Ways the model departs from the spec, for tests and the fuzzer.
  struct Quirks {
    bool never_ready = false;         ///< CSTS.RDY stays 0 after CC.EN 1
    bool fatal_on_enable = false;     ///< CSTS.CFS set when enabled
    uint16_t cid_xor = 0;             ///< XORed into every CQE's CID
    uint16_t sqhd_xor = 0;            ///< XORed into every CQE's SQHD
    uint32_t dw0_xor = 0;             ///< XORed into every CQE's DW0
    uint16_t fail_opcode_status = 0;  ///< status field for admin opcode fail_opcode (0: none)
    uint8_t fail_opcode = 0xff;
    bool duplicate_cqe = false;  ///< post every completion twice
    bool no_interrupt = false;   ///< never raise MSI-X
  };

  /// A 1.4 controller: MQES 255, DSTRD 0, TO 1 (500 ms), MPSMIN/MAX 4 KiB/64 KiB; one
  /// namespace of `blocks` 512-byte blocks; MDTS 5 (128 KiB).
  explicit NvmeControllerModel(FakeVfio& vfio, uint64_t blocks = 4096);

  uint64_t cap = 0;
  uint32_t vs = 0x10400;
  std::array<uint8_t, 4096> id_ctrl{};
  std::map<uint32_t, std::array<uint8_t, 4096>> id_ns;  ///< by NSID: the active namespaces
  Quirks quirks;

  /// The disk's bytes of namespace `nsid`, block `lba` (zeros where never written).
  std::vector<uint8_t> block(uint32_t nsid, uint64_t lba) const;
  /// Admin and I/O commands completed, and those the model failed.
  uint64_t commands() const { return commands_; }
  uint64_t errors() const { return errors_; }
  uint32_t cc() const { return cc_; }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;
  void reset() override;

 private:
  struct Queue {
    uint64_t iova = 0;
    uint32_t entries = 0;  // 0: absent
    uint32_t head = 0, tail = 0;
    uint16_t cqid = 0;    // SQ: its CQ
    uint16_t phase = 1;   // CQ: the phase tag it writes
    uint16_t vector = 0;  // CQ: MSI-X vector
    bool irq = false;     // CQ: interrupts enabled
  };
  uint32_t lba_shift(uint32_t nsid) const;
  uint64_t nsze(uint32_t nsid) const;
  void enable();
  void disable();
  void process(uint16_t sqid);
  // Returns the status field (0 success); sets dw0.
  uint16_t admin(const nvme::Sqe& s, uint32_t& dw0);
  uint16_t io(const nvme::Sqe& s);
  // Moves `len` bytes between `data` and the PRPs of `s` (to the host when to_host).
  bool transfer(const nvme::Sqe& s, uint8_t* data, uint64_t len, bool to_host);
  void complete(uint16_t sqid, const nvme::Sqe& s, uint16_t status, uint32_t dw0);
  uint64_t page_size() const { return uint64_t{4096} << ((cc_ >> 7) & 0xf); }

  FakeVfio& vfio_;
  uint32_t cc_ = 0, csts_ = 0, aqa_ = 0, intms_ = 0;
  uint64_t asq_ = 0, acq_ = 0;
  std::map<uint16_t, Queue> sqs_, cqs_;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<uint8_t>> disk_;
  uint64_t commands_ = 0, errors_ = 0;
};

}  // namespace vfiokit::testing
