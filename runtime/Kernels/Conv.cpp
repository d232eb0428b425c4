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

#include "Gemm.h"
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

/// Calls fn(n, g, threads) for every image n and group g. With at least as
/// many of them as threads, each thread takes whole (n, g) pairs and fn gets
/// one thread; otherwise fn gets them all, one pair after another.
template <typename Fn>
void forEachImageGroup(const ConvShape &s, int numThreads, Fn &&fn) {
  int64_t items = s.batch * s.groups;
  int64_t cost = s.groupOut() * s.patch() * s.outPlane();
  if (items < numThreads) {
    for (int64_t item = 0; item < items; ++item)
      fn(item / s.groups, item % s.groups, numThreads);
    return;
  }
  parallelChunks(items, cost, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item)
      fn(item / s.groups, item % s.groups, 1);
  });
}

/// The epilogue for the output channels of group g.
Epilogue groupEpilogue(const ConvShape &s, int64_t g, const float *bias,
                       Activation act) {
  Epilogue e;
  e.bias = bias ? bias + g * s.groupOut() : nullptr;
  e.biasPerRow = true;
  e.act = act;
  return e;
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
  forEachImageGroup(s, ctx.numThreads, [&](int64_t n, int64_t g, int threads) {
    RowMajorB cols{x + (n * s.channels + g * gi) * plane, plane};
    gemm(weight + g * go * gi, go, gi, sourceOf(cols, gi, plane),
         out + (n * s.outChannels + g * go) * plane, plane,
         groupEpilogue(s, g, bias, act), threads);
  });
}

//===----------------------------------------------------------------------===//
// im2col
//===----------------------------------------------------------------------===//

/// The columns of one image's group, [C/groups, H, W], unfolded as B
/// [C/groups*kh*kw, H'*W'] for the product with the filters: row
/// (c*kh + i)*kw + j holds, for each output position, the input that filter
/// tap (c, i, j) meets there (0 in the padding). The gemm packs them
/// straight from the image, a block at a time, so the unfolded matrix
/// (kh*kw times the image) is never written out.
struct Im2colB {
  const ConvShape *shape;
  const float *image;

  static void pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst);
};

void Im2colB::pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst) {
  const auto &b = *static_cast<const Im2colB *>(self);
  const ConvShape &s = *b.shape;
  int64_t taps = s.kernelH * s.kernelW;
  int64_t paddedNC = (nc + kNR - 1) / kNR * kNR;
  for (int64_t p = 0; p < kc; ++p) {
    int64_t r = p0 + p;
    int64_t c = r / taps, i = r % taps / s.kernelW, j = r % s.kernelW;
    const float *plane = b.image + c * s.inPlane();
    // Column `col` of the block goes to panel col / kNR, lane col % kNR.
    float *panel = dst + p * kNR;
    int64_t lane = 0;
    auto put = [&](float v) {
      panel[lane] = v;
      if (++lane == kNR) {
        lane = 0;
        panel += kc * kNR;
      }
    };
    // Walk the output positions [j0, j0 + nc) one output row at a time;
    // within a row, the positions whose input column is inside the image
    // form one run [lo, hi) that needs no bounds checks.
    int64_t xOffset = j * s.dilationW - s.padW;
    int64_t lo =
        std::clamp<int64_t>((-xOffset + s.strideW - 1) / s.strideW, 0, s.outW);
    if (xOffset >= 0)
      lo = 0;
    int64_t hi = std::clamp<int64_t>(
        s.width - xOffset <= 0 ? 0 : (s.width - 1 - xOffset) / s.strideW + 1,
        lo, s.outW);
    for (int64_t pos = j0; pos < j0 + nc;) {
      int64_t oy = pos / s.outW, ox = pos % s.outW;
      int64_t rowEnd = std::min(j0 + nc, pos - ox + s.outW) - (pos - ox);
      int64_t y = oy * s.strideH + i * s.dilationH - s.padH;
      if (y < 0 || y >= s.height) {
        for (; ox < rowEnd; ++ox)
          put(0.0f);
      } else {
        const float *src = plane + y * s.width + xOffset;
        for (; ox < std::min(lo, rowEnd); ++ox)
          put(0.0f);
        for (; ox < std::min(hi, rowEnd); ++ox)
          put(src[ox * s.strideW]);
        for (; ox < rowEnd; ++ox)
          put(0.0f);
      }
      pos += rowEnd - pos % s.outW;
    }
    for (int64_t col = nc; col < paddedNC; ++col)
      put(0.0f);
  }
}

