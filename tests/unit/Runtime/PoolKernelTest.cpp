//===- PoolKernelTest.cpp - Pooling against plain-loop references ---------===//
//
// Tolerances: max pooling picks an input, so it must match exactly;
// average pooling sums at most kh*kw floats, |got - want| <= 1e-6 +
// 1e-5 * |want|; global average pooling sums in double, the same bound.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

#include <limits>

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

struct PoolCase {
  int64_t n, c, h, w;
  int64_t kernel[2], stride[2], pad[2];
  bool ceilMode;

  int64_t inDim(int axis) const { return axis == 0 ? h : w; }
  /// MXNet's "valid" size, or its "full" size in ceil mode.
  int64_t outDim(int axis) const {
    int64_t span = inDim(axis) + 2 * pad[axis] - kernel[axis];
    if (ceilMode)
      span += stride[axis] - 1;
    return span / stride[axis] + 1;
  }
  std::string str() const {
    return "x " + shapeString({n, c, h, w}) + " k " +
           shapeString({kernel[0], kernel[1]}) + " s " +
           shapeString({stride[0], stride[1]}) + " p " +
           shapeString({pad[0], pad[1]}) + (ceilMode ? " ceil" : "");
  }
};

std::vector<PlanAttr> poolAttrs(const PoolCase &c) {
  return {intsAttr("kernel", {c.kernel[0], c.kernel[1]}),
          intsAttr("stride", {c.stride[0], c.stride[1]}),
          intsAttr("padding", {c.pad[0], c.pad[1]}),
          intAttr("ceil_mode", c.ceilMode)};
}

/// The positions of window `o` along `axis`: those inside the input, and
/// those inside the padded input.
std::pair<std::vector<int64_t>, int64_t> windowPositions(const PoolCase &c,
                                                         int axis, int64_t o) {
  std::vector<int64_t> inside;
  int64_t padded = 0;
  for (int64_t k = 0; k < c.kernel[axis]; ++k) {
    int64_t pos = o * c.stride[axis] - c.pad[axis] + k;
    if (pos >= -c.pad[axis] && pos < c.inDim(axis) + c.pad[axis])
      ++padded;
    if (pos >= 0 && pos < c.inDim(axis))
      inside.push_back(pos);
  }
  return {inside, padded};
}

/// Max (`isMax`) or average pooling, straight from the definitions.
std::vector<double> referencePool(const PoolCase &c, const HostTensor &x,
                                  bool isMax, bool includePad) {
  std::vector<double> out;
  for (int64_t plane = 0; plane < c.n * c.c; ++plane)
    for (int64_t oy = 0; oy < c.outDim(0); ++oy)
      for (int64_t ox = 0; ox < c.outDim(1); ++ox) {
        auto [rows, paddedRows] = windowPositions(c, 0, oy);
        auto [cols, paddedCols] = windowPositions(c, 1, ox);
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t y : rows)
          for (int64_t xx : cols) {
            double v = x.f32[(plane * c.h + y) * c.w + xx];
            best = std::max(best, v);
            sum += v;
          }
        int64_t count = includePad ? paddedRows * paddedCols
                                   : int64_t(rows.size() * cols.size());
        out.push_back(isMax ? best : count == 0 ? 0.0 : sum / count);
      }
  return out;
}

void checkPool(std::mt19937 &rng, const PoolCase &c, int numThreads = 1) {
  SCOPED_TRACE(c.str());
  HostTensor x = randomTensor(rng, {c.n, c.c, c.h, c.w});
  std::vector<int64_t> outShape = {c.n, c.c, c.outDim(0), c.outDim(1)};

  HostTensor maxOut = zeros(outShape);
  expectOk(runKernel("max_pool2d", {&x}, maxOut, poolAttrs(c), numThreads));
  expectClose(maxOut.f32, referencePool(c, x, /*isMax=*/true, false), 0, 0);

  for (bool includePad : {false, true}) {
    SCOPED_TRACE(includePad ? "count_include_pad=1" : "count_include_pad=0");
    HostTensor avgOut = zeros(outShape);
    std::vector<PlanAttr> attrs = poolAttrs(c);
    attrs.push_back(intAttr("count_include_pad", includePad));
    expectOk(runKernel("avg_pool2d", {&x}, avgOut, attrs, numThreads));
    expectClose(avgOut.f32, referencePool(c, x, /*isMax=*/false, includePad),
                1e-5, 1e-6);
  }
}

