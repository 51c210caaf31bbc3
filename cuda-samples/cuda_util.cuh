// CUDA helpers shared by the samples: error checks that end in the report,
// device selection by PCI address, event timing.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "common.hpp"

namespace vfiokit::cuda {

/// Ends the sample with a JSON/table report naming the failed call.
[[noreturn]] void cuda_fatal(const char* call, cudaError_t e, const char* file, int line);

#define VK_CUDA(call)                                                                            \
  do {                                                                                           \
    const cudaError_t vk_err_ = (call);                                                          \
    if (vk_err_ != cudaSuccess) ::vfiokit::cuda::cuda_fatal(#call, vk_err_, __FILE__, __LINE__); \
  } while (0)

/// Makes the GPU named by o.device current (PCI address or ordinal) and records
/// its description in the report. Returns the CUDA ordinal.
int select_device(const CommonOptions& o);

/// Properties of the current device.
const cudaDeviceProp& device_props();

/// A CUDA event pair measuring stream time in seconds.
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  void start(cudaStream_t s = nullptr);
  void stop(cudaStream_t s = nullptr);
  /// Waits for stop and returns the elapsed seconds.
  double seconds();

 private:
  cudaEvent_t a_{}, b_{};
};

/// Counts the 32-bit words of `p[0, words)` that differ from pattern(i, seed), on the device.
uint64_t device_count_mismatches(const uint32_t* p, uint64_t words, uint32_t seed,
                                 cudaStream_t s = nullptr);
/// Fills device words with pattern(i, seed).
void device_fill(uint32_t* p, uint64_t words, uint32_t seed, cudaStream_t s = nullptr);
/// Fills / checks host words (multi-threaded); check returns the mismatch count.
void host_fill(uint32_t* p, uint64_t words, uint32_t seed);
uint64_t host_count_mismatches(const uint32_t* p, uint64_t words, uint32_t seed);

}  // namespace vfiokit::cuda
