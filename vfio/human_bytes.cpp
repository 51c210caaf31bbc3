#include "vfio/human_bytes.hpp"

#include <iterator>

#include "vfio/format.hpp"

namespace vfiokit::pci {

std::string human_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  unsigned u = 0;
  uint64_t whole = bytes, tenths = 0;  // bytes ~ (whole + tenths / 10) * 1024^u
  while (whole >= 1024 && u + 1 < std::size(kUnits)) {
    tenths = (whole % 1024) * 10 / 1024;
    whole /= 1024;
    ++u;
  }
  if (u == 0 || tenths == 0) return detail::format("{} {}", whole, kUnits[u]);
  return detail::format("{}.{} {}", whole, tenths, kUnits[u]);
}

}  // namespace vfiokit::pci
