//===- ConvKernelTest.cpp - conv2d against a plain-loop reference ---------===//
//
// Tolerance: |got - want| <= 1e-5 * sqrt(K) + 1e-5 * |want|, where
// K = C/groups * kh * kw terms meet in each output, for inputs in [-1, 1).
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

struct ConvCase {
  int64_t n, c, h, w; // x [N, C, H, W]
  int64_t o, kh, kw;  // weight [O, C/groups, kh, kw]
  int64_t stride[2], pad[2], dilation[2];
  int64_t groups;
  bool bias;
  std::string activation;

  int64_t outDim(int axis) const {
    int64_t size = axis == 0 ? h : w, kernel = axis == 0 ? kh : kw;
    return (size + 2 * pad[axis] - dilation[axis] * (kernel - 1) - 1) /
               stride[axis] +
           1;
  }
  std::string str() const {
    return "x [" + std::to_string(n) + ", " + std::to_string(c) + ", " +
           std::to_string(h) + ", " + std::to_string(w) + "] o " +
           std::to_string(o) + " k " + std::to_string(kh) + "x" +
           std::to_string(kw) + " s " + std::to_string(stride[0]) + "," +
           std::to_string(stride[1]) + " p " + std::to_string(pad[0]) + "," +
           std::to_string(pad[1]) + " d " + std::to_string(dilation[0]) + "," +
           std::to_string(dilation[1]) + " g " + std::to_string(groups) +
           (bias ? " bias" : "") + " act '" + activation + "'";
  }
};

/// One output of the convolution, straight from its definition.
double referenceConvAt(const ConvCase &c, const HostTensor &x,
                       const HostTensor &w, const HostTensor *bias, int64_t n,
                       int64_t o, int64_t oy, int64_t ox) {
  int64_t gi = c.c / c.groups, go = c.o / c.groups, g = o / go;
  double sum = bias ? bias->f32[o] : 0.0;
  for (int64_t ci = 0; ci < gi; ++ci)
    for (int64_t i = 0; i < c.kh; ++i)
      for (int64_t j = 0; j < c.kw; ++j) {
        int64_t y = oy * c.stride[0] + i * c.dilation[0] - c.pad[0];
        int64_t xx = ox * c.stride[1] + j * c.dilation[1] - c.pad[1];
        if (y < 0 || y >= c.h || xx < 0 || xx >= c.w)
          continue;
        int64_t channel = g * gi + ci;
        sum += double(w.f32[((o * gi + ci) * c.kh + i) * c.kw + j]) *
               x.f32[((n * c.c + channel) * c.h + y) * c.w + xx];
      }
  return referenceActivation(sum, c.activation);
}

std::vector<double> referenceConv(const ConvCase &c, const HostTensor &x,
                                  const HostTensor &w, const HostTensor *bias) {
  int64_t oh = c.outDim(0), ow = c.outDim(1);
  std::vector<double> out;
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t o = 0; o < c.o; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox)
          out.push_back(referenceConvAt(c, x, w, bias, n, o, oy, ox));
  return out;
}

std::vector<PlanAttr> convAttrs(const ConvCase &c) {
  std::vector<PlanAttr> attrs = {
      intsAttr("stride", {c.stride[0], c.stride[1]}),
      intsAttr("padding", {c.pad[0], c.pad[1]}),
      intsAttr("dilation", {c.dilation[0], c.dilation[1]}),
      intAttr("groups", c.groups)};
  if (!c.activation.empty())
    attrs.push_back(stringAttr("activation", c.activation));
  return attrs;
}

