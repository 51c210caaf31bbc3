#pragma once
// One workload's measurement: operations, bytes, wall and CPU time, per-operation
// latencies and the outcome of the data check, serialised as one JSON line.
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vfiokit::passthrough {

/// Monotonic time in nanoseconds.
std::uint64_t now_ns();
/// CPU time of this process in nanoseconds.
std::uint64_t cpu_ns();

/// Collects what one workload did; to_json() is what the guest reports.
struct Measurement {
  std::string name;                         ///< e.g. "seq_read_1M" (the harness adds kind/config)
  std::uint64_t ops = 0;                    ///< completed operations (I/Os, round trips, chunks)
  std::uint64_t bytes = 0;                  ///< payload bytes moved
  std::uint64_t busy_ns = 0;                ///< time the throughput is computed over
  std::uint64_t cpu_ns = 0;                 ///< process CPU time spent in the workload
  std::uint64_t bytes_verified = 0;         ///< bytes compared against the pattern
  std::string check = "passed";             ///< "passed" or the first mismatch
  std::vector<std::uint64_t> latencies_ns;  ///< one per operation
  nlohmann::json extra = nlohmann::json::object();  ///< workload parameters

  /// Marks the data check failed with `why`, keeping the first failure only.
  void fail(const std::string& why);
  /// The JSON line: name, counts, bytes/s, ops/s, latency mean and percentiles.
  nlohmann::json to_json() const;
};

/// The `p`-th percentile (0..100) of `sorted` (ascending), nearest rank.
std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p);

}  // namespace vfiokit::passthrough
