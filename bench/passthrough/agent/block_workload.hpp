#pragma once
// Block workloads on a raw disk with O_DIRECT: sequential write and read in large
// blocks (synchronous, one I/O in flight) and 4 KiB random reads at queue depth 1
// (pread) and N (Linux AIO through raw io_submit/io_getevents, no library).
// Every block written carries the LBA stamp of pattern.hpp; every read is verified.
#include <cstdint>
#include <functional>
#include <string>

#include "measurement.hpp"

namespace vfiokit::passthrough {

/// What to run and how much.
struct BlockConfig {
  std::string device;                      ///< e.g. /dev/nvme0n1
  std::uint64_t region_mib = 32;           ///< bytes written, read back and read at random
  std::uint32_t block_kib = 1024;          ///< sequential block size
  double random_seconds = 3;               ///< time budget of each random-read workload
  std::uint64_t random_max_ops = 1000000;  ///< op budget of each random-read workload
  std::uint32_t queue_depth = 32;          ///< the deep random-read queue
  std::uint64_t seed = 1;                  ///< pattern seed (a fresh one per run)
};

/// Runs seq_write, seq_read, rand_read qd1 and rand_read qdN in that order and
/// hands each Measurement to `report` as it completes. Throws std::runtime_error
/// (with what to do) when the device cannot be opened, is too small or an I/O fails.
void run_block_workloads(const BlockConfig& config,
                         const std::function<void(const Measurement&)>& report);

}  // namespace vfiokit::passthrough
