#include "pci/link_judgement.hpp"

#include <fmt/format.h>

#include "pci/link_budget.hpp"
#include "vfio/pci_port_type.hpp"

namespace vfiokit::pci {
namespace {

using check::Verdict;

/// Why there is no link to judge.
LinkJudgement no_link(const DeviceFacts& f) {
  if (f.config_bytes < 256)
    return {Verdict::kSkip, "link unknown: capabilities not readable and no sysfs link attributes",
            "run as root to read the PCIe capability"};
  if (!f.is_pcie) return {Verdict::kSkip, "conventional PCI device: no PCIe link", ""};
  if (f.pcie_port_type == kPortTypeIntegratedEndpoint)
    return {Verdict::kSkip,
            "root-complex integrated endpoint: no link to train (how QEMU shows devices on "
            "q35's pcie.0; a pcie-root-port gives the guest a link)",
            ""};
  return {Verdict::kSkip, "PCIe device without a link status", ""};
}

}  // namespace

LinkJudgement judge_link(const DeviceFacts& f, const std::optional<LinkSpec>& expected) {
  if (!f.link || f.link->max_width == 0) return no_link(f);
  const PcieLink& l = *f.link;
  const LinkBudget cur = link_budget(l.cur_gts, l.cur_width, f.mps);
  const LinkBudget max = link_budget(l.max_gts, l.max_width, f.mps);
  LinkJudgement j{Verdict::kPass,
                  fmt::format("trained at {} of {}: {:.1f} GB/s per direction theoretical, "
                              "~{:.1f} GB/s practical ({})",
                              describe_link(l, true), describe_link(l, false), cur.theoretical_gbs,
                              cur.practical_gbs,
                              f.mps ? fmt::format("MPS {}", f.mps)
                                    : std::string("MPS unknown, 128 assumed")),
                  ""};
  if (expected) {
    const auto [gen, width] = *expected;
    const std::string want = fmt::format("; expected Gen{} x{}", gen, width);
    if (l.max_gen < gen || l.max_width < width)
      return {Verdict::kFail, j.summary + want,
              fmt::format("the device advertises at most {}: a different card or slot than "
                          "expected, or the VMM's virtual port caps it (QEMU pcie-root-port "
                          "x-speed/x-width)",
                          describe_link(l, false))};
    if (l.cur_gen < gen || l.cur_width < width)
      return {Verdict::kFail, j.summary + want,
              fmt::format("link trained at {} instead of Gen{} x{} ({:.1f} of {:.1f} GB/s): "
                          "reseat the card, check the slot's wiring/bifurcation and riser, "
                          "and the BIOS slot speed; GPUs also drop speed at idle, so rerun "
                          "under load",
                          describe_link(l, true), gen, width, cur.theoretical_gbs,
                          max.theoretical_gbs)};
  }
  if (l.cur_width < l.max_width)
    return {Verdict::kFail, j.summary,
            fmt::format("link trained at x{} of x{} lanes ({:.1f} of {:.1f} GB/s): reseat the "
                        "card, check the slot's electrical width, bifurcation and riser",
                        l.cur_width, l.max_width, cur.theoretical_gbs, max.theoretical_gbs)};
  if (l.cur_gen < l.max_gen)
    return {Verdict::kWarn, j.summary,
            fmt::format("link trained at Gen{} of Gen{}: GPUs lower the link speed when idle, "
                        "so rerun under load; if it stays, check the BIOS slot speed, riser "
                        "and signal integrity",
                        l.cur_gen, l.max_gen)};
  return j;
}

}  // namespace vfiokit::pci
