// vfiokit_host_bench: the NVMe I/O path and the MMIO accessors on the host, against an
// in-memory controller model (nvme_model.hpp), and the DMA pool's vaddr -> IOVA lookup
// over host memory: no VM, no root, no device. Each library
// case runs beside its floor, a hand-written minimal loop over the same model and memory,
// so library - floor is what the library adds. Two ways to run it (docs/benchmarks.md):
//
//   vfiokit_host_bench [--benchmark_* flags]      Google Benchmark: ns per I/O (noisy)
//   valgrind --tool=callgrind --collect-atstart=no vfiokit_host_bench --callgrind N
//                                                 instructions: each case runs N iterations
//                                                 with collection on, then dumps its counts
//                                                 (bench/host/insn.py runs this and divides)
//
// --inject-work W adds W iterations of an empty loop per I/O to the library cases'
// measured path: the gate test's known, genuine extra work.
#include <benchmark/benchmark.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define VFIOKIT_HAVE_CALLGRIND 1
#else  // built without valgrind's headers: --callgrind refuses to run
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(name) (void)(name)
#define VFIOKIT_HAVE_CALLGRIND 0
#endif

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bench/host/nvme_model.hpp"
#include "drivers/nvme/queue.hpp"
#include "vfio/barrier.hpp"
#include "vfiokit/dma/dma_pool.hpp"
#include "vfiokit/drivers/nvme/commands.hpp"
#include "vfiokit/vfio/region.hpp"

namespace vfiokit::bench {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint32_t kEntries = 64;  // QD32 fits (capacity 63)
constexpr uint32_t kStride = 4;    // CAP.DSTRD 0
constexpr uint16_t kQid = 1;
constexpr uint32_t kNsid = 1;
constexpr uint32_t kBuffers = 32;
constexpr uint64_t kLbas = 8192;  // 32 MiB of 4 KiB blocks, cycled
constexpr size_t kBarSize = 0x2000;

unsigned g_inject = 0;

// The gate test's extra work: `n` loop iterations the compiler cannot remove.
// A countdown is two instructions a turn (decrement, branch): fine enough steps for the gate
// test to land between 3 and 6 % on both library cases now that they are close together.
inline void inject_work() {
  for (unsigned i = g_inject; i != 0; --i) asm volatile("" : "+r"(i));
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Mem = std::unique_ptr<uint8_t, FreeDeleter>;

Mem page_alloc(size_t size) {
  const size_t rounded = (size + kPage - 1) / kPage * kPage;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kPage, rounded));
  if (!p) std::abort();
  std::memset(p, 0, rounded);
  return Mem(p);
}

