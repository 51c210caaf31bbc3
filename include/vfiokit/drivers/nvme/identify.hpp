// The Identify data structures the driver reads (NVM Express Base Specification
// 1.4, 5.15.2 "Identify Data Structures"): Identify Controller (CNS 01h),
// Identify Namespace (CNS 00h) and the Active Namespace ID list (CNS 02h).
// Parsers are pure and unit-tested (drivers/nvme/nvme_identify_test.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vfiokit::nvme {

/// Every Identify data structure is one 4096-byte page.
constexpr size_t kIdentifySize = 4096;

/// The fields of Identify Controller the driver uses.
struct ControllerInfo {
  uint16_t vid = 0;      ///< bytes 1:0, PCI Vendor ID
  uint16_t ssvid = 0;    ///< bytes 3:2, PCI Subsystem Vendor ID
  std::string serial;    ///< bytes 23:4 (SN), ASCII, trailing spaces removed
  std::string model;     ///< bytes 63:24 (MN)
  std::string firmware;  ///< bytes 71:64 (FR)
  uint8_t mdts = 0;      ///< byte 77: Maximum Data Transfer Size, 2^n minimum pages; 0 = no limit
  uint16_t cntlid = 0;   ///< bytes 79:78
  uint32_t ver = 0;      ///< bytes 83:80 (0 before NVMe 1.2)
  uint16_t oacs = 0;     ///< bytes 257:256, Optional Admin Command Support
  uint8_t sqes = 0;      ///< byte 512: 3:0 required, 7:4 maximum log2 SQ entry size
  uint8_t cqes = 0;      ///< byte 513: the same for CQ entries
  uint16_t maxcmd = 0;   ///< bytes 515:514
  uint32_t nn = 0;       ///< bytes 519:516, Number of Namespaces
  uint16_t oncs = 0;     ///< bytes 521:520, Optional NVM Command Support
  uint8_t vwc = 0;       ///< byte 525, Volatile Write Cache (bit 0: present)
  /// OACS bit 8: the controller supports Doorbell Buffer Config (shadow doorbells, 5.8).
  bool doorbell_buffer_config() const { return (oacs >> 8) & 1; }
  /// MDTS in bytes for a minimum memory page of `mps_min` bytes (CAP.MPSMIN):
  /// mps_min << MDTS. UINT64_MAX ("no limit") for MDTS 0, and also where that size
  /// does not fit 64 bits (MDTS is a device byte up to 255): such a limit is above
  /// any transfer, so the driver's own limits (max_transfer, NLB) bound it instead.
  uint64_t max_transfer_bytes(uint32_t mps_min) const;
};

/// One LBA Format (LBAF0..LBAF15).
struct LbaFormat {
  uint16_t metadata_size = 0;  ///< MS, bytes 15:0
  uint8_t lba_shift = 0;       ///< LBADS, bits 23:16: 2^n bytes per block (0: format unused)
  uint8_t relative_perf = 0;   ///< RP, bits 25:24
};

/// The fields of Identify Namespace the driver uses.
struct NamespaceInfo {
  uint32_t nsid = 0;
  uint64_t nsze = 0;  ///< bytes 7:0, Namespace Size in blocks
  uint64_t ncap = 0;  ///< bytes 15:8, Namespace Capacity
  uint64_t nuse = 0;  ///< bytes 23:16, Namespace Utilization
  uint8_t nlbaf = 0;  ///< byte 25, number of LBA formats (0's based)
  uint8_t flbas = 0;  ///< byte 26, Formatted LBA Size (3:0 index, 4: metadata at end of block)
  std::vector<LbaFormat> formats;  ///< bytes 128.. , nlbaf + 1 of them
  uint8_t format_index = 0;        ///< the format in use (FLBAS 3:0, plus 6:5 as bits 5:4)
  uint32_t lba_size = 0;           ///< bytes per block of the format in use
  uint16_t metadata_size = 0;      ///< metadata bytes per block of the format in use
  /// Namespace size in bytes (UINT64_MAX where NSZE blocks of that size exceed 64 bits).
  uint64_t bytes() const {
    return lba_size && nsze > UINT64_MAX / lba_size ? UINT64_MAX : nsze * lba_size;
  }
};

/// Parses an Identify Controller page. Throws vfiokit::Error (EINVAL) when
/// `page` is not kIdentifySize bytes.
ControllerInfo parse_identify_controller(std::span<const uint8_t> page);
/// Parses an Identify Namespace page of `nsid`. Throws vfiokit::Error (ENODEV)
/// for an inactive namespace (NSZE 0) and (EINVAL) for a malformed format.
NamespaceInfo parse_identify_namespace(std::span<const uint8_t> page, uint32_t nsid);
/// Parses an Active Namespace ID list: the non-zero IDs up to the first 0.
std::vector<uint32_t> parse_namespace_list(std::span<const uint8_t> page);

}  // namespace vfiokit::nvme
