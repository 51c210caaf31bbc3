#include "pci/link.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "vfio/text_parse.hpp"

namespace vfiokit::pci {
namespace {

// The widest link PCIe defines (x32); sysfs shows other values for ports without a link.
constexpr uint64_t kMaxLinkWidth = 32;

std::string_view next_word(std::string_view& s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(b);
  const auto e = std::min(s.find_first_of(" \t\n"), s.size());
  const std::string_view w = s.substr(0, e);
  s.remove_prefix(e);
  return w;
}

std::optional<PcieLink> sysfs_link(const Sysfs& s, const std::string& bdf) {
  const auto cur = s.attr(bdf, "current_link_speed"), max = s.attr(bdf, "max_link_speed");
  const auto cw = s.attr(bdf, "current_link_width"), mw = s.attr(bdf, "max_link_width");
  if (!cur || !max || !cw || !mw) return std::nullopt;
  PcieLink l;
  l.cur_gts = parse_sysfs_link_speed(*cur);
  l.max_gts = parse_sysfs_link_speed(*max);
  l.cur_gen = pcie_gen_of(l.cur_gts);
  l.max_gen = pcie_gen_of(l.max_gts);
  const auto cur_width = parse_u64(*cw), max_width = parse_u64(*mw);
  if (cur_width && *cur_width <= kMaxLinkWidth) l.cur_width = static_cast<unsigned>(*cur_width);
  if (max_width && *max_width <= kMaxLinkWidth) l.max_width = static_cast<unsigned>(*max_width);
  if (!l.max_gen || !l.max_width) return std::nullopt;
  return l;
}

}  // namespace

double parse_sysfs_link_speed(std::string_view text) {
  const std::string_view number = next_word(text), unit = next_word(text), bus = next_word(text);
  if (unit != "GT/s" || !(bus.empty() || bus == "PCIe") || !next_word(text).empty()) return 0;
  double v = 0;
  const auto [p, ec] =
      std::from_chars(number.data(), number.data() + number.size(), v, std::chars_format::fixed);
  if (ec != std::errc{} || p != number.data() + number.size() || !std::isfinite(v) || v <= 0)
    return 0;
  return v;
}

unsigned pcie_gen_of(double gts) {
  for (unsigned g = 1; g <= 6; ++g)
    if (pcie_speed_gts(g) == gts) return g;
  return 0;
}

LinkReading read_link(const ConfigSpace& cfg, const Sysfs& sysfs, const std::string& bdf) {
  if (auto l = cfg.pcie_link()) return {l, "config"};
  // Without root, config space stops at 64 bytes; sysfs still shows the link.
  if (auto l = sysfs_link(sysfs, bdf)) return {l, "sysfs"};
  return {};
}

}  // namespace vfiokit::pci
