#include "measurement.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vfiokit::passthrough {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
}

std::uint64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
}

void Measurement::fail(const std::string& why) {
  if (check == "passed") check = why;
}

std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

nlohmann::json Measurement::to_json() const {
  std::vector<std::uint64_t> sorted = latencies_ns;
  std::sort(sorted.begin(), sorted.end());
  double secs = double(busy_ns) / 1e9;
  double mean = sorted.empty() ? 0.0
                               : double(std::accumulate(sorted.begin(), sorted.end(), 0.0)) /
                                     double(sorted.size());
  nlohmann::json j = {
      {"name", name},
      {"ops", ops},
      {"bytes", bytes},
      {"seconds", secs},
      {"cpu_seconds", double(cpu_ns) / 1e9},
      {"bytes_per_second", secs > 0 ? double(bytes) / secs : 0.0},
      {"items_per_second", secs > 0 ? double(ops) / secs : 0.0},
      {"latency_mean_ns", mean},
      {"latency_p50_ns", percentile(sorted, 50)},
      {"latency_p90_ns", percentile(sorted, 90)},
      {"latency_p99_ns", percentile(sorted, 99)},
      {"latency_p999_ns", percentile(sorted, 99.9)},
      {"latency_max_ns", sorted.empty() ? 0 : sorted.back()},
      {"bytes_verified", bytes_verified},
      {"data_check", check},
  };
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

}  // namespace vfiokit::passthrough
