// NVMe I/O through NvmeDriver: 4 KiB reads and writes at queue depth 1 (one
// command at a time, latency) and 32 (32 kept in flight, throughput), with
// completions by MSI-X interrupt or by polling the CQ phase tag. The buffers are DmaPool
// chunks, mapped once before the loop.
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <span>
#include <vector>

#include "bench/bench_env.hpp"
#include "bench/suites.hpp"
#include "vfiokit/dma/dma_pool.hpp"
#include "vfiokit/drivers/nvme/nvme.hpp"

namespace vfiokit::bench {
namespace {

constexpr uint64_t kIoBytes = 4096;
constexpr uint64_t kSpanBytes = 32ull
                                << 20;  // the LBA range cycled through (not the scratch range)

// Writes destroy data: the nvme_write benchmarks run only with --allow-write, on any
// drive (QEMU's emulated one too: its image may hold a user's data as well).
std::optional<std::string> write_refused() {
  if (options().allow_write) return std::nullopt;
  return fmt::format(
      "not run: it would overwrite the first {} MiB of {}'s namespace; pass --allow-write "
      "to allow that",
      kSpanBytes >> 20, options().nvme_bdf);
}

void BM_Nvme(benchmark::State& state, Target t, bool write, uint32_t qd, NvmeCompletionMode mode) {
  if (write)
    if (auto why = write_refused()) return state.SkipWithError(why->c_str());
  guarded(state, [&] {
    auto& s = Session::get(t, options().nvme_bdf);
    const auto& space = s.space();
    NvmeDriver nvme(s.device(), space, {.completion = mode, .io_queue_entries = 64});
    nvme.init();
    const uint32_t blocks = static_cast<uint32_t>(kIoBytes / nvme.lba_size());
    const uint64_t span_blocks = std::min(kSpanBytes, nvme.scratch_lba() * nvme.lba_size()) /
                                 nvme.lba_size() / blocks * blocks;
    if (blocks == 0 || span_blocks < uint64_t{qd} * blocks)
      return state.SkipWithError("the namespace is too small (or its blocks above 4 KiB)");
    // The I/O buffers: chunks of a map-once pool, so the measured loop never maps.
    DmaPool pool(space, {.chunk_size = kIoBytes, .chunks = qd, .backing = PageBacking::k4K});
    std::vector<DmaChunk> chunks;
    for (uint32_t i = 0; i < qd; ++i) chunks.push_back(pool.alloc());
    uint64_t next_lba = 0;
    auto submit = [&](uint32_t slot) {
      const uint64_t lba = next_lba;
      next_lba = (next_lba + blocks) % span_blocks;
      const uint64_t iova = chunks[slot].iova();
      return write ? nvme.submit_write(lba, blocks, iova, false)
                   : nvme.submit_read(lba, blocks, iova, false);
    };
    std::map<uint16_t, uint32_t> slot_of;  // cid -> buffer slot
    std::vector<NvmeCompletion> reaped(qd);  // reap's caller memory
    for (auto _ : state) {
      if (qd == 1) {
        const uint16_t cid = submit(0);
        nvme.ring();
        const NvmeCompletion c = nvme.wait(cid);
        if (!c.ok()) return state.SkipWithError(("NVMe I/O failed: " + c.status_text()).c_str());
        continue;
      }
      // QD32: the queue is kept full; one iteration = qd completed commands.
      if (slot_of.empty()) {
        for (uint32_t slot = 0; slot < qd; ++slot) slot_of[submit(slot)] = slot;
        nvme.ring();
      }
      uint32_t done = 0;
      while (done < qd) {
        // Free every reaped slot before resubmitting: the driver may hand a reaped
        // command's cid to the next submission.
        const size_t n = nvme.reap(std::span<NvmeCompletion>(reaped), 1);
        std::vector<uint32_t> free_slots(n);
        for (size_t i = 0; i < n; ++i) {
          const NvmeCompletion& c = reaped[i];
          if (!c.ok()) return state.SkipWithError(("NVMe I/O failed: " + c.status_text()).c_str());
          free_slots[i] = slot_of.at(c.cid);
          slot_of.erase(c.cid);
        }
        for (size_t i = 0; i < n; ++i) slot_of[submit(free_slots[i])] = free_slots[i];
        done += static_cast<uint32_t>(n);
        nvme.ring();
      }
    }
    if (!slot_of.empty()) nvme.reap(slot_of.size());  // drain before the buffer is unmapped
    const int64_t ios = static_cast<int64_t>(state.iterations()) * qd;
    state.SetItemsProcessed(ios);
    state.SetBytesProcessed(ios * static_cast<int64_t>(kIoBytes));
    state.counters["lba_size"] = nvme.lba_size();
    state.counters["map_calls"] = static_cast<double>(pool.map_calls());  // 1: at setup only
    nvme.remove();
  });
}

void BM_NoNvme(benchmark::State& state) {
  state.SkipWithError(
      "no NVMe controller (class 01:08:02) bound to vfio-pci: pass --nvme-bdf (or "
      "VFIOKIT_NVME_BDF); "
      "on the test bed add --device nvme");
  for (auto _ : state) {
  }
}

}  // namespace

void register_nvme_benchmarks(const Target& t) {
  if (options().nvme_bdf.empty()) {
    benchmark::RegisterBenchmark(fmt::format("nvme_read/{}/skipped", t.label).c_str(), BM_NoNvme);
    return;
  }
  for (bool write : {false, true})
    for (uint32_t qd : {1u, 32u})
      for (NvmeCompletionMode mode : {NvmeCompletionMode::kInterrupt, NvmeCompletionMode::kPoll})
        benchmark::RegisterBenchmark(
            fmt::format("nvme_{}/{}/qd{}/{}/4096", write ? "write" : "read", t.label, qd,
                        completion_mode_name(mode))
                .c_str(),
            BM_Nvme, t, write, qd, mode)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
}

}  // namespace vfiokit::bench
