// NVMe queue entries and the commands the driver issues, after the NVM Express
// Base Specification revision 1.4: 4.2 "Submission Queue Entry - Command
// Format", 4.6 "Completion Queue Entry", 5 "Admin Command Set", 6 "NVM Command
// Set". Encoders are pure and unit-tested (drivers/nvme/nvme_commands_test.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace vfiokit::nvme {

/// A 64-byte Submission Queue Entry (4.2, "Common Command Format").
struct Sqe {
  uint8_t opcode = 0;  ///< CDW0 7:0
  uint8_t flags = 0;   ///< CDW0 15:8: FUSE 9:8, PSDT 15:14 (00b = PRPs)
  uint16_t cid = 0;    ///< CDW0 31:16: Command Identifier
  uint32_t nsid = 0;
  uint32_t cdw2 = 0, cdw3 = 0;
  uint64_t mptr = 0;  ///< Metadata Pointer
  uint64_t prp1 = 0;  ///< Data Pointer: PRP Entry 1
  uint64_t prp2 = 0;  ///< Data Pointer: PRP Entry 2 (or PRP List pointer)
  uint32_t cdw10 = 0, cdw11 = 0, cdw12 = 0, cdw13 = 0, cdw14 = 0, cdw15 = 0;
};
static_assert(sizeof(Sqe) == 64);

/// A 16-byte Completion Queue Entry (4.6).
struct Cqe {
  uint32_t dw0 = 0;  ///< command specific
  uint32_t dw1 = 0;
  uint16_t sqhd = 0;  ///< SQ Head Pointer
  uint16_t sqid = 0;  ///< SQ Identifier
  uint16_t cid = 0;
  uint16_t status = 0;  ///< bit 0: Phase Tag; 15:1: Status Field (4.6.1)
};
static_assert(sizeof(Cqe) == 16);

// Admin command set opcodes (section 5, "Opcodes for Admin Commands").
constexpr uint8_t kAdminDeleteIoSq = 0x00;
constexpr uint8_t kAdminCreateIoSq = 0x01;
constexpr uint8_t kAdminDeleteIoCq = 0x04;
constexpr uint8_t kAdminCreateIoCq = 0x05;
constexpr uint8_t kAdminIdentify = 0x06;
constexpr uint8_t kAdminSetFeatures = 0x09;
constexpr uint8_t kAdminGetFeatures = 0x0a;
constexpr uint8_t kAdminDoorbellBufferConfig = 0x7c;

// NVM command set opcodes (section 6, "Opcodes for NVM Commands").
constexpr uint8_t kNvmFlush = 0x00;
constexpr uint8_t kNvmWrite = 0x01;
constexpr uint8_t kNvmRead = 0x02;

// Identify CNS values (5.15).
constexpr uint8_t kCnsNamespace = 0x00;
constexpr uint8_t kCnsController = 0x01;
constexpr uint8_t kCnsActiveNamespaces = 0x02;

/// Feature Identifier "Number of Queues" (5.21.1.7).
constexpr uint8_t kFeatureNumQueues = 0x07;

/// 5.15 Identify: CNS `cns` of namespace `nsid` into the 4 KiB page at `prp1`.
Sqe make_identify(uint8_t cns, uint32_t nsid, uint64_t prp1);
/// 5.3 Create I/O Completion Queue: `entries` physically contiguous entries at `iova`;
/// interrupts on MSI-X `vector` when `irq` (else the queue is polled).
Sqe make_create_io_cq(uint16_t qid, uint32_t entries, uint64_t iova, uint16_t vector, bool irq);
/// 5.4 Create I/O Submission Queue: `entries` contiguous entries at `iova`, completing to `cqid`.
Sqe make_create_io_sq(uint16_t qid, uint32_t entries, uint64_t iova, uint16_t cqid);
/// 5.6 Delete I/O Submission Queue / 5.5 Delete I/O Completion Queue.
Sqe make_delete_io_sq(uint16_t qid);
Sqe make_delete_io_cq(uint16_t qid);
/// Get Features (section 5, current value, SEL 000b) of feature `fid`.
Sqe make_get_features(uint8_t fid);
/// Set Features, Number of Queues (5.21.1.7): ask for `sq` I/O SQs and `cq` I/O CQs.
Sqe make_set_num_queues(uint16_t sq, uint16_t cq);
/// 5.8 Doorbell Buffer Config: the Shadow Doorbell buffer at `shadow_iova` (PRP1) and the
/// EventIdx buffer at `event_idx_iova` (PRP2), each one memory page, page-aligned.
Sqe make_doorbell_buffer_config(uint64_t shadow_iova, uint64_t event_idx_iova);
/// 6.9 Read / 6.15 Write: `blocks` logical blocks from `slba` of `nsid` (PRPs filled by caller).
Sqe make_rw(uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t blocks);

/// The Status Field of a CQE (its status >> 1): SC 7:0, SCT 10:8, CRD 12:11, M 13, DNR 14.
constexpr uint16_t status_field(uint16_t cqe_status) { return cqe_status >> 1; }
/// Status Code Type (4.6.1.2): 0 generic, 1 command specific, 2 media/data integrity, 3 path.
constexpr uint8_t status_type(uint16_t sf) { return static_cast<uint8_t>((sf >> 8) & 7); }
/// Status Code (4.6.1.2.x).
constexpr uint8_t status_code(uint16_t sf) { return static_cast<uint8_t>(sf & 0xff); }
/// Do Not Retry.
constexpr bool status_dnr(uint16_t sf) { return (sf >> 14) & 1; }
/// Whether a Status Field says "Successful Completion".
constexpr bool status_ok(uint16_t sf) { return (sf & 0x7ff) == 0; }
/// e.g. "SCT 0h SC 02h (Invalid Field in Command), DNR".
std::string status_text(uint16_t sf);

}  // namespace vfiokit::nvme
