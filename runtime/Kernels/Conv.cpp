//===- Conv.cpp - 2-D convolution -----------------------------------------===//
//
// conv2d  x [N, C, H, W], weight [O, C/groups, kh, kw], optional bias [O]
//         -> [N, O, H', W'] with H' = (H + 2p - d(kh - 1) - 1) / s + 1, and
//         out[n, o, y, x] = act(bias[o] + sum over the input channels c of
//         o's group and i < kh, j < kw of
//         weight[o, c', i, j] * x[n, c, y*s + i*d - p, x*s + j*d - p]),
//         where positions outside the input read 0.
//
// Three paths: a 1x1 convolution with stride 1 and no padding is one
// product per image and group; a depthwise convolution (one input channel
// per group) is a direct loop; anything else unfolds each image's group
// into columns (im2col) and multiplies them by the group's filters.
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <vector>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

/// The sizes of one conv2d step.
struct ConvShape {
  int64_t batch, channels, height, width; // x [N, C, H, W]
  int64_t outChannels, kernelH, kernelW;  // weight [O, C/groups, kh, kw]
  int64_t outH, outW;                     // out [N, O, H', W']
  int64_t strideH, strideW, padH, padW, dilationH, dilationW, groups;

  int64_t groupIn() const { return channels / groups; }
  int64_t groupOut() const { return outChannels / groups; }
  /// The length of one filter: the inner dim of the products.
  int64_t patch() const { return groupIn() * kernelH * kernelW; }
  int64_t inPlane() const { return height * width; }
  int64_t outPlane() const { return outH * outW; }
};

ConvShape readConvShape(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0], &weight = ctx.inputs[1];
  const std::vector<int64_t> &stride = ctx.attrs.getInts("stride");
  const std::vector<int64_t> &padding = ctx.attrs.getInts("padding");
  const std::vector<int64_t> &dilation = ctx.attrs.getInts("dilation");
  ConvShape s{.batch = x.dim(0),
              .channels = x.dim(1),
              .height = x.dim(2),
              .width = x.dim(3),
              .outChannels = weight.dim(0),
              .kernelH = weight.dim(2),
              .kernelW = weight.dim(3),
              .outH = ctx.output.dim(2),
              .outW = ctx.output.dim(3),
              .strideH = stride[0],
              .strideW = stride[1],
              .padH = padding[0],
              .padW = padding[1],
              .dilationH = dilation[0],
              .dilationW = dilation[1],
              .groups = ctx.attrs.getInt("groups")};
  assert(s.groups > 0 && s.channels % s.groups == 0 &&
         s.outChannels % s.groups == 0 && weight.dim(1) == s.groupIn() &&
         "groups must divide the channels");
  assert(ctx.output.dim(0) == s.batch && ctx.output.dim(1) == s.outChannels &&
         "output is not [N, O, H', W']");
  return s;
}

bool isPointwise(const ConvShape &s) {
  return s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1 &&
         s.padH == 0 && s.padW == 0;
}

bool isDepthwise(const ConvShape &s) {
  return s.groups == s.channels && s.groupIn() == 1;
}

/// out [rows, P] = act(filters [rows, K] · cols [K, P] + bias[rows]), using
/// up to `numThreads` threads, each on a slice of the P columns.
void filterProduct(const float *filters, const float *cols, float *out,
                   int64_t rows, int64_t depth, int64_t plane,
                   const float *bias, Activation act, int numThreads) {
  ConstMatrixMap lhs(filters, rows, depth);
  ConstMatrixMap rhs(cols, depth, plane);
  MatrixMap dst(out, rows, plane);
  parallelChunks(plane, rows * depth, numThreads,
                 [&](int64_t begin, int64_t end) {
                   auto part = dst.middleCols(begin, end - begin);
                   if (depth == 0)
                     part.setZero();
                   else
                     part.noalias() = lhs * rhs.middleCols(begin, end - begin);
                   for (int64_t r = 0; r < rows; ++r)
                     finishRow(out + r * plane + begin, end - begin,
                               bias ? bias + r : nullptr, /*perRow=*/true, act);
                 });
}

/// Calls fn(n, g, scratch, threads) for every image n and group g. With
/// at least as many of them as threads, each thread takes whole (n, g)
/// pairs and fn gets one thread; otherwise fn gets them all. Each thread
/// owns a scratch buffer of `scratchSize` floats.
template <typename Fn>
void forEachImageGroup(const ConvShape &s, int64_t scratchSize, int numThreads,
                       Fn &&fn) {
  int64_t items = s.batch * s.groups;
  int64_t cost = s.groupOut() * s.patch() * s.outPlane();
  if (items < numThreads) {
    std::vector<float> scratch(scratchSize);
    for (int64_t item = 0; item < items; ++item)
      fn(item / s.groups, item % s.groups, scratch.data(), numThreads);
    return;
  }
  parallelChunks(items, cost, numThreads, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(scratchSize);
    for (int64_t item = begin; item < end; ++item)
      fn(item / s.groups, item % s.groups, scratch.data(), 1);
  });
}

//===----------------------------------------------------------------------===//
// 1x1, stride 1, no padding
//===----------------------------------------------------------------------===//

