// What every vfiokit benchmark shares: the run's options (device, backends,
// sizes), the device session each backend's benchmarks reuse, and helpers to
// name benchmarks and to skip them with a reason that lands in the JSON.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/mapping.hpp"
#include "vfiokit/vfio/device.hpp"

namespace vfiokit::bench {

/// One backend to measure: its label in benchmark names and how to open it.
struct Target {
  std::string label;  ///< "type1v2", "type1", "iommufd" or "compat"
  Backend backend;    ///< what Device::open gets
};

/// The run's settings (command line, then environment, then defaults).
struct Options {
  std::string bdf;                ///< the device measured
  bool is_edu = false;            ///< MMIO, IRQ and device-DMA benchmarks need edu
  std::string nvme_bdf;           ///< an NVMe controller bound to vfio-pci, if any
  bool allow_write = false;       ///< --allow-write: the nvme_write benchmarks may run
  std::vector<Target> targets;    ///< backends, in run order
  uint64_t max_size = 0;          ///< largest DMA map size measured
  std::vector<uint64_t> sizes;    ///< DMA map sizes, ascending, all <= max_size
  double inject_percent = 0;      ///< --inject-percent: injected slowdown (timed_loop)
};

/// The options parsed by main(); set once before benchmarks are registered.
Options& options();

/// "4k"/"64k"/"2m"/"1g"-style size for labels.
std::string size_label(uint64_t bytes);
/// Parses "4096", "64k", "2M", "1G" (binary units); throws vfiokit::Error naming `what`.
uint64_t parse_size(const std::string& text, const std::string& what);

/// The first PCI device with vendor:device, or empty.
std::string find_pci(uint16_t vendor, uint16_t device);
/// The first PCI device with this class code bound to vfio-pci, or empty.
std::string find_vfio_pci_class(uint32_t class_code);
/// Resolves backend names (type1v2, type1, iommufd, compat, container, auto)
/// into targets, probing the kernel with one open of `bdf` where needed.
/// Throws vfiokit::Error for a backend this kernel does not offer.
std::vector<Target> resolve_targets(const std::string& bdf, const std::vector<std::string>& names);
/// Sets /proc/sys/vm/nr_hugepages to `n` (2 MiB pages); returns how many are free after.
uint64_t reserve_hugepages(uint64_t n);
/// MemAvailable from /proc/meminfo in bytes (0 if unknown).
uint64_t mem_available();

/// Why a buffer of `size` bytes of `backing` cannot be had now, or nullopt.
/// The reason names the fix (reserve hugepages, raise the VM's memory).
std::optional<std::string> cannot_allocate(uint64_t size, PageBacking backing);

/// A device opened in one backend, kept open across that backend's benchmarks
/// (benchmarks run in registration order, grouped by backend). Opening another
/// backend, or close(), closes it first: a device cannot be open in two at once.
class Session {
 public:
  /// The session of `bdf` in `target`, opened now if it is not the current one.
  static Session& get(const Target& target, const std::string& bdf);
  /// Closes the current session (before timing Device::open).
  static void close();

  Device& device() { return device_; }
  /// A DmaSpace over the whole IOVA space, or limited to `iova_limit` (edu's 2^28).
  /// Recreated when the limit changes; no mapping may be alive then.
  const std::shared_ptr<DmaSpace>& space(uint64_t iova_limit = UINT64_MAX);

 private:
  Session(const Target& target, const std::string& bdf);
  Target target_;
  Device device_;
  std::shared_ptr<DmaSpace> space_;
  uint64_t space_limit_ = 0;
};

/// Runs `body`, turning a vfiokit::Error (or any exception) into SkipWithError
/// with its message, so one failing benchmark reports why and the run goes on.
template <typename F>
void guarded(benchmark::State& state, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// --- --inject-percent: an injected regression for the A/B gate's own check -------------
// bench/run-testbed --inject-percent P runs vfiokit_bench --inject-percent P beside the
// plain run and requires the gate to FAIL it (else the gate is blind). The gated
// benchmarks (dma_map, dma_unmap, mmio_read/mmio_write, overhead/*/mmio_*) run their
// timed loop through timed_loop/timed_loop_auto, which branch on the option once,
// BEFORE the loop: at 0 the loop is the plain `for (auto _ : state)` it always was (no
// per-iteration test), so an old revision (A) and this one (B) time the same code.

/// No injection: the interval ends where it ended.
struct NoInjection {
  std::chrono::steady_clock::time_point operator()(std::chrono::steady_clock::time_point,
                                                   std::chrono::steady_clock::time_point t1) const {
    return t1;
  }
};

/// Real extra work: spins until `fraction` of the interval [t0, t1] has passed again
/// after t1, and returns when it stopped (the extended end of the interval).
struct Injection {
  double fraction;
  std::chrono::steady_clock::time_point operator()(std::chrono::steady_clock::time_point t0,
                                                   std::chrono::steady_clock::time_point t1) const {
    const auto until =
        t1 + std::chrono::duration_cast<std::chrono::steady_clock::duration>((t1 - t0) * fraction);
    auto now = std::chrono::steady_clock::now();
    while (now < until) now = std::chrono::steady_clock::now();
    return now;
  }
};

/// A timed loop whose body times itself (manual time): `body(extend)` runs once per
/// iteration and ends its measured interval with `t1 = extend(t0, Clock::now())`.
template <typename Body>
void timed_loop(benchmark::State& state, Body&& body) {
  if (options().inject_percent <= 0) {
    for (auto _ : state) body(NoInjection{});
    return;
  }
  const Injection inject{options().inject_percent / 100};
  for (auto _ : state) body(inject);
}

/// A loop Google Benchmark times (auto time) around `body()`. With an injection, the
/// iterations run in batches of 256 timed with the clock, each followed by the spin
/// (one clock read per iteration would cost more than the 3-8 instruction MMIO bodies).
template <typename Body>
void timed_loop_auto(benchmark::State& state, Body&& body) {
  if (options().inject_percent <= 0) {
    for (auto _ : state) body();
    return;
  }
  constexpr benchmark::IterationCount kBatch = 256;
  const Injection inject{options().inject_percent / 100};
  while (state.KeepRunningBatch(kBatch)) {
    const auto t0 = std::chrono::steady_clock::now();
    for (benchmark::IterationCount i = 0; i < kBatch; ++i) body();
    inject(t0, std::chrono::steady_clock::now());
  }
}

/// Reports time in nanoseconds of a steady clock span.
double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b);

}  // namespace vfiokit::bench
