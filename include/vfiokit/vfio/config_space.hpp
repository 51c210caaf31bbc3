// PCI configuration space as bytes, with a capability walker and decoders for
// the capabilities vfiokit reports. Pure: works on a snapshot read through VFIO,
// from sysfs' "config" file, or from a fixture.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vfiokit {

/// A capability found in configuration space.
struct PciCapability {
  bool extended;     ///< PCIe extended capability (offset >= 0x100)
  uint16_t id;
  uint16_t offset;
  uint8_t version;   ///< extended capabilities only
  std::string name;  ///< e.g. "MSI-X", "PCI Express", "ACS", "Resizable BAR"
};

/// PCIe link speed (GT/s) and width.
struct PcieLink {
  double max_gts = 0, cur_gts = 0;
  unsigned max_width = 0, cur_width = 0;
  unsigned max_gen = 0, cur_gen = 0;  ///< 1..6, 0 when unknown
};

/// Name of a standard (extended=false) or extended capability id.
std::string pci_capability_name(bool extended, uint16_t id);

/// A snapshot of configuration space (64, 256 or 4096 bytes).
class ConfigSpace {
 public:
  explicit ConfigSpace(std::vector<uint8_t> bytes);

  /// Bytes in the snapshot.
  size_t size() const { return bytes_.size(); }
  /// Little-endian reads; 0xff..ff beyond the snapshot, as a PCI read would return.
  uint8_t read8(size_t off) const;
  /// See read8.
  uint16_t read16(size_t off) const;
  /// See read8.
  uint32_t read32(size_t off) const;

  /// Vendor ID (0x00).
  uint16_t vendor_id() const { return read16(0x00); }
  /// Device ID (0x02).
  uint16_t device_id() const { return read16(0x02); }
  /// Class code, 24 bits (0x09..0x0b), e.g. 0x010802 for NVMe.
  uint32_t class_code() const { return read32(0x08) >> 8; }
  /// Header type without the multi-function bit (0 endpoint, 1 bridge, 2 CardBus).
  uint8_t header_type() const { return read8(0x0e) & 0x7f; }

  /// Every capability, standard then extended, in chain order. Stops at a
  /// loop or an out-of-range pointer and records why in walk_errors().
  const std::vector<PciCapability>& capabilities() const { return caps_; }
  /// Problems met while walking (loops, bad pointers); empty for a sane device.
  const std::vector<std::string>& walk_errors() const { return errors_; }
  /// The first capability with `id`, or nullopt.
  std::optional<PciCapability> find(bool extended, uint16_t id) const;

  /// MSI: number of vectors the device can request (1..32), if it has MSI.
  std::optional<unsigned> msi_vectors() const;
  /// MSI-X: table size, if it has MSI-X.
  std::optional<unsigned> msix_table_size() const;
  /// PCIe link capability and status, if it has a PCIe capability with a link.
  std::optional<PcieLink> pcie_link() const;
  /// Function Level Reset advertised in PCIe Device Capabilities.
  bool has_flr() const;
  /// Whether PM capability says a D3hot->D0 transition resets (No_Soft_Reset clear).
  std::optional<bool> pm_reset() const;

 private:
  void walk();
  std::vector<uint8_t> bytes_;
  std::vector<PciCapability> caps_;
  std::vector<std::string> errors_;
};

/// GT/s of a PCIe link speed code (1 = 2.5 GT/s ... 6 = 64 GT/s), 0 if unknown.
double pcie_speed_gts(unsigned code);

}  // namespace vfiokit
