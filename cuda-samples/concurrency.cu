// vfiokit-cuda-concurrency: N jobs at once on one GPU (default 10), as separate
// processes (each its own CUDA context, as when 10 users share a passed-through
// GPU) and as streams in one process. A job copies its input to the device,
// runs an integer recurrence x = a*x + c for R rounds on every element, copies
// the result back, and checks every element against the closed form
// x_R = A*x_0 + B (mod 2^32). Aggregate throughput and each job's verdict are reported.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common.hpp"
#include "cuda_util.cuh"

extern char** environ;

using namespace vfiokit::cuda;

namespace {

constexpr uint32_t kMul = 1664525u, kAdd = 1013904223u;  // Numerical Recipes LCG

__global__ void recurrence(uint32_t* x, uint64_t n, uint32_t rounds) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x) {
    uint32_t v = x[i];
    uint32_t r = 0;
    for (; r + 8 <= rounds; r += 8) {
#pragma unroll
      for (int k = 0; k < 8; ++k) v = v * kMul + kAdd;
    }
    for (; r < rounds; ++r) v = v * kMul + kAdd;
    x[i] = v;
  }
}

uint32_t job_seed(int id) { return 0x10b5eed0u + uint32_t(id) * 7919u; }

struct JobParams {
  uint64_t elements = 0;
  uint32_t rounds = 0;
  int corrupt_job = -1;  // test hook: damage this job's result before checking it
};

// One job's buffers on one stream.
struct JobRun {
  int id = 0;
  uint32_t *in = nullptr, *out = nullptr, *dev = nullptr;
  cudaStream_t stream{};
  cudaEvent_t start{}, end{};

  void setup(int job_id, const JobParams& p) {
    id = job_id;
    const size_t bytes = p.elements * 4;
    VK_CUDA(cudaMallocHost(&in, bytes));
    VK_CUDA(cudaMallocHost(&out, bytes));
    VK_CUDA(cudaMalloc(&dev, bytes));
    VK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    VK_CUDA(cudaEventCreate(&start));
    VK_CUDA(cudaEventCreate(&end));
    host_fill(in, p.elements, job_seed(id));
    std::memset(out, 0, bytes);
  }
  void enqueue(const JobParams& p) {
    const size_t bytes = p.elements * 4;
    VK_CUDA(cudaEventRecord(start, stream));
    VK_CUDA(cudaMemcpyAsync(dev, in, bytes, cudaMemcpyHostToDevice, stream));
    const uint64_t blocks = std::min<uint64_t>((p.elements + 255) / 256,
                                               uint64_t(device_props().multiProcessorCount) * 16);
    recurrence<<<unsigned(blocks), 256, 0, stream>>>(dev, p.elements, p.rounds);
    VK_CUDA(cudaGetLastError());
    VK_CUDA(cudaMemcpyAsync(out, dev, bytes, cudaMemcpyDeviceToHost, stream));
    VK_CUDA(cudaEventRecord(end, stream));
  }
  double seconds() {
    VK_CUDA(cudaEventSynchronize(end));
    float ms = 0;
    VK_CUDA(cudaEventElapsedTime(&ms, start, end));
    return ms / 1e3;
  }
  // Number of wrong elements (after the test hook, if it names this job).
  uint64_t verify(const JobParams& p) {
    if (p.corrupt_job == id) out[p.elements / 2] ^= 0x80000000u;
    uint32_t A = 1, B = 0;  // x_R = A*x_0 + B: compose the affine step R times
    for (uint32_t r = 0; r < p.rounds; ++r) {
      A = A * kMul;
      B = B * kMul + kAdd;
    }
    const uint32_t seed = job_seed(id);
    const uint32_t* o = out;
    std::atomic<uint64_t> total{0};
    parallel_for(p.elements, [&](uint64_t b, uint64_t e) {
      uint64_t mine = 0;
      for (uint64_t i = b; i < e; ++i) mine += o[i] != A * pattern(i, seed) + B;
      total += mine;
    });
    return total;
  }
  void release() {
    cudaFreeHost(in);
    cudaFreeHost(out);
    cudaFree(dev);
    cudaStreamDestroy(stream);
    cudaEventDestroy(start);
    cudaEventDestroy(end);
  }
};

double job_ops(const JobParams& p) { return double(p.elements) * p.rounds; }

