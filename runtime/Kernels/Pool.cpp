//===- Pool.cpp - Max, average and global average pooling -----------------===//
//
// max_pool2d, avg_pool2d  x [N, C, H, W] -> [N, C, H', W'] over windows of
//     kernel [kh, kw] placed every stride [sh, sw], starting at -padding.
//     With ceil_mode, H' = (H + 2p - k + s - 1) / s + 1 (MXNet's "full"
//     convention), so the last windows may start in the padding or run past
//     it.
//     max: the largest input in the window; padding counts as -infinity, so
//       a window that holds no input gives -infinity, and a window that
//       holds a NaN gives NaN (as PyTorch's max pooling does).
//     avg: the sum of the inputs in the window divided by the number of
//       window positions inside the padded input [-p, H + p) when
//       count_include_pad=1, or inside the input [0, H) otherwise; a count
//       of 0 gives 0.
// global_avg_pool2d  [N, C, H, W] -> [N, C, 1, 1], the mean over H*W (0 when
//     H*W is 0).
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <cmath>
#include <limits>
#include <vector>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

/// Where one window lies along one axis.
struct Window {
  int64_t begin, end; ///< the positions inside the input, [begin, end)
  int64_t padded;     ///< how many positions lie inside [-p, size + p)
};

/// The window of output position `o` along an axis of `size` inputs.
Window windowAt(int64_t o, int64_t kernel, int64_t stride, int64_t pad,
                int64_t size) {
  int64_t start = o * stride - pad, stop = start + kernel;
  int64_t padded = std::min(stop, size + pad) - std::max(start, -pad);
  return {std::max<int64_t>(start, 0), std::min(stop, size),
          std::max<int64_t>(padded, 0)};
}

/// The sizes of one pooling step, all planes alike.
struct PoolShape {
  int64_t planes, height, width; // x [N*C, H, W]
  int64_t outH, outW;            // out [N*C, H', W']
  int64_t kernelH, kernelW, strideH, strideW, padH, padW;
};

PoolShape readPoolShape(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  const std::vector<int64_t> &kernel = ctx.attrs.getInts("kernel");
  const std::vector<int64_t> &stride = ctx.attrs.getInts("stride");
  const std::vector<int64_t> &padding = ctx.attrs.getInts("padding");
  assert(ctx.output.dim(0) == x.dim(0) && ctx.output.dim(1) == x.dim(1) &&
         "pooling keeps N and C");
  return {x.dim(0) * x.dim(1), x.dim(2),   x.dim(3),  ctx.output.dim(2),
          ctx.output.dim(3),   kernel[0],  kernel[1], stride[0],
          stride[1],           padding[0], padding[1]};
}

/// Pooling by maximum; padding is -infinity, the identity of max.
struct MaxOp {
  static constexpr float kIdentity = -std::numeric_limits<float>::infinity();
  // Quiet comparisons (std::isgreaterequal, not `>=`) and a bitwise `|`
  // let GCC vectorise the select under -ftrapping-math. A NaN, once met,
  // stays: a NaN v fails the comparison and is taken, a NaN acc is kept.
  static float combine(float acc, float v) {
    return std::isless(acc, v) | std::isunordered(v, v) ? v : acc;
  }
};

/// Pooling by sum (the average scales it afterwards); padding is 0.
struct SumOp {
  static constexpr float kIdentity = 0.0f;
  static float combine(float acc, float v) { return acc + v; }
};

/// The number of floats in the padded row of poolPlane: input column x is
/// at x + padW, and the windows of all W' outputs fit.
int64_t paddedRowSize(const PoolShape &s) {
  return std::max(s.padW + s.width, (s.outW - 1) * s.strideW + s.kernelW);
}

/// out[ox] = Op over j < kw of row[ox * stride + j], for ox < outW. A
/// template on the stride (0 meaning s.strideW) so that the common strides
/// vectorise with fixed loads.
template <typename Op, int Stride>
void poolRowAcross(const PoolShape &s, const float *row, float *out) {
  int64_t stride = Stride ? Stride : s.strideW;
  for (int64_t ox = 0; ox < s.outW; ++ox)
    out[ox] = row[ox * stride];
  for (int64_t j = 1; j < s.kernelW; ++j)
    for (int64_t ox = 0; ox < s.outW; ++ox)
      out[ox] = Op::combine(out[ox], row[ox * stride + j]);
}

/// Pools one plane, in [H, W] -> out [H', W'], with Op; avgScale, when not
/// null, holds one factor per output column and the average's counts are
/// applied.
///
/// Each output row first combines the input rows of its window into one
/// padded row (contiguous, so it vectorises), then each output combines kw
/// neighbours of that row. The padded row holds Op's identity outside the
/// input, so neither step checks bounds: the border windows cost the same
/// as the interior ones.
template <typename Op, int Stride>
void poolPlane(const PoolShape &s, const float *in, float *out,
               const float *avgScale, bool includePad, float *padded) {
  int64_t size = paddedRowSize(s);
  std::fill(padded, padded + size, Op::kIdentity);
  float *row = padded + s.padW; // row[x] is input column x

  for (int64_t oy = 0; oy < s.outH; ++oy, out += s.outW) {
    Window rows = windowAt(oy, s.kernelH, s.strideH, s.padH, s.height);
    if (rows.begin >= rows.end) {
      std::fill(row, row + s.width, Op::kIdentity);
    } else {
      std::copy(in + rows.begin * s.width, in + (rows.begin + 1) * s.width,
                row);
      for (int64_t y = rows.begin + 1; y < rows.end; ++y)
        for (int64_t x = 0; x < s.width; ++x)
          row[x] = Op::combine(row[x], in[y * s.width + x]);
    }
    poolRowAcross<Op, Stride>(s, padded, out);

    if (!avgScale)
      continue;
    int64_t count =
        includePad ? rows.padded : std::max<int64_t>(rows.end - rows.begin, 0);
    float rowScale = count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
    for (int64_t ox = 0; ox < s.outW; ++ox)
      out[ox] *= avgScale[ox] * rowScale;
  }
}

