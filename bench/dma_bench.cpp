// DMA mapping costs: map and unmap timed apart, per size, page backing and
// backend; first-touch (populate) and pinning separated from the ioctl; and
// what PageBacking::kAuto picks.
#include <fmt/format.h>

#include <chrono>

#include "bench/bench_env.hpp"
#include "bench/suites.hpp"

namespace vfiokit::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A populated buffer, mapped through DmaSpace each iteration; only map() timed.
void BM_DmaMap(benchmark::State& state, Target t, PageBacking backing, uint64_t size) {
  if (auto why = cannot_allocate(size, backing)) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space();
    DmaBuffer buf = DmaBuffer::allocate(size, backing, /*populate=*/true);
    timed_loop(state, [&](auto extend) {
      const auto t0 = Clock::now();
      DmaMapping m = space->map(buf);
      const auto t1 = extend(t0, Clock::now());
      m.unmap();
      state.SetIterationTime(seconds_between(t0, t1));
    });
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
    state.counters["page_kib"] = static_cast<double>(buf.page_size()) / 1024;
  });
}

// The same, timing unmap() only.
void BM_DmaUnmap(benchmark::State& state, Target t, PageBacking backing, uint64_t size) {
  if (auto why = cannot_allocate(size, backing)) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space();
    DmaBuffer buf = DmaBuffer::allocate(size, backing, /*populate=*/true);
    timed_loop(state, [&](auto extend) {
      DmaMapping m = space->map(buf);
      const auto t0 = Clock::now();
      m.unmap();
      state.SetIterationTime(seconds_between(t0, extend(t0, Clock::now())));
    });
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  });
}

// A fresh, never-touched 4 KiB-page buffer each iteration: map() then pays for
// faulting the pages in and pinning them. Compare with dma_map (populated) and
// dma_populate (the first touch alone).
void BM_DmaMapCold(benchmark::State& state, Target t, uint64_t size) {
  if (auto why = cannot_allocate(size, PageBacking::k4K)) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space();
    for (auto _ : state) {
      DmaBuffer buf = DmaBuffer::allocate(size, PageBacking::k4K, /*populate=*/false);
      const auto t0 = Clock::now();
      DmaMapping m = space->map(buf);
      const auto t1 = Clock::now();
      m.unmap();
      state.SetIterationTime(seconds_between(t0, t1));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  });
}

// DmaBuffer::allocate(populate=true) for 4 KiB pages: the first-touch cost alone.
void BM_DmaPopulate(benchmark::State& state, uint64_t size) {
  if (auto why = cannot_allocate(size, PageBacking::k4K)) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    for (auto _ : state) {
      const auto t0 = Clock::now();
      DmaBuffer buf = DmaBuffer::allocate(size, PageBacking::k4K, /*populate=*/true);
      const auto t1 = Clock::now();
      state.SetIterationTime(seconds_between(t0, t1));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  });
}

// PageBacking::kAuto: which pages the library picks, and the map cost that follows.
// Counter page_kib is 2048 when it chose hugepages, 4 when it fell back.
void BM_DmaAuto(benchmark::State& state, Target t, uint64_t size) {
  if (auto why = cannot_allocate(size, PageBacking::k4K)) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    auto& s = Session::get(t, options().bdf);
    const auto& space = s.space();
    const uint64_t free_before = free_hugepages(2ull << 20);
    DmaBuffer buf = DmaBuffer::allocate(size, PageBacking::kAuto, /*populate=*/true);
    for (auto _ : state) {
      const auto t0 = Clock::now();
      DmaMapping m = space->map(buf);
      const auto t1 = Clock::now();
      m.unmap();
      state.SetIterationTime(seconds_between(t0, t1));
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
    state.counters["page_kib"] = static_cast<double>(buf.page_size()) / 1024;
    state.counters["free_2m_pages_before"] = static_cast<double>(free_before);
    state.SetLabel(fmt::format("auto chose {}", backing_name(buf.backing())));
  });
}

}  // namespace

void register_dma_benchmarks(const Target& t) {
  const auto& o = options();
  constexpr uint64_t k2M = 2ull << 20, k1G = 1ull << 30;
  for (PageBacking b : {PageBacking::k4K, PageBacking::k2M, PageBacking::k1G}) {
    std::vector<uint64_t> sizes;
    for (uint64_t size : o.sizes)
      if (size >= backing_page_size(b)) sizes.push_back(size);
    // 1 GiB pages: always listed, so a run without them says why in its JSON.
    if (b == PageBacking::k1G && sizes.empty()) sizes.push_back(k1G);
    for (uint64_t size : sizes) {
      const std::string suffix = fmt::format("{}/{}/{}", t.label, backing_name(b), size);
      benchmark::RegisterBenchmark(("dma_map/" + suffix).c_str(), BM_DmaMap, t, b, size)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("dma_unmap/" + suffix).c_str(), BM_DmaUnmap, t, b, size)
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (uint64_t size : o.sizes) {
    benchmark::RegisterBenchmark(fmt::format("dma_map_cold/{}/4k/{}", t.label, size).c_str(),
                                 BM_DmaMapCold, t, size)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(fmt::format("dma_populate/{}/4k/{}", t.label, size).c_str(),
                                 BM_DmaPopulate, size)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  // kAuto below and above the 2 MiB threshold, and at the largest size.
  std::vector<uint64_t> auto_sizes;
  for (uint64_t size : {uint64_t{64} << 10, k2M, o.sizes.back()})
    if (size <= o.max_size && (auto_sizes.empty() || size > auto_sizes.back()))
      auto_sizes.push_back(size);
  for (uint64_t size : auto_sizes)
    benchmark::RegisterBenchmark(fmt::format("dma_auto/{}/auto/{}", t.label, size).c_str(),
                                 BM_DmaAuto, t, size)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace vfiokit::bench
