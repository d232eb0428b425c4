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
// per group) is a direct loop, vectorised along the output rows; anything
// else multiplies the group's filters by the image's columns (im2col),
// which the gemm packs a block at a time straight from a zero-padded copy
// of the image. The gemm paths read filters packed once when the step is
// prepared (PreparedConv).
//
// TODO: 3x3 stride-1 convolutions would do 2.25x fewer multiplies as
// Winograd F(2x2, 3x3); on ResNet-18's layer1 and layer2 (most of its
// time) that could save a third of the time, but on 7x7 and 14x14 images
// the tile count is too small for the gemm to pay off.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

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

/// conv2d's filters packed for the gemm, one PackedA [O/groups, patch] per
/// group, once per set of parameters rather than on every run.
class PreparedConv final : public PreparedStep {
public:
  int64_t getBytes() const override {
    int64_t bytes = 0;
    for (const PackedA &a : groups)
      bytes += a.bytes();
    return bytes;
  }

  std::vector<PackedA> groups;
};

/// out [O/groups, H'*W'] = epilogue(filters of group g · cols), with the
/// filters packed ahead when the step was prepared.
void multiplyFilters(const ConvShape &s, const KernelContext &ctx, int64_t g,
                     const BSource &cols, float *out, const Epilogue &epilogue,
                     int threads) {
  if (ctx.prepared) {
    const auto &prepared = *static_cast<const PreparedConv *>(ctx.prepared);
    gemm(prepared.groups[g], cols, out, s.outPlane(), epilogue, threads);
    return;
  }
  const float *weight = ctx.inputs[1].f32() + g * s.groupOut() * s.patch();
  gemm(weight, s.groupOut(), s.patch(), cols, out, s.outPlane(), epilogue,
       threads);
}

//===----------------------------------------------------------------------===//
// 1x1, stride 1, no padding
//===----------------------------------------------------------------------===//

// The input of one image and group, [C/groups, H, W], already is the
// [K, P] matrix the product needs.
void convPointwise(const ConvShape &s, const KernelContext &ctx,
                   const float *bias, Activation act) {
  const float *x = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  int64_t gi = s.groupIn(), go = s.groupOut(), plane = s.inPlane();
  forEachImageGroup(s, ctx.numThreads, [&](int64_t n, int64_t g, int threads) {
    RowMajorB cols{x + (n * s.channels + g * gi) * plane, plane};
    multiplyFilters(s, ctx, g, sourceOf(cols, gi, plane),
                    out + (n * s.outChannels + g * go) * plane,
                    groupEpilogue(s, g, bias, act), threads);
  });
}

//===----------------------------------------------------------------------===//
// im2col
//===----------------------------------------------------------------------===//

/// Input planes copied into a zero border: rows x cols floats each, input
/// (0, 0) at (padH, padW), large enough that every window of the outputs
/// [0, H') x [0, columns) lies inside, so that readers check no bounds.
struct PaddedPlane {
  int64_t rows, cols;

  int64_t size() const { return rows * cols; }
};

PaddedPlane paddedPlaneFor(const ConvShape &s, int64_t columns) {
  return {(s.outH - 1) * s.strideH + (s.kernelH - 1) * s.dilationH + 1,
          (columns - 1) * s.strideW + (s.kernelW - 1) * s.dilationW + 1};
}

/// Copies plane x [H, W] into `padded` (p.size() floats), zeros around it;
/// input rows and columns that no window reaches are left out.
void padPlane(const ConvShape &s, const PaddedPlane &p, const float *x,
              float *padded) {
  std::fill(padded, padded + p.size(), 0.0f);
  int64_t rows = std::min(s.height, p.rows - s.padH);
  int64_t cols = std::min(s.width, p.cols - s.padW);
  for (int64_t y = 0; y < rows; ++y)
    std::copy(x + y * s.width, x + y * s.width + cols,
              padded + (y + s.padH) * p.cols + s.padW);
}

/// The columns of one image's group, [C/groups, H, W], unfolded as B
/// [C/groups*kh*kw, H'*W'] for the product with the filters: row
/// (c*kh + i)*kw + j holds, for each output position, the input that filter
/// tap (c, i, j) meets there (0 in the padding). The gemm packs them
/// straight from the padded image, a block at a time, so the unfolded
/// matrix (kh*kw times the image) is never written out.
struct Im2colB {
  const ConvShape *shape;
  PaddedPlane plane;
  /// The group's C/groups planes, each plane.size() floats.
  const float *padded;

  static void pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst);
};

/// Copies the n <= kNR floats at `src` to `dst`. Runs are as short as an
/// output row (7 to 56 floats in ResNet, 10 in LeNet), so a copy is one or
/// two masked vector moves where AVX-512 has them rather than a call to
/// memcpy or a scalar loop; masked-off lanes are never read.
void copyRun(float *dst, const float *src, int64_t n) {
#if defined(__AVX512F__)
  for (int64_t l = 0; l < n; l += 16) {
    __mmask16 mask = n - l >= 16 ? 0xFFFF : (1u << (n - l)) - 1;
    _mm512_mask_storeu_ps(dst + l, mask, _mm512_maskz_loadu_ps(mask, src + l));
  }
#else
  if (n == kNR) {
    // A fixed trip count compiles to whole vector moves.
    for (int64_t l = 0; l < kNR; ++l)
      dst[l] = src[l];
    return;
  }
  for (int64_t l = 0; l < n; ++l)
    dst[l] = src[l];
#endif
}

