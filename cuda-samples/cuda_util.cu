#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "cuda_util.cuh"

namespace vfiokit::cuda {

namespace {
cudaDeviceProp g_props;

__global__ void fill_kernel(uint32_t* p, uint64_t n, uint32_t seed) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    p[i] = pattern(i, seed);
}

__global__ void check_kernel(const uint32_t* p, uint64_t n, uint32_t seed,
                             unsigned long long* bad) {
  unsigned long long mine = 0;
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    mine += p[i] != pattern(i, seed);
  if (mine) atomicAdd(bad, mine);
}

unsigned grid_for(uint64_t n) {
  const uint64_t blocks = (n + 255) / 256;
  const uint64_t cap =
      static_cast<uint64_t>(g_props.multiProcessorCount ? g_props.multiProcessorCount : 80) * 16;
  return static_cast<unsigned>(blocks < cap ? (blocks ? blocks : 1) : cap);
}
}  // namespace

void cuda_fatal(const char* call, cudaError_t e, const char* file, int line) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s failed: %s (%s) at %s:%d", call, cudaGetErrorString(e),
                cudaGetErrorName(e), file, line);
  report().fatal(buf);
}

int select_device(const CommonOptions& o) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    report().fatal(std::string("no CUDA device: ") + cudaGetErrorString(e) +
                   " (is the nvidia driver loaded and does nvidia-smi list the GPU?)");
  int dev = 0;
  if (!o.device.empty()) {
    if (o.device.find(':') != std::string::npos) {
      if (cudaDeviceGetByPCIBusId(&dev, o.device.c_str()) != cudaSuccess)
        report().fatal("no CUDA device at PCI address " + o.device +
                       " (nvidia-smi --query-gpu=pci.bus_id --format=csv lists them)");
    } else {
      dev = std::atoi(o.device.c_str());
      if (dev < 0 || dev >= count)
        report().fatal("CUDA device " + o.device + " does not exist (" + std::to_string(count) +
                       " present)");
    }
  }
  VK_CUDA(cudaSetDevice(dev));
  VK_CUDA(cudaGetDeviceProperties(&g_props, dev));
  char bus[32] = {};
  VK_CUDA(cudaDeviceGetPCIBusId(bus, sizeof bus, dev));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  std::string bus_id(bus);
  for (auto& c : bus_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (bus_id.size() == 16 && bus_id[8] == ':') bus_id = bus_id.substr(4);  // 8-digit domain
  report().set_device(
      {{"ordinal", std::to_string(dev)},
       {"name", g_props.name},
       {"pci_bus_id", bus_id},
       {"compute_capability", std::to_string(g_props.major) + "." + std::to_string(g_props.minor)},
       {"sm_count", std::to_string(g_props.multiProcessorCount)},
       {"memory_bytes", std::to_string(g_props.totalGlobalMem)},
       {"driver_version", std::to_string(driver)},
       {"runtime_version", std::to_string(runtime)}});
  return dev;
}

const cudaDeviceProp& device_props() { return g_props; }

EventTimer::EventTimer() {
  VK_CUDA(cudaEventCreate(&a_));
  VK_CUDA(cudaEventCreate(&b_));
}
EventTimer::~EventTimer() {
  cudaEventDestroy(a_);
  cudaEventDestroy(b_);
}
void EventTimer::start(cudaStream_t s) { VK_CUDA(cudaEventRecord(a_, s)); }
void EventTimer::stop(cudaStream_t s) { VK_CUDA(cudaEventRecord(b_, s)); }
double EventTimer::seconds() {
  VK_CUDA(cudaEventSynchronize(b_));
  float ms = 0;
  VK_CUDA(cudaEventElapsedTime(&ms, a_, b_));
  return ms / 1e3;
}

uint64_t device_count_mismatches(const uint32_t* p, uint64_t words, uint32_t seed, cudaStream_t s) {
  unsigned long long* bad = nullptr;
  VK_CUDA(cudaMalloc(&bad, sizeof *bad));
  VK_CUDA(cudaMemsetAsync(bad, 0, sizeof *bad, s));
  check_kernel<<<grid_for(words), 256, 0, s>>>(p, words, seed, bad);
  VK_CUDA(cudaGetLastError());
  unsigned long long host = 0;
  VK_CUDA(cudaMemcpyAsync(&host, bad, sizeof host, cudaMemcpyDeviceToHost, s));
  VK_CUDA(cudaStreamSynchronize(s));
  VK_CUDA(cudaFree(bad));
  return host;
}

void device_fill(uint32_t* p, uint64_t words, uint32_t seed, cudaStream_t s) {
  fill_kernel<<<grid_for(words), 256, 0, s>>>(p, words, seed);
  VK_CUDA(cudaGetLastError());
}

void host_fill(uint32_t* p, uint64_t words, uint32_t seed) {
  parallel_for(words, [&](uint64_t b, uint64_t e) {
    for (uint64_t i = b; i < e; ++i) p[i] = pattern(i, seed);
  });
}

uint64_t host_count_mismatches(const uint32_t* p, uint64_t words, uint32_t seed) {
  std::atomic<uint64_t> bad{0};
  parallel_for(words, [&](uint64_t b, uint64_t e) {
    uint64_t mine = 0;
    for (uint64_t i = b; i < e; ++i) mine += p[i] != pattern(i, seed);
    bad += mine;
  });
  return bad;
}

}  // namespace vfiokit::cuda