/// Runs one case on `numThreads` threads, checks it and returns the output.
std::vector<float> checkConv(std::mt19937 &rng, const ConvCase &c,
                             int numThreads = 1) {
  SCOPED_TRACE(c.str());
  HostTensor x = randomTensor(rng, {c.n, c.c, c.h, c.w});
  HostTensor w = randomTensor(rng, {c.o, c.c / c.groups, c.kh, c.kw});
  HostTensor b = randomTensor(rng, {c.o});
  HostTensor out = zeros({c.n, c.o, c.outDim(0), c.outDim(1)});
  std::vector<HostTensor *> inputs = {&x, &w};
  if (c.bias)
    inputs.push_back(&b);

  expectOk(runKernel("conv2d", inputs, out, convAttrs(c), numThreads));
  double depth = double(c.c / c.groups * c.kh * c.kw);
  expectClose(out.f32, referenceConv(c, x, w, c.bias ? &b : nullptr), 1e-5,
              1e-5 * std::sqrt(depth));

  // Filters packed ahead give the very same sums. Depthwise filters, and
  // filters with no outputs or no inputs, are not packed.
  HostTensor again = zeros(out.shape);
  bool prepared = false;
  std::vector<size_t> params = {1, 2};
  expectOk(runKernelPrepared("conv2d", inputs, again, convAttrs(c), params,
                             numThreads, prepared));
  bool depthwise = c.groups == c.c && c.c > 0;
  EXPECT_EQ(prepared, !depthwise && c.o > 0 && c.c > 0);
  expectIdentical(again.f32, out.f32);
  return out.f32;
}

// Fields: n, c, h, w, o, kh, kw, stride, pad, dilation, groups, bias, act.
TEST(ConvKernelTest, MatchesReferenceOnPointwise) {
  std::mt19937 rng(11);
  checkConv(rng, {2, 3, 4, 5, 4, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, true, ""});
  checkConv(rng,
            {1, 6, 3, 3, 4, 1, 1, {1, 1}, {0, 0}, {1, 1}, 2, false, "relu"});
  checkConv(rng,
            {1, 1, 1, 1, 1, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, true, "sigmoid"});
  // Dilation does not matter for 1x1.
  checkConv(rng,
            {2, 4, 3, 2, 5, 1, 1, {1, 1}, {0, 0}, {2, 2}, 1, true, "gelu"});
  // 1x1 with a stride or padding takes the im2col path.
  checkConv(rng,
            {1, 3, 5, 5, 2, 1, 1, {2, 2}, {0, 0}, {1, 1}, 1, true, "tanh"});
  checkConv(rng, {1, 3, 3, 3, 2, 1, 1, {1, 1}, {1, 1}, {1, 1}, 1, true, ""});
}

TEST(ConvKernelTest, MatchesReferenceOnDepthwise) {
  std::mt19937 rng(12);
  checkConv(rng,
            {2, 3, 6, 5, 3, 3, 3, {1, 1}, {1, 1}, {1, 1}, 3, true, "relu"});
  // Channel multiplier 2.
  checkConv(rng, {1, 4, 7, 7, 8, 3, 3, {2, 2}, {1, 1}, {1, 1}, 4, false, ""});
  checkConv(rng,
            {1, 2, 9, 8, 2, 3, 2, {1, 2}, {2, 1}, {2, 3}, 2, true, "gelu"});
  // 1x1 depthwise: a scale per channel.
  checkConv(rng,
            {2, 3, 4, 3, 6, 1, 1, {1, 1}, {0, 0}, {1, 1}, 3, true, "relu"});
  // One channel: depthwise and ordinary at once.
  checkConv(rng,
            {3, 1, 4, 4, 1, 5, 5, {1, 1}, {2, 2}, {1, 1}, 1, true, "tanh"});
}

TEST(ConvKernelTest, MatchesReferenceOnGeneralConvolutions) {
  std::mt19937 rng(13);
  checkConv(rng,
            {2, 3, 7, 6, 4, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "sigmoid"});
  checkConv(rng, {1, 4, 9, 9, 6, 3, 3, {2, 2}, {0, 0}, {1, 1}, 2, true, ""});
  checkConv(rng,
            {1, 6, 8, 7, 3, 2, 3, {1, 2}, {1, 2}, {2, 1}, 3, false, "relu"});
  checkConv(rng,
            {2, 2, 5, 5, 2, 5, 5, {3, 3}, {2, 2}, {1, 1}, 1, true, "gelu"});
  // A single input row.
  checkConv(rng,
            {1, 3, 1, 9, 2, 1, 3, {1, 1}, {0, 1}, {1, 1}, 1, true, "tanh"});
}

