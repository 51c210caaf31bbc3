// NVMe controller registers (BAR0), after the NVM Express Base Specification
// revision 1.4 (2019), section 3.1 "Register Definition"; the same layout is
// section 3.1.3 "Controller Properties" in revision 2.0. Decoders are pure and
// unit-tested (drivers/nvme/nvme_registers_test.cpp).
#pragma once

#include <cstdint>

namespace vfiokit::nvme {

/// PCI class code of an NVM Express I/O controller (mass storage / NVM / NVMe).
constexpr uint32_t kClassCode = 0x010802;

// Register offsets (3.1 "Register Definition").
constexpr uint32_t kRegCap = 0x00;          ///< 3.1.1 Controller Capabilities (64-bit)
constexpr uint32_t kRegVs = 0x08;           ///< 3.1.2 Version
constexpr uint32_t kRegIntms = 0x0c;        ///< 3.1.3 Interrupt Mask Set (pin/MSI only)
constexpr uint32_t kRegIntmc = 0x10;        ///< 3.1.4 Interrupt Mask Clear (pin/MSI only)
constexpr uint32_t kRegCc = 0x14;           ///< 3.1.5 Controller Configuration
constexpr uint32_t kRegCsts = 0x1c;         ///< 3.1.6 Controller Status
constexpr uint32_t kRegAqa = 0x24;          ///< 3.1.8 Admin Queue Attributes
constexpr uint32_t kRegAsq = 0x28;          ///< 3.1.9 Admin Submission Queue Base Address (64-bit)
constexpr uint32_t kRegAcq = 0x30;          ///< 3.1.10 Admin Completion Queue Base Address (64-bit)
constexpr uint32_t kDoorbellBase = 0x1000;  ///< 3.1.24/3.1.25: first doorbell (SQ0TDBL)

// 3.1.5 CC fields.
constexpr uint32_t kCcEn = 1u << 0;
constexpr uint32_t kCcCssShift = 4;   ///< I/O Command Set Selected, bits 6:4 (000b = NVM)
constexpr uint32_t kCcMpsShift = 7;   ///< Memory Page Size, bits 10:7: 2^(12+MPS) bytes
constexpr uint32_t kCcAmsShift = 11;  ///< Arbitration Mechanism Selected, bits 13:11
constexpr uint32_t kCcShnShift = 14;  ///< Shutdown Notification, bits 15:14
constexpr uint32_t kCcShnMask = 3u << kCcShnShift;
constexpr uint32_t kCcShnNormal = 1u << kCcShnShift;
constexpr uint32_t kCcIosqesShift = 16;  ///< I/O SQ Entry Size, bits 19:16: 2^n bytes
constexpr uint32_t kCcIocqesShift = 20;  ///< I/O CQ Entry Size, bits 23:20: 2^n bytes

// 3.1.6 CSTS fields.
constexpr uint32_t kCstsRdy = 1u << 0;  ///< Ready
constexpr uint32_t kCstsCfs = 1u << 1;  ///< Controller Fatal Status
constexpr uint32_t kCstsShstShift = 2;  ///< Shutdown Status, bits 3:2
constexpr uint32_t kCstsShstMask = 3u << kCstsShstShift;
constexpr uint32_t kCstsShstComplete = 2u << kCstsShstShift;
/// What a read of a surprise-removed or powered-off device returns.
constexpr uint32_t kCstsGone = 0xffffffffu;

/// log2 of the SQ/CQ entry sizes every NVM controller supports (64 and 16 bytes).
constexpr uint32_t kSqesLog2 = 6;
constexpr uint32_t kCqesLog2 = 4;

/// CAP (3.1.1), decoded.
struct Cap {
  uint32_t mqes_entries;     ///< Maximum Queue Entries Supported, as a count (MQES + 1)
  bool cqr;                  ///< Contiguous Queues Required
  uint8_t ams;               ///< Arbitration Mechanism Supported (bit 0: WRR, bit 1: vendor)
  uint32_t timeout_ms;       ///< TO: worst-case time for CSTS.RDY to change, 500 ms units
  uint32_t doorbell_stride;  ///< 4 << DSTRD bytes between doorbells
  bool nssrs;                ///< NVM Subsystem Reset Supported
  uint8_t css;               ///< Command Sets Supported (bit 0: NVM command set)
  bool bps;                  ///< Boot Partition Support
  uint32_t mps_min;          ///< smallest memory page size in bytes (2^(12+MPSMIN))
  uint32_t mps_max;          ///< largest memory page size in bytes (2^(12+MPSMAX))
  bool pmrs;                 ///< Persistent Memory Region Supported
  bool cmbs;                 ///< Controller Memory Buffer Supported
};

/// Decodes a CAP value (bit fields per 3.1.1).
constexpr Cap decode_cap(uint64_t v) {
  Cap c{};
  c.mqes_entries = static_cast<uint32_t>(v & 0xffff) + 1;
  c.cqr = (v >> 16) & 1;
  c.ams = static_cast<uint8_t>((v >> 17) & 3);
  c.timeout_ms = static_cast<uint32_t>((v >> 24) & 0xff) * 500;
  c.doorbell_stride = 4u << ((v >> 32) & 0xf);
  c.nssrs = (v >> 36) & 1;
  c.css = static_cast<uint8_t>((v >> 37) & 0xff);
  c.bps = (v >> 45) & 1;
  c.mps_min = 1u << (12 + ((v >> 48) & 0xf));
  c.mps_max = 1u << (12 + ((v >> 52) & 0xf));
  c.pmrs = (v >> 56) & 1;
  c.cmbs = (v >> 57) & 1;
  return c;
}

/// VS (3.1.2), decoded: e.g. 1.4.0.
struct Version {
  uint16_t major;
  uint8_t minor;
  uint8_t tertiary;
};

constexpr Version decode_version(uint32_t v) {
  return {static_cast<uint16_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

/// 3.1.24: offset of Submission Queue `qid`'s Tail Doorbell.
constexpr uint32_t sq_tail_doorbell(uint16_t qid, uint32_t stride) {
  return kDoorbellBase + (2u * qid) * stride;
}
/// 3.1.25: offset of Completion Queue `qid`'s Head Doorbell.
constexpr uint32_t cq_head_doorbell(uint16_t qid, uint32_t stride) {
  return kDoorbellBase + (2u * qid + 1) * stride;
}

/// 5.8: bytes a Shadow Doorbell (or EventIdx) buffer needs for queues 0..`highest_qid`:
/// each slot sits at its doorbell's offset from SQ0TDBL, so CAP.DSTRD spreads them out.
/// The buffer is one memory page; a larger answer means shadows cannot be used.
constexpr uint64_t shadow_buffer_bytes(uint16_t highest_qid, uint32_t stride) {
  return (2 * uint64_t{highest_qid} + 1) * stride + 4;
}

/// 3.1.8 AQA for admin queues of `sq_entries` / `cq_entries` (both 0's based in the register).
constexpr uint32_t make_aqa(uint32_t sq_entries, uint32_t cq_entries) {
  return ((cq_entries - 1) & 0xfff) << 16 | ((sq_entries - 1) & 0xfff);
}

/// 3.1.5 CC for the NVM command set, round-robin arbitration, 64/16-byte entries and
/// `page_size` (a power of two >= 4096), EN clear.
constexpr uint32_t make_cc(uint32_t page_size) {
  uint32_t mps = 0;
  while ((4096u << mps) < page_size) ++mps;
  return (0u << kCcCssShift) | (mps << kCcMpsShift) | (0u << kCcAmsShift) |
         (kSqesLog2 << kCcIosqesShift) | (kCqesLog2 << kCcIocqesShift);
}

}  // namespace vfiokit::nvme
