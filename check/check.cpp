#include "check/check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vfiokit::check {
namespace {

std::string sgr(const char* code, const std::string& s, bool color) {
  return color ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : s;
}

}  // namespace

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

Verdict Report::worst() const {
  Verdict w = Verdict::kPass;
  for (const auto& c : checks) w = std::max(w, c.verdict);
  return w;
}

Verdict worst(const std::vector<Report>& reports) {
  Verdict w = Verdict::kPass;
  for (const auto& r : reports) w = std::max(w, r.worst());
  return w;
}

int exit_status(const std::vector<Report>& reports) {
  switch (worst(reports)) {
    case Verdict::kFail:
      return kExitFail;
    case Verdict::kWarn:
      return kExitWarn;
    case Verdict::kPass:
    case Verdict::kSkip:
      break;
  }
  return kExitOk;
}

nlohmann::json to_json(const Check& c) {
  return {{"id", c.id},           {"title", c.title}, {"verdict", verdict_name(c.verdict)},
          {"summary", c.summary}, {"hint", c.hint},   {"data", c.data}};
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks) checks.push_back(to_json(c));
  return {{"subject", r.subject}, {"verdict", verdict_name(r.worst())}, {"checks", checks}};
}

nlohmann::json document(const std::string& command, const std::vector<Report>& reports) {
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& r : reports) rs.push_back(to_json(r));
  return {{"schema_version", 2},
          {"command", command},
          {"exit_status", exit_status(reports)},
          {"verdict", verdict_name(worst(reports))},
          {"reports", rs}};
}

std::string render_verdict(Verdict v, bool color) {
  const std::string name = verdict_name(v);
  switch (v) {
    case Verdict::kPass:
      return sgr("32", name, color);
    case Verdict::kWarn:
      return sgr("33", name, color);
    case Verdict::kFail:
      return sgr("31", sgr("1", name, color), color);
    case Verdict::kSkip:
      return sgr("2", name, color);
  }
  return name;
}

std::string render_check(const Check& c, bool color, std::size_t title_width) {
  std::string line = fmt::format("  {}  {:<{}}  ", render_verdict(c.verdict, color), c.title,
                                 std::max(title_width, c.title.size()));
  const auto ms = c.data.is_object() ? c.data.find("ms") : c.data.end();
  if (ms != c.data.end() && ms->is_number()) line += fmt::format("{:9.2f} ms  ", ms->get<double>());
  line += c.summary;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  line += "\n";
  if (!c.hint.empty() && c.verdict != Verdict::kPass)
    line +=
        fmt::format("        {:<{}}  {}\n", "", title_width, sgr("36", "hint: " + c.hint, color));
  return line;
}

std::string render_report(const Report& r, bool color) {
  std::size_t width = 0;
  for (const auto& c : r.checks) width = std::max(width, c.title.size());
  std::string out = sgr("1", r.subject, color) + "\n";
  for (const auto& c : r.checks) out += render_check(c, color, width);
  return out;
}

std::string summary_line(const std::vector<Report>& reports) {
  unsigned n[4] = {};
  for (const auto& r : reports)
    for (const auto& c : r.checks) ++n[static_cast<int>(c.verdict)];
  return fmt::format("{} PASS, {} WARN, {} FAIL, {} SKIP: exit {}",
                     n[static_cast<int>(Verdict::kPass)], n[static_cast<int>(Verdict::kWarn)],
                     n[static_cast<int>(Verdict::kFail)], n[static_cast<int>(Verdict::kSkip)],
                     exit_status(reports));
}

std::string render_text(const std::vector<Report>& reports, bool color) {
  std::string out;
  for (const auto& r : reports) out += render_report(r, color);
  return out + summary_line(reports) + "\n";
}

}  // namespace vfiokit::check
