// The proof's runner: the plan, then each step of the table in order, timed.
#include "vfiokit/proof/proof.hpp"

#include <algorithm>
#include <chrono>

#include "proof/proof_context.hpp"
#include "vfio/format.hpp"

namespace vfiokit::proof {

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

Verdict ProofResult::worst() const {
  Verdict w = Verdict::kPass;
  for (const auto& s : steps) w = std::max(w, s.verdict);
  return w;
}

const StepResult* ProofResult::step(const std::string& id) const {
  for (const auto& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

std::vector<std::string> step_ids() {
  std::vector<std::string> ids;
  for (const auto& s : steps()) ids.emplace_back(s.id);
  return ids;
}

ProofPlan plan_proof(const std::string& bdf, const ProofOptions& options) {
  // The class code from sysfs, before the device is opened: the plan comes first.
  const uint32_t class_code = Sysfs(options.sysfs_root).hex_attr(bdf, "class").value_or(0);
  ProofPlan p;
  p.reset_skip = reset_skip_reason(options.reset, class_code);
  p.reset = p.reset_skip.empty();
  p.allow_write = options.allow_write;
  std::vector<std::string> names = step_ids();
  for (auto& n : names)
    if (n == "reset") n = reset_plan(options.reset, class_code);
  p.text = "plan: " + join(names, ", ") + "; " +
           (options.allow_write ? "storage writes allowed (--allow-write)"
                                : "no storage writes (--allow-write not given)");
  return p;
}

ProofResult run_proof(const std::string& bdf, const ProofOptions& options) {
  ProofContext c(bdf, options);
  ProofResult r;
  r.bdf = bdf;
  std::string blocked;  // "X failed" once a required step X failed
  for (const Step& step : steps()) {
    StepResult s{step.id, step.id, Verdict::kPass, "", "", 0};
    if (!blocked.empty()) {
      s.verdict = Verdict::kSkip;
      s.summary = "not run: " + blocked;
    } else if (step.needs_driver && !c.driver.driver) {
      s.verdict = Verdict::kSkip;
      s.summary = "not run: no vfiokit driver up (see the driver step)";
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        StepOutcome o = step.run(c);
        s.verdict = o.verdict;
        s.summary = std::move(o.summary);
        s.hint = std::move(o.hint);
      } catch (const std::exception& e) {
        s.verdict = Verdict::kFail;
        s.summary = e.what();
      }
      s.ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (s.verdict == Verdict::kFail && step.required) blocked = s.id + " failed";
    }
    if (options.on_step) options.on_step(s);
    r.steps.push_back(std::move(s));
  }
  r.context = c.iommu ? c.iommu->name() : "";
  if (c.dev) {
    try {
      if (const DriverEntry* e = find_driver(*c.dev)) r.driver = e->name;
    } catch (const std::exception&) {
    }
  }
  return r;
}

}  // namespace vfiokit::proof