// A NaN makes every max window that holds it NaN, wherever it falls in
// the window; the other windows keep their maxima.
TEST(PoolKernelTest, MaxPoolPropagatesNaN) {
  std::mt19937 rng(60);
  // 2x2 stride 2 (the 2x2 path) and 3x3 stride 2 with padding (the
  // general path), with the NaN first, last and inside a window.
  for (PoolCase c : {PoolCase{1, 1, 6, 6, {2, 2}, {2, 2}, {0, 0}, false},
                     PoolCase{1, 1, 7, 7, {3, 3}, {2, 2}, {1, 1}, false}})
    for (int64_t at : {0, 7, 14, 35}) {
      SCOPED_TRACE(c.str() + " NaN at " + std::to_string(at));
      HostTensor x = randomTensor(rng, {c.n, c.c, c.h, c.w});
      x.f32[at] = std::numeric_limits<float>::quiet_NaN();
      HostTensor out = zeros({c.n, c.c, c.outDim(0), c.outDim(1)});
      expectOk(runKernel("max_pool2d", {&x}, out, poolAttrs(c)));
      int64_t y = at / c.w, xx = at % c.w;
      for (int64_t oy = 0; oy < c.outDim(0); ++oy)
        for (int64_t ox = 0; ox < c.outDim(1); ++ox) {
          auto [rows, paddedRows] = windowPositions(c, 0, oy);
          auto [cols, paddedCols] = windowPositions(c, 1, ox);
          bool holds =
              llvm::is_contained(rows, y) && llvm::is_contained(cols, xx);
          EXPECT_EQ(std::isnan(out.f32[oy * c.outDim(1) + ox]), holds)
              << "output " << oy << ", " << ox;
        }
    }
}

// Fields: n, c, h, w, kernel, stride, padding, ceil_mode.
TEST(PoolKernelTest, MatchesReferenceOnEdgeShapes) {
  std::mt19937 rng(21);
  checkPool(rng, {1, 1, 1, 1, {1, 1}, {1, 1}, {0, 0}, false});
  checkPool(rng, {2, 3, 4, 4, {2, 2}, {2, 2}, {0, 0}, false});
  // 2x2 windows with stride 2: LeNet's size, odd sizes whose last row and
  // column no window reads, and with ceil_mode windows clipped there.
  checkPool(rng, {2, 3, 28, 28, {2, 2}, {2, 2}, {0, 0}, false});
  checkPool(rng, {1, 2, 5, 7, {2, 2}, {2, 2}, {0, 0}, false});
  checkPool(rng, {1, 2, 5, 7, {2, 2}, {2, 2}, {0, 0}, true});
  checkPool(rng, {1, 2, 5, 5, {3, 3}, {2, 2}, {1, 1}, false});
  checkPool(rng, {0, 2, 5, 5, {3, 3}, {2, 2}, {1, 1}, false}); // no images
  checkPool(rng, {2, 0, 5, 5, {3, 3}, {2, 2}, {1, 1}, true});  // no channels
  checkPool(rng, {1, 1, 7, 1, {3, 1}, {2, 1}, {1, 0}, true});
}

TEST(PoolKernelTest, CeilModeWindowsRunPastThePadding) {
  std::mt19937 rng(22);
  // H' = (6 + 2 - 3 + 1) / 2 + 1 = 4: the last window covers rows 5..7,
  // of which row 5 is input, 6 padding and 7 beyond it.
  checkPool(rng, {1, 2, 6, 6, {3, 3}, {2, 2}, {1, 1}, true});
  checkPool(rng, {2, 1, 5, 7, {2, 3}, {3, 2}, {0, 1}, true});
  // A stride longer than the kernel leaves a window outside the input:
  // max gives -infinity, average 0.
  checkPool(rng, {1, 1, 2, 2, {1, 1}, {3, 3}, {0, 0}, true});
}

