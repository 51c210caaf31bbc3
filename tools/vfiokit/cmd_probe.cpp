// `vfiokit probe`: the device's facts (pci/, read once before the proof, as check reads
// them), then the ownership proof (vfiokit/proof/proof.hpp) printed step by step as each
// ends, then rendered as the check report (text or JSON, facts in "device") and its exit
// status.
#include <fmt/format.h>

#include "check/check.hpp"
#include "pci/device_facts.hpp"
#include "pci/facts_json.hpp"
#include "tools/host/device_checks.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/proof/proof.hpp"

namespace vfiokit::cli {
namespace {

using check::Verdict;

// device.memlock budgets for the buffer the dma-map step maps.
static_assert(host::kProbeDmaBytes == proof::kDmaMapBytes);

/// A step as a check of the report: id and title the step's, data.ms its time.
check::Check to_check(const proof::StepResult& s) {
  return {s.id, s.title, s.verdict, s.summary, s.hint, {{"ms", s.ms}}};
}

/// "0000:00:03.0 1b36:0010 (class 010802), driver vfio-pci, IOMMU group 3".
std::string device_line(const pci::DeviceFacts& f) {
  return fmt::format("{}, driver {}, IOMMU group {}", f.describe(), f.driver.value_or("none"),
                     f.iommu_group ? std::to_string(*f.iommu_group) : std::string("none"));
}

constexpr size_t kTitleWidth = 13;  // the longest step name ("dma-roundtrip")

}  // namespace

int run_probe(const GlobalOptions& g, const std::string& text, const ProbeOptions& options) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const pci::DeviceFacts facts = pci::read_device_facts(fs.sysfs(), bdf);
  proof::ProofOptions po;
  po.backend = parse_backend(options.backend);
  po.reset = options.reset;
  po.allow_write = options.allow_write;
  po.isolation_bytes = options.isolation_bytes;
  po.vf_token = options.vf_token;
  po.sysfs_root = fs.sysfs().root();
  const proof::ProofPlan plan = proof::plan_proof(bdf, po);
  if (!g.json) {
    std::printf("%s\n%s\n%s\n",
                Painter(g.color)
                    .bold(fmt::format("probe {} (backend {})", bdf, backend_name(po.backend)))
                    .c_str(),
                device_line(facts).c_str(), plan.text.c_str());
    std::fflush(stdout);
    po.on_step = [&](const proof::StepResult& s) {
      std::fputs(check::render_check(to_check(s), g.color, kTitleWidth).c_str(), stdout);
      std::fflush(stdout);
    };
  }
  const proof::ProofResult result = proof::run_proof(bdf, po);

  check::Report report{bdf, {}};
  for (const auto& s : result.steps) {
    check::Check c = to_check(s);
    // What served the probe, on the steps it concerns: the backend and the IOMMU
    // context (null when open failed) on open, the vfiokit driver (or null) on driver.
    if (c.id == "open") {
      c.data["backend"] = backend_name(po.backend);
      c.data["context"] =
          result.context.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.context);
    } else if (c.id == "driver") {
      c.data["driver"] =
          result.driver.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.driver);
    }
    report.checks.push_back(std::move(c));
  }
  const std::vector<check::Report> reports = {report};
  if (g.json) {
    nlohmann::json doc = check::document("probe", reports);
    doc["plan"] = {{"text", plan.text}, {"reset", plan.reset}, {"allow_write", plan.allow_write}};
    doc["device"] = pci::facts_json(facts);
    print_json(doc);
  } else {
    const Painter p(g.color);
    const Verdict worst = check::worst(reports);
    std::printf("%s\n%s\n",
                worst == Verdict::kFail   ? p.red("probe failed").c_str()
                : worst == Verdict::kWarn ? p.yellow("ownership proven, with warnings").c_str()
                                          : p.green("ownership proven").c_str(),
                check::summary_line(reports).c_str());
  }
  return check::exit_status(reports);
}

}  // namespace vfiokit::cli
