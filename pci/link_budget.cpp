#include "pci/link_budget.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::pci {

double pcie_encoding_efficiency(double gts) {
  if (gts <= 0) return 0;
  if (gts <= 5.0) return 8.0 / 10.0;
  if (gts <= 32.0) return 128.0 / 130.0;
  return 242.0 / 256.0;
}

LinkBudget link_budget(double gts, unsigned width, unsigned mps) {
  LinkBudget b;
  b.theoretical_gbs = gts * width * pcie_encoding_efficiency(gts) / 8.0;
  if (mps == 0) mps = 128;  // the PCIe default when Device Control cannot be read
  b.practical_gbs = b.theoretical_gbs * mps / (mps + 24.0) * 0.97;
  return b;
}

std::string describe_link(unsigned gen, double gts, unsigned width) {
  if (gen == 0 || width == 0) return "unknown";
  return fmt::format("Gen{} x{} ({:g} GT/s)", gen, width, gts);
}

std::string describe_link(const PcieLink& l, bool current) {
  return current ? describe_link(l.cur_gen, l.cur_gts, l.cur_width)
                 : describe_link(l.max_gen, l.max_gts, l.max_width);
}

std::pair<unsigned, unsigned> parse_link_spec(const std::string& text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c)))
      s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.rfind("gen", 0) == 0) s = s.substr(3);
  unsigned gen = 0, width = 0;
  int used = 0;
  if (std::sscanf(s.c_str(), "%ux%u%n", &gen, &width, &used) != 2 ||
      used != static_cast<int>(s.size()) || gen < 1 || gen > 6 ||
      (width != 1 && width != 2 && width != 4 && width != 8 && width != 12 && width != 16 &&
       width != 32))
    throw_error("parse link", "'" + text + "'", EINVAL,
                "write the link as gen<1..6>x<lanes>, e.g. gen5x16 or gen4x8");
  return {gen, width};
}

}  // namespace vfiokit::pci
