// The wrapper's cost as numbers: each benchmark runs the library path and the
// raw path (same kernel calls, no vfiokit) interleaved in one loop, and reports
//   lib_ns, raw_ns  per operation,  ratio = lib_ns / raw_ns,  overhead_pct = (ratio - 1) * 100.
// MMIO: means over batches of 256 accesses. Map and IRQ: medians of per-operation
// samples (their tails are the kernel's and TCG's, not the wrapper's).
// The benchmark's own time is the library part. Goal (not asserted): ratio <= 1.01.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "bench/bench_env.hpp"
#include "bench/raw_vfio.hpp"
#include "bench/suites.hpp"
#include "vfiokit/drivers/edu/registers.hpp"

namespace vfiokit::bench {
namespace {

using Clock = std::chrono::steady_clock;

void report_ratio(benchmark::State& state, const std::string& prefix, double lib_ns,
                  double raw_ns) {
  if (lib_ns <= 0 || raw_ns <= 0) return;
  state.counters[prefix + "lib_ns"] = lib_ns;
  state.counters[prefix + "raw_ns"] = raw_ns;
  state.counters[prefix + "ratio"] = lib_ns / raw_ns;
  state.counters[prefix + "overhead_pct"] = (lib_ns / raw_ns - 1) * 100;
}

// Totals over batches (MMIO).
struct Pair {
  double lib_s = 0, raw_s = 0;
  uint64_t ops = 0;
  void report(benchmark::State& state) const {
    if (ops) report_ratio(state, "", lib_s / ops * 1e9, raw_s / ops * 1e9);
  }
};

// Per-operation samples (map, IRQ): the ratio of medians.
struct Samples {
  std::vector<double> lib_ns, raw_ns;
  static double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  }
  void report(benchmark::State& state, const std::string& prefix = "") const {
    report_ratio(state, prefix, median(lib_ns), median(raw_ns));
  }
};

// Library first on even iterations, raw first on odd ones, so drift and cache
// warmth do not favour either side.
// The library side's interval is the measured one (--inject-percent extends it).
template <typename Lib, typename Raw>
void interleave(benchmark::State& state, Pair& p, uint64_t batch, Lib&& lib, Raw&& raw) {
  bool lib_first = true;
  timed_loop(state, [&](auto extend) {
    double l = 0, r = 0;
    for (int side = 0; side < 2; ++side) {
      const bool do_lib = (side == 0) == lib_first;
      const auto t0 = Clock::now();
      for (uint64_t i = 0; i < batch; ++i) do_lib ? lib(i) : raw(i);
      if (do_lib)
        l += seconds_between(t0, extend(t0, Clock::now()));
      else
        r += seconds_between(t0, Clock::now());
    }
    lib_first = !lib_first;
    p.lib_s += l;
    p.raw_s += r;
    p.ops += batch;
    state.SetIterationTime(l);
  });
}

constexpr uint64_t kMmioBatch = 256;

void BM_OverheadMmioRead(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion lib = dev.map_region(RegionIndex::kBar0);
    const RawBar raw(dev, RegionIndex::kBar0);
    volatile uint32_t* reg = raw.reg32(edu::kRegId);
    Pair p;
    interleave(
        state, p, kMmioBatch, [&](uint64_t) { benchmark::DoNotOptimize(lib.read32(edu::kRegId)); },
        [&](uint64_t) {
          const uint32_t v = *reg;  // the volatile load itself, then keep its value
          benchmark::DoNotOptimize(v);
        });
    p.report(state);
  });
}

void BM_OverheadMmioWrite(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion lib = dev.map_region(RegionIndex::kBar0);
    const RawBar raw(dev, RegionIndex::kBar0);
    volatile uint32_t* reg = raw.reg32(edu::kRegLiveness);
    Pair p;
    interleave(
        state, p, kMmioBatch,
        [&](uint64_t i) { lib.write32(edu::kRegLiveness, static_cast<uint32_t>(i)); },
        [&](uint64_t i) { *reg = static_cast<uint32_t>(i); });
    p.report(state);
  });
}

