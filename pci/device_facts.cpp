#include "pci/device_facts.hpp"

#include <fmt/format.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "vfio/pci_capability_id.hpp"
#include "pci/link.hpp"
#include "vfio/pci_port_type.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::pci {
namespace {

// An AER counter file: "<NAME> <count>" lines; the value of the line named `key`.
std::optional<uint64_t> total_line(const std::optional<std::string>& text, std::string_view key) {
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto blank = line.find(' ');
    if (blank != std::string::npos && std::string_view(line).substr(0, blank) == key)
      return parse_u64(std::string_view(line).substr(blank + 1));
  }
  return std::nullopt;
}

std::optional<int> numa_node(const Sysfs& s, const std::string& bdf) {
  const auto text = s.attr(bdf, "numa_node");
  if (!text) return std::nullopt;
  const auto v = parse_i64(*text);
  if (!v || *v < INT_MIN || *v > INT_MAX) return std::nullopt;
  return static_cast<int>(*v);
}

// MSI, MSI-X and the PCIe Device Control fields; a 64-byte read (no root) has none.
void read_capabilities(DeviceFacts& f) {
  const ConfigSpace& cs = f.config;
  // A 64-byte read cuts the chain off; that is not a broken chain.
  if (cs.size() >= 256) f.config_errors = cs.walk_errors();
  f.msix_table_size = cs.msix_table_size();
  if (auto c = cs.find(false, kCapMsix)) {  // Message Control
    const uint16_t ctl = cs.read16(c->offset + 2);
    f.msix_enabled = ctl & 0x8000;
    f.msix_masked = ctl & 0x4000;
  }
  f.msi_vectors = cs.msi_vectors();
  if (auto c = cs.find(false, kCapMsi)) f.msi_enabled = cs.read16(c->offset + 2) & 1;
  f.pcie_port_type = pcie_port_type(cs);
  if (auto c = cs.find(false, kCapPciExpress)) {  // Device Control
    f.is_pcie = true;
    const uint16_t devctl = cs.read16(c->offset + 8);
    f.mps = 128u << ((devctl >> 5) & 7);
    f.mrrs = 128u << ((devctl >> 12) & 7);
  }
}

void read_aer(DeviceFacts& f, const Sysfs& s) {
  const auto fatal = total_line(s.attr(f.bdf, "aer_dev_fatal"), "TOTAL_ERR_FATAL");
  const auto nonfatal = total_line(s.attr(f.bdf, "aer_dev_nonfatal"), "TOTAL_ERR_NONFATAL");
  const auto cor = total_line(s.attr(f.bdf, "aer_dev_correctable"), "TOTAL_ERR_COR");
  if (fatal || nonfatal || cor)
    f.aer = AerCounts{cor.value_or(0), nonfatal.value_or(0), fatal.value_or(0)};
}

}  // namespace

std::string DeviceFacts::describe() const {
  std::string s = fmt::format("{} {:04x}:{:04x}", bdf, vendor, device);
  if (!vendor_name.empty()) s += " " + vendor_name;
  if (!device_name.empty()) s += " " + device_name;
  if (!class_name.empty())
    s += " (" + class_name + ")";
  else
    s += fmt::format(" (class {:06x})", class_code);
  return s;
}

ConfigSpace read_config(const Sysfs& s, const std::string& bdf) {
  std::ifstream in(s.device_dir(bdf) / "config", std::ios::binary);
  if (!in) return ConfigSpace({});
  return ConfigSpace(
      std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

DeviceFacts read_device_facts(const Sysfs& s, const std::string& bdf) {
  DeviceFacts f;
  f.bdf = bdf;
  f.present = s.has_device(bdf);
  if (!f.present) return f;
  f.vendor = static_cast<uint16_t>(s.hex_attr(bdf, "vendor").value_or(0));
  f.device = static_cast<uint16_t>(s.hex_attr(bdf, "device").value_or(0));
  f.class_code = s.hex_attr(bdf, "class").value_or(0);
  f.driver = s.driver(bdf);
  f.iommu_group = s.iommu_group(bdf);
  f.numa_node = numa_node(s, bdf);
  try {
    f.bars = read_bars(s, bdf);
  } catch (const Error& e) {
    f.bars_error = e.what();
  }

  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(s.device_dir(bdf) / "msi_irqs", ec)) {
    (void)e;
    ++f.irq_vectors;
  }

  f.config = read_config(s, bdf);
  f.config_bytes = f.config.size();
  if (f.config_bytes >= 64) read_capabilities(f);
  const LinkReading link = read_link(f.config, s, bdf);
  f.link = link.link;
  f.link_source = link.source;
  if (f.link) f.is_pcie = true;  // sysfs shows link attributes for PCIe devices only
  read_aer(f, s);
  return f;
}

}  // namespace vfiokit::pci
