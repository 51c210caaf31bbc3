#include "guest-tests/device_facts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "vfio/pci_names.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace fs = std::filesystem;

namespace vfiokit::guest {
namespace {

constexpr uint64_t kResIo = 0x100, kResMem = 0x200, kResPrefetch = 0x2000, kResMem64 = 0x100000,
                   kResUnset = 0x20000000;

std::vector<Bar> read_bars(const Sysfs& s, const std::string& bdf) {
  std::vector<Bar> bars;
  auto text = s.attr(bdf, "resource");
  if (!text) return bars;
  std::istringstream in(*text);
  std::string line;
  for (unsigned index = 0; index <= 6 && std::getline(in, line); ++index) {
    unsigned long long start = 0, end = 0, flags = 0;
    if (std::sscanf(line.c_str(), "%llx %llx %llx", &start, &end, &flags) != 3) break;
    if (flags == 0 && start == 0 && end == 0) continue;  // BAR not implemented
    Bar b;
    b.index = index;
    b.start = start;
    b.size = end >= start ? end - start + 1 : 0;
    b.io = flags & kResIo;
    b.is64 = flags & kResMem64;
    b.prefetchable = flags & kResPrefetch;
    b.assigned = !(flags & kResUnset) && start != 0 && (flags & (kResIo | kResMem));
    bars.push_back(b);
  }
  return bars;
}

std::vector<uint8_t> read_config(const Sysfs& s, const std::string& bdf) {
  std::ifstream in(s.device_dir(bdf) / "config", std::ios::binary);
  if (!in) return {};
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

std::optional<uint64_t> total_line(const std::optional<std::string>& text, const char* key) {
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value)
    if (name == key) return value;
  return std::nullopt;
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

double parse_sysfs_link_speed(const std::string& text) {
  double v = 0;
  if (std::sscanf(text.c_str(), "%lf GT/s", &v) != 1) return 0;
  return v;
}

unsigned pcie_gen_of(double gts) {
  for (unsigned g = 1; g <= 6; ++g)
    if (pcie_speed_gts(g) == gts) return g;
  return 0;
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
  if (auto n = s.attr(bdf, "numa_node")) {
    try {
      f.numa_node = std::stoi(*n);
    } catch (const std::exception&) {
    }
  }
  f.bars = read_bars(s, bdf);

  std::error_code ec;
  for (const auto& e : fs::directory_iterator(s.device_dir(bdf) / "msi_irqs", ec)) {
    (void)e;
    ++f.irq_vectors;
  }

  const std::vector<uint8_t> bytes = read_config(s, bdf);
  f.config_bytes = bytes.size();
  if (bytes.size() >= 64) {
    const ConfigSpace cs(bytes);
    // A 64-byte read (no root) cuts the chain off; that is not a broken chain.
    if (bytes.size() >= 256) f.config_errors = cs.walk_errors();
    f.msix_table_size = cs.msix_table_size();
    if (auto c = cs.find(false, 0x11)) {
      const uint16_t ctl = cs.read16(c->offset + 2);
      f.msix_enabled = ctl & 0x8000;
      f.msix_masked = ctl & 0x4000;
    }
    f.msi_vectors = cs.msi_vectors();
    if (auto c = cs.find(false, 0x05)) f.msi_enabled = cs.read16(c->offset + 2) & 1;
    if (auto c = cs.find(false, 0x10)) {
      f.is_pcie = true;
      f.pcie_port_type = (cs.read16(c->offset + 2) >> 4) & 0xf;
      const uint16_t devctl = cs.read16(c->offset + 8);
      f.mps = 128u << ((devctl >> 5) & 7);
      f.mrrs = 128u << ((devctl >> 12) & 7);
      f.link = cs.pcie_link();
      if (f.link) f.link_source = "config";
    }
  }
  // Without root, config space stops at 64 bytes; sysfs still shows the link.
  if (!f.link) {
    auto cur = s.attr(bdf, "current_link_speed"), max = s.attr(bdf, "max_link_speed");
    auto cw = s.attr(bdf, "current_link_width"), mw = s.attr(bdf, "max_link_width");
    if (cur && max && cw && mw) {
      PcieLink l;
      l.cur_gts = parse_sysfs_link_speed(*cur);
      l.max_gts = parse_sysfs_link_speed(*max);
      l.cur_gen = pcie_gen_of(l.cur_gts);
      l.max_gen = pcie_gen_of(l.max_gts);
      try {
        l.cur_width = static_cast<unsigned>(std::stoul(*cw));
        l.max_width = static_cast<unsigned>(std::stoul(*mw));
      } catch (const std::exception&) {
      }
      if (l.max_gen && l.max_width && l.max_width <= 32) {
        f.link = l;
        f.link_source = "sysfs";
        f.is_pcie = true;
      }
    }
  }

  auto fatal = total_line(s.attr(bdf, "aer_dev_fatal"), "TOTAL_ERR_FATAL");
  auto nonfatal = total_line(s.attr(bdf, "aer_dev_nonfatal"), "TOTAL_ERR_NONFATAL");
  auto cor = total_line(s.attr(bdf, "aer_dev_correctable"), "TOTAL_ERR_COR");
  if (fatal || nonfatal || cor)
    f.aer = AerCounts{cor.value_or(0), nonfatal.value_or(0), fatal.value_or(0)};
  return f;
}

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
