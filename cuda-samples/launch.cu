// vfiokit-cuda-launch: kernel launch cost. An empty kernel launched back to
// back (submission rate), launched and waited for (round trip), the same
// through a CUDA graph of one kernel, and a graph of 100 kernels (per-kernel
// cost inside a graph). A counting kernel sent down the same paths proves the
// launches ran: the counter must equal the number of launches.
#include <algorithm>
#include <vector>

#include "common.hpp"
#include "cuda_util.cuh"

using namespace vfiokit::cuda;

namespace {

__global__ void empty_kernel() {}
__global__ void count_kernel(unsigned long long* counter) {
  if (threadIdx.x == 0 && blockIdx.x == 0) atomicAdd(counter, 1ull);
}

constexpr int kGraphKernels = 100;

struct Stats {
  double median_us, p99_us, mean_us;
};
Stats stats(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double x : us) sum += x;
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], sum / us.size()};
}

cudaGraphExec_t capture(cudaStream_t s, int kernels, unsigned long long* counter) {
  cudaGraph_t g;
  VK_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int i = 0; i < kernels; ++i) {
    if (counter)
      count_kernel<<<1, 32, 0, s>>>(counter);
    else
      empty_kernel<<<1, 32, 0, s>>>();
  }
  VK_CUDA(cudaStreamEndCapture(s, &g));
  cudaGraphExec_t exec;
  VK_CUDA(cudaGraphInstantiate(&exec, g, 0));
  VK_CUDA(cudaGraphDestroy(g));
  return exec;
}

void add(const std::string& name, double value_us, uint64_t iterations, double seconds,
         bool verified, std::vector<std::pair<std::string, double>> numbers = {}) {
  Result r;
  r.name = name;
  r.value = value_us;
  r.unit = "us";
  r.higher_is_better = false;
  r.verified = verified;
  r.iterations = iterations;
  r.seconds = seconds;
  r.numbers = std::move(numbers);
  report().add(std::move(r));
}

}  // namespace

int main(int argc, char** argv) {
  CommonOptions o;
  uint64_t async_n = 0, sync_n = 0;
  Args args("vfiokit-cuda-launch", "empty-kernel and CUDA-graph launch latency, launches counted");
  add_common(args, o);
  args.number("--launches", &async_n, "back-to-back launches (default 100000; --quick: 10000)");
  args.number("--round-trips", &sync_n, "launch+wait round trips (default 20000; --quick: 2000)");
  args.parse(argc, argv);
  if (!async_n) async_n = o.quick ? 10000 : 100000;
  if (!sync_n) sync_n = o.quick ? 2000 : 20000;
  report().begin("launch", o);
  select_device(o);

  cudaStream_t s;
  VK_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  unsigned long long* counter;
  VK_CUDA(cudaMalloc(&counter, sizeof *counter));
  VK_CUDA(cudaMemset(counter, 0, sizeof *counter));

  // Proof that each launch path runs kernels: count through the same calls.
  const uint64_t count_plain = 1000, count_graph_runs = 10;
  for (uint64_t i = 0; i < count_plain; ++i) count_kernel<<<1, 32, 0, s>>>(counter);
  VK_CUDA(cudaGetLastError());
  cudaGraphExec_t count_graph = capture(s, kGraphKernels, counter);
  for (uint64_t i = 0; i < count_graph_runs; ++i) VK_CUDA(cudaGraphLaunch(count_graph, s));
  VK_CUDA(cudaStreamSynchronize(s));
  unsigned long long counted = 0;
  VK_CUDA(cudaMemcpy(&counted, counter, sizeof counted, cudaMemcpyDeviceToHost));
  const unsigned long long expected = count_plain + count_graph_runs * kGraphKernels;
  const bool verified = counted == expected;
  if (!verified)
    report().error("counting kernel ran " + std::to_string(counted) + " times, expected " +
                   std::to_string(expected) + ": launches were lost");
  VK_CUDA(cudaGraphExecDestroy(count_graph));

  // Warm-up: module load, first-launch setup.
  for (int i = 0; i < 100; ++i) empty_kernel<<<1, 32, 0, s>>>();
  VK_CUDA(cudaStreamSynchronize(s));

  // 1. Back-to-back launches, one wait at the end: the host's submission cost.
  double t0 = now_s();
  for (uint64_t i = 0; i < async_n; ++i) empty_kernel<<<1, 32, 0, s>>>();
  VK_CUDA(cudaGetLastError());
  VK_CUDA(cudaStreamSynchronize(s));
  double dt = now_s() - t0;
  add("kernel_launch_async", dt / async_n * 1e6, async_n, dt, verified);

  // 2. Launch and wait, each time: the full round trip (doorbell, run, completion seen by the
  // host).
  std::vector<double> us;
  us.reserve(sync_n);
  t0 = now_s();
  for (uint64_t i = 0; i < sync_n; ++i) {
    const double a = now_s();
    empty_kernel<<<1, 32, 0, s>>>();
    VK_CUDA(cudaStreamSynchronize(s));
    us.push_back((now_s() - a) * 1e6);
  }
  dt = now_s() - t0;
  Stats st = stats(us);
  add("kernel_launch_sync", st.median_us, sync_n, dt, verified,
      {{"p99_us", st.p99_us}, {"mean_us", st.mean_us}});

  // 3. A one-kernel graph, launched and waited for.
  cudaGraphExec_t one = capture(s, 1, nullptr);
  VK_CUDA(cudaGraphLaunch(one, s));
  VK_CUDA(cudaStreamSynchronize(s));
  us.clear();
  t0 = now_s();
  for (uint64_t i = 0; i < sync_n; ++i) {
    const double a = now_s();
    VK_CUDA(cudaGraphLaunch(one, s));
    VK_CUDA(cudaStreamSynchronize(s));
    us.push_back((now_s() - a) * 1e6);
  }
  dt = now_s() - t0;
  st = stats(us);
  add("graph_launch_sync", st.median_us, sync_n, dt, verified,
      {{"p99_us", st.p99_us}, {"mean_us", st.mean_us}});
  VK_CUDA(cudaGraphExecDestroy(one));

  // 4. A 100-kernel graph launched back to back: cost per kernel inside a graph.
  cudaGraphExec_t many = capture(s, kGraphKernels, nullptr);
  VK_CUDA(cudaGraphLaunch(many, s));
  VK_CUDA(cudaStreamSynchronize(s));
  const uint64_t graph_runs = std::max<uint64_t>(1, async_n / kGraphKernels);
  t0 = now_s();
  for (uint64_t i = 0; i < graph_runs; ++i) VK_CUDA(cudaGraphLaunch(many, s));
  VK_CUDA(cudaStreamSynchronize(s));
  dt = now_s() - t0;
  add("graph_kernel_async", dt / (graph_runs * kGraphKernels) * 1e6, graph_runs * kGraphKernels, dt,
      verified);
  VK_CUDA(cudaGraphExecDestroy(many));

  VK_CUDA(cudaFree(counter));
  VK_CUDA(cudaStreamDestroy(s));
  return report().finish();
}