void convIm2col(const ConvShape &s, const KernelContext &ctx, const float *bias,
                Activation act) {
  const float *x = ctx.inputs[0].f32(), *weight = ctx.inputs[1].f32();
  float *out = ctx.output.f32();
  int64_t gi = s.groupIn(), go = s.groupOut();
  forEachImageGroup(s, ctx.numThreads, [&](int64_t n, int64_t g, int threads) {
    Im2colB cols{&s, x + (n * s.channels + g * gi) * s.inPlane()};
    BSource source{&cols, Im2colB::pack, s.patch(), s.outPlane()};
    gemm(weight + g * go * s.patch(), go, s.patch(), source,
         out + (n * s.outChannels + g * go) * s.outPlane(), s.outPlane(),
         groupEpilogue(s, g, bias, act), threads);
  });
}

//===----------------------------------------------------------------------===//
// Depthwise
//===----------------------------------------------------------------------===//

/// The outputs [begin, end) of [0, outSize) whose input o * stride + offset
/// lies inside [0, size); begin == end when there are none.
struct InsideRun {
  int64_t begin, end;
};

InsideRun insideRun(int64_t offset, int64_t stride, int64_t size,
                    int64_t outSize) {
  // o * stride + offset >= 0 from o = ceil(-offset / stride) on, and
  // o * stride + offset <= size - 1 up to o = floor((size - 1 - offset) /
  // stride); both divisions see non-negative numerators only.
  int64_t begin = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - 1 - offset;
  int64_t end = last < 0 ? 0 : std::min(last / stride + 1, outSize);
  return {std::min(begin, end), end};
}

/// out[o] += w * in[o * stride] for o < n. A template on the stride (0
/// meaning `stride`) so that strides 1 and 2 vectorise with fixed loads.
template <int Stride>
void addScaledRow(float *out, const float *in, float w, int64_t n,
                  int64_t stride) {
  int64_t step = Stride ? Stride : stride;
  for (int64_t o = 0; o < n; ++o)
    out[o] += w * in[o * step];
}

/// One output plane [H', W'] of a depthwise convolution, from one input
/// plane [H, W] and one filter [kh, kw], then the epilogue.
///
/// Each output row is a sum of input rows: tap (i, j) adds w[i][j] times
/// input row oy*sh + i*dh - ph, read from column j*dw - pw every sw
/// columns, over the outputs whose input column lies inside the image.
/// Clipping each tap's run of outputs, and skipping rows outside the
/// image, replaces the per-element bounds checks; the runs are whole-row
/// AXPYs that vectorise over the output width.
template <int Stride>
void depthwisePlane(const ConvShape &s, const float *x, const float *filter,
                    const float *bias, Activation act, float *out) {
  for (int64_t oy = 0; oy < s.outH; ++oy) {
    float *row = out + oy * s.outW;
    std::fill(row, row + s.outW, 0.0f);
    for (int64_t i = 0; i < s.kernelH; ++i) {
      int64_t y = oy * s.strideH + i * s.dilationH - s.padH;
      if (y < 0 || y >= s.height)
        continue;
      for (int64_t j = 0; j < s.kernelW; ++j) {
        int64_t offset = j * s.dilationW - s.padW;
        InsideRun run = insideRun(offset, s.strideW, s.width, s.outW);
        if (run.begin == run.end)
          continue;
        addScaledRow<Stride>(
            row + run.begin, x + y * s.width + run.begin * s.strideW + offset,
            filter[i * s.kernelW + j], run.end - run.begin, s.strideW);
      }
    }
    // The row is still in L1: finish it now rather than after the plane.
    finishRow(row, s.outW, bias, /*perRow=*/true, act);
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
  auto planeFn = depthwisePlane<0>;
  if (s.strideW == 1)
    planeFn = depthwisePlane<1>;
  else if (s.strideW == 2)
    planeFn = depthwisePlane<2>;

  parallelFor(s.batch * s.outChannels, s.outPlane() * taps, ctx.numThreads,
              [&](int64_t plane) {
                int64_t n = plane / s.outChannels, o = plane % s.outChannels;
                int64_t c = o / multiplier;
                planeFn(s, x + (n * s.channels + c) * s.inPlane(),
                        weight + o * taps, bias ? bias + o : nullptr, act,
                        out + plane * s.outPlane());
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
