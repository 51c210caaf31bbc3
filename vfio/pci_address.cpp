#include "vfiokit/vfio/pci_address.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

std::string normalize_bdf(std::string_view text) {
  unsigned dom = 0, bus = 0, dev = 0, fn = 0;
  char tail = 0;
  const std::string s(text);
  int n = std::sscanf(s.c_str(), "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail);
  const size_t colons = std::count(s.begin(), s.end(), ':');
  if (colons == 1) {
    dom = 0;
    n = 1 + std::sscanf(s.c_str(), "%x:%x.%x%c", &bus, &dev, &fn, &tail);
  }
  bool hex_only = !s.empty();
  for (char c : s) hex_only &= std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
  if (n != 4 || !hex_only || colons < 1 || colons > 2 || dom > 0xffff || bus > 0xff ||
      dev > 0x1f || fn > 7)
    throw_error("parse PCI address", detail::format("'{}'", s), EINVAL,
                "write it as DOMAIN:BUS:DEVICE.FUNCTION, e.g. 0000:01:00.0 (see lspci -D)");
  return detail::format("{:04x}:{:02x}:{:02x}.{:x}", dom, bus, dev, fn);
}

}  // namespace vfiokit
