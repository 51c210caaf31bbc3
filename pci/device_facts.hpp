// Everything vfiokit's checks need to know about one PCI device, read once from sysfs
// and its configuration space: the host checks, the guest check and probe judge these
// facts instead of reading the files again. The root is a parameter (Sysfs), so fixture
// trees stand in for /sys in tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pci/bar.hpp"
#include "vfiokit/vfio/config_space.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::pci {

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
  std::string vendor_name, device_name, class_name;  ///< from pci.ids (the caller fills them)
  std::optional<std::string> driver;
  std::optional<int> iommu_group;
  std::optional<int> numa_node;
  std::vector<Bar> bars;
  std::string bars_error;   ///< why `resource` could not be parsed (bars is then empty)
  ConfigSpace config{{}};   ///< the config snapshot (64 bytes without root, empty if unreadable)
  size_t config_bytes = 0;  ///< how much of config space could be read (64 without root)
  std::vector<std::string> config_errors;  ///< capability walk problems
  bool is_pcie = false;
  std::optional<unsigned> pcie_port_type;  ///< see vfio/pci_port_type.hpp
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

/// Reads the facts of `bdf` under `sysfs.root()`. Never throws for a missing or malformed
/// attribute (a malformed `resource` is in bars_error); a missing device gives present = false.
DeviceFacts read_device_facts(const Sysfs& sysfs, const std::string& bdf);

/// The device's sysfs `config` file as a ConfigSpace (64 bytes unless root, empty if unreadable).
ConfigSpace read_config(const Sysfs& sysfs, const std::string& bdf);

}  // namespace vfiokit::pci
