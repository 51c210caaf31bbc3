#include "vfiokit/drivers/nvme/commands.hpp"

#include "vfio/format.hpp"

namespace vfiokit::nvme {

Sqe make_identify(uint8_t cns, uint32_t nsid, uint64_t prp1) {
  Sqe s;
  s.opcode = kAdminIdentify;
  s.nsid = nsid;
  s.prp1 = prp1;
  s.cdw10 = cns;  // CDW10: CNS 7:0, CNTID 31:16 (0)
  return s;
}

Sqe make_create_io_cq(uint16_t qid, uint32_t entries, uint64_t iova, uint16_t vector, bool irq) {
  Sqe s;
  s.opcode = kAdminCreateIoCq;
  s.prp1 = iova;
  // 5.3, CDW10: QSIZE 31:16 (0's based), QID 15:0.
  s.cdw10 = ((entries - 1) & 0xffff) << 16 | qid;
  // 5.3, CDW11: IV 31:16, IEN bit 1, PC (physically contiguous) bit 0.
  s.cdw11 = static_cast<uint32_t>(irq ? vector : 0) << 16 | (irq ? 1u << 1 : 0u) | 1u;
  return s;
}

Sqe make_create_io_sq(uint16_t qid, uint32_t entries, uint64_t iova, uint16_t cqid) {
  Sqe s;
  s.opcode = kAdminCreateIoSq;
  s.prp1 = iova;
  // 5.4, CDW10: QSIZE 31:16 (0's based), QID 15:0.
  s.cdw10 = ((entries - 1) & 0xffff) << 16 | qid;
  // 5.4, CDW11: CQID 31:16, QPRIO 2:1 (ignored under round robin), PC bit 0.
  s.cdw11 = static_cast<uint32_t>(cqid) << 16 | 1u;
  return s;
}

Sqe make_delete_io_sq(uint16_t qid) {
  Sqe s;
  s.opcode = kAdminDeleteIoSq;
  s.cdw10 = qid;
  return s;
}

Sqe make_delete_io_cq(uint16_t qid) {
  Sqe s;
  s.opcode = kAdminDeleteIoCq;
  s.cdw10 = qid;
  return s;
}

Sqe make_get_features(uint8_t fid) {
  Sqe s;
  s.opcode = kAdminGetFeatures;
  s.cdw10 = fid;  // Get Features CDW10: SEL 10:8 = 000b (current), FID 7:0
  return s;
}

Sqe make_set_num_queues(uint16_t sq, uint16_t cq) {
  Sqe s;
  s.opcode = kAdminSetFeatures;
  s.cdw10 = kFeatureNumQueues;
  // Number of Queues CDW11: NCQR 31:16, NSQR 15:0, both 0's based.
  s.cdw11 = static_cast<uint32_t>(cq - 1) << 16 | static_cast<uint16_t>(sq - 1);
  return s;
}

Sqe make_doorbell_buffer_config(uint64_t shadow_iova, uint64_t event_idx_iova) {
  Sqe s;
  s.opcode = kAdminDoorbellBufferConfig;
  s.prp1 = shadow_iova;
  s.prp2 = event_idx_iova;
  return s;
}

Sqe make_rw(uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t blocks) {
  Sqe s;
  s.opcode = opcode;
  s.nsid = nsid;
  // 6.9 Read / 6.15 Write: SLBA in CDW10 (low) and CDW11 (high),
  // NLB 15:0 of CDW12, 0's based.
  s.cdw10 = static_cast<uint32_t>(slba);
  s.cdw11 = static_cast<uint32_t>(slba >> 32);
  s.cdw12 = (blocks - 1) & 0xffff;
  return s;
}

namespace {

const char* generic_status_name(uint8_t sc) {
  // 4.6.1.2.1 "Generic Command Status Values".
  switch (sc) {
    case 0x00:
      return "Successful Completion";
    case 0x01:
      return "Invalid Command Opcode";
    case 0x02:
      return "Invalid Field in Command";
    case 0x03:
      return "Command ID Conflict";
    case 0x04:
      return "Data Transfer Error";
    case 0x05:
      return "Commands Aborted due to Power Loss Notification";
    case 0x06:
      return "Internal Error";
    case 0x07:
      return "Command Abort Requested";
    case 0x08:
      return "Command Aborted due to SQ Deletion";
    case 0x0b:
      return "Invalid Namespace or Format";
    case 0x0d:
      return "Invalid SGL Segment Descriptor";
    case 0x13:
      return "Invalid PRP Offset";
    case 0x80:
      return "LBA Out of Range";
    case 0x81:
      return "Capacity Exceeded";
    case 0x82:
      return "Namespace Not Ready";
    default:
      return nullptr;
  }
}

const char* specific_status_name(uint8_t sc) {
  // 4.6.1.2.2 "Command Specific Status Values".
  switch (sc) {
    case 0x00:
      return "Completion Queue Invalid";
    case 0x01:
      return "Invalid Queue Identifier";
    case 0x02:
      return "Invalid Queue Size";
    case 0x08:
      return "Invalid Interrupt Vector";
    case 0x0d:
      return "Feature Identifier Not Saveable";
    case 0x0e:
      return "Feature Not Changeable";
    default:
      return nullptr;
  }
}

const char* media_status_name(uint8_t sc) {
  // 4.6.1.2.3 "Media and Data Integrity Errors".
  switch (sc) {
    case 0x80:
      return "Write Fault";
    case 0x81:
      return "Unrecovered Read Error";
    case 0x86:
      return "Access Denied";
    default:
      return nullptr;
  }
}

}  // namespace

std::string status_text(uint16_t sf) {
  const uint8_t sct = status_type(sf), sc = status_code(sf);
  const char* name = sct == 0   ? generic_status_name(sc)
                     : sct == 1 ? specific_status_name(sc)
                     : sct == 2 ? media_status_name(sc)
                                : nullptr;
  std::string s = detail::format("SCT {:x}h SC {:02x}h", sct, sc);
  if (name) s += detail::format(" ({})", name);
  if (status_dnr(sf)) s += ", DNR";
  return s;
}

}  // namespace vfiokit::nvme
