// I/O memory barriers for userspace drivers, one definition per architecture, named
// for what a device needs (after Linux's asm/barrier.h and SPDK's spdk/barrier.h):
//
//   dma_wmb()  before a doorbell: descriptors written to DMA memory are visible to the
//              device before it learns of them through an MMIO write;
//   dma_rmb()  after reading a completion's phase/valid bit from DMA memory, before
//              reading the rest of the entry the device wrote;
//   wmb(), rmb()  full store / load barriers, also for write-combining or non-temporal
//              stores and for ordering against MMIO reads;
//   mb()       a full barrier: earlier stores visible before later loads (a store to DMA
//              memory the device polls, then a load of what the device wrote back);
//   cpu_relax()  inside a spin loop.
//
// x86-64 (TSO): stores are not reordered with older stores, loads not with older loads,
// uncached MMIO included, so dma_wmb/dma_rmb only need to stop the compiler; wmb/rmb are
// sfence/lfence. arm64 (weakly ordered): dmb for ordering against DMA memory in the
// outer-shareable domain, dsb for the full barriers. Elsewhere: a sequentially consistent
// fence, which is correct and slower. Private to the library and its benchmarks.
#pragma once

#include <atomic>

namespace vfiokit::io {

#if defined(__x86_64__) || defined(__i386__)
inline void compiler_barrier() { asm volatile("" ::: "memory"); }
inline void dma_wmb() { compiler_barrier(); }
inline void dma_rmb() { compiler_barrier(); }
inline void wmb() { asm volatile("sfence" ::: "memory"); }
inline void rmb() { asm volatile("lfence" ::: "memory"); }
inline void mb() { asm volatile("mfence" ::: "memory"); }
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
#elif defined(__aarch64__)
inline void compiler_barrier() { asm volatile("" ::: "memory"); }
inline void dma_wmb() { asm volatile("dmb oshst" ::: "memory"); }
inline void dma_rmb() { asm volatile("dmb oshld" ::: "memory"); }
inline void wmb() { asm volatile("dsb st" ::: "memory"); }
inline void rmb() { asm volatile("dsb ld" ::: "memory"); }
inline void mb() { asm volatile("dmb osh" ::: "memory"); }
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
#else
inline void compiler_barrier() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void dma_wmb() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void dma_rmb() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void wmb() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void rmb() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void mb() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void cpu_relax() { compiler_barrier(); }
#endif

}  // namespace vfiokit::io
