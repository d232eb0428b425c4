//===- Pool.cpp - Max, average and global average pooling -----------------===//
//
// max_pool2d, avg_pool2d  x [N, C, H, W] -> [N, C, H', W'] over windows of
//     kernel [kh, kw] placed every stride [sh, sw], starting at -padding.
//     With ceil_mode, H' = (H + 2p - k + s - 1) / s + 1 (MXNet's "full"
//     convention), so the last windows may start in the padding or run past
//     it.
//     max: the largest input in the window; padding counts as -infinity, so
//       a window that holds no input gives -infinity.
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

/// The windows along the width, the same for every output row.
std::vector<Window> columnWindows(const PoolShape &s) {
  std::vector<Window> windows(s.outW);
  for (int64_t ox = 0; ox < s.outW; ++ox)
    windows[ox] = windowAt(ox, s.kernelW, s.strideW, s.padW, s.width);
  return windows;
}

/// Stores fn(in, rowWindow, columnWindow) at each output position of each
/// plane, where `in` is the plane's input [H, W]; planes are split across
/// threads.
template <typename Fn>
void forEachWindow(const PoolShape &s, const KernelContext &ctx, Fn &&fn) {
  std::vector<Window> columns = columnWindows(s);
  const float *x = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  int64_t cost = s.outH * s.outW * s.kernelH * s.kernelW;
  parallelFor(s.planes, cost, ctx.numThreads, [&](int64_t plane) {
    const float *in = x + plane * s.height * s.width;
    float *dst = out + plane * s.outH * s.outW;
    for (int64_t oy = 0; oy < s.outH; ++oy) {
      Window rows = windowAt(oy, s.kernelH, s.strideH, s.padH, s.height);
      for (int64_t ox = 0; ox < s.outW; ++ox)
        *dst++ = fn(in, rows, columns[ox]);
    }
  });
}

llvm::Error runMaxPool2d(const KernelContext &ctx) {
  PoolShape s = readPoolShape(ctx);
  forEachWindow(s, ctx, [&](const float *in, Window rows, Window cols) {
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t y = rows.begin; y < rows.end; ++y)
      for (int64_t x = cols.begin; x < cols.end; ++x)
        best = std::max(best, in[y * s.width + x]);
    return best;
  });
  return llvm::Error::success();
}

llvm::Error runAvgPool2d(const KernelContext &ctx) {
  PoolShape s = readPoolShape(ctx);
  bool includePad = ctx.attrs.getInt("count_include_pad");
  forEachWindow(s, ctx, [&](const float *in, Window rows, Window cols) {
    int64_t count = includePad
                        ? rows.padded * cols.padded
                        : std::max<int64_t>(rows.end - rows.begin, 0) *
                              std::max<int64_t>(cols.end - cols.begin, 0);
    if (count == 0)
      return 0.0f;
    float sum = 0.0f;
    for (int64_t y = rows.begin; y < rows.end; ++y)
      for (int64_t x = cols.begin; x < cols.end; ++x)
        sum += in[y * s.width + x];
    return sum / static_cast<float>(count);
  });
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
