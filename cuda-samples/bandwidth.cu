// vfiokit-cuda-bandwidth: host<->device copy bandwidth over the PCIe link.
// H2D and D2H from pinned and pageable host memory, through the copy engines
// (cudaMemcpyAsync) and through the SMs (a kernel reading/writing mapped pinned
// memory), 4 KiB .. 1 GiB, plus bidirectional copy-engine traffic. Every
// transfer's destination is cleared first and checked word by word afterwards.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common.hpp"
#include "cuda_util.cuh"

using namespace vfiokit::cuda;

namespace {

__global__ void sm_copy(const uint4* __restrict__ src, uint4* __restrict__ dst, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    dst[i] = src[i];
}

constexpr uint32_t kSeedH2D = 0x1234abcd, kSeedD2H = 0x5678ef01;

struct Buffers {
  uint32_t* pinned_src = nullptr;  // host pinned, H2D source
  uint32_t* pinned_dst = nullptr;  // host pinned, D2H destination
  uint32_t* pageable = nullptr;    // host pageable, either direction
  uint32_t* dev_dst = nullptr;     // device, H2D destination
  uint32_t* dev_src = nullptr;     // device, D2H source
  // The pinned buffers as kernels address them (cudaHostGetDevicePointer; the
  // same value as the host pointer on every UVA system, asked for all the same).
  uint32_t* pinned_src_dev = nullptr;
  uint32_t* pinned_dst_dev = nullptr;
};

struct Case {
  std::string direction, memory, method;
};

unsigned sm_grid(uint64_t n16) {
  const uint64_t want = (n16 + 511) / 512;
  const uint64_t cap = uint64_t(device_props().multiProcessorCount) * 8;
  return static_cast<unsigned>(std::max<uint64_t>(1, std::min(want, cap)));
}

uint64_t reps_for(uint64_t size, bool quick) {
  const uint64_t target = quick ? (256ull << 20) : (2ull << 30);
  const uint64_t lo = quick ? 3 : 5, hi = quick ? 200 : 2000;
  return std::clamp<uint64_t>(target / size, lo, hi);
}

// One copy of `size` bytes in `c`'s direction, memory and method, on stream s.
void copy_once(const Case& c, const Buffers& b, uint64_t size, cudaStream_t s) {
  const bool h2d = c.direction == "h2d";
  if (c.method == "ce") {
    void* host = c.memory == "pinned" ? (h2d ? static_cast<void*>(b.pinned_src) : b.pinned_dst)
                                      : static_cast<void*>(b.pageable);
    if (h2d)
      VK_CUDA(cudaMemcpyAsync(b.dev_dst, host, size, cudaMemcpyHostToDevice, s));
    else
      VK_CUDA(cudaMemcpyAsync(host, b.dev_src, size, cudaMemcpyDeviceToHost, s));
  } else {
    const uint64_t n16 = size / 16;
    if (h2d)
      sm_copy<<<sm_grid(n16), 512, 0, s>>>(reinterpret_cast<const uint4*>(b.pinned_src_dev),
                                           reinterpret_cast<uint4*>(b.dev_dst), n16);
    else
      sm_copy<<<sm_grid(n16), 512, 0, s>>>(reinterpret_cast<const uint4*>(b.dev_src),
                                           reinterpret_cast<uint4*>(b.pinned_dst_dev), n16);
    VK_CUDA(cudaGetLastError());
  }
}

void measure(const Case& c, const Buffers& b, uint64_t size, bool quick, cudaStream_t s) {
  const bool h2d = c.direction == "h2d";
  const uint64_t words = size / 4;
  uint32_t* host_dst = c.memory == "pinned" ? b.pinned_dst : b.pageable;
  if (!h2d && c.memory == "pageable") std::memset(b.pageable, 0, size);
  // Pageable H2D copies from the pageable buffer, which must hold the pattern.
  if (h2d && c.memory == "pageable") host_fill(b.pageable, words, kSeedH2D);

  copy_once(c, b, size, s);  // warm-up: page-table and TLB setup, staging buffers
  VK_CUDA(cudaStreamSynchronize(s));
  if (h2d)
    VK_CUDA(cudaMemsetAsync(b.dev_dst, 0, size, s));
  else
    std::memset(host_dst, 0, size);
  VK_CUDA(cudaStreamSynchronize(s));

  const uint64_t reps = reps_for(size, quick);
  double seconds = 0;
  if (c.memory == "pinned") {
    EventTimer t;
    t.start(s);
    for (uint64_t i = 0; i < reps; ++i) copy_once(c, b, size, s);
    t.stop(s);
    seconds = t.seconds();
  } else {
    // Pageable copies stage through driver buffers on the CPU: time them end to end.
    const double t0 = now_s();
    for (uint64_t i = 0; i < reps; ++i) copy_once(c, b, size, s);
    VK_CUDA(cudaStreamSynchronize(s));
    seconds = now_s() - t0;
  }
  const uint64_t bad = h2d ? device_count_mismatches(b.dev_dst, words, kSeedH2D, s)
                           : host_count_mismatches(host_dst, words, kSeedD2H);
  Result r;
  r.name = c.direction + "/" + c.memory + "/" + c.method + "/" + size_label(size);
  r.value = double(size) * reps / seconds / 1e9;
  r.unit = "GB/s";
  r.verified = bad == 0;
  r.iterations = reps;
  r.seconds = seconds;
  r.bytes = size;
  r.tags = {{"direction", c.direction},
            {"memory", c.memory},
            {"method", c.method},
            {"timer", c.memory == "pinned" ? "cuda-event" : "host"}};
  if (bad)
    report().error(r.name + ": " + std::to_string(bad) + " of " + std::to_string(words) +
                   " words wrong after the copy");
  report().add(std::move(r));
}

// H2D and D2H at once on two streams through the copy engines; pinned memory.
void measure_bidir(const Buffers& b, uint64_t size, bool quick, cudaStream_t s1, cudaStream_t s2) {
  const uint64_t words = size / 4;
  VK_CUDA(cudaMemsetAsync(b.dev_dst, 0, size, s1));
  std::memset(b.pinned_dst, 0, size);
  VK_CUDA(cudaDeviceSynchronize());
  const uint64_t reps = reps_for(size, quick);
  cudaEvent_t fork_ev, join_ev;
  VK_CUDA(cudaEventCreateWithFlags(&fork_ev, cudaEventDisableTiming));
  VK_CUDA(cudaEventCreateWithFlags(&join_ev, cudaEventDisableTiming));
  EventTimer t;
  t.start(s1);
  VK_CUDA(cudaEventRecord(fork_ev, s1));
  VK_CUDA(cudaStreamWaitEvent(s2, fork_ev, 0));
  for (uint64_t i = 0; i < reps; ++i) {
    VK_CUDA(cudaMemcpyAsync(b.dev_dst, b.pinned_src, size, cudaMemcpyHostToDevice, s1));
    VK_CUDA(cudaMemcpyAsync(b.pinned_dst, b.dev_src, size, cudaMemcpyDeviceToHost, s2));
  }
  VK_CUDA(cudaEventRecord(join_ev, s2));
  VK_CUDA(cudaStreamWaitEvent(s1, join_ev, 0));
  t.stop(s1);
  const double seconds = t.seconds();
  VK_CUDA(cudaEventDestroy(fork_ev));
  VK_CUDA(cudaEventDestroy(join_ev));
  const uint64_t bad = device_count_mismatches(b.dev_dst, words, kSeedH2D, s1) +
                       host_count_mismatches(b.pinned_dst, words, kSeedD2H);
  Result r;
  r.name = "bidir/pinned/ce/" + size_label(size);
  r.value = 2.0 * double(size) * reps / seconds / 1e9;
  r.unit = "GB/s";
  r.verified = bad == 0;
  r.iterations = reps;
  r.seconds = seconds;
  r.bytes = 2 * size;
  r.tags = {
      {"direction", "bidir"}, {"memory", "pinned"}, {"method", "ce"}, {"timer", "cuda-event"}};
  if (bad) report().error(r.name + ": " + std::to_string(bad) + " words wrong after the copies");
  report().add(std::move(r));
}

}  // namespace

