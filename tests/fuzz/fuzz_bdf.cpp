// PCI addresses as users type them and sysfs names them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto bdf = vfiokit::normalize_bdf(std::string_view(reinterpret_cast<const char*>(data), size));
    // A normalized BDF normalizes to itself.
    if (vfiokit::normalize_bdf(bdf) != bdf) __builtin_trap();
  } catch (const vfiokit::Error&) {
  }
  return 0;
}