TEST(PoolKernelTest, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(23);
  for (int trial = 0; trial < 60; ++trial) {
    PoolCase c;
    c.n = randomInt(rng, 1, 2);
    c.c = randomInt(rng, 1, 3);
    c.ceilMode = trial % 2;
    for (int axis = 0; axis < 2; ++axis) {
      c.kernel[axis] = randomInt(rng, 1, 4);
      c.stride[axis] = randomInt(rng, 1, 4);
      c.pad[axis] = randomInt(rng, 0, c.kernel[axis] / 2);
    }
    c.h = randomInt(rng, std::max<int64_t>(c.kernel[0] - 2 * c.pad[0], 1), 9);
    c.w = randomInt(rng, std::max<int64_t>(c.kernel[1] - 2 * c.pad[1], 1), 9);
    checkPool(rng, c);
  }
}

TEST(PoolKernelTest, ThreadsAgreeWithOneThread) {
  // The kernels split planes, so every output is computed alike.
  PoolCase c{4, 16, 17, 17, {3, 3}, {2, 2}, {1, 1}, true};
  std::mt19937 rng(24);
  HostTensor x = randomTensor(rng, {c.n, c.c, c.h, c.w});
  std::vector<int64_t> outShape = {c.n, c.c, c.outDim(0), c.outDim(1)};
  for (const char *kernel : {"max_pool2d", "avg_pool2d"}) {
    SCOPED_TRACE(kernel);
    std::vector<PlanAttr> attrs = poolAttrs(c);
    attrs.push_back(intAttr("count_include_pad", 1));
    HostTensor one = zeros(outShape), two = zeros(outShape);
    expectOk(runKernel(kernel, {&x}, one, attrs, 1));
    expectOk(runKernel(kernel, {&x}, two, attrs, 2));
    expectIdentical(one.f32, two.f32);
  }
  checkPool(rng, c, 2);
}

//===----------------------------------------------------------------------===//
// global_avg_pool2d
//===----------------------------------------------------------------------===//

std::vector<float> checkGlobalAvgPool(std::mt19937 &rng,
                                      std::vector<int64_t> shape,
                                      int numThreads = 1) {
  SCOPED_TRACE(shapeString(shape));
  HostTensor x = randomTensor(rng, shape);
  HostTensor out = zeros({shape[0], shape[1], 1, 1});
  expectOk(runKernel("global_avg_pool2d", {&x}, out, {}, numThreads));

  int64_t size = shape[2] * shape[3];
  std::vector<double> expected;
  for (int64_t plane = 0; plane < shape[0] * shape[1]; ++plane) {
    double sum = 0;
    for (int64_t i = 0; i < size; ++i)
      sum += x.f32[plane * size + i];
    expected.push_back(size == 0 ? 0.0 : sum / size);
  }
  expectClose(out.f32, expected, 1e-5, 1e-6);
  return out.f32;
}

TEST(PoolKernelTest, GlobalAverageMatchesReference) {
  std::mt19937 rng(25);
  for (std::vector<int64_t> shape :
       std::vector<std::vector<int64_t>>{{1, 1, 1, 1},
                                         {2, 3, 4, 5},
                                         {1, 4, 0, 3}, // empty planes: 0
                                         {0, 3, 2, 2},
                                         {2, 0, 2, 2},
                                         {3, 2, 7, 1}})
    checkGlobalAvgPool(rng, shape);
  for (int trial = 0; trial < 20; ++trial)
    checkGlobalAvgPool(rng, {randomInt(rng, 1, 3), randomInt(rng, 1, 5),
                             randomInt(rng, 1, 9), randomInt(rng, 1, 9)});
}

TEST(PoolKernelTest, GlobalAverageThreadsAgreeWithOneThread) {
  std::mt19937 rng1(26), rng2(26);
  std::vector<float> one = checkGlobalAvgPool(rng1, {4, 64, 15, 15}, 1);
  std::vector<float> two = checkGlobalAvgPool(rng2, {4, 64, 15, 15}, 2);
  expectIdentical(one, two);
}

} // namespace
