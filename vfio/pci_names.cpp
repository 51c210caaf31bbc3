#include "vfio/pci_names.hpp"

extern "C" {
#include <pci/pci.h>
}

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace vfiokit {

namespace {
// pci_alloc leaves the message hooks to pci_init, which also probes access
// methods we do not need; lookups warn (e.g. an unknown class), so set them.
void quiet(char*, ...) {}
__attribute__((noreturn)) void fatal(char* msg, ...) {  // libpci types the hook noreturn
  std::fprintf(stderr, "libpci: fatal error looking up names: %s\n", msg);
  std::exit(2);
}
}  // namespace

struct PciNames::Impl {
  pci_access* access = nullptr;
  bool have_file = false;
};

PciNames::PciNames(const std::string& ids_file) : impl_(std::make_unique<Impl>()) {
  impl_->access = pci_alloc();
  if (!impl_->access) return;
  impl_->access->warning = quiet;
  impl_->access->debug = quiet;
  impl_->access->error = fatal;
  if (!ids_file.empty())
    pci_set_name_list_path(impl_->access, const_cast<char*>(ids_file.c_str()), 0);
  // libpci prints a warning and numbers when the file is missing; ask once, quietly.
  // libpci also tries the name without ".gz" when the compressed file is missing.
  if (const char* f = impl_->access->id_file_name) {
    std::string plain(f);
    if (plain.size() > 3 && plain.ends_with(".gz")) plain.resize(plain.size() - 3);
    impl_->have_file = access(f, R_OK) == 0 || access(plain.c_str(), R_OK) == 0;
  }
}

PciNames::~PciNames() {
  if (impl_->access) pci_cleanup(impl_->access);
}

namespace {
std::optional<std::string> lookup(pci_access* a, bool have_file, int flags, unsigned x,
                                  unsigned y) {
  if (!a || !have_file) return std::nullopt;
  char buf[256];
  const char* s =
      pci_lookup_name(a, buf, sizeof buf, flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, x, y);
  if (!s) return std::nullopt;
  return std::string(s);
}
}  // namespace

std::optional<std::string> PciNames::vendor(uint16_t v) const {
  return lookup(impl_->access, impl_->have_file, PCI_LOOKUP_VENDOR, v, 0);
}

std::optional<std::string> PciNames::device(uint16_t v, uint16_t d) const {
  return lookup(impl_->access, impl_->have_file, PCI_LOOKUP_DEVICE, v, d);
}

std::optional<std::string> PciNames::class_name(uint32_t class_code) const {
  return lookup(impl_->access, impl_->have_file, PCI_LOOKUP_CLASS, class_code >> 8, 0);
}

}  // namespace vfiokit
