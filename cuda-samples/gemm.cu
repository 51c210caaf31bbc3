// vfiokit-cuda-gemm: compute throughput. SGEMM (fp32) and HGEMM (fp16 inputs,
// fp32 accumulate, tensor cores through WMMA), each as a hand-written kernel and
// as cuBLAS, in TFLOP/s. Inputs are small integers (-2..2), so every product
// and partial sum is exact in fp32: all four results must agree bit for bit,
// and sampled elements must equal a host dot product in 64-bit integers.
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <mma.h>

#include <string>
#include <vector>

#include "common.hpp"
#include "cuda_util.cuh"

using namespace vfiokit::cuda;

namespace {

#define VK_CUBLAS(call)                                                                          \
  do {                                                                                           \
    const cublasStatus_t st_ = (call);                                                           \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                            \
      report().fatal(std::string(#call) + " failed: cuBLAS status " + std::to_string(int(st_))); \
  } while (0)

__host__ __device__ inline int input_value(uint64_t i, uint32_t seed) {
  return int(pattern(i, seed) % 5) - 2;
}
constexpr uint32_t kSeedA = 0xa11ce, kSeedB = 0xb0b;

__global__ void init_inputs(float* af, float* bf, __half* ah, __half* bh, uint64_t na,
                            uint64_t nb) {
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < na || i < nb;
       i += uint64_t{gridDim.x} * blockDim.x) {
    if (i < na) {
      af[i] = float(input_value(i, kSeedA));
      ah[i] = __int2half_rn(input_value(i, kSeedA));
    }
    if (i < nb) {
      bf[i] = float(input_value(i, kSeedB));
      bh[i] = __int2half_rn(input_value(i, kSeedB));
    }
  }
}

// SGEMM, row-major C[MxN] = A[MxK] * B[KxN]. A 128x128 tile per block of 256
// threads, 8x8 outputs per thread, K in steps of 8 through shared memory.
// Needs M, N multiples of 128 and K a multiple of 8.
constexpr int kBM = 128, kBN = 128, kBK = 8, kTM = 8, kTN = 8;

__global__ void __launch_bounds__(256)
    sgemm_tiled(int M, int N, int K, const float* __restrict__ A, const float* __restrict__ B,
                float* __restrict__ C) {
  __shared__ __align__(16) float As[kBK][kBM];  // A tile, transposed: As[k][m]
  __shared__ __align__(16) float Bs[kBK][kBN];
  const int tid = threadIdx.x;
  const int row0 = blockIdx.y * kBM, col0 = blockIdx.x * kBN;
  const int tr = tid / (kBN / kTN), tc = tid % (kBN / kTN);  // 16 x 16 threads
  const int a_row = tid / 2, a_col = (tid % 2) * 4;          // 128 rows x 2 float4
  const int b_row = tid / 32, b_col = (tid % 32) * 4;        // 8 rows x 32 float4
  float acc[kTM][kTN] = {};
  for (int k0 = 0; k0 < K; k0 += kBK) {
    const float4 a = *reinterpret_cast<const float4*>(&A[size_t(row0 + a_row) * K + k0 + a_col]);
    As[a_col + 0][a_row] = a.x;
    As[a_col + 1][a_row] = a.y;
    As[a_col + 2][a_row] = a.z;
    As[a_col + 3][a_row] = a.w;
    *reinterpret_cast<float4*>(&Bs[b_row][b_col]) =
        *reinterpret_cast<const float4*>(&B[size_t(k0 + b_row) * N + col0 + b_col]);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      float ra[kTM], rb[kTN];
#pragma unroll
      for (int i = 0; i < kTM; ++i) ra[i] = As[k][tr * kTM + i];
#pragma unroll
      for (int j = 0; j < kTN; ++j) rb[j] = Bs[k][tc * kTN + j];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] += ra[i] * rb[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j)
      C[size_t(row0 + tr * kTM + i) * N + col0 + tc * kTN + j] = acc[i][j];
}

// HGEMM with tensor cores: row-major fp16 A, B; fp32 C. A 128x128 tile per
// block of 8 warps (2 x 4), each warp 64x32 = 4x2 WMMA 16x16x16 fragments,
// K in steps of 32. Needs M, N multiples of 128 and K a multiple of 32.
constexpr int kHK = 32, kPadA = kHK + 8,
              kPadB = kBN + 8;  // padding keeps 32-byte alignment, fewer bank conflicts

__global__ void __launch_bounds__(256)
    hgemm_wmma(int M, int N, int K, const __half* __restrict__ A, const __half* __restrict__ B,
               float* __restrict__ C) {
  using namespace nvcuda;
  __shared__ __align__(128) __half As[kBM][kPadA];
  __shared__ __align__(128) __half Bs[kHK][kPadB];
  const int tid = threadIdx.x, warp = tid / 32;
  const int wr = warp / 4, wc = warp % 4;  // warp's 64-row x 32-column slice
  const int row0 = blockIdx.y * kBM, col0 = blockIdx.x * kBN;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  for (int k0 = 0; k0 < K; k0 += kHK) {
#pragma unroll
    for (int t = 0; t < 2; ++t) {
      const int idx = tid + t * 256;
      const int ar = idx / 4, ac = (idx % 4) * 8;  // A tile: 128 rows x 4 uint4
      *reinterpret_cast<uint4*>(&As[ar][ac]) =
          *reinterpret_cast<const uint4*>(&A[size_t(row0 + ar) * K + k0 + ac]);
      const int br = idx / 16, bc = (idx % 16) * 8;  // B tile: 32 rows x 16 uint4
      *reinterpret_cast<uint4*>(&Bs[br][bc]) =
          *reinterpret_cast<const uint4*>(&B[size_t(k0 + br) * N + col0 + bc]);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kHK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb[2];
#pragma unroll
      for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], &As[wr * 64 + i * 16][kk], kPadA);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], &Bs[kk][wc * 32 + j * 16], kPadB);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(&C[size_t(row0 + wr * 64 + i * 16) * N + col0 + wc * 32 + j * 16],
                              acc[i][j], N, wmma::mem_row_major);
}