void add(const std::string& name, double value, const std::string& unit, uint64_t iterations,
         double seconds, bool verified) {
  Result r;
  r.name = name;
  r.value = value;
  r.unit = unit;
  r.verified = verified;
  r.iterations = iterations;
  r.seconds = seconds;
  report().add(std::move(r));
}

std::string wrong(uint64_t bad, const JobParams& p) {
  return std::to_string(bad) + " of " + std::to_string(p.elements) + " elements wrong";
}

// N jobs on N streams of this process, all enqueued before any is waited for.
// Returns aggregate Gop/s (0 when no job verified).
double run_streams(unsigned jobs, const JobParams& p, const std::string& name) {
  std::vector<JobRun> js(jobs);
  for (unsigned i = 0; i < jobs; ++i) js[i].setup(int(i), p);
  VK_CUDA(cudaDeviceSynchronize());
  const double t0 = now_s();
  for (auto& j : js) j.enqueue(p);
  VK_CUDA(cudaDeviceSynchronize());
  const double wall = now_s() - t0;
  bool all = true;
  for (auto& j : js) {
    const uint64_t bad = j.verify(p);
    Job rec{j.id, name == "single" ? "single" : "stream", bad == 0, j.seconds(),
            bad ? wrong(bad, p) : ""};
    if (bad) report().error(name + " job " + std::to_string(j.id) + ": " + rec.error);
    all = all && bad == 0;
    if (name != "single") report().add_job(rec);
    j.release();
  }
  const double gops = job_ops(p) * jobs / wall / 1e9;
  add(name == "single" ? "single/job" : "streams/aggregate", gops, "Gop/s", jobs, wall, all);
  return all ? gops : 0;
}

// The worker side of process mode: set up, say READY, wait for GO, run, report.
int worker(int id, const JobParams& p) {
  JobRun j;
  j.setup(id, p);
  VK_CUDA(cudaDeviceSynchronize());
  std::printf("READY\n");
  std::fflush(stdout);
  char line[16];
  if (!std::fgets(line, sizeof line, stdin)) return 1;
  const double start = now_s();
  j.enqueue(p);
  VK_CUDA(cudaStreamSynchronize(j.stream));
  const double end = now_s();
  const uint64_t bad = j.verify(p);
  std::printf("RESULT %d %d %.9f %.9f %llu\n", id, bad == 0 ? 1 : 0, start, end,
              static_cast<unsigned long long>(bad));
  std::fflush(stdout);
  j.release();
  return bad == 0 ? 0 : 1;
}

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // worker's stdout
  int in = -1;          // worker's stdin
  bool ready = false, reported = false, verified = false;
  double start = 0, end = 0;
  std::string error;
};

