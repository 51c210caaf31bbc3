// Vendor, device and class names from pci.ids through libpci.
#pragma once

#include <cstdint>
#include <string>

struct pci_access;

namespace vfiokit::host {

/// Looks names up in pci.ids (libpci's default file, or `ids_file`). Names not
/// in the database come back empty. Move-only.
class PciNames {
 public:
  /// `ids_file`: a pci.ids to use instead of libpci's default; empty for the default.
  explicit PciNames(const std::string& ids_file = {});
  ~PciNames();
  PciNames(const PciNames&) = delete;
  PciNames& operator=(const PciNames&) = delete;

  /// e.g. "NVIDIA Corporation"; empty when unknown.
  std::string vendor(uint16_t vendor) const;
  /// e.g. "GA102 [GeForce RTX 3080]"; empty when unknown.
  std::string device(uint16_t vendor, uint16_t device) const;
  /// e.g. "VGA compatible controller" for 0x030000; empty when unknown.
  std::string class_name(uint32_t class_code) const;

 private:
  pci_access* pacc_ = nullptr;
};

}  // namespace vfiokit::host
