// The ownership proof as a library: a fixed table of named steps (open, config, bars,
// dma-map, interrupts, reset, driver, dma-roundtrip, interrupt, isolation,
// driver-remove), each proving one thing about a device this process holds through
// VFIO, run in order and timed. `vfiokit probe` prints it; tests/vm/proof_test.cpp
// runs it over every IOMMU mode. proof/steps.cpp states what each step guarantees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vfiokit/check/verdict.hpp"
#include "vfiokit/proof/reset_policy.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit::proof {

using check::Verdict;

/// The size of the buffer the dma-map step maps (and of the memory it pins).
inline constexpr uint64_t kDmaMapBytes = 2ull << 20;

/// One step's outcome.
struct StepResult {
  std::string id;     ///< stable step name, e.g. "dma-map" (also its JSON id)
  std::string title;  ///< what it prints as its name (today the id)
  Verdict verdict = Verdict::kPass;
  std::string summary;  ///< what it saw, or why it failed or did not run
  std::string hint;     ///< what to do (empty when nothing)
  double ms = 0;        ///< wall time of the step (0 when it did not run)
};

/// How to run the proof.
struct ProofOptions {
  Backend backend = Backend::kAuto;
  /// Whether the reset step runs (default: not on display devices).
  ResetPolicy reset = ResetPolicy::kUnlessDisplay;
  /// Run the steps that write the device's storage (NVMe: a copy through the
  /// namespace's last LBAs, whose data it destroys).
  bool allow_write = false;
  /// The VF token to present when the device is a VF whose PF is on vfio-pci (empty: none).
  std::string vf_token;
  /// Tests only: the isolation DMA's size instead of the transfer size (0).
  size_t isolation_bytes = 0;
  /// Where sysfs is (tests: a fixture tree).
  std::filesystem::path sysfs_root = "/";
  /// Called as each step ends, in order (a program prints it there).
  std::function<void(const StepResult&)> on_step;
};

/// What the proof will do, known before anything is opened.
struct ProofPlan {
  std::string text;  ///< "plan: open, ..., reset (skipped: --no-reset), ...; no storage writes ..."
  bool reset = true;       ///< whether the reset step runs
  std::string reset_skip;  ///< its SKIP summary when it does not
  bool allow_write = false;
};

/// Everything the proof found.
struct ProofResult {
  std::string bdf;
  std::vector<StepResult> steps;  ///< one per step of the table, in order
  std::string context;            ///< what served it ("iommufd", ...); empty when open failed
  std::string driver;             ///< the vfiokit driver ("edu", "nvme"); empty when none
  /// The worst verdict of the steps.
  Verdict worst() const;
  /// The step with this id, or nullptr.
  const StepResult* step(const std::string& id) const;
};

/// The step ids in order.
std::vector<std::string> step_ids();

/// The plan for `bdf` (its class code read from sysfs: display devices are not reset
/// by default).
ProofPlan plan_proof(const std::string& bdf, const ProofOptions& options);

/// Runs every step on `bdf` (bound to vfio-pci). A step that throws FAILs with the
/// error's message; after a required step (open, driver) FAILs, the rest SKIP "not
/// run: X failed". Never throws for what the device or kernel does.
ProofResult run_proof(const std::string& bdf, const ProofOptions& options);

}  // namespace vfiokit::proof
