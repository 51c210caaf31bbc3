#include "tools/host/pci_names.hpp"

extern "C" {
#include <pci/pci.h>
}

namespace vfiokit::host {
namespace {

// libpci calls these on trouble; names are best effort, so stay quiet.
void quiet(char*, ...) {}

}  // namespace

PciNames::PciNames(const std::string& ids_file) {
  pacc_ = pci_alloc();
  if (!pacc_) return;
  pacc_->warning = quiet;
  pacc_->debug = quiet;
  if (!ids_file.empty()) pci_set_name_list_path(pacc_, const_cast<char*>(ids_file.c_str()), 0);
}

PciNames::~PciNames() {
  if (pacc_) pci_cleanup(pacc_);
}

std::string PciNames::vendor(uint16_t v) const {
  char buf[256];
  if (!pacc_) return {};
  const char* s = pci_lookup_name(
      pacc_, buf, sizeof buf, PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, v);
  return s ? s : "";
}

std::string PciNames::device(uint16_t v, uint16_t d) const {
  char buf[256];
  if (!pacc_) return {};
  const char* s = pci_lookup_name(
      pacc_, buf, sizeof buf, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, v, d);
  return s ? s : "";
}

std::string PciNames::class_name(uint32_t cls) const {
  char buf[256];
  if (!pacc_) return {};
  const char* s = pci_lookup_name(pacc_, buf, sizeof buf,
                                  PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
                                  static_cast<int>(cls >> 8));
  return s ? s : "";
}

}  // namespace vfiokit::host
