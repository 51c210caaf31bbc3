// The one check model of every vfiokit program that judges (vfiokit check and probe,
// vfiokit-guest-check): a check's verdict, a report of checks about one subject, the
// text and JSON they print, and the exit status they end with (docs/cli.md, "Exit
// status"; docs/schema/report.schema.json). Not part of libvfiokit: it uses
// nlohmann-json and fmt, as the programs do.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vfiokit/check/verdict.hpp"

namespace vfiokit::check {

/// "PASS", "SKIP", "WARN", "FAIL".
const char* verdict_name(Verdict v);

/// One judged check: a stable id, what it found and what to do about it.
struct Check {
  std::string id;     ///< stable identifier, e.g. "host.interrupt_remapping", "open", "link"
  std::string title;  ///< short human name, e.g. "interrupt remapping"
  Verdict verdict = Verdict::kPass;
  std::string summary;                             ///< one line: what was found
  std::string hint;                                ///< one line: what to do (empty when nothing)
  nlohmann::json data = nlohmann::json::object();  ///< machine-readable facts
};

/// The checks of one subject ("host", a device's BDF, "guest").
struct Report {
  std::string subject;
  std::vector<Check> checks;
  /// The worst verdict of its checks (kPass when it has none).
  Verdict worst() const;
};

/// The worst verdict of every report (kPass when there are none).
Verdict worst(const std::vector<Report>& reports);

/// The exit statuses of every vfiokit program (docs/cli.md). 0/1/2 are the verdicts'
/// (exit_status); a program that could not judge at all exits kExitCouldNotRun, one
/// called wrongly kExitUsage (sysexits' EX_USAGE).
inline constexpr int kExitOk = 0;
inline constexpr int kExitWarn = 1;
inline constexpr int kExitFail = 2;
inline constexpr int kExitCouldNotRun = 3;
inline constexpr int kExitUsage = 64;

/// 0 every check PASS or SKIP, 1 a WARN (no FAIL), 2 a FAIL.
int exit_status(const std::vector<Report>& reports);

/// One check as JSON: {id, title, verdict, summary, hint, data}.
nlohmann::json to_json(const Check& c);
/// One report as JSON: {subject, verdict, checks}.
nlohmann::json to_json(const Report& r);

/// The report document of `command` (docs/schema/report.schema.json):
/// {schema_version, command, exit_status, verdict, reports}.
nlohmann::json document(const std::string& command, const std::vector<Report>& reports);

/// The verdict word, coloured (ANSI) when `color`: PASS green, WARN yellow, FAIL bold
/// red, SKIP dim.
std::string render_verdict(Verdict v, bool color);

/// One check as text: "  PASS  title  [12.34 ms  ]summary", the title padded to
/// `title_width`, then "hint: ..." indented below unless it passed. A check whose data
/// has a number "ms" shows it as its wall time. Ends with a newline.
std::string render_check(const Check& c, bool color, std::size_t title_width);

/// A report as text: its subject (bold), then each check with the titles aligned.
std::string render_report(const Report& r, bool color);

/// "3 PASS, 1 WARN, 0 FAIL, 2 SKIP: exit 1" (no newline).
std::string summary_line(const std::vector<Report>& reports);

/// Every report, then the summary line: what a program prints instead of --json.
std::string render_text(const std::vector<Report>& reports, bool color);

}  // namespace vfiokit::check
