//===- MachineBench.cpp - This machine's peak FLOP/s and memory bandwidth -===//
//
// The yardsticks the other sections divide by.
//
// Peak: each thread runs independent chains of vector fused multiply-adds
// (12 accumulators, enough to cover the FMA latency of 4-5 cycles on two
// pipes), so the figure is what the FMA units can do, not what a kernel
// does. It is measured for 256-bit vectors and, where the build targets
// AVX-512, for 512-bit ones, which is then the peak: on cores with two
// 512-bit FMA units it is twice the AVX2 figure. It is measured, not read off a
// data sheet, because a VM's clock and turbo behaviour are unknown.
//
// Bandwidth: a copy between two 256 MiB buffers, far beyond the last-level
// cache, counting bytes read plus bytes written.
//
//===----------------------------------------------------------------------===//

#include "Sections.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <memory>
#include <omp.h>

#if defined(__FMA__) && defined(__AVX__)
#include <immintrin.h>
#endif
#include <iterator>

using namespace shapeflow::bench;

namespace {

/// Keeps a result alive so the loop computing it is not removed.
volatile float sink;

#if defined(__FMA__) && defined(__AVX__)
/// 2 * 12 * 8 flops per iteration, on 256-bit vectors.
void fmaChains256(int64_t iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = _mm256_add_ps(sum, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  sink = lanes[0];
}
#endif

#if defined(__AVX512F__)
/// 2 * 12 * 16 flops per iteration, on 512-bit vectors.
void fmaChains512(int64_t iterations) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 sum = acc[0];
  for (int i = 1; i < 12; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  // A store rather than _mm512_reduce_add_ps, whose GCC 12 header trips
  // a false -Wuninitialized.
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  sink = lanes[0];
}
#endif

// TODO: without FMA and AVX the peak is measured with scalar multiply-adds,
// which understates what SSE can do; fractions of peak read high there.
[[maybe_unused]] void fmaChainsScalar(int64_t iterations) {
  float acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = float(i);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = acc[i] * 0.999999f + 1e-7f;
  float sum = 0;
  for (float v : acc)
    sum += v;
  sink = sum;
}

/// The FMA chains this build can run, widest last: the peak is the widest
/// vector's, since that is what the gemm uses (Gemm.h picks its micro-kernel
/// the same way).
struct Chains {
  void (*fn)(int64_t iterations);
  int lanes;
  const char *name;
};
const Chains kChains[] = {
#if defined(__FMA__) && defined(__AVX__)
    {fmaChains256, 8, "avx2"},
#else
    {fmaChainsScalar, 1, "scalar"},
#endif
#if defined(__AVX512F__)
    {fmaChains512, 16, "avx512"},
#endif
};

constexpr int64_t kIterations = 1 << 22;

void measurePeak(Report &report, SuiteContext &ctx, int threads) {
  for (const Chains &chains : kChains) {
    Timing t = measure(
        [&] {
#pragma omp parallel num_threads(threads)
          chains.fn(kIterations);
        },
        ctx.timing);
    double flops = 2.0 * 12 * chains.lanes * kIterations * threads / t.median;
    // The last (widest) one is the peak the kernels are measured against.
    ctx.peakFlops[threads] = flops;
    report.add({"machine",
                llvm::formatv("fma_peak/{0}/threads:{1}", chains.name, threads),
                t,
                {{"GFLOP/s", flops / 1e9}},
                &chains == &kChains[std::size(kChains) - 1]
                    ? "the peak fractions divide by"
                    : ""});
  }
}

void measureCopy(Report &report, SuiteContext &ctx, int threads) {
  const int64_t n = (256 << 20) / sizeof(float);
  std::unique_ptr<float[]> src(new float[n]), dst(new float[n]);
  // Touch every page first so the timing sees no page faults.
#pragma omp parallel for num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    src[i] = float(i & 1023);
    dst[i] = 0;
  }
  Timing t = measure(
      [&] {
#pragma omp parallel num_threads(threads)
        {
          int id = omp_get_thread_num(), count = omp_get_num_threads();
          int64_t begin = n * id / count, end = n * (id + 1) / count;
          std::memcpy(dst.get() + begin, src.get() + begin,
                      (end - begin) * sizeof(float));
        }
      },
      ctx.timing);
  double bytes = 2.0 * n * sizeof(float) / t.median;
  ctx.copyBandwidth[threads] = bytes;
  sink = dst[n / 2];
  report.add({"machine",
              llvm::formatv("copy_bandwidth/threads:{0}", threads),
              t,
              {{"GB/s", bytes / 1e9}},
              "256 MiB memcpy, read + write"});
}

} // namespace

void shapeflow::bench::runMachineSection(Report &report, SuiteContext &ctx) {
  for (int threads : ctx.threadCounts)
    measurePeak(report, ctx, threads);
  for (int threads : ctx.threadCounts)
    measureCopy(report, ctx, threads);
}
