//===- Conv.cpp - 2-D convolution -----------------------------------------===//
//
// conv2d  x [N, C, H, W], weight [O, C/groups, kh, kw], optional bias [O]
//         -> [N, O, H', W'] with H' = (H + 2p - d(kh - 1) - 1) / s + 1, and
//         out[n, o, y, x] = act(bias[o] + sum over the input channels c of
//         o's group and i < kh, j < kw of
//         weight[o, c', i, j] * x[n, c, y*s + i*d - p, x*s + j*d - p]),
//         where positions outside the input read 0.
//
// Four paths: a 1x1 convolution with stride 1 and no padding is one
// product per image and group; a depthwise convolution (one input channel
// per group) is a direct loop, vectorised along the output rows; anything
// else multiplies the group's filters by the image's columns (im2col),
// which the gemm packs a block at a time straight from a zero-padded copy
// of the image. The gemm paths read filters packed once when the step is
// prepared (PreparedConv).
//
// 3x3 stride-1 convolutions on images of at least 32 tiles of 2x2 outputs
// take a fourth path, Winograd F(2x2, 3x3): 2.25x fewer multiplies.
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
    for (const PackedA &a : winograd)
      bytes += a.bytes();
    return bytes;
  }

  std::vector<PackedA> groups;
  /// For a convolution that takes the Winograd path instead: the 16
  /// transformed filter matrices U[xi] [O, C] (see convWinograd).
  std::vector<PackedA> winograd;
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
  // A stride longer than the image can leave the padding wider than the
  // plane: then no input is read at all.
  int64_t rows = std::clamp<int64_t>(p.rows - s.padH, 0, s.height);
  int64_t cols = std::clamp<int64_t>(p.cols - s.padW, 0, s.width);
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

#if defined(__AVX512F__)
/// The mask of the first k of 16 lanes (none for k <= 0).
__mmask16 firstLanes16(int64_t k) {
  return k >= 16 ? 0xFFFF : k <= 0 ? 0 : (1u << k) - 1;
}
#endif

