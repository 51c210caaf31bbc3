#include "tools/host/check.hpp"

#include <algorithm>

namespace vfiokit::host {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kFail:
      return "FAIL";
  }
  return "?";
}

Verdict CheckGroup::worst() const {
  Verdict w = Verdict::kPass;
  for (const auto& c : checks) w = std::max(w, c.verdict);
  return w;
}

int exit_status(const std::vector<CheckGroup>& groups) {
  Verdict w = Verdict::kPass;
  for (const auto& g : groups) w = std::max(w, g.worst());
  return w == Verdict::kFail ? 2 : w == Verdict::kWarn ? 1 : 0;
}

nlohmann::json to_json(const CheckResult& r) {
  return {{"id", r.id},           {"title", r.title}, {"verdict", verdict_name(r.verdict)},
          {"summary", r.summary}, {"hint", r.hint},   {"data", r.data}};
}

}  // namespace vfiokit::host
