#include "guest-tests/device_selector.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace vfiokit::guest {

std::vector<std::string> find_nvidia_gpus(const Sysfs& s) {
  std::vector<std::string> out;
  for (const auto& bdf : s.devices())
    if (s.hex_attr(bdf, "vendor") == 0x10de && (s.hex_attr(bdf, "class").value_or(0) >> 16) == 0x03)
      out.push_back(bdf);
  return out;
}

std::vector<std::string> resolve_selector(const Sysfs& s, const std::string& selector) {
  unsigned v = 0, d = 0;
  int used = 0;
  if (std::sscanf(selector.c_str(), "%4x:%4x%n", &v, &d, &used) == 2 &&
      used == static_cast<int>(selector.size()) && selector.find('.') == std::string::npos) {
    std::vector<std::string> out;
    for (const auto& bdf : s.devices())
      if (s.hex_attr(bdf, "vendor") == v && s.hex_attr(bdf, "device") == d) out.push_back(bdf);
    if (out.empty())
      throw_error("find device", selector, ENODEV,
                  fmt::format("no PCI device {:04x}:{:04x} under {}/sys/bus/pci/devices: is it "
                              "attached to this VM (lspci -nn)?",
                              v, d, s.root().string()));
    return out;
  }
  return {normalize_bdf(selector)};
}

}  // namespace vfiokit::guest
