// Device open/attach time per backend: Device::open = new IOMMU context
// (container + group + IOMMU type, or iommufd + IOAS), device attach
// (group get-fd, or cdev bind + attach) and the device info queries.
#include <fmt/format.h>

#include <chrono>

#include "bench/bench_env.hpp"
#include "bench/suites.hpp"

namespace vfiokit::bench {
namespace {

using Clock = std::chrono::steady_clock;

void BM_DeviceOpen(benchmark::State& state, Target t) {
  Session::close();  // the device must not be open in any context
  guarded(state, [&] {
    for (auto _ : state) {
      const auto t0 = Clock::now();
      auto dev = Device::open_unique(options().bdf, t.backend);
      const auto t1 = Clock::now();
      dev.reset();  // closing is not timed
      state.SetIterationTime(seconds_between(t0, t1));
    }
  });
}

}  // namespace

void register_open_benchmarks() {
  for (const Target& t : options().targets)
    benchmark::RegisterBenchmark(fmt::format("device_open/{}", t.label).c_str(), BM_DeviceOpen, t)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace vfiokit::bench
