// One readiness check's outcome, and a list of them with the exit status
// `vfiokit check` derives from it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vfiokit::host {

/// A check's verdict, in increasing severity (SKIP: could not or need not be checked).
enum class Verdict { kPass, kSkip, kWarn, kFail };

/// "PASS", "SKIP", "WARN", "FAIL".
const char* verdict_name(Verdict v);

/// One check: a stable id ("host.iommu", "device.acs"), what it found and what to do.
struct CheckResult {
  std::string id;     ///< stable identifier, e.g. "host.interrupt_remapping"
  std::string title;  ///< short human name, e.g. "interrupt remapping"
  Verdict verdict = Verdict::kPass;
  std::string summary;                             ///< one line: what was found
  std::string hint;                                ///< one line: what to do (empty when nothing)
  nlohmann::json data = nlohmann::json::object();  ///< machine-readable facts
};

/// The checks of one subject (the host, or one device).
struct CheckGroup {
  std::string subject;  ///< "host" or a BDF
  std::vector<CheckResult> checks;
  /// The worst verdict in the group (kPass when empty).
  Verdict worst() const;
};

/// `vfiokit check`'s exit status: 0 all PASS/SKIP, 1 a WARN, 2 a FAIL.
int exit_status(const std::vector<CheckGroup>& groups);

/// The JSON of one check (see docs/schema/check.schema.json).
nlohmann::json to_json(const CheckResult& r);

}  // namespace vfiokit::host