/// Copies the n <= kNR floats at `src` to `dst`. Runs are as short as an
/// output row (7 to 56 floats in ResNet, 10 in LeNet), so a copy is one or
/// two masked vector moves where AVX-512 has them rather than a call to
/// memcpy or a scalar loop; masked-off lanes are never read.
void copyRun(float *dst, const float *src, int64_t n) {
#if defined(__AVX512F__)
  for (int64_t l = 0; l < n; l += 16) {
    __mmask16 mask = firstLanes16(n - l);
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
    __m512 lo = _mm512_maskz_loadu_ps(firstLanes16(need), src + 2 * l);
    __m512 hi =
        _mm512_maskz_loadu_ps(firstLanes16(need - 16), src + 2 * l + 16);
    _mm512_mask_storeu_ps(dst + l, firstLanes16(m),
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
// Winograd F(2x2, 3x3)
//===----------------------------------------------------------------------===//
//
// A 3x3 convolution with stride 1 computes each 2x2 block of outputs from
// a 4x4 tile of the padded input d as Y = Aᵀ [U ⊙ V] A, where U = G g Gᵀ
// is the filter and V = Bᵀ d B the tile, both 4x4:
//
//   Bᵀ = [1  0 -1  0]    G = [ 1    0    0 ]    Aᵀ = [1  1  1  0]
//        [0  1  1  0]        [1/2  1/2  1/2]         [0  1 -1 -1]
//        [0 -1  1  0]        [1/2 -1/2  1/2]
//        [0  1  0 -1]        [ 0    0    1 ]
//
// Summed over input channels, each of the 16 positions xi of U ⊙ V is a
// matrix product M[xi] [O, T] = U[xi] [O, C] · V[xi] [C, T] over the T
// tiles: 16 products of O x C x T instead of 9 of O x C x 4T, 2.25x fewer
// multiplies. The transforms only add, subtract and halve, so the error
// stays that of the products (the direct path's test tolerance holds).
//
// TODO: V and M take 16 x (C + O) x T floats for a whole image, kept per
// thread between runs: about 100 MB for a 64-channel 224x224 layer. Taking
// the tiles a band of rows at a time would bound it.

/// Tiles of 2x2 outputs along each axis.
struct WinogradTiles {
  int64_t rows, cols;
  int64_t count() const { return rows * cols; }
};

WinogradTiles winogradTiles(const ConvShape &s) {
  return {(s.outH + 1) / 2, (s.outW + 1) / 2};
}

/// Below this many tiles per image the 16 products are too narrow for the
/// gemm to gain: on ResNet-18, a 7x7 output (16 tiles) runs 8% slower
/// than im2col, while a 14x14 one (49 tiles) runs 1.4x faster.
constexpr int64_t kMinWinogradTiles = 32;

bool useWinograd(const ConvShape &s) {
  return s.kernelH == 3 && s.kernelW == 3 && s.strideH == 1 && s.strideW == 1 &&
         s.dilationH == 1 && s.dilationW == 1 && s.groups == 1 &&
         s.channels > 0 && winogradTiles(s).count() >= kMinWinogradTiles;
}

/// U[xi] = (G g Gᵀ)[xi] for every filter g = weight[o, c], as 16 row-major
/// matrices [O, C] one after the other.
std::vector<float> transformFilters(const ConvShape &s, const float *weight) {
  int64_t oc = s.outChannels * s.channels;
  std::vector<float> u(16 * oc);
  for (int64_t f = 0; f < oc; ++f) {
    const float *g = weight + f * 9;
    float gg[4][3]; // G g
    for (int j = 0; j < 3; ++j) {
      gg[0][j] = g[j];
      gg[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      gg[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      gg[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; ++i) { // (G g) Gᵀ
      u[(i * 4 + 0) * oc + f] = gg[i][0];
      u[(i * 4 + 1) * oc + f] = 0.5f * (gg[i][0] + gg[i][1] + gg[i][2]);
      u[(i * 4 + 2) * oc + f] = 0.5f * (gg[i][0] - gg[i][1] + gg[i][2]);
      u[(i * 4 + 3) * oc + f] = gg[i][2];
    }
  }
  return u;
}

std::vector<PackedA> packWinogradFilters(const ConvShape &s,
                                         const float *weight) {
  std::vector<float> u = transformFilters(s, weight);
  int64_t oc = s.outChannels * s.channels;
  std::vector<PackedA> packed;
  for (int xi = 0; xi < 16; ++xi)
    packed.emplace_back(u.data() + xi * oc, s.outChannels, s.channels,
                        s.channels);
  return packed;
}

/// The even and the odd lanes of the 16 floats at `p`.
inline void loadDeinterleaved(const float *p, Float8 &even, Float8 &odd) {
  Float8 lo, hi;
  loadFloat8(lo, p);
  loadFloat8(hi, p + 8);
  even = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
  odd = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
}

/// Stores a and b interleaved (a0 b0 a1 b1 ...) to the 16 floats at `p`.
inline void storeInterleaved(float *p, Float8 a, Float8 b) {
  storeFloat8(p, __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
  storeFloat8(p + 8, __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15));
}

/// Floats of slack after the rows transformInputPlane reads 8 tiles at a
/// time: the last group of a row may read (never keep) 16 floats past it.
constexpr int64_t kWinogradSlack = 16;

/// V[xi][c][t] = (Bᵀ d B)[xi] for the tiles d of channel c's padded plane
/// (t = ty * tiles.cols + tx; the tile starts at row 2 ty, column 2 tx),
/// 8 tiles at a time. `rows` is scratch for 4 rows of p.cols +
/// kWinogradSlack floats.
void transformInputPlane(const PaddedPlane &p, const WinogradTiles &tiles,
                         const float *padded, int64_t c, int64_t channels,
                         float *v, float *rows) {
  int64_t t = tiles.count(), width = p.cols + kWinogradSlack;
  float *r[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
  for (float *row : r)
    std::fill(row + p.cols, row + width, 0.0f);
  for (int64_t ty = 0; ty < tiles.rows; ++ty) {
    // Bᵀ d on whole rows: r0 = d0 - d2, r1 = d1 + d2, r2 = d2 - d1,
    // r3 = d1 - d3, contiguous along the padded width.
    const float *d = padded + 2 * ty * p.cols;
    for (int64_t x = 0; x < p.cols; ++x) {
      float d0 = d[x], d1 = d[p.cols + x], d2 = d[2 * p.cols + x],
            d3 = d[3 * p.cols + x];
      r[0][x] = d0 - d2;
      r[1][x] = d1 + d2;
      r[2][x] = d2 - d1;
      r[3][x] = d1 - d3;
    }
    // (Bᵀ d) B along each row: tile tx reads a0..a3 = r[2 tx .. 2 tx + 3];
    // for 8 tiles, a0 and a1 are the even and odd lanes from 2 tx, a2 and
    // a3 those from 2 tx + 2.
    for (int i = 0; i < 4; ++i) {
      float *v0 = v + ((i * 4 + 0) * channels + c) * t + ty * tiles.cols;
      float *v1 = v0 + channels * t, *v2 = v1 + channels * t,
            *v3 = v2 + channels * t;
      for (int64_t tx = 0; tx < tiles.cols; tx += 8) {
        Float8 a0, a1, a2, a3;
        loadDeinterleaved(r[i] + 2 * tx, a0, a1);
        loadDeinterleaved(r[i] + 2 * tx + 2, a2, a3);
        int64_t n = std::min<int64_t>(8, tiles.cols - tx);
        if (n == 8) {
          storeFloat8(v0 + tx, a0 - a2);
          storeFloat8(v1 + tx, a1 + a2);
          storeFloat8(v2 + tx, a2 - a1);
          storeFloat8(v3 + tx, a1 - a3);
        } else {
          // Past the row's tiles lie the next row's (or channel's) slots,
          // which another thread may be writing.
          storeFloat8Partial(v0 + tx, a0 - a2, n);
          storeFloat8Partial(v1 + tx, a1 + a2, n);
          storeFloat8Partial(v2 + tx, a2 - a1, n);
          storeFloat8Partial(v3 + tx, a1 - a3, n);
        }
      }
    }
  }
}

/// out[o] = act(bias[o] + Aᵀ M A) for output channel o, from the 16
/// products M[xi][o][t], 8 tiles at a time; `m` has 8 floats of slack
/// after its end. `rows` is scratch for 2 rows of 2 * tiles.cols rounded
/// up to 16 floats.
void transformOutputPlane(const ConvShape &s, const WinogradTiles &tiles,
                          const float *m, int64_t o, const float *bias,
                          Activation act, float *out, float *rows) {
  int64_t t = tiles.count(), ot = s.outChannels * t;
  int64_t rowWidth = (2 * tiles.cols + 15) / 16 * 16;
  float *y0 = rows, *y1 = rows + rowWidth;
  for (int64_t ty = 0; ty < tiles.rows; ++ty) {
    const float *mo = m + o * t + ty * tiles.cols;
    for (int64_t tx = 0; tx < tiles.cols; tx += 8) {
      // Lanes past the row's tiles read the next row's products (or the
      // slack): they are computed and dropped.
      Float8 v[16];
      for (int xi = 0; xi < 16; ++xi)
        loadFloat8(v[xi], mo + xi * ot + tx);
      // Aᵀ M: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows of M).
      Float8 s0[4], s1[4];
      for (int j = 0; j < 4; ++j) {
        s0[j] = v[j] + v[4 + j] + v[8 + j];
        s1[j] = v[4 + j] - v[8 + j] - v[12 + j];
      }
      // (Aᵀ M) A, the two columns of each output row interleaved.
      storeInterleaved(y0 + 2 * tx, s0[0] + s0[1] + s0[2],
                       s0[1] - s0[2] - s0[3]);
      storeInterleaved(y1 + 2 * tx, s1[0] + s1[1] + s1[2],
                       s1[1] - s1[2] - s1[3]);
    }
    // Rows and columns past H' x W' (odd sizes) are dropped.
    for (int k = 0; k < 2 && 2 * ty + k < s.outH; ++k) {
      float *row = out + (2 * ty + k) * s.outW;
      std::copy(k ? y1 : y0, (k ? y1 : y0) + s.outW, row);
      finishRow(row, s.outW, bias ? bias + o : nullptr, /*perRow=*/true, act);
    }
  }
}

void convWinograd(const ConvShape &s, const KernelContext &ctx,
                  const float *bias, Activation act) {
  const float *x = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  WinogradTiles tiles = winogradTiles(s);
  int64_t t = tiles.count();
  // Tiles reach 2 tiles.rows + 2 rows and columns of the padded input.
  PaddedPlane p{2 * tiles.rows + 2, 2 * tiles.cols + 2};

  std::vector<PackedA> unprepared;
  const std::vector<PackedA> *filters = nullptr;
  if (ctx.prepared) {
    filters = &static_cast<const PreparedConv *>(ctx.prepared)->winograd;
  } else {
    unprepared = packWinogradFilters(s, ctx.inputs[1].f32());
    filters = &unprepared;
  }

  forEachImageGroup(s, ctx.numThreads, [&](int64_t n, int64_t, int threads) {
    float *v = threadScratch<3>(16 * s.channels * t);
    float *m = threadScratch<4>(16 * s.outChannels * t + 8);
    const float *image = x + n * s.channels * s.inPlane();
    parallelFor(s.channels, 16 * (p.size() + t), threads, [&](int64_t c) {
      float *padded =
          threadScratch<5>(p.size() + 4 * (p.cols + kWinogradSlack));
      padPlane(s, p, image + c * s.inPlane(), padded);
      transformInputPlane(p, tiles, padded, c, s.channels, v,
                          padded + p.size());
    });
    // The 16 products to the threads whole: one fork rather than one per
    // product, and no product too narrow to split.
    parallelFor(16, s.outChannels * s.channels * t, threads, [&](int64_t xi) {
      RowMajorB b{v + xi * s.channels * t, t};
      gemm((*filters)[xi], sourceOf(b, s.channels, t),
           m + xi * s.outChannels * t, t, Epilogue(), /*numThreads=*/1);
    });
    float *y = out + n * s.outChannels * s.outPlane();
    parallelFor(s.outChannels, 16 * t, threads, [&](int64_t o) {
      transformOutputPlane(
          s, tiles, m, o, bias, act, y + o * s.outPlane(),
          threadScratch<6>(2 * ((2 * tiles.cols + 15) / 16 * 16)));
    });
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
  else if (useWinograd(s))
    convWinograd(s, ctx, bias, *act);
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
  if (useWinograd(s)) {
    prepared->winograd = packWinogradFilters(s, weight.f32());
    return prepared;
  }
  for (int64_t g = 0; g < s.groups; ++g)
    prepared->groups.emplace_back(weight.f32() + g * s.groupOut() * s.patch(),
                                  s.groupOut(), s.patch(), s.patch());
  return prepared;
}

} // namespace

void shapeflow::registerConvKernels(KernelTable &table) {
  table["conv2d"] = {runConv2d, prepareConv2d};
}
