//===- MachineBench.cpp - This machine's peak FLOP/s and memory bandwidth -===//
//
// The yardsticks the other sections divide by.
//
// Peak: each thread runs independent chains of vector fused multiply-adds
// (12 accumulators, enough to cover the FMA latency of 4-5 cycles on two
// pipes), so the figure is what the FMA units can do, not what a kernel
// does. It is measured, not read off a data sheet, because a VM's clock
// and turbo behaviour are unknown.
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

using namespace shapeflow::bench;

namespace {

/// Keeps a result alive so the loop computing it is not removed.
volatile float sink;

#if defined(__FMA__) && defined(__AVX__)
constexpr int kLanes = 8;

/// 2 * 12 * 8 flops per iteration.
void fmaChains(int64_t iterations) {
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
#else
constexpr int kLanes = 1;

// TODO: without FMA and AVX the peak is measured with scalar multiply-adds,
// which understates what SSE can do; fractions of peak read high there.
void fmaChains(int64_t iterations) {
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
#endif

constexpr int64_t kIterations = 1 << 22;

void measurePeak(Report &report, SuiteContext &ctx, int threads) {
  Timing t = measure(
      [&] {
#pragma omp parallel num_threads(threads)
        fmaChains(kIterations);
      },
      ctx.timing);
  double flops = 2.0 * 12 * kLanes * kIterations * threads / t.median;
  ctx.peakFlops[threads] = flops;
  report.add({"machine",
              llvm::formatv("fma_peak/threads:{0}", threads),
              t,
              {{"GFLOP/s", flops / 1e9}},
              kLanes == 8 ? "AVX2 FMA" : "scalar"});
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