// N jobs as N processes started together. Returns aggregate Gop/s (0 when not all verified).
double run_processes(unsigned jobs, const JobParams& p, const std::string& bus_id) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<Child> kids(jobs);
  for (unsigned i = 0; i < jobs; ++i) {
    int to_child[2], from_child[2];
    // Close-on-exec: a worker must not inherit the pipes of the others (a held
    // write end would hide a dead worker's EOF).
    if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
      report().fatal(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]})
      posix_spawn_file_actions_addclose(&fa, fd);
    const std::vector<std::string> args = {
        "vfiokit-cuda-concurrency",
        "--worker",
        std::to_string(i),
        "--device",
        bus_id,
        "--elements",
        std::to_string(p.elements),
        "--rounds",
        std::to_string(p.rounds),
        "--corrupt-job",
        std::to_string(p.corrupt_job < 0 ? 1u << 30 : unsigned(p.corrupt_job))};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&kids[i].pid, "/proc/self/exe", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(to_child[0]);
    close(from_child[1]);
    if (rc != 0) {
      kids[i].pid = -1;
      kids[i].error = std::string("cannot start worker: ") + std::strerror(rc);
      close(to_child[1]);
      close(from_child[0]);
      continue;
    }
    kids[i].in = to_child[1];
    kids[i].out = fdopen(from_child[0], "r");
  }
  char line[256];
  for (auto& k : kids)
    if (k.out && std::fgets(line, sizeof line, k.out) && std::strncmp(line, "READY", 5) == 0)
      k.ready = true;
  for (auto& k : kids)
    if (k.ready) (void)!write(k.in, "GO\n", 3);
  for (auto& k : kids) {
    if (k.ready && std::fgets(line, sizeof line, k.out)) {
      int id = 0, ok = 0;
      unsigned long long bad = 0;
      if (std::sscanf(line, "RESULT %d %d %lf %lf %llu", &id, &ok, &k.start, &k.end, &bad) == 5) {
        k.reported = true;
        k.verified = ok == 1;
        if (!k.verified) k.error = wrong(bad, p);
      }
    }
    if (k.out) std::fclose(k.out);
    if (k.in >= 0) close(k.in);
  }
  for (auto& k : kids) {
    if (k.pid < 0) continue;
    int status = 0;
    waitpid(k.pid, &status, 0);
    if (!k.reported && k.error.empty())
      k.error = WIFSIGNALED(status)
                    ? "worker killed by signal " + std::to_string(WTERMSIG(status))
                    : "worker exited with status " + std::to_string(WEXITSTATUS(status)) +
                          (k.ready ? " before reporting" : " before it was ready (see stderr)");
  }
  double first = 0, last = 0;
  bool all = true;
  for (unsigned i = 0; i < jobs; ++i) {
    const Child& k = kids[i];
    if (k.reported) {
      first = first == 0 ? k.start : std::min(first, k.start);
      last = std::max(last, k.end);
    }
    const bool good = k.reported && k.verified;
    all = all && good;
    if (!good) report().error("process job " + std::to_string(i) + ": " + k.error);
    report().add_job(
        {int(i), "process", good, k.reported ? k.end - k.start : 0, good ? "" : k.error});
  }
  const double wall = last - first;
  const double gops = wall > 0 ? job_ops(p) * jobs / wall / 1e9 : 0;
  add("processes/aggregate", gops, "Gop/s", jobs, wall, all);
  return all ? gops : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CommonOptions o;
  uint64_t jobs = 10, elements = 0, rounds = 0, worker_id = 0, corrupt = 1u << 30;
  std::string mode = "both", worker_flag;
  Args args("vfiokit-cuda-concurrency", "N parallel verified jobs as processes and as streams");
  add_common(args, o);
  args.number("--jobs", &jobs, "parallel jobs (default 10)");
  args.text("--mode", &mode, "processes, streams or both (default)");
  args.number("--elements", &elements, "32-bit elements per job (default 8M; --quick: 1M)");
  args.number("--rounds", &rounds,
              "recurrence rounds per element (default 100000; --quick: 10000)");
  args.number("--corrupt-job", &corrupt,
              "test hook: damage this job's result so verification must fail");
  args.text("--worker", &worker_flag, "(internal) run as process-mode worker N");
  args.parse(argc, argv);
  if (!elements) elements = o.quick ? (1u << 20) : (8u << 20);
  if (!rounds) rounds = o.quick ? 10000 : 100000;
  JobParams p{elements, uint32_t(std::min<uint64_t>(rounds, 1u << 31)),
              corrupt < (1u << 30) ? int(corrupt) : -1};

  if (!worker_flag.empty()) {
    CommonOptions wo = o;
    wo.json = false;  // a worker's fatal errors go to stderr as text
    report().begin("concurrency-worker", wo);
    select_device(o);
    worker_id = std::strtoull(worker_flag.c_str(), nullptr, 10);
    return worker(int(worker_id), p);
  }
  report().begin("concurrency", o);
  if (jobs < 1 || jobs > 256) report().fatal("--jobs must be 1..256");
  if (mode != "both" && mode != "processes" && mode != "streams")
    report().fatal("--mode must be processes, streams or both, got '" + mode + "'");
  const int dev = select_device(o);
  char bus[32] = {};
  VK_CUDA(cudaDeviceGetPCIBusId(bus, sizeof bus, dev));

  const double single = run_streams(1, p, "single");
  if (mode != "processes") {
    const double agg = run_streams(unsigned(jobs), p, "streams");
    if (single > 0 && agg > 0) add("streams/speedup", agg / single, "x", jobs, 0, true);
  }
  if (mode != "streams") {
    const double agg = run_processes(unsigned(jobs), p, bus);
    if (single > 0 && agg > 0) add("processes/speedup", agg / single, "x", jobs, 0, true);
  }
  return report().finish();
}
