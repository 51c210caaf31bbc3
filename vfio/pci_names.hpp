// Vendor, device and class names from the PCI ID database, through libpci.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace vfiokit {

/// Looks names up in pci.ids (libpci's default file, or one given). Guests
/// built from a minimal image often lack the file; lookups then return nullopt.
class PciNames {
 public:
  /// `ids_file` empty: libpci's compiled-in default (/usr/share/misc/pci.ids).
  explicit PciNames(const std::string& ids_file = {});
  ~PciNames();
  PciNames(const PciNames&) = delete;
  PciNames& operator=(const PciNames&) = delete;

  /// The vendor's name, or nullopt when the database does not know it.
  std::optional<std::string> vendor(uint16_t vendor) const;
  /// The device's name, or nullopt.
  std::optional<std::string> device(uint16_t vendor, uint16_t device) const;
  /// The name of a 24-bit class code's class/subclass ("3D controller"), or nullopt.
  std::optional<std::string> class_name(uint32_t class_code) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vfiokit