__global__ void count_diff(const float* x, const float* y, uint64_t n, unsigned long long* bad) {
  unsigned long long mine = 0;
  for (uint64_t i = blockIdx.x * uint64_t{blockDim.x} + threadIdx.x; i < n;
       i += uint64_t{gridDim.x} * blockDim.x)
    mine += x[i] != y[i];
  if (mine) atomicAdd(bad, mine);
}

struct Gemm {
  std::string name;  // "sgemm/handwritten"
  std::function<void()> run;
  float* out;
};

}  // namespace

int main(int argc, char** argv) {
  CommonOptions o;
  uint64_t size = 0, reps = 0;
  Args args("vfiokit-cuda-gemm", "SGEMM/HGEMM TFLOP/s, hand-written and cuBLAS, results verified");
  add_common(args, o);
  args.number("--size", &size, "M = N = K, a multiple of 128 (default 8192; --quick: 2048)");
  args.number("--reps", &reps, "timed repetitions (default 10; --quick: 3)");
  args.parse(argc, argv);
  if (!size) size = o.quick ? 2048 : 8192;
  if (!reps) reps = o.quick ? 3 : 10;
  report().begin("gemm", o);
  if (size == 0 || size % 128 || size > 32768)
    report().fatal("--size must be a multiple of 128 up to 32768, got " + std::to_string(size));
  select_device(o);
  if (device_props().major < 7)
    report().fatal("HGEMM with WMMA needs compute capability 7.0 or newer");

  const int n = int(size);
  const uint64_t elems = uint64_t(size) * size;
  float *af, *bf, *c[4];
  __half *ah, *bh;
  VK_CUDA(cudaMalloc(&af, elems * sizeof(float)));
  VK_CUDA(cudaMalloc(&bf, elems * sizeof(float)));
  VK_CUDA(cudaMalloc(&ah, elems * sizeof(__half)));
  VK_CUDA(cudaMalloc(&bh, elems * sizeof(__half)));
  for (auto& p : c) {
    VK_CUDA(cudaMalloc(&p, elems * sizeof(float)));
    VK_CUDA(cudaMemset(p, 0xff, elems * sizeof(float)));  // NaN until written
  }
  const unsigned fill_blocks = unsigned(device_props().multiProcessorCount) * 16;
  init_inputs<<<fill_blocks, 256>>>(af, bf, ah, bh, elems, elems);
  VK_CUDA(cudaGetLastError());

  cublasHandle_t h;
  VK_CUBLAS(cublasCreate(&h));
  const float alpha = 1.0f, beta = 0.0f;
  const dim3 grid(n / kBN, n / kBM);
  // cuBLAS is column-major: row-major C = A*B is column-major C^T = B^T * A^T.
  std::vector<Gemm> gemms = {
      {"sgemm/handwritten", [&] { sgemm_tiled<<<grid, 256>>>(n, n, n, af, bf, c[0]); }, c[0]},
      {"sgemm/cublas",
       [&] {
         VK_CUBLAS(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, bf, n, af, n, &beta,
                               c[1], n));
       },
       c[1]},
      {"hgemm/handwritten", [&] { hgemm_wmma<<<grid, 256>>>(n, n, n, ah, bh, c[2]); }, c[2]},
      {"hgemm/cublas",
       [&] {
         VK_CUBLAS(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, bh, CUDA_R_16F, n, ah,
                                CUDA_R_16F, n, &beta, c[3], CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT));
       },
       c[3]},
  };

  // Host reference for sampled elements: exact integer dot products.
  std::vector<int8_t> ha(elems), hb(elems);
  for (uint64_t i = 0; i < elems; ++i) {
    ha[i] = int8_t(input_value(i, kSeedA));
    hb[i] = int8_t(input_value(i, kSeedB));
  }
  std::vector<std::pair<uint64_t, float>> samples;
  for (uint32_t s = 0; s < 256; ++s) {
    const uint64_t r = pattern(s, 1) % size, col = pattern(s, 2) % size;
    int64_t dot = 0;
    for (uint64_t k = 0; k < size; ++k) dot += int64_t(ha[r * size + k]) * hb[k * size + col];
    samples.push_back({r * size + col, float(dot)});
  }

  unsigned long long* bad_d;
  VK_CUDA(cudaMalloc(&bad_d, sizeof *bad_d));
  EventTimer t;
  const double flops = 2.0 * double(size) * size * size;
  for (size_t g = 0; g < gemms.size(); ++g) {
    gemms[g].run();  // warm-up (and cuBLAS heuristics)
    VK_CUDA(cudaGetLastError());
    VK_CUDA(cudaDeviceSynchronize());
    t.start();
    for (uint64_t r = 0; r < reps; ++r) gemms[g].run();
    t.stop();
    VK_CUDA(cudaGetLastError());
    const double seconds = t.seconds();

    // Check: sampled elements against the host, and the whole matrix against SGEMM hand-written.
    std::vector<float> got(samples.size());
    uint64_t bad = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      VK_CUDA(cudaMemcpy(&got[i], gemms[g].out + samples[i].first, sizeof(float),
                         cudaMemcpyDeviceToHost));
      bad += got[i] != samples[i].second;
    }
    if (bad)
      report().error(gemms[g].name + ": " + std::to_string(bad) + " of " +
                     std::to_string(samples.size()) +
                     " sampled elements differ from the host reference");
    unsigned long long diff = 0;
    if (g > 0) {
      VK_CUDA(cudaMemset(bad_d, 0, sizeof *bad_d));
      count_diff<<<fill_blocks, 256>>>(gemms[g].out, c[0], elems, bad_d);
      VK_CUDA(cudaGetLastError());
      VK_CUDA(cudaMemcpy(&diff, bad_d, sizeof diff, cudaMemcpyDeviceToHost));
      if (diff)
        report().error(gemms[g].name + ": " + std::to_string(diff) +
                       " elements differ from sgemm/handwritten (all are exact on these inputs)");
    }
    Result res;
    res.name = gemms[g].name;
    res.value = flops * reps / seconds / 1e12;
    res.unit = "TFLOP/s";
    res.verified = bad == 0 && diff == 0;
    res.iterations = reps;
    res.seconds = seconds;
    res.tags = {{"precision", g < 2 ? "fp32" : "fp16-in/fp32-acc"},
                {"implementation", g % 2 ? "cublas" : "handwritten"}};
    res.numbers = {{"size", double(size)}};
    report().add(res);
  }
  VK_CUBLAS(cublasDestroy(h));
  for (auto* p : {af, bf, c[0], c[1], c[2], c[3]}) VK_CUDA(cudaFree(p));
  VK_CUDA(cudaFree(ah));
  VK_CUDA(cudaFree(bh));
  VK_CUDA(cudaFree(bad_d));
  return report().finish();
}
