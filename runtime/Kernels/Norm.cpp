//===- Norm.cpp - Batch and layer normalisation ---------------------------===//
//
// Both see x as [outer, L, inner] around `axis` (already non-negative) and
// keep its shape; gamma and beta are [L].
// batch_norm (inference)  inputs x, gamma, beta, running_mean, running_var:
//     y = (x - mean[l]) / sqrt(var[l] + eps) * gamma[l] + beta[l]. Each
//     element reads only itself, so the step may run in place.
// layer_norm  inputs x, gamma, beta: for each (outer, inner) position, the
//     mean and population variance of its L values (two passes, in double),
//     then y = (x - mean) / sqrt(var + eps) * gamma[l] + beta[l]. Along a
//     last axis, each row's deviations are taken in float against the mean
//     split into two floats, so the output pass runs in float.
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <vector>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

llvm::Error runBatchNorm(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  AxisSplit split = splitAtAxis(x.shape, ctx.attrs.getInt("axis"));
  double eps = ctx.attrs.getFloat("eps");
  const float *gamma = ctx.inputs[1].f32(), *beta = ctx.inputs[2].f32();
  const float *mean = ctx.inputs[3].f32(), *var = ctx.inputs[4].f32();

  // Fold gamma into 1 / sqrt(var + eps), so each element costs a subtract
  // and a multiply-add.
  std::vector<float> scale(split.size);
  for (int64_t l = 0; l < split.size; ++l)
    scale[l] = static_cast<float>(gamma[l] / std::sqrt(var[l] + eps));

  // [outer, L, inner] -> rows [outer*L] of `inner` values, one channel each.
  const float *in = x.f32();
  float *out = ctx.output.f32();
  parallelFor(split.outer * split.size, split.inner, ctx.numThreads,
              [&](int64_t row) {
                int64_t l = row % split.size;
                const float *src = in + row * split.inner;
                float *dst = out + row * split.inner;
                for (int64_t i = 0; i < split.inner; ++i)
                  dst[i] = (src[i] - mean[l]) * scale[l] + beta[l];
              });
  return llvm::Error::success();
}

/// The inputs of one layer_norm step.
struct LayerNormArgs {
  AxisSplit split;
  const float *x, *gamma, *beta;
  float *y;
  double eps;
};

/// Normalises columns [begin, end) of block `outer`, [L, inner], along L.
/// `stats` holds 2 * (end - begin) doubles of scratch.
void normalizeColumns(const LayerNormArgs &a, int64_t outer, int64_t begin,
                      int64_t end, double *stats) {
  int64_t size = a.split.size, inner = a.split.inner, n = end - begin;
  const float *x = a.x + outer * size * inner + begin;
  float *y = a.y + outer * size * inner + begin;
  double *mean = stats, *invStd = stats + n;

  // Pass one: the means. Pass two: the variances about them.
  std::fill(stats, stats + 2 * n, 0.0);
  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i)
      mean[i] += x[l * inner + i];
  for (int64_t i = 0; i < n; ++i)
    mean[i] /= size;
  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i) {
      double d = x[l * inner + i] - mean[i];
      invStd[i] += d * d;
    }
  for (int64_t i = 0; i < n; ++i)
    invStd[i] = 1.0 / std::sqrt(invStd[i] / size + a.eps);

  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i)
      y[l * inner + i] = static_cast<float>(
          (x[l * inner + i] - mean[i]) * invStd[i] * a.gamma[l] + a.beta[l]);
}

/// Normalises one contiguous row [L] (a last axis), which fits in cache:
/// the float values are read three times instead of going through double
/// scratch columns.
void normalizeRow(const LayerNormArgs &a, const float *x, float *y) {
  int64_t size = a.split.size;
  double mean = sumInDouble(x, size) / size;

  // Deviations are taken in float as (x - meanF) - meanLo, where meanF is
  // the mean rounded to float and meanLo what that rounding lost. When x is
  // near the mean (large offsets, small spread), x - meanF is exact, so the
  // deviation keeps the precision a double subtraction would give.
  float meanF = static_cast<float>(mean);
  float meanLo = static_cast<float>(mean - meanF);
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= size; i += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      double d = (x[i + k] - meanF) - meanLo;
      lanes[k] += d * d;
    }
  double var = 0.0;
  for (; i < size; ++i) {
    double d = (x[i] - meanF) - meanLo;
    var += d * d;
  }
  for (int k = 0; k < kLanes; ++k)
    var += lanes[k];
  float invStd = static_cast<float>(1.0 / std::sqrt(var / size + a.eps));

  for (int64_t l = 0; l < size; ++l)
    y[l] = ((x[l] - meanF) - meanLo) * invStd * a.gamma[l] + a.beta[l];
}

llvm::Error runLayerNorm(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  LayerNormArgs a{splitAtAxis(x.shape, ctx.attrs.getInt("axis")),
                  x.f32(),
                  ctx.inputs[1].f32(),
                  ctx.inputs[2].f32(),
                  ctx.output.f32(),
                  ctx.attrs.getFloat("eps")};
  if (a.split.size == 0)
    return llvm::Error::success();

  if (a.split.inner == 1) {
    // [outer, L]: whole rows to each thread, so the result does not depend
    // on the thread count.
    int64_t size = a.split.size;
    parallelFor(a.split.outer, /*costPerItem=*/4 * size, ctx.numThreads,
                [&](int64_t row) {
                  normalizeRow(a, a.x + row * size, a.y + row * size);
                });
    return llvm::Error::success();
  }

  forEachColumnSlice(
      a.split, ctx.numThreads, /*scratchPerColumn=*/2,
      [&](int64_t outer, int64_t begin, int64_t end, double *stats) {
        normalizeColumns(a, outer, begin, end, stats);
      });
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerNormKernels(KernelTable &table) {
  table["batch_norm"] = runBatchNorm;
  table["layer_norm"] = runLayerNorm;
}