/// Copies every other float of `src` to `dst`, n <= kNR of them
/// (dst[l] = src[2 l]): the runs of a stride-2 convolution. With AVX-512,
/// 16 outputs are two masked loads and one two-source permute.
void copyRunStride2(float *dst, const float *src, int64_t n) {
#if defined(__AVX512F__)
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                          22, 24, 26, 28, 30);
  for (int64_t l = 0; l < n; l += 16) {
    int64_t m = std::min<int64_t>(16, n - l);
    int64_t need = 2 * m - 1; // the floats src[2l, 2l + need) are read
    auto lanes = [](int64_t k) -> __mmask16 {
      return k >= 16 ? 0xFFFF : k <= 0 ? 0 : (1u << k) - 1;
    };
    __m512 lo = _mm512_maskz_loadu_ps(lanes(need), src + 2 * l);
    __m512 hi = _mm512_maskz_loadu_ps(lanes(need - 16), src + 2 * l + 16);
    _mm512_mask_storeu_ps(dst + l, lanes(m),
                          _mm512_permutex2var_ps(lo, evens, hi));
  }
#else
  for (int64_t l = 0; l < n; ++l)
    dst[l] = src[2 * l];
#endif
}

/// Lanes [lane, lane + count) of a packed panel: consecutive output
/// positions of one output row, whose windows start `offset` floats into a
/// padded plane.
struct PanelRun {
  int64_t lane, count, offset;
};

// Panel by panel: a panel's kNR columns are at most a few runs of output
// rows (one, away from row ends), so each of its kc rows is a few
// contiguous (stride 1) or strided copies out of the padded planes.
void Im2colB::pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst) {
  const auto &b = *static_cast<const Im2colB *>(self);
  const ConvShape &s = *b.shape;
  int64_t taps = s.kernelH * s.kernelW, stride = s.strideW;
  for (int64_t col0 = 0; col0 < nc; col0 += kNR, dst += kc * kNR) {
    int64_t width = std::min(kNR, nc - col0);
    PanelRun runs[kNR];
    int numRuns = 0;
    for (int64_t lane = 0; lane < width;) {
      int64_t pos = j0 + col0 + lane;
      int64_t oy = pos / s.outW, ox = pos % s.outW;
      int64_t count = std::min(width - lane, s.outW - ox);
      runs[numRuns++] = {lane, count,
                         oy * s.strideH * b.plane.cols + ox * stride};
      lane += count;
    }

    // Row p0 + p of B is filter tap (c, i, j); step the three along.
    int64_t c = p0 / taps, i = p0 % taps / s.kernelW, j = p0 % s.kernelW;
    for (int64_t p = 0; p < kc; ++p) {
      float *out = dst + p * kNR;
      const float *tap = b.padded + c * b.plane.size() +
                         i * s.dilationH * b.plane.cols + j * s.dilationW;
      for (int r = 0; r < numRuns; ++r) {
        const PanelRun &run = runs[r];
        if (stride == 1)
          copyRun(out + run.lane, tap + run.offset, run.count);
        else if (stride == 2)
          copyRunStride2(out + run.lane, tap + run.offset, run.count);
        else
          for (int64_t l = 0; l < run.count; ++l)
            out[run.lane + l] = tap[run.offset + l * stride];
      }
      std::fill(out + width, out + kNR, 0.0f);
      if (++j == s.kernelW) {
        j = 0;
        if (++i == s.kernelH) {
          i = 0;
          ++c;
        }
      }
    }
  }
}

void convIm2col(const ConvShape &s, const KernelContext &ctx, const float *bias,
                Activation act) {
  const float *x = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  int64_t gi = s.groupIn(), go = s.groupOut();
  PaddedPlane plane = paddedPlaneFor(s, s.outW);
  // Without padding, windows lie inside the image as it is.
  bool padded = s.padH > 0 || s.padW > 0;
  if (!padded)
    plane = {s.height, s.width};
  forEachImageGroup(s, ctx.numThreads, [&](int64_t n, int64_t g, int threads) {
    const float *image = x + (n * s.channels + g * gi) * s.inPlane();
    if (padded) {
      // On this thread; the gemm's threads, if any, only read it.
      float *copy = threadScratch<2>(gi * plane.size());
      for (int64_t c = 0; c < gi; ++c)
        padPlane(s, plane, image + c * s.inPlane(), copy + c * plane.size());
      image = copy;
    }
    Im2colB cols{&s, plane, image};
    BSource source{&cols, Im2colB::pack, s.patch(), s.outPlane()};
    multiplyFilters(s, ctx, g, source,
                    out + (n * s.outChannels + g * go) * s.outPlane(),
                    groupEpilogue(s, g, bias, act), threads);
  });
}

//===----------------------------------------------------------------------===//
// Depthwise
//===----------------------------------------------------------------------===//