// Map (and, in separate counters, unmap) of one buffer: DmaSpace::map +
// DmaMapping::unmap against one VFIO_IOMMU_MAP_DMA / IOMMU_IOAS_MAP ioctl each,
// at the same IOVA (the one the library's first-fit allocator hands out), since
// page-table levels make IOVAs far apart cost differently.
void BM_OverheadMap(benchmark::State& state, Target t, uint64_t size) {
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space();
    const RawDmaMapper raw(*s.device().context());
    DmaBuffer buf = DmaBuffer::allocate(size, PageBacking::k4K, /*populate=*/true);
    const uint64_t iova = space->map(buf).iova();  // where the library maps it
    Samples map, unmap;
    bool lib_first = true;
    for (auto _ : state) {
      double lm = 0;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == lib_first) {
          const auto t0 = Clock::now();
          DmaMapping m = space->map(buf);
          const auto t1 = Clock::now();
          m.unmap();
          const auto t2 = Clock::now();
          lm = seconds_between(t0, t1);
          map.lib_ns.push_back(lm * 1e9);
          unmap.lib_ns.push_back(seconds_between(t1, t2) * 1e9);
        } else {
          const auto t0 = Clock::now();
          int err = raw.map(buf.data(), iova, buf.size());
          const auto t1 = Clock::now();
          if (!err) err = raw.unmap(iova, buf.size());
          const auto t2 = Clock::now();
          if (err) {
            const std::string why =
                fmt::format("raw map/unmap at IOVA {:#x}: {}", iova, strerror(err));
            state.SkipWithError(why.c_str());
            return;
          }
          map.raw_ns.push_back(seconds_between(t0, t1) * 1e9);
          unmap.raw_ns.push_back(seconds_between(t1, t2) * 1e9);
        }
      }
      lib_first = !lib_first;
      state.SetIterationTime(lm);
    }
    map.report(state);
    unmap.report(state, "unmap_");
  });
}

// MSI round trips (raise, wake, acknowledge), a batch through IrqSet and library
// MMIO, then the IRQ index rewired to our own eventfd and a batch through raw
// calls. Rewiring (two VFIO_DEVICE_SET_IRQS) is not timed.
void BM_OverheadIrq(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion lib_bar = dev.map_region(RegionIndex::kBar0);
    const RawBar raw_bar(dev, RegionIndex::kBar0);
    volatile uint32_t* raise = raw_bar.reg32(edu::kRegIrqRaise);
    volatile uint32_t* ack = raw_bar.reg32(edu::kRegIrqAck);
    dev.enable_bus_master();
    lib_bar.write32(edu::kRegIrqAck, 0xffffffff);
    constexpr uint64_t kBatch = 16;
    constexpr uint32_t kBit = 0x8000;
    Samples rt;
    bool lib_first = true;
    for (auto _ : state) {
      double l = 0;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == lib_first) {
          const IrqSet irq = dev.enable_irq(IrqIndex::kMsi);
          for (uint64_t i = 0; i < kBatch; ++i) {
            const auto t0 = Clock::now();
            lib_bar.write32(edu::kRegIrqRaise, kBit);
            if (irq.wait(0, 2000) == 0)
              return state.SkipWithError("no MSI within 2 s (library path)");
            lib_bar.write32(edu::kRegIrqAck, kBit);
            const double d = seconds_between(t0, Clock::now());
            l += d;
            rt.lib_ns.push_back(d * 1e9);
          }
        } else {
          const RawIrq irq(dev, IrqIndex::kMsi);
          for (uint64_t i = 0; i < kBatch; ++i) {
            const auto t0 = Clock::now();
            *raise = kBit;
            if (irq.wait(2000) == 0) return state.SkipWithError("no MSI within 2 s (raw path)");
            *ack = kBit;
            rt.raw_ns.push_back(seconds_between(t0, Clock::now()) * 1e9);
          }
        }
      }
      lib_first = !lib_first;
      state.SetIterationTime(l);
    }
    rt.report(state);
  });
}

}  // namespace

void register_overhead_benchmarks(const Target& t) {
  const std::string l = t.label;
  benchmark::RegisterBenchmark(("overhead/" + l + "/map_4k").c_str(), BM_OverheadMap, t, 4096)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("overhead/" + l + "/map_2m").c_str(), BM_OverheadMap, t, 2ull << 20)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  if (!options().is_edu) return;  // MMIO and IRQ need edu's registers
  benchmark::RegisterBenchmark(("overhead/" + l + "/mmio_read").c_str(), BM_OverheadMmioRead, t)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("overhead/" + l + "/mmio_write").c_str(), BM_OverheadMmioWrite, t)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("overhead/" + l + "/irq").c_str(), BM_OverheadIrq, t)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace vfiokit::bench
