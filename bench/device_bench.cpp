// What a driver pays per device access through VFIO: BAR register reads and
// writes (the library's MappedRegion beside a raw volatile pointer into our own
// mmap), MSI round trips (IrqSet::wait beside our own eventfd + poll/read), and
// edu's device DMA through the IOMMU.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "bench/bench_env.hpp"
#include "bench/raw_vfio.hpp"
#include "bench/suites.hpp"
#include "vfiokit/drivers/edu/edu.hpp"
#include "vfiokit/drivers/edu/registers.hpp"

namespace vfiokit::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kRaiseBit = 0x8000;  // an edu IRQ status bit nothing else uses
constexpr int kIrqTimeoutMs = 2000;

void BM_MmioReadLib(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion bar0 = dev.map_region(RegionIndex::kBar0);
    timed_loop_auto(state, [&] { benchmark::DoNotOptimize(bar0.read32(edu::kRegId)); });
  });
}

void BM_MmioReadRaw(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const RawBar bar0(dev, RegionIndex::kBar0);
    volatile uint32_t* reg = bar0.reg32(edu::kRegId);
    timed_loop_auto(state, [&] {
      const uint32_t v = *reg;  // the volatile load itself, then keep its value
      benchmark::DoNotOptimize(v);
    });
  });
}

void BM_MmioWriteLib(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion bar0 = dev.map_region(RegionIndex::kBar0);
    uint32_t v = 0;
    timed_loop_auto(state, [&] { bar0.write32(edu::kRegLiveness, v++); });
    if (bar0.read32(edu::kRegLiveness) != ~(v - 1))
      state.SkipWithError("edu's liveness register did not hold the last write's inverse");
  });
}

void BM_MmioWriteRaw(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const RawBar bar0(dev, RegionIndex::kBar0);
    volatile uint32_t* reg = bar0.reg32(edu::kRegLiveness);
    uint32_t v = 0;
    timed_loop_auto(state, [&] { *reg = v++; });
    if (*reg != ~(v - 1))
      state.SkipWithError("edu's liveness register did not hold the last write's inverse");
  });
}

// Per-round-trip samples become p50/p99/max counters (microseconds).
void report_latencies(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["max_us"] = us.back();
}

// edu raises MSI (write to 0x60) -> vfio-pci's handler signals the eventfd ->
// this thread wakes from IrqSet::wait; then acknowledge at the device.
void BM_IrqLib(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const MappedRegion bar0 = dev.map_region(RegionIndex::kBar0);
    dev.enable_bus_master();
    const IrqSet irq = dev.enable_irq(IrqIndex::kMsi);
    bar0.write32(edu::kRegIrqAck, 0xffffffff);
    irq.drain(0);
    std::vector<double> us;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      bar0.write32(edu::kRegIrqRaise, kRaiseBit);
      if (irq.wait(0, kIrqTimeoutMs) == 0) {
        state.SkipWithError("no MSI within 2 s of raising one on edu (is MSI routed? see dmesg)");
        break;
      }
      bar0.write32(edu::kRegIrqAck, kRaiseBit);
      const auto t1 = Clock::now();
      state.SetIterationTime(seconds_between(t0, t1));
      us.push_back(seconds_between(t0, t1) * 1e6);
    }
    report_latencies(state, us);
  });
}

// The same round trip with our own eventfd wired by one raw VFIO_DEVICE_SET_IRQS,
// raised and acknowledged through a raw pointer, waited for with poll + read.
void BM_IrqRaw(benchmark::State& state, Target t) {
  guarded(state, [&] {
    Device& dev = Session::get(t, options().bdf).device();
    const RawBar bar0(dev, RegionIndex::kBar0);
    dev.enable_bus_master();
    const RawIrq irq(dev, IrqIndex::kMsi);
    volatile uint32_t* raise = bar0.reg32(edu::kRegIrqRaise);
    volatile uint32_t* ack = bar0.reg32(edu::kRegIrqAck);
    *ack = 0xffffffff;
    irq.wait(0);
    std::vector<double> us;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      *raise = kRaiseBit;
      if (irq.wait(kIrqTimeoutMs) == 0) {
        state.SkipWithError("no MSI within 2 s of raising one on edu (is MSI routed? see dmesg)");
        break;
      }
      *ack = kRaiseBit;
      const auto t1 = Clock::now();
      state.SetIterationTime(seconds_between(t0, t1));
      us.push_back(seconds_between(t0, t1) * 1e6);
    }
    report_latencies(state, us);
  });
}

// One edu DMA of `size` bytes between a mapped 4 KiB buffer (IOVA below 2^28)
// and the device's own buffer, waited for by its MSI.
void BM_EduDma(benchmark::State& state, Target t, uint64_t size, bool to_ram) {
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space(edu::kDmaMask);
    DmaBuffer buf = DmaBuffer::allocate(4096, PageBacking::k4K, /*populate=*/true);
    DmaMapping m = space->map(buf);
    EduDriver drv(s.device(), space);
    drv.init(IrqMode::kMsi);
    for (auto _ : state) drv.dma(m.iova(), 0, size, to_ram);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
    drv.remove();
  });
}

void BM_NotEdu(benchmark::State& state) {
  const std::string why = fmt::format(
      "device {} is not edu (1234:11e8): MMIO, IRQ and device-DMA benchmarks need a register "
      "map with known side effects",
      options().bdf);
  state.SkipWithError(why.c_str());
  for (auto _ : state) {
  }
}

}  // namespace

void register_device_benchmarks(const Target& t) {
  const std::string l = t.label;
  if (!options().is_edu) {
    for (const char* f : {"mmio_read", "mmio_write", "irq_roundtrip", "edu_dma"})
      benchmark::RegisterBenchmark(fmt::format("{}/{}/skipped", f, l).c_str(), BM_NotEdu);
    return;
  }
  benchmark::RegisterBenchmark(("mmio_read/" + l + "/library").c_str(), BM_MmioReadLib, t)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark(("mmio_read/" + l + "/raw").c_str(), BM_MmioReadRaw, t)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark(("mmio_write/" + l + "/library").c_str(), BM_MmioWriteLib, t)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark(("mmio_write/" + l + "/raw").c_str(), BM_MmioWriteRaw, t)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark(("irq_roundtrip/" + l + "/library").c_str(), BM_IrqLib, t)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("irq_roundtrip/" + l + "/raw").c_str(), BM_IrqRaw, t)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  for (bool to_ram : {true, false})
    for (uint64_t size : {64u, 512u, 2048u})
      benchmark::RegisterBenchmark(
          fmt::format("edu_dma/{}/{}/{}", l, to_ram ? "to_ram" : "from_ram", size).c_str(),
          BM_EduDma, t, size, to_ram)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
}

}  // namespace vfiokit::bench
