// The one judgement of a device's PCIe link, from its facts: `vfiokit check`
// (device.pcie_link) and vfiokit-guest-check (link) both render it, so the host and a
// guest say the same thing about the same link.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "pci/device_facts.hpp"
#include "vfiokit/check/verdict.hpp"

namespace vfiokit::pci {

/// A link the user expects: (generation 1..6, lanes), as parse_link_spec reads it.
using LinkSpec = std::pair<unsigned, unsigned>;

struct LinkJudgement {
  check::Verdict verdict = check::Verdict::kSkip;
  std::string summary;  ///< trained vs maximum link and its bandwidth budget, or why no link
  std::string hint;     ///< the fix; empty on PASS
};

/// Judges the link of `f` (read from config space or, without root, from sysfs):
/// PASS trained at its maximum (and at least `expected`); WARN below its maximum speed
/// only (GPUs lower the speed when idle); FAIL fewer lanes than it has, or below
/// `expected`; SKIP no link to judge (capabilities unreadable and no sysfs link,
/// conventional PCI, an integrated endpoint, no link status).
LinkJudgement judge_link(const DeviceFacts& f, const std::optional<LinkSpec>& expected = {});

}  // namespace vfiokit::pci
