// vfiokit-cuda-membw: device-memory bandwidth, STREAM triad a = b + s*c on
// doubles. b and c are functions of the index, so the check recomputes every
// element of a from the index alone (exact: one IEEE fused multiply-add).
#include <algorithm>
#include <vector>

#include "common.hpp"
#include "cuda_util.cuh"

using namespace vfiokit::cuda;

namespace {

constexpr double kScalar = 3.0;

__host__ __device__ inline double b_of(uint64_t i) { return double(i % 1000) * 0.5; }
__host__ __device__ inline double c_of(uint64_t i) { return double((i * 7) % 997) * 0.25; }

__global__ void init(double* a, double* b, double* c, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x) {
    a[i] = -1.0;
    b[i] = b_of(i);
    c[i] = c_of(i);
  }
}

__global__ void triad(double* __restrict__ a, const double* __restrict__ b,
                      const double* __restrict__ c, double s, uint64_t n) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    a[i] = __fma_rn(s, c[i], b[i]);
}

__global__ void check(const double* a, const double* b, const double* c, double s, uint64_t n,
                      unsigned long long* bad) {
  unsigned long long mine = 0;
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    mine += (a[i] != __fma_rn(s, c_of(i), b_of(i))) + (b[i] != b_of(i)) + (c[i] != c_of(i));
  if (mine) atomicAdd(bad, mine);
}

}  // namespace

int main(int argc, char** argv) {
  CommonOptions o;
  uint64_t array_bytes = 0, reps = 0;
  Args args("vfiokit-cuda-membw", "device-memory bandwidth (STREAM triad), result verified");
  add_common(args, o);
  args.number("--array-size", &array_bytes, "bytes per array (default 512M; --quick: 64M)");
  args.number("--reps", &reps, "timed repetitions (default 20; --quick: 5)");
  args.parse(argc, argv);
  if (!array_bytes) array_bytes = o.quick ? (64ull << 20) : (512ull << 20);
  if (!reps) reps = o.quick ? 5 : 20;
  report().begin("membw", o);
  if (array_bytes < 8 * 1024) report().fatal("--array-size must be at least 8K");
  select_device(o);

  const uint64_t n = array_bytes / sizeof(double);
  double *a, *b, *c;
  VK_CUDA(cudaMalloc(&a, n * sizeof(double)));
  VK_CUDA(cudaMalloc(&b, n * sizeof(double)));
  VK_CUDA(cudaMalloc(&c, n * sizeof(double)));
  const unsigned threads = 256;
  const unsigned blocks = static_cast<unsigned>(std::min<uint64_t>(
      (n + threads - 1) / threads, uint64_t(device_props().multiProcessorCount) * 32));
  init<<<blocks, threads>>>(a, b, c, n);
  VK_CUDA(cudaGetLastError());
  triad<<<blocks, threads>>>(a, b, c, kScalar, n);  // warm-up
  VK_CUDA(cudaGetLastError());
  VK_CUDA(cudaDeviceSynchronize());

  std::vector<double> times;
  EventTimer t;
  for (uint64_t r = 0; r < reps; ++r) {
    t.start();
    triad<<<blocks, threads>>>(a, b, c, kScalar, n);
    t.stop();
    VK_CUDA(cudaGetLastError());
    times.push_back(t.seconds());
  }
  unsigned long long* bad_d;
  VK_CUDA(cudaMalloc(&bad_d, sizeof *bad_d));
  VK_CUDA(cudaMemset(bad_d, 0, sizeof *bad_d));
  check<<<blocks, threads>>>(a, b, c, kScalar, n, bad_d);
  VK_CUDA(cudaGetLastError());
  unsigned long long bad = 0;
  VK_CUDA(cudaMemcpy(&bad, bad_d, sizeof bad, cudaMemcpyDeviceToHost));
  if (bad) report().error("triad: " + std::to_string(bad) + " wrong elements in a, b or c");

  const double bytes = 3.0 * n * sizeof(double);
  const double best = *std::min_element(times.begin(), times.end());
  double total = 0;
  for (double x : times) total += x;
  Result r;
  r.name = "triad";
  r.value = bytes / best / 1e9;
  r.unit = "GB/s";
  r.verified = bad == 0;
  r.iterations = reps;
  r.seconds = total;
  r.bytes = static_cast<uint64_t>(bytes);
  r.numbers = {{"mean_gbs", bytes * reps / total / 1e9},
               {"array_bytes", double(n * sizeof(double))}};
  report().add(r);
  Result m = r;
  m.name = "triad_mean";
  m.value = bytes * reps / total / 1e9;
  m.numbers = {};
  report().add(m);
  VK_CUDA(cudaFree(a));
  VK_CUDA(cudaFree(b));
  VK_CUDA(cudaFree(c));
  VK_CUDA(cudaFree(bad_d));
  return report().finish();
}
