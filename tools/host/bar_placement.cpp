#include "tools/host/bar_placement.hpp"

#include <regex>

#include "pci/bar.hpp"
#include "pci/device_facts.hpp"
#include "tools/host/pci_facts.hpp"
#include "vfio/kernel_log.hpp"
#include "vfio/text_parse.hpp"

namespace vfiokit::host {
namespace {

namespace sfs = std::filesystem;

// The kernel's record that it could not place BAR `index` of `bdf`, and the size it
// names: "pci 0000:00:06.0: BAR 2 [mem size 0x1000000000 64bit pref]: failed to assign"
// (6.x), "pci 0000:00:06.0: BAR 2: failed to assign [mem size 0x...]" (older).
void size_from_kernel_log(const std::vector<KmsgRecord>& log, const std::string& bdf,
                          UnplacedBar& bar) {
  static const std::regex kSize("size 0x([0-9a-f]+)");
  const std::string needle = bdf + ": BAR " + std::to_string(bar.index) + " ";
  const std::string needle_old = bdf + ": BAR " + std::to_string(bar.index) + ":";
  for (const auto& r : log) {
    if (!r.from_kernel() || r.text.find("failed to assign") == std::string::npos) continue;
    if (r.text.find(needle) == std::string::npos && r.text.find(needle_old) == std::string::npos)
      continue;
    std::smatch m;
    if (std::regex_search(r.text, m, kSize)) bar.size = parse_u64(m[1].str(), 16);
    bar.kernel_record = r.text;
  }
}

}  // namespace

std::vector<UnplacedBar> unplaced_bars(const HostFs& fs, const pci::DeviceFacts& f,
                                       const std::string& kmsg) {
  std::vector<UnplacedBar> out;
  const ConfigSpace& cfg = f.config;
  if (cfg.size() < 0x28 || cfg.header_type() != 0) return out;  // endpoints have 6 BARs
  std::vector<bool> placed(6, false);
  for (const auto& b : f.bars)
    if (!b.is_rom()) placed[b.index] = true;
  std::vector<KmsgRecord> log;
  for (unsigned i = 0; i < 6; ++i) {
    const uint32_t reg = cfg.read32(0x10 + 4 * i);
    UnplacedBar bar;
    bar.index = i;
    bar.io = reg & 1;
    bar.mem64 = !bar.io && ((reg >> 1) & 3) == 2;
    bar.prefetchable = !bar.io && (reg & 8);
    const uint64_t address = bar.io ? (reg & ~3u) : (reg & ~0xfu);
    const bool implemented = bar.io || bar.mem64 || bar.prefetchable || address != 0;
    if (implemented && !placed[i]) {
      if (log.empty()) log = read_kernel_log(fs.path(kmsg));
      size_from_kernel_log(log, f.bdf, bar);
      out.push_back(bar);
    }
    if (bar.mem64) ++i;  // the next register is this BAR's upper half
  }
  return out;
}

std::optional<uint64_t> root_window_above_4g(const HostFs& fs, const std::string& bdf) {
  std::error_code ec;
  const sfs::path dev = sfs::canonical(fs.sysfs().device_dir(bdf), ec);
  std::string root;  // "pci0000:00" -> "PCI Bus 0000:00"
  for (const auto& part : dev)
    if (part.string().rfind("pci", 0) == 0 && part.string().size() == 10)
      root = "PCI Bus " + part.string().substr(3);
  if (root.empty()) return std::nullopt;
  uint64_t total = 0;
  bool any_address = false;
  for (const auto& line : fs.lines("proc/iomem")) {
    const auto r = parse_iomem_line(line);
    if (!r) continue;
    any_address = any_address || r->end != 0;
    if (line.empty() || line[0] == ' ' || r->name != root) continue;  // top level only
    if (r->start >= (uint64_t{1} << 32)) total += r->end - r->start + 1;
  }
  if (!any_address) return std::nullopt;
  return total;
}

}  // namespace vfiokit::host
