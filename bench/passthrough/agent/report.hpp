#pragma once
// Host side: turns the guest agent's tagged output of each run (passthrough first,
// then the emulated configurations) into the project's benchmark JSON (Google
// Benchmark's schema: context + benchmarks), with passthrough/emulated ratios, a
// one-screen table and gnuplot input; and checks that every expected result is
// present and every data check passed.
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace vfiokit::passthrough {

/// What `vfiokit-passthrough-agent report` was asked to do.
struct ReportRequest {
  std::string kind;  ///< "nvme" or "nic"
  std::vector<std::pair<std::string, std::string>>
      runs;                         ///< (config, agent output file); [0] is passthrough
  std::vector<std::string> expect;  ///< workloads each run must report
  std::string context_file;         ///< key=value lines for "context"
  std::string json_out, table_out, plot_prefix;  ///< outputs ("" = skip); the plot files name each
                                                 ///< other relative to their folder
};

/// One run's agent output: its tagged lines (@@VFKPT-RESULT/INFO/DONE/FAIL) parsed.
struct Run {
  std::string config;
  std::map<std::string, nlohmann::json> results;  ///< by workload name
  std::vector<std::string> order;                 ///< workload names as first reported
  nlohmann::json info = nlohmann::json::object();
  bool done = false;
  std::string failure;  ///< why the run does not count ("" = it does)
};

/// Parses the agent's output (the guest's console: any other line is skipped). A
/// malformed tagged line or a missing @@VFKPT-DONE sets `failure`; nothing throws.
Run parse_agent_output(const std::string& config, std::istream& in);

/// Writes the outputs and prints the table. Returns 0 when every run reported every
/// expected workload with its data check passed, else 1 after saying what is missing.
int write_report(const ReportRequest& request);

}  // namespace vfiokit::passthrough
