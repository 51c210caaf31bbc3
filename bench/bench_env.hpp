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

/// Reports time in nanoseconds of a steady clock span.
double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b);

}  // namespace vfiokit::bench
