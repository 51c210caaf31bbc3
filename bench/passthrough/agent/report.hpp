#pragma once
// Host side: turns the guest agent's tagged output of each run (passthrough first,
// then the emulated configurations) into the project's benchmark JSON (Google
// Benchmark's schema: context + benchmarks), with passthrough/emulated ratios, a
// one-screen table and gnuplot input; and checks that every expected result is
// present and every data check passed.
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

/// Writes the outputs and prints the table. Returns 0 when every run reported every
/// expected workload with its data check passed, else 1 after saying what is missing.
int write_report(const ReportRequest& request);

}  // namespace vfiokit::passthrough