/// `V` vectors of outputs of one row of a depthwise convolution, from
/// output column `ox` on: each lane sums its kh x kw window of the padded
/// plane, starting at `window` for lane 0 of the first vector. A template
/// on the stride (0 meaning s.strideW) so that stride 1 loads whole
/// vectors; the V independent sums hide the latency of the FMAs.
template <int V, int Stride>
void depthwiseVectors(const ConvShape &s, const PaddedPlane &p,
                      const float *window, const float *filter, float *out) {
  int64_t stride = Stride ? Stride : s.strideW;
  Float8 acc[V] = {};
  for (int64_t i = 0; i < s.kernelH; ++i)
    for (int64_t j = 0; j < s.kernelW; ++j) {
      const float *tap = window + i * s.dilationH * p.cols + j * s.dilationW;
      float w = filter[i * s.kernelW + j];
      for (int v = 0; v < V; ++v) {
        Float8 in;
        if (Stride == 1)
          loadFloat8(in, tap + 8 * v);
        else
          for (int l = 0; l < 8; ++l)
            in[l] = tap[(8 * v + l) * stride];
        acc[v] += w * in;
      }
    }
  for (int v = 0; v < V; ++v)
    storeFloat8(out + 8 * v, acc[v]);
}

/// W' rounded up to whole vectors: the width depthwise rows are computed
/// at, so that no row ends in a partial vector.
int64_t vectorWidth(const ConvShape &s) { return (s.outW + 7) / 8 * 8; }

/// One output plane [H', W'] of a depthwise convolution, from its padded
/// input plane (padded for vectorWidth(s) outputs per row) and its filter
/// [kh, kw], then the epilogue. Each row is computed whole vectors at a
/// time into `row` (vectorWidth(s) floats), then its first W' values are
/// finished and stored.
template <int Stride>
void depthwisePlane(const ConvShape &s, const PaddedPlane &p,
                    const float *padded, const float *filter, const float *bias,
                    Activation act, float *row, float *out) {
  int64_t stride = Stride ? Stride : s.strideW;
  int64_t width = vectorWidth(s);
  for (int64_t oy = 0; oy < s.outH; ++oy) {
    const float *window = padded + oy * s.strideH * p.cols;
    int64_t ox = 0;
    for (; ox + 32 <= width; ox += 32)
      depthwiseVectors<4, Stride>(s, p, window + ox * stride, filter, row + ox);
    for (; ox < width; ox += 8)
      depthwiseVectors<1, Stride>(s, p, window + ox * stride, filter, row + ox);
    // The row is still in L1: finish it now rather than after the plane,
    // whole vectors at a time (the lanes past W' are finite and dropped).
    finishRow(row, width, bias, /*perRow=*/true, act);
    std::copy(row, row + s.outW, out + oy * s.outW);
  }
}

// With O = C * multiplier, output channel o reads input channel
// o / multiplier: each input plane is padded once for its `multiplier`
// outputs.
void convDepthwise(const ConvShape &s, const KernelContext &ctx,
                   const float *bias, Activation act) {
  const float *x = ctx.inputs[0].f32(), *weight = ctx.inputs[1].f32();
  float *out = ctx.output.f32();
  int64_t multiplier = s.outChannels / s.channels;
  int64_t taps = s.kernelH * s.kernelW;
  PaddedPlane p = paddedPlaneFor(s, vectorWidth(s));
  auto planeFn = depthwisePlane<0>;
  if (s.strideW == 1)
    planeFn = depthwisePlane<1>;
  else if (s.strideW == 2)
    planeFn = depthwisePlane<2>;

  int64_t cost = multiplier * (p.size() + s.outPlane() * taps);
  parallelFor(s.batch * s.channels, cost, ctx.numThreads, [&](int64_t plane) {
    float *padded = threadScratch<0>(p.size());
    float *row = threadScratch<1>(vectorWidth(s));
    padPlane(s, p, x + plane * s.inPlane(), padded);
    int64_t n = plane / s.channels, c = plane % s.channels;
    for (int64_t m = 0; m < multiplier; ++m) {
      int64_t o = c * multiplier + m;
      planeFn(s, p, padded, weight + o * taps, bias ? bias + o : nullptr, act,
              row, out + (n * s.outChannels + o) * s.outPlane());
    }
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

std::unique_ptr<PreparedStep> prepareConv2d(const KernelContext &ctx) {
  const TensorView &weight = ctx.inputs[1];
  if (!weight.data)
    return nullptr;
  ConvShape s = readConvShape(ctx);
  // The depthwise loop reads its filters as they are.
  if (isDepthwise(s) || s.groupOut() == 0 || s.patch() == 0)
    return nullptr;
  auto prepared = std::make_unique<PreparedConv>();
  for (int64_t g = 0; g < s.groups; ++g)
    prepared->groups.emplace_back(weight.f32() + g * s.groupOut() * s.patch(),
                                  s.groupOut(), s.patch(), s.patch());
  return prepared;
}

} // namespace

void shapeflow::registerConvKernels(KernelTable &table) {
  table["conv2d"] = {runConv2d, prepareConv2d};
}