uint64_t iova_of(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// Memory for one queue pair, its data buffers, BAR0 and the model.
struct Rig {
  Mem bar = page_alloc(kBarSize);
  Mem qmem = page_alloc(nvme::QueuePair::memory_size(kEntries, kPage, 0));
  Mem data = page_alloc(kBuffers * kPage);
  Mem dbbuf = page_alloc(2 * kPage);  // shadow doorbells, then EventIdx (shadow cases)
  uint64_t cq_offset = (kEntries * sizeof(nvme::Sqe) + kPage - 1) / kPage * kPage;
  NvmeModel model{bar.get(), kStride, kQid, qmem.get(), qmem.get() + cq_offset, kEntries};
  uint64_t buf(uint64_t i) const { return iova_of(data.get() + (i % kBuffers) * kPage); }
  bool tagged(uint64_t i, uint64_t lba) const {
    uint64_t v;
    std::memcpy(&v, data.get() + (i % kBuffers) * kPage, sizeof(v));
    return v == lba;
  }
};

// The library: QueuePair::submit_rw and QueuePair::drain(span) are NvmeDriver::submit_read
// and the non-waiting part of NvmeDriver::reap(span, min) (its completions already there).
// With `shadow`, shadow doorbells on both sides (the model as that kind of controller).
class Library {
 public:
  explicit Library(NvmeModel::Shadow shadow = NvmeModel::Shadow::kNone)
      : bar0_(MappedRegion::over_memory(rig_.bar.get(), kBarSize, "model BAR0")),
        qp_(nvme::QueuePair::over_memory(
            {rig_.qmem.get(), nvme::QueuePair::memory_size(kEntries, kPage, 0)},
            iova_of(rig_.qmem.get()), bar0_, kQid, kEntries, kStride, kPage, 0)),
        shadow_(shadow) {
    if (shadow == NvmeModel::Shadow::kNone) return;
    auto* db = reinterpret_cast<uint32_t*>(rig_.dbbuf.get());
    auto* ei = reinterpret_cast<uint32_t*>(rig_.dbbuf.get() + kPage);
    qp_.use_shadow_doorbells(db, ei, false);
    rig_.model.use_shadow_doorbells(db, ei, shadow);
  }

  // The harness wrappers (here and in Floor) are forced inline on both sides, so neither
  // case pays a call the other does not: what differs is the I/O code itself.
  [[gnu::always_inline]] void submit(bool ring) {
    inject_work();
    qp_.submit_rw(nvme::kNvmRead, kNsid, next_ % kLbas, 1, rig_.buf(next_), kPage, ring);
    ++next_;
  }
  [[gnu::always_inline]] void ring() { qp_.ring(); }
  [[gnu::always_inline]] std::span<const NvmeCompletion> reap() {
    return {done_.data(), qp_.drain(std::span<NvmeCompletion>(done_))};
  }
  Rig& rig() { return rig_; }
  // The shadow cases' extra checks, once enough doorbells went by: the model saw no MMIO
  // value that disagrees with its shadow slot; a polling controller let the library skip
  // MMIO writes, one that asks for every value got every one.
  bool shadow_ok() {
    if (rig_.model.errors() != 0) return false;
    if (++checks_ < 4) return true;
    switch (shadow_) {
      case NvmeModel::Shadow::kPolling:
        return qp_.mmio_doorbells_skipped() > 0 && qp_.mmio_doorbells_written() > 0;
      case NvmeModel::Shadow::kEventEach:
        return qp_.mmio_doorbells_skipped() == 0 && qp_.mmio_doorbells_written() > 0;
      case NvmeModel::Shadow::kNone:
        break;
    }
    return true;
  }

 private:
  Rig rig_;
  MappedRegion bar0_;
  nvme::QueuePair qp_;
  NvmeModel::Shadow shadow_;
  uint64_t checks_ = 0;
  std::array<NvmeCompletion, kEntries> done_{};
  uint64_t next_ = 0;
};

// The floor: what any driver must do per I/O over this model, and nothing else.
class Floor {
 public:
  Floor()
      : sq_(reinterpret_cast<nvme::Sqe*>(rig_.qmem.get())),
        cq_(reinterpret_cast<nvme::Cqe*>(rig_.qmem.get() + rig_.cq_offset)),
        sq_db_(reinterpret_cast<volatile uint32_t*>(rig_.bar.get() +
                                                    nvme::sq_tail_doorbell(kQid, kStride))),
        cq_db_(reinterpret_cast<volatile uint32_t*>(rig_.bar.get() +
                                                    nvme::cq_head_doorbell(kQid, kStride))) {}

  [[gnu::always_inline]] void submit(bool ring_now) {
    nvme::Sqe& e = sq_[tail_];
    const uint64_t lba = next_ % kLbas;
    e = nvme::Sqe{};
    e.opcode = nvme::kNvmRead;
    e.cid = static_cast<uint16_t>(next_ % (kEntries - 1));
    e.nsid = kNsid;
    e.prp1 = rig_.buf(next_);
    e.cdw10 = static_cast<uint32_t>(lba);
    e.cdw11 = static_cast<uint32_t>(lba >> 32);
    ++next_;
    if (++tail_ == kEntries) tail_ = 0;
    if (ring_now) ring();
  }
  [[gnu::always_inline]] void ring() {
    io::dma_wmb();
    *sq_db_ = tail_;
  }
  // Consumes the new CQEs; returns how many came (statuses OR'ed into `bad`).
  [[gnu::always_inline]] uint32_t reap() {
    uint32_t n = 0;
    for (;;) {
      const uint16_t st = *reinterpret_cast<const volatile uint16_t*>(&cq_[head_].status);
      if ((st & 1) != phase_) break;
      io::dma_rmb();
      bad_ |= st >> 1;
      if (++head_ == kEntries) {
        head_ = 0;
        phase_ ^= 1;
      }
      ++n;
    }
    if (n) *cq_db_ = head_;
    return n;
  }
  Rig& rig() { return rig_; }
  uint32_t bad() const { return bad_; }

 private:
  Rig rig_;
  nvme::Sqe* sq_;
  nvme::Cqe* cq_;
  volatile uint32_t* sq_db_;
  volatile uint32_t* cq_db_;
  uint32_t tail_ = 0, head_ = 0;
  uint16_t phase_ = 1;
  uint32_t bad_ = 0;
  uint64_t next_ = 0;
};

// vaddr -> IOVA over a DMA pool of kBuffers 4 KiB chunks: kLookups addresses spread over
// the pool (chunk starts and insides), one iteration translates them all. The result of
// each is kept in a register (the asm) so neither loop is vectorized or folded; the sum is
// checked against the arithmetic, so a wrong lookup fails the case.
constexpr unsigned kLookups = 64;
constexpr uint64_t kPoolIova = 0x4000'0000;
struct Lookup {
  Mem mem = page_alloc(kBuffers * kPage);
  DmaPool pool = DmaPool::over_memory({mem.get(), kBuffers * kPage}, kPoolIova, kPage);
  std::array<const uint8_t*, kLookups> ptrs{};
  uint64_t expect = 0;
  Lookup() {
    for (unsigned i = 0; i < kLookups; ++i) {
      const uint64_t off = (i * 7919ull * 8) % (kBuffers * kPage);
      ptrs[i] = mem.get() + off;
      expect += kPoolIova + off;
    }
  }
};

// One benchmark case: setup once, then `iteration()` does `ios` I/Os (or accesses).
struct Case {
  std::string name;
  unsigned ios;
  std::function<std::function<bool()>()> make;  // returns the iteration; false = wrong result
};

// The library's QD1 and QD32 cases, without shadow doorbells (kNone) or with them against
// one kind of controller model; the shadow checks run only in the shadow cases.
template <NvmeModel::Shadow kShadow>
void add_library_cases(std::vector<Case>& c, const std::string& kind) {
  c.push_back({"host_nvme_read/" + kind + "/qd1/4096", 1, [] {
                 auto lib = std::make_shared<Library>(kShadow);
                 return std::function<bool()>([lib] {
                   lib->submit(true);
                   lib->rig().model.process();
                   const auto done = lib->reap();
                   const bool ok = done.size() == 1 && done[0].ok();
                   if constexpr (kShadow == NvmeModel::Shadow::kNone)
                     return ok;
                   else
                     return ok && lib->shadow_ok();
                 });
               }});
  c.push_back({"host_nvme_read/" + kind + "/qd32/4096", 32, [] {
                 auto lib = std::make_shared<Library>(kShadow);
                 for (int i = 0; i < 32; ++i) lib->submit(false);
                 lib->ring();
                 return std::function<bool()>([lib] {
                   lib->rig().model.process();
                   const auto done = lib->reap();
                   bool ok = done.size() == 32;
                   for (const auto& d : done) {
                     ok &= d.ok();
                     lib->submit(false);
                   }
                   lib->ring();
                   if constexpr (kShadow == NvmeModel::Shadow::kNone)
                     return ok;
                   else
                     return ok && lib->shadow_ok();
                 });
               }});
}

// The floor of the NVMe read cases: the same queues driven with no library in between.
void add_nvme_floor_cases(std::vector<Case>& c) {
  c.push_back({"host_nvme_read/floor/qd1/4096", 1, [] {
                 auto fl = std::make_shared<Floor>();
                 return std::function<bool()>([fl] {
                   fl->submit(true);
                   fl->rig().model.process();
                   return fl->reap() == 1 && fl->bad() == 0;
                 });
               }});
  c.push_back({"host_nvme_read/floor/qd32/4096", 32, [] {
                 auto fl = std::make_shared<Floor>();
                 for (int i = 0; i < 32; ++i) fl->submit(false);
                 fl->ring();
                 return std::function<bool()>([fl] {
                   fl->rig().model.process();
                   const uint32_t n = fl->reap();
                   for (uint32_t i = 0; i < n; ++i) fl->submit(false);
                   fl->ring();
                   return n == 32 && fl->bad() == 0;
                 });
               }});
}

// Virtual address to IOVA: the library against the floor.
void add_dma_lookup_cases(std::vector<Case>& c) {
  // The library: DmaPool::iova_of (inline: subtract, range check, add).
  c.push_back({"host_dma_lookup/library", kLookups, [] {
                 auto l = std::make_shared<Lookup>();
                 return std::function<bool()>([l] {
                   uint64_t sum = 0;
                   for (const uint8_t* p : l->ptrs) {
                     uint64_t v = l->pool.iova_of(p);
                     asm volatile("" : "+r"(v));
                     sum += v;
                   }
                   return sum == l->expect;
                 });
               }});
  // The floor: raw pointer subtraction against the base, no check.
  c.push_back({"host_dma_lookup/floor", kLookups, [] {
                 auto l = std::make_shared<Lookup>();
                 return std::function<bool()>([l] {
                   const uint8_t* base = l->mem.get();
                   uint64_t sum = 0;
                   for (const uint8_t* p : l->ptrs) {
                     uint64_t v = kPoolIova + static_cast<uint64_t>(p - base);
                     asm volatile("" : "+r"(v));
                     sum += v;
                   }
                   return sum == l->expect;
                 });
               }});
}

// A memory "BAR" read and written through MappedRegion and through a raw pointer.
struct Mmio {
  Mem mem = page_alloc(kBarSize);
  MappedRegion region = MappedRegion::over_memory(mem.get(), kBarSize, "memory BAR");
  volatile uint32_t* raw = reinterpret_cast<volatile uint32_t*>(mem.get() + 0x1c);
  uint32_t v = 0;
};

void add_mmio_cases(std::vector<Case>& c) {
  c.push_back({"host_mmio_read/library", 1, [] {
                 auto m = std::make_shared<Mmio>();
                 return std::function<bool()>([m] {
                   m->v += m->region.read32(0x1c);
                   return true;
                 });
               }});
  c.push_back({"host_mmio_read/raw", 1, [] {
                 auto m = std::make_shared<Mmio>();
                 return std::function<bool()>([m] {
                   m->v += *m->raw;
                   return true;
                 });
               }});
  c.push_back({"host_mmio_write/library", 1, [] {
                 auto m = std::make_shared<Mmio>();
                 return std::function<bool()>([m] {
                   m->region.write32(0x1c, ++m->v);
                   return true;
                 });
               }});
  c.push_back({"host_mmio_write/raw", 1, [] {
                 auto m = std::make_shared<Mmio>();
                 return std::function<bool()>([m] {
                   *m->raw = ++m->v;
                   return true;
                 });
               }});
}

std::vector<Case> cases() {
  std::vector<Case> c;
  add_library_cases<NvmeModel::Shadow::kNone>(c, "library");
  add_library_cases<NvmeModel::Shadow::kPolling>(c, "library-shadow-poll");
  add_library_cases<NvmeModel::Shadow::kEventEach>(c, "library-shadow-each");
  add_nvme_floor_cases(c);
  add_dma_lookup_cases(c);
  add_mmio_cases(c);
  return c;
}

// Callgrind mode: collection is on only around each case's measured iterations.
int run_callgrind(unsigned long iterations) {
  if (!VFIOKIT_HAVE_CALLGRIND) {
    std::fprintf(stderr,
                 "vfiokit_host_bench: built without <valgrind/callgrind.h>: install "
                 "valgrind and rebuild for --callgrind\n");
    return 2;
  }
  std::printf("[\n");
  const auto all = cases();
  for (size_t k = 0; k < all.size(); ++k) {
    const Case& c = all[k];
    auto it = c.make();
    bool ok = true;
    for (int i = 0; i < 64; ++i) ok &= it();  // warm-up: first-touch, allocator
    CALLGRIND_TOGGLE_COLLECT;
    for (unsigned long i = 0; i < iterations; ++i) ok &= it();
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(c.name.c_str());
    if (!ok) {
      std::fprintf(stderr, "vfiokit_host_bench: %s returned a wrong result\n", c.name.c_str());
      return 1;
    }
    std::printf("  {\"name\": \"%s\", \"iterations\": %lu, \"ios\": %lu}%s\n", c.name.c_str(),
                iterations, iterations * c.ios, k + 1 < all.size() ? "," : "");
  }
  std::printf("]\n");
  return 0;
}

}  // namespace
}  // namespace vfiokit::bench

int main(int argc, char** argv) {
  using namespace vfiokit::bench;
  benchmark::Initialize(&argc, argv);
  unsigned long callgrind = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--callgrind" && i + 1 < argc) {
      callgrind = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--inject-work" && i + 1 < argc) {
      g_inject = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--benchmark_* flags] [--inject-work W]\n"
                   "       valgrind --tool=callgrind --collect-atstart=no %s --callgrind N "
                   "[--inject-work W]\n",
                   argv[0], argv[0]);
      return 2;
    }
  }
  if (callgrind) return run_callgrind(callgrind);
  for (const Case& c : cases()) {
    benchmark::RegisterBenchmark(c.name.c_str(), [c](benchmark::State& state) {
      auto it = c.make();
      bool ok = true;
      for (auto _ : state) ok &= it();
      if (!ok) state.SkipWithError("wrong result (a completion failed or went missing)");
      state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * c.ios);
      state.counters["ns_per_io"] =
          benchmark::Counter(static_cast<double>(state.iterations()) * c.ios,
                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    });
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
