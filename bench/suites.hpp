// The benchmark suites; each registers its benchmarks for one target (backend).
// Registration order is run order: main() registers target by target so each
// backend's device session is opened once.
#pragma once

#include "bench/bench_env.hpp"

namespace vfiokit::bench {

/// dma_map, dma_unmap, dma_map_cold, dma_populate, dma_auto.
void register_dma_benchmarks(const Target& t);
/// mmio_read/mmio_write (library and raw), irq_roundtrip (library and raw), edu_dma.
void register_device_benchmarks(const Target& t);
/// overhead/<target>/{mmio_read,mmio_write,map_4k,irq}: library/raw ratios in one benchmark.
void register_overhead_benchmarks(const Target& t);
/// nvme_read/nvme_write at QD1 and QD32, interrupt and polled completions, 4 KiB I/O
/// (a skipped entry when no NVMe controller is bound to vfio-pci).
void register_nvme_benchmarks(const Target& t);
/// device_open for every target (closes the shared session first).
void register_open_benchmarks();

}  // namespace vfiokit::bench