// The input of one image and group, [C/groups, H, W], already is the
// [K, P] matrix the product needs.
void convPointwise(const ConvShape &s, const KernelContext &ctx,
                   const float *bias, Activation act) {
  const float *x = ctx.inputs[0].f32(), *weight = ctx.inputs[1].f32();
  float *out = ctx.output.f32();
  int64_t gi = s.groupIn(), go = s.groupOut(), plane = s.inPlane();
  forEachImageGroup(
      s, 0, ctx.numThreads, [&](int64_t n, int64_t g, float *, int threads) {
        filterProduct(weight + g * go * gi,
                      x + (n * s.channels + g * gi) * plane,
                      out + (n * s.outChannels + g * go) * plane, go, gi, plane,
                      bias ? bias + g * go : nullptr, act, threads);
      });
}

//===----------------------------------------------------------------------===//
// im2col
//===----------------------------------------------------------------------===//

/// Unfolds one image's group: [C/groups, H, W] -> [C/groups*kh*kw, H'*W'],
/// where row (c*kh + i)*kw + j holds, for each output position, the input
/// that filter tap (c, i, j) meets there (0 in the padding).
void im2col(const ConvShape &s, const float *x, float *cols, int numThreads) {
  int64_t taps = s.kernelH * s.kernelW;
  parallelFor(s.patch(), s.outPlane(), numThreads, [&](int64_t r) {
    int64_t c = r / taps, i = r % taps / s.kernelW, j = r % s.kernelW;
    float *dst = cols + r * s.outPlane();
    for (int64_t oy = 0; oy < s.outH; ++oy, dst += s.outW) {
      int64_t y = oy * s.strideH + i * s.dilationH - s.padH;
      if (y < 0 || y >= s.height) {
        std::fill(dst, dst + s.outW, 0.0f);
        continue;
      }
      const float *src = x + (c * s.height + y) * s.width;
      for (int64_t ox = 0; ox < s.outW; ++ox) {
        int64_t xx = ox * s.strideW + j * s.dilationW - s.padW;
        dst[ox] = xx >= 0 && xx < s.width ? src[xx] : 0.0f;
      }
    }
  });
}

void convIm2col(const ConvShape &s, const KernelContext &ctx, const float *bias,
                Activation act) {
  const float *x = ctx.inputs[0].f32(), *weight = ctx.inputs[1].f32();
  float *out = ctx.output.f32();
  int64_t gi = s.groupIn(), go = s.groupOut();
  forEachImageGroup(
      s, s.patch() * s.outPlane(), ctx.numThreads,
      [&](int64_t n, int64_t g, float *cols, int threads) {
        im2col(s, x + (n * s.channels + g * gi) * s.inPlane(), cols, threads);
        filterProduct(weight + g * go * s.patch(), cols,
                      out + (n * s.outChannels + g * go) * s.outPlane(), go,
                      s.patch(), s.outPlane(), bias ? bias + g * go : nullptr,
                      act, threads);
      });
}

//===----------------------------------------------------------------------===//
// Depthwise
//===----------------------------------------------------------------------===//

/// One output plane [H', W'] of a depthwise convolution, from one input
/// plane [H, W] and one filter [kh, kw].
void depthwisePlane(const ConvShape &s, const float *x, const float *filter,
                    float *out) {
  for (int64_t oy = 0; oy < s.outH; ++oy) {
    for (int64_t ox = 0; ox < s.outW; ++ox) {
      float sum = 0.0f;
      for (int64_t i = 0; i < s.kernelH; ++i) {
        int64_t y = oy * s.strideH + i * s.dilationH - s.padH;
        if (y < 0 || y >= s.height)
          continue;
        for (int64_t j = 0; j < s.kernelW; ++j) {
          int64_t xx = ox * s.strideW + j * s.dilationW - s.padW;
          if (xx >= 0 && xx < s.width)
            sum += filter[i * s.kernelW + j] * x[y * s.width + xx];
        }
      }
      out[oy * s.outW + ox] = sum;
    }
  }
}

// With O = C * multiplier, output channel o reads input channel
// o / multiplier.
void convDepthwise(const ConvShape &s, const KernelContext &ctx,
                   const float *bias, Activation act) {
  const float *x = ctx.inputs[0].f32(), *weight = ctx.inputs[1].f32();
  float *out = ctx.output.f32();
  int64_t multiplier = s.outChannels / s.channels;
  int64_t taps = s.kernelH * s.kernelW;
  parallelFor(s.batch * s.outChannels, s.outPlane() * taps, ctx.numThreads,
              [&](int64_t plane) {
                int64_t n = plane / s.outChannels, o = plane % s.outChannels;
                int64_t c = o / multiplier;
                float *dst = out + plane * s.outPlane();
                depthwisePlane(s, x + (n * s.channels + c) * s.inPlane(),
                               weight + o * taps, dst);
                finishRow(dst, s.outPlane(), bias ? bias + o : nullptr,
                          /*perRow=*/true, act);
              });
}

llvm::Error runConv2d(const KernelContext &ctx) {
  llvm::Expected<Activation> act =
      parseActivation("conv2d", ctx.attrs.getString("activation"));
  if (!act)
    return act.takeError();

  ConvShape s = readConvShape(ctx);
  const float *bias = ctx.inputs.size() > 2 ? ctx.inputs[2].f32() : nullptr;
  if (ctx.output.numElements() == 0)
    return llvm::Error::success();

  // A 1x1 depthwise convolution would be many one-row products: check for
  // depthwise first.
  if (isDepthwise(s))
    convDepthwise(s, ctx, bias, *act);
  else if (isPointwise(s))
    convPointwise(s, ctx, bias, *act);
  else
    convIm2col(s, ctx, bias, *act);
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerConvKernels(KernelTable &table) {
  table["conv2d"] = runConv2d;
}
