// The CUDA samples (cuda-samples/) as the guest check sees them: programs named
// vfiokit-cuda-<sample> that print one JSON document with --json. Runs them and
// parses what they print; or reads a saved run, to judge it again offline.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "guest-tests/subprocess.hpp"

namespace vfiokit::guest {

/// The samples, in the order the guest check runs them.
const std::vector<std::string>& cuda_sample_names();

/// One measured result of a sample (see docs/guest-tests.md for the names).
struct SampleResult {
  std::string name;  ///< e.g. "h2d/pinned/ce/1GiB"
  double value = 0;
  std::string unit;  ///< "GB/s", "TFLOP/s", "us", ...
  bool higher_is_better = true;
  bool verified = false;
  uint64_t iterations = 0;
  double seconds = 0;  ///< wall time the value was measured over
  nlohmann::json raw;  ///< the whole entry, sample-specific fields included
};

/// One job of the concurrency sample.
struct SampleJob {
  int id = 0;
  std::string mode;  ///< "process" or "stream"
  bool verified = false;
  double seconds = 0;
  std::string error;
};

/// What one sample run produced.
struct SampleOutput {
  std::string sample;
  bool ran = false;  ///< executed, exited (any status), printed parseable JSON
  int exit_code = -1;
  bool timed_out = false;
  bool ok = false;      ///< the sample's own verdict: every result verified, no CUDA error
  std::string problem;  ///< why it did not run or could not be parsed; empty otherwise
  std::vector<std::string> errors;  ///< the sample's own error list
  std::vector<SampleResult> results;
  std::vector<SampleJob> jobs;
  nlohmann::json device;  ///< the CUDA device the sample used
  std::string stderr_tail;
  std::string text;  ///< the JSON document as printed (saved by --save-samples)

  /// The result called `name`, or nullptr.
  const SampleResult* find(const std::string& name) const;
};

/// Parses a sample's JSON document. A document that is not a sample's gives
/// ran = false and `problem` saying what is wrong.
SampleOutput parse_sample_output(const std::string& sample, const std::string& json_text);

/// Runs `<dir>/vfiokit-cuda-<sample> --json --device <bdf> [args]` and parses its output.
SampleOutput run_sample(CommandRunner& runner, const std::filesystem::path& dir,
                        const std::string& sample, const std::string& bdf,
                        const std::vector<std::string>& args, int timeout_s);

/// Reads `<dir>/<sample>.json` saved from an earlier run (e.g. by --save-samples).
SampleOutput load_sample(const std::filesystem::path& dir, const std::string& sample);

}  // namespace vfiokit::guest
