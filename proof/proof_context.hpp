// What the proof's steps share: the device, its context and driver as the steps
// before have left them. Private to proof/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vfio/human_bytes.hpp"
#include "vfiokit/proof/open_driver.hpp"
#include "vfiokit/proof/proof.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::proof {

struct ProofContext {
  ProofContext(std::string b, const ProofOptions& o)
      : bdf(std::move(b)), options(o), sysfs(o.sysfs_root), plan(plan_proof(bdf, o)) {}

  std::string bdf;
  const ProofOptions& options;
  Sysfs sysfs;
  ProofPlan plan;
  std::shared_ptr<IommuContext> iommu;  ///< open
  std::optional<Device> dev;            ///< open
  bool dma_mapped = false;              ///< dma-map passed
  OpenedDriver driver;                  ///< driver (driver.driver null after driver-remove)
  size_t transfer_bytes = 0;            ///< dma-roundtrip's size, also isolation's default
};

/// A step's verdict and what it saw; a step that throws FAILs with the message.
struct StepOutcome {
  Verdict verdict = Verdict::kPass;
  std::string summary;
  std::string hint;
};
inline StepOutcome pass(std::string s) { return {Verdict::kPass, std::move(s), {}}; }
inline StepOutcome skip(std::string s) { return {Verdict::kSkip, std::move(s), {}}; }
inline StepOutcome warn(std::string s, std::string hint = {}) {
  return {Verdict::kWarn, std::move(s), std::move(hint)};
}

/// One row of the step table.
struct Step {
  const char* id;
  bool required;      ///< its FAIL stops the proof: the later steps SKIP
  bool needs_driver;  ///< SKIPs when no vfiokit driver is up
  StepOutcome (*run)(ProofContext&);
};

/// The table, in order (proof/steps.cpp).
const std::vector<Step>& steps();

/// "4 KiB", "2 MiB", "1.5 GiB", "12 B" (vfio/human_bytes.hpp: the same words as the tools).
using pci::human_bytes;
/// `parts` joined with `sep`.
std::string join(const std::vector<std::string>& parts, const char* sep);

}  // namespace vfiokit::proof
