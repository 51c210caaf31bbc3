// Everything a guest check needs to know about one PCI device, read once from
// sysfs (through vfio/sysfs.hpp) and its configuration space (vfio/config_space.hpp).
// The root is a parameter, so fixture trees stand in for /sys and /proc in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vfiokit/vfio/config_space.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::guest {

/// One BAR as /sys/bus/pci/devices/<bdf>/resource lists it.
struct Bar {
  unsigned index = 0;  ///< 0..5, 6 = expansion ROM
  uint64_t start = 0;
  uint64_t size = 0;
  bool io = false;    ///< I/O port BAR
  bool is64 = false;  ///< 64-bit memory BAR
  bool prefetchable = false;
  bool assigned = true;  ///< false when the kernel could not place it (start 0 or IORESOURCE_UNSET)
};

/// AER error counters (aer_dev_correctable/_nonfatal/_fatal TOTAL_ERR_* lines).
struct AerCounts {
  uint64_t correctable = 0, nonfatal = 0, fatal = 0;
};

/// The facts about one device; fields are empty when the source could not be read.
struct DeviceFacts {
  std::string bdf;
  bool present = false;
  uint16_t vendor = 0, device = 0;
  uint32_t class_code = 0;
  std::string vendor_name, device_name, class_name;  ///< from pci.ids via libpci; may be numeric
  std::optional<std::string> driver;
  std::optional<int> iommu_group;
  std::optional<int> numa_node;
  std::vector<Bar> bars;
  size_t config_bytes = 0;  ///< how much of config space could be read (64 without root)
  std::vector<std::string> config_errors;  ///< capability walk problems
  bool is_pcie = false;
  unsigned pcie_port_type = 0;  ///< PCIe Capabilities "Device/Port Type" (0 endpoint, 9 RCiEP)
  std::optional<PcieLink> link;
  std::string link_source;     ///< "config" or "sysfs"
  unsigned mps = 0, mrrs = 0;  ///< Max_Payload_Size / Max_Read_Request_Size in bytes, 0 unknown
  std::optional<unsigned> msix_table_size;
  bool msix_enabled = false, msix_masked = false;
  std::optional<unsigned> msi_vectors;
  bool msi_enabled = false;
  unsigned irq_vectors = 0;  ///< entries in msi_irqs/
  std::optional<AerCounts> aer;

  /// NVIDIA display/3D controller (vendor 0x10de, class 0x03xxxx).
  bool is_nvidia_gpu() const { return vendor == 0x10de && (class_code >> 16) == 0x03; }
  /// "0000:01:00.0 10de:2331 NVIDIA Corporation GH100 [H100 PCIe] (3D controller)".
  std::string describe() const;
};

/// Reads the facts of `bdf` under `sysfs.root()`. Never throws for a missing
/// attribute; a missing device gives present = false.
DeviceFacts read_device_facts(const Sysfs& sysfs, const std::string& bdf);

/// Parses a sysfs link speed ("32.0 GT/s PCIe", "8 GT/s", "Unknown") into GT/s, 0 if unknown.
double parse_sysfs_link_speed(const std::string& text);

/// The PCIe generation (1..6) of a rate in GT/s, 0 if unknown.
unsigned pcie_gen_of(double gts);

/// The devices to check when none is named: every NVIDIA GPU under the root, sorted.
std::vector<std::string> find_nvidia_gpus(const Sysfs& sysfs);

/// Resolves a device selector: a BDF ("01:00.0" or "0000:01:00.0") or a
/// vendor:device pair ("10de:2331", every match). Throws vfiokit::Error (ENODEV)
/// when a vendor:device pair matches nothing, EINVAL for text that is neither.
std::vector<std::string> resolve_selector(const Sysfs& sysfs, const std::string& selector);

}  // namespace vfiokit::guest