int main(int argc, char** argv) {
  CommonOptions o;
  uint64_t min_size = 4 << 10, max_size = 1ull << 30;
  bool no_pageable = false, no_sm = false;
  Args args("vfiokit-cuda-bandwidth", "host<->device copy bandwidth, every transfer verified");
  add_common(args, o);
  args.number("--min-size", &min_size, "smallest transfer (default 4K)");
  args.number("--max-size", &max_size, "largest transfer (default 1G; --quick: 64M)");
  args.flag("--no-pageable", &no_pageable, "skip pageable host memory");
  args.flag("--no-sm", &no_sm, "skip SM-kernel copies");
  args.parse(argc, argv);
  if (o.quick && max_size == (1ull << 30)) max_size = 64ull << 20;
  report().begin("bandwidth", o);
  if (min_size < 16 || min_size % 16 || max_size < min_size || max_size % 16)
    report().fatal("--min-size/--max-size must be multiples of 16 bytes with min <= max");
  select_device(o);

  Buffers b;
  VK_CUDA(cudaHostAlloc(&b.pinned_src, max_size, cudaHostAllocMapped | cudaHostAllocPortable));
  VK_CUDA(cudaHostAlloc(&b.pinned_dst, max_size, cudaHostAllocMapped | cudaHostAllocPortable));
  VK_CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&b.pinned_src_dev), b.pinned_src, 0));
  VK_CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&b.pinned_dst_dev), b.pinned_dst, 0));
  if (!no_pageable) {
    b.pageable = static_cast<uint32_t*>(std::aligned_alloc(4096, max_size));
    if (!b.pageable)
      report().fatal("cannot allocate " + size_label(max_size) +
                     " of pageable memory: lower --max-size");
  }
  VK_CUDA(cudaMalloc(&b.dev_dst, max_size));
  VK_CUDA(cudaMalloc(&b.dev_src, max_size));
  host_fill(b.pinned_src, max_size / 4, kSeedH2D);
  device_fill(b.dev_src, max_size / 4, kSeedD2H);
  VK_CUDA(cudaDeviceSynchronize());

  cudaStream_t s1, s2;
  VK_CUDA(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking));
  VK_CUDA(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking));

  std::vector<Case> cases;
  for (const char* dir : {"h2d", "d2h"}) {
    cases.push_back({dir, "pinned", "ce"});
    if (!no_sm) cases.push_back({dir, "pinned", "sm"});
    if (!no_pageable) cases.push_back({dir, "pageable", "ce"});
  }
  for (uint64_t size = min_size; size <= max_size; size *= 4) {
    for (const auto& c : cases) measure(c, b, size, o.quick, s1);
    measure_bidir(b, size, o.quick, s1, s2);
    if (size > max_size / 4 && size != max_size) size = max_size / 4;  // always end at max_size
  }

  VK_CUDA(cudaStreamDestroy(s1));
  VK_CUDA(cudaStreamDestroy(s2));
  VK_CUDA(cudaFree(b.dev_dst));
  VK_CUDA(cudaFree(b.dev_src));
  VK_CUDA(cudaFreeHost(b.pinned_src));
  VK_CUDA(cudaFreeHost(b.pinned_dst));
  std::free(b.pageable);
  return report().finish();
}