// Planes wider than the kernels' vector blocks (32 and 8 outputs, 16
// columns per packed panel) with ragged ends, and a product that crosses
// every blocking boundary of the gemm (K > 256, H' W' > 2048, O > 120).
TEST(ConvKernelTest, MatchesReferenceOnLargePlanes) {
  std::mt19937 rng(17);
  // Depthwise: stride 1 (outW 41 = 32 + 8 + 1), stride 2 with a channel
  // multiplier, and stride 3 with dilation.
  checkConv(rng,
            {1, 3, 37, 41, 3, 3, 3, {1, 1}, {1, 1}, {1, 1}, 3, true, "relu"});
  checkConv(rng, {1, 2, 70, 67, 4, 5, 5, {2, 2}, {2, 2}, {1, 1}, 2, true, ""});
  checkConv(
      rng,
      {2, 2, 40, 50, 2, 3, 3, {3, 3}, {2, 2}, {2, 2}, 2, false, "sigmoid"});
  // A stride longer than the padded image: the only window lies in the
  // padding, and the padded copy holds no input column.
  checkConv(rng, {1, 2, 4, 1, 3, 1, 1, {1, 5}, {0, 2}, {1, 1}, 1, true, ""});
  checkConv(rng, {1, 2, 1, 3, 2, 1, 2, {4, 1}, {3, 0}, {1, 1}, 1, false, ""});
  // Im2col: output rows that start inside a packed panel, stride 2.
  checkConv(rng, {1, 5, 33, 35, 7, 3, 3, {2, 2}, {1, 1}, {1, 1}, 1, true, ""});
  checkConv(rng,
            {2, 4, 19, 23, 5, 7, 7, {1, 1}, {3, 3}, {1, 1}, 1, false, "tanh"});
  checkConv(
      rng, {1, 32, 50, 50, 130, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"});
}

// 3x3 stride-1 convolutions of at least 100 tiles of 2x2 outputs take the
// Winograd path: odd output sizes (the last tiles are cut), padding 0 to 2,
// several images, with and without bias.
TEST(ConvKernelTest, MatchesReferenceOnWinogradShapes) {
  std::mt19937 rng(18);
  checkConv(rng,
            {2, 5, 21, 23, 7, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"});
  checkConv(rng, {1, 4, 24, 26, 6, 3, 3, {1, 1}, {0, 0}, {1, 1}, 1, true, ""});
  checkConv(rng,
            {1, 3, 20, 20, 5, 3, 3, {1, 1}, {2, 2}, {1, 1}, 1, false, "gelu"});
  checkConv(
      rng,
      {3, 8, 20, 21, 9, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, false, "sigmoid"});
  // More channels than one k slice of the gemm (256): the transformed
  // tiles are written into two slices of the packed layout.
  checkConv(rng,
            {1, 260, 12, 12, 3, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, ""});
  // Three images on two threads: each thread transforms its own images.
  checkConv(rng,
            {3, 8, 20, 21, 9, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"},
            /*numThreads=*/2);
  // 2 threads on one image (the transforms split channels, the products
  // columns) give the very same sums as one.
  ConvCase wide{1, 16, 22, 22, 8, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, ""};
  std::mt19937 rng1(19), rng2(19);
  expectIdentical(checkConv(rng1, wide, 1), checkConv(rng2, wide, 2));
}

// The gemm paths read their filters from the prepared state, not from the
// weight input: prepared from other filters, a run gives those filters'
// result. (The executor never mixes them; this shows the state is used.)
TEST(ConvKernelTest, RunsFromPreparedFilters) {
  std::mt19937 rng(20);
  for (ConvCase c :
       {ConvCase{1, 4, 9, 9, 6, 3, 3, {2, 2}, {1, 1}, {1, 1}, 2, true, ""},
        ConvCase{2, 8, 5, 6, 4, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, true, ""},
        ConvCase{
            1, 6, 20, 20, 5, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"}}) {
    SCOPED_TRACE(c.str());
    HostTensor x = randomTensor(rng, {c.n, c.c, c.h, c.w});
    HostTensor w = randomTensor(rng, {c.o, c.c / c.groups, c.kh, c.kw});
    HostTensor other = randomTensor(rng, w.shape);
    HostTensor b = randomTensor(rng, {c.o});
    std::vector<int64_t> outShape = {c.n, c.o, c.outDim(0), c.outDim(1)};
    HostTensor want = zeros(outShape), got = zeros(outShape);
    expectOk(runKernel("conv2d", {&x, &other, &b}, want, convAttrs(c)));
    std::unique_ptr<PreparedStep> state =
        prepareKernel("conv2d", {&x, &other, &b}, got, convAttrs(c), {1, 2});
    ASSERT_NE(state, nullptr);
    expectOk(
        runKernelWith("conv2d", {&x, &w, &b}, got, convAttrs(c), state.get()));
    expectIdentical(got.f32, want.f32);
  }
}

TEST(ConvKernelTest, HandlesEmptyDims) {
  std::mt19937 rng(14);
  checkConv(rng, {0, 3, 5, 5, 2, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, ""});
  checkConv(rng, {2, 3, 5, 5, 0, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, ""});
  // No input channels: every output is act(bias).
  checkConv(rng,
            {2, 0, 4, 4, 3, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"});
  checkConv(rng,
            {1, 0, 4, 4, 3, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, true, "sigmoid"});
}

/// A random valid case; `depthwise` makes groups equal the channels.
ConvCase randomConvCase(std::mt19937 &rng, bool depthwise) {
  ConvCase c;
  c.groups = randomInt(rng, 1, 3);
  c.c = c.groups * randomInt(rng, 1, 3);
  c.o = c.groups * randomInt(rng, 1, 3);
  if (depthwise) {
    c.groups = c.c;
    c.o = c.c * randomInt(rng, 1, 2);
  }
  c.n = randomInt(rng, 1, 3);
  c.kh = randomInt(rng, 1, 4);
  c.kw = randomInt(rng, 1, 4);
  for (int axis = 0; axis < 2; ++axis) {
    c.stride[axis] = randomInt(rng, 1, 3);
    c.pad[axis] = randomInt(rng, 0, 2);
    c.dilation[axis] = randomInt(rng, 1, 2);
  }
  // Large enough that the dilated kernel fits the padded input.
  c.h = std::max<int64_t>(randomInt(rng, 1, 9),
                          c.dilation[0] * (c.kh - 1) + 1 - 2 * c.pad[0]);
  c.w = std::max<int64_t>(randomInt(rng, 1, 9),
                          c.dilation[1] * (c.kw - 1) + 1 - 2 * c.pad[1]);
  c.bias = randomInt(rng, 0, 1);
  return c;
}

TEST(ConvKernelTest, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 60; ++trial) {
    ConvCase c = randomConvCase(rng, /*depthwise=*/trial % 4 == 0);
    c.activation = activationNames()[trial % activationNames().size()];
    checkConv(rng, c);
  }
}

TEST(ConvKernelTest, ThreadsAgreeWithOneThread) {
  // Few images (threads split each product's columns), many images
  // (threads take whole images), pointwise and depthwise.
  for (ConvCase c :
       {ConvCase{
            1, 16, 16, 16, 16, 3, 3, {1, 1}, {1, 1}, {1, 1}, 1, true, "relu"},
        ConvCase{4, 8, 12, 12, 8, 3, 3, {2, 2}, {1, 1}, {1, 1}, 2, true, ""},
        ConvCase{
            1, 32, 14, 14, 32, 1, 1, {1, 1}, {0, 0}, {1, 1}, 1, false, "gelu"},
        ConvCase{2,
                 16,
                 20,
                 20,
                 16,
                 3,
                 3,
                 {1, 1},
                 {1, 1},
                 {1, 1},
                 16,
                 true,
                 "sigmoid"}}) {
    std::mt19937 rng1(16), rng2(16);
    std::vector<float> one = checkConv(rng1, c, 1);
    std::vector<float> two = checkConv(rng2, c, 2);
    double depth = double(c.c / c.groups * c.kh * c.kw);
    expectClose(two, std::vector<double>(one.begin(), one.end()), 1e-5,
                1e-5 * std::sqrt(depth));
  }
}

TEST(ConvKernelTest, RejectsUnknownActivation) {
  ConvCase c{1, 1, 3, 3, 1, 3, 3, {1, 1}, {0, 0}, {1, 1}, 1, false, "elu"};
  HostTensor x = zeros({1, 1, 3, 3}), w = zeros({1, 1, 3, 3});
  HostTensor out = zeros({1, 1, 1, 1});
  llvm::Error err = runKernel("conv2d", {&x, &w}, out, convAttrs(c));
  EXPECT_EQ(llvm::toString(std::move(err)),
            "conv2d: activation 'elu' is not supported");
}

} // namespace