/// Whether every window is 2x2, with stride 2 and no padding, and lies
/// inside the input (LeNet's and VGG's pooling).
bool isPlain2x2(const PoolShape &s) {
  return s.kernelH == 2 && s.kernelW == 2 && s.strideH == 2 && s.strideW == 2 &&
         s.padH == 0 && s.padW == 0 && 2 * s.outH <= s.height &&
         2 * s.outW <= s.width;
}

/// poolPlane for isPlain2x2 shapes: each output combines two pairs of
/// neighbours from two rows, in the order poolPlane uses (rows first), and
/// an average divides by 4 (avgScale and includePad change nothing, as no
/// window is clipped). On planes of 28x28 and smaller, poolPlane's
/// per-row setup costs more than this whole loop.
template <typename Op>
void poolPlane2x2(const PoolShape &s, const float *in, float *out,
                  const float *avgScale, bool /*includePad*/,
                  float * /*padded*/) {
  for (int64_t oy = 0; oy < s.outH; ++oy, out += s.outW) {
    const float *r0 = in + 2 * oy * s.width, *r1 = r0 + s.width;
    for (int64_t ox = 0; ox < s.outW; ++ox) {
      float left = Op::combine(r0[2 * ox], r1[2 * ox]);
      float right = Op::combine(r0[2 * ox + 1], r1[2 * ox + 1]);
      out[ox] = Op::combine(left, right);
    }
    if (avgScale)
      for (int64_t ox = 0; ox < s.outW; ++ox)
        out[ox] *= 0.25f;
  }
}

/// Runs poolPlane on every plane, planes split across threads.
template <typename Op>
void poolPlanes(const PoolShape &s, const KernelContext &ctx,
                const float *avgScale, bool includePad) {
  auto plane = poolPlane<Op, 0>;
  if (isPlain2x2(s))
    plane = poolPlane2x2<Op>;
  else if (s.strideW == 1)
    plane = poolPlane<Op, 1>;
  else if (s.strideW == 2)
    plane = poolPlane<Op, 2>;

  const float *x = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  int64_t cost = s.outH * (s.width * s.kernelH + s.outW * s.kernelW);
  parallelFor(s.planes, cost, ctx.numThreads, [&](int64_t p) {
    float *padded = threadScratch<0>(paddedRowSize(s));
    plane(s, x + p * s.height * s.width, out + p * s.outH * s.outW, avgScale,
          includePad, padded);
  });
}

llvm::Error runMaxPool2d(const KernelContext &ctx) {
  PoolShape s = readPoolShape(ctx);
  if (ctx.output.numElements() == 0)
    return llvm::Error::success();
  poolPlanes<MaxOp>(s, ctx, /*avgScale=*/nullptr, /*includePad=*/false);
  return llvm::Error::success();
}

llvm::Error runAvgPool2d(const KernelContext &ctx) {
  PoolShape s = readPoolShape(ctx);
  if (ctx.output.numElements() == 0)
    return llvm::Error::success();

  // The count of a window is its rows' count times its columns'; the
  // column part, 1 / count (0 for none), is the same on every row.
  bool includePad = ctx.attrs.getInt("count_include_pad");
  float *columnScale = threadScratch<1>(s.outW);
  for (int64_t ox = 0; ox < s.outW; ++ox) {
    Window cols = windowAt(ox, s.kernelW, s.strideW, s.padW, s.width);
    int64_t count =
        includePad ? cols.padded : std::max<int64_t>(cols.end - cols.begin, 0);
    columnScale[ox] = count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  }
  poolPlanes<SumOp>(s, ctx, columnScale, includePad);
  return llvm::Error::success();
}

// [N, C, H, W] -> [N*C, H*W] -> [N*C]
llvm::Error runGlobalAvgPool2d(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  int64_t planes = x.dim(0) * x.dim(1), size = x.dim(2) * x.dim(3);
  assert(ctx.output.numElements() == planes && "output is not [N, C, 1, 1]");
  const float *in = x.f32();
  float *out = ctx.output.f32();
  parallelFor(planes, size, ctx.numThreads, [&](int64_t plane) {
    // Accumulate in double: a plane may hold thousands of values.
    double sum = 0.0;
    for (int64_t i = 0; i < size; ++i)
      sum += in[plane * size + i];
    out[plane] = size == 0 ? 0.0f : static_cast<float>(sum / size);
  });
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerPoolKernels(KernelTable &table) {
  table["max_pool2d"] = runMaxPool2d;
  table["avg_pool2d"] = runAvgPool2d;
  table["global_avg_pool2d"] = runGlobalAvgPool2d;
}
