//===- ElementwiseKernelTest.cpp - Unary, softmax and binary kernels ------===//
//
// Tolerances:
//   unary       |got - want| <= 1e-6 + 1e-5 * |want| (libm float functions
//               are within a few ulp; relu, identity, dropout are exact)
//   softmax     |got - want| <= 1e-6 + 1e-5 * |want|
//   log_softmax |got - want| <= 1e-5 + 1e-5 * |want|
//   binary      one float rounding: |got - want| <= 1e-6 * |want|
// Runs on one thread and on two must give identical bits.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

#include <functional>

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

/// A random shape of rank 0 to 4; dims are 1 to 6, sometimes 1 or 0.
std::vector<int64_t> randomShape(std::mt19937 &rng, int64_t minRank = 0) {
  std::vector<int64_t> shape;
  for (int64_t i = randomInt(rng, minRank, 4); i > 0; --i) {
    int64_t pick = randomInt(rng, 0, 9);
    shape.push_back(pick == 0 ? 0 : pick < 3 ? 1 : randomInt(rng, 2, 6));
  }
  return shape;
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

struct UnaryCase {
  const char *kernel;
  std::function<double(double)> reference;
};

std::vector<UnaryCase> unaryCases() {
  auto act = [](const char *name) {
    return [name](double x) { return referenceActivation(x, name); };
  };
  auto same = [](double x) { return x; };
  return {{"relu", act("relu")}, {"sigmoid", act("sigmoid")},
          {"tanh", act("tanh")}, {"gelu", act("gelu")},
          {"identity", same},    {"dropout", same}};
}

/// Runs `c` on x, out of place or over x itself; checks it and returns the
/// output.
std::vector<float> checkUnary(const UnaryCase &c, HostTensor x, bool inPlace,
                              int numThreads = 1) {
  SCOPED_TRACE(std::string(c.kernel) + " " + shapeString(x.shape) +
               (inPlace ? " in place" : ""));
  std::vector<double> expected;
  for (float v : x.f32)
    expected.push_back(c.reference(v));
  HostTensor separate = zeros(x.shape);
  HostTensor &out = inPlace ? x : separate;
  expectOk(
      runKernel(c.kernel, {&x}, out, {floatAttr("rate", 0.5)}, numThreads));
  expectClose(out.f32, expected, 1e-5, 1e-6);
  return out.f32;
}

TEST(ElementwiseKernelTest, UnaryMatchesReference) {
  std::mt19937 rng(41);
  for (const UnaryCase &c : unaryCases()) {
    checkUnary(c, randomTensor(rng, {}, -3, 3), false); // rank 0
    checkUnary(c, randomTensor(rng, {0, 3}), false);
    for (int trial = 0; trial < 10; ++trial)
      checkUnary(c, randomTensor(rng, randomShape(rng), -8, 8), trial % 2);
  }
}

TEST(ElementwiseKernelTest, UnaryIsStableForLargeInputs) {
  std::mt19937 rng(42);
  HostTensor x = zeros({8});
  x.f32 = {-1000, -100, -88.5f, -20, 20, 88.5f, 100, 1000};
  for (const UnaryCase &c : unaryCases())
    checkUnary(c, x, false);
}

TEST(ElementwiseKernelTest, UnaryRunsInPlace) {
  std::mt19937 rng(43);
  for (const UnaryCase &c : unaryCases()) {
    checkUnary(c, randomTensor(rng, {3, 5, 7}, -5, 5), /*inPlace=*/true);
    checkUnary(c, randomTensor(rng, {64, 1024}, -5, 5), /*inPlace=*/true,
               /*numThreads=*/2);
  }
}

TEST(ElementwiseKernelTest, UnaryThreadsAgreeWithOneThread) {
  std::mt19937 rng(44);
  HostTensor x = randomTensor(rng, {33, 1001}, -6, 6);
  for (const UnaryCase &c : unaryCases())
    expectIdentical(checkUnary(c, x, false, 1), checkUnary(c, x, false, 2));
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax or log-softmax along `axis`, in double, one line at a time.
std::vector<double> referenceSoftmax(const HostTensor &x, int64_t axis,
                                     bool log) {
  llvm::ArrayRef<int64_t> shape = x.shape;
  int64_t outer = numElements(shape.take_front(axis)), size = shape[axis];
  int64_t inner = numElements(shape.drop_front(axis + 1));
  std::vector<double> out(x.numElements());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      // The line's elements are start + k * inner.
      int64_t start = o * size * inner + i;
      double max = -INFINITY, sum = 0;
      for (int64_t k = 0; k < size; ++k)
        max = std::max<double>(max, x.f32[start + k * inner]);
      for (int64_t k = 0; k < size; ++k)
        sum += std::exp(x.f32[start + k * inner] - max);
      for (int64_t k = 0; k < size; ++k) {
        double v = x.f32[start + k * inner];
        out[start + k * inner] =
            log ? v - max - std::log(sum) : std::exp(v - max) / sum;
      }
    }
  return out;
}

std::vector<float> checkSoftmax(const HostTensor &x, int64_t axis, bool log,
                                int numThreads = 1) {
  const char *kernel = log ? "log_softmax" : "softmax";
  SCOPED_TRACE(std::string(kernel) + " " + shapeString(x.shape) + " axis " +
               std::to_string(axis));
  HostTensor in = x, out = zeros(x.shape);
  expectOk(runKernel(kernel, {&in}, out, {intAttr("axis", axis)}, numThreads));
  for (float v : out.f32)
    EXPECT_TRUE(std::isfinite(v)) << v;
  expectClose(out.f32, referenceSoftmax(x, axis, log), 1e-5, log ? 1e-5 : 1e-6);
  return out.f32;
}

TEST(SoftmaxKernelTest, MatchesReference) {
  std::mt19937 rng(45);
  for (bool log : {false, true}) {
    checkSoftmax(randomTensor(rng, {4, 10}, -5, 5), 1, log);
    checkSoftmax(randomTensor(rng, {4, 10}, -5, 5), 0, log);
    checkSoftmax(randomTensor(rng, {2, 3, 4}, -5, 5), 1, log);
    checkSoftmax(randomTensor(rng, {3, 1}, -5, 5), 1, log); // 1 or 0
    checkSoftmax(randomTensor(rng, {0, 4}), 1, log);
    checkSoftmax(randomTensor(rng, {4, 0}), 1, log);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<int64_t> shape = randomShape(rng, /*minRank=*/1);
      checkSoftmax(randomTensor(rng, shape, -5, 5),
                   randomInt(rng, 0, shape.size() - 1), log);
    }
  }
}

TEST(SoftmaxKernelTest, StaysFiniteForLargeInputs) {
  std::mt19937 rng(46);
  for (bool log : {false, true}) {
    checkSoftmax(randomTensor(rng, {3, 50}, 990, 1010), 1, log);
    checkSoftmax(randomTensor(rng, {3, 50}, -1010, -990), 1, log);
    checkSoftmax(randomTensor(rng, {6, 5, 2}, -1000, 1000), 1, log);
  }
}

TEST(SoftmaxKernelTest, ThreadsAgreeWithOneThread) {
  std::mt19937 rng(47);
  for (bool log : {false, true})
    for (auto [shape, axis] :
         {std::pair<std::vector<int64_t>, int64_t>{{128, 500}, 1},
          {{1, 256, 200}, 1}}) {
      HostTensor x = randomTensor(rng, shape, -10, 10);
      expectIdentical(checkSoftmax(x, axis, log, 1),
                      checkSoftmax(x, axis, log, 2));
    }
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

struct BinaryCase {
  const char *kernel;
  std::function<double(double, double)> reference;
};

std::vector<BinaryCase> binaryCases() {
  return {{"add", std::plus<double>()},
          {"sub", std::minus<double>()},
          {"mul", std::multiplies<double>()},
          {"div", std::divides<double>()}};
}

/// Values in +-[0.5, 2): safe divisors.
HostTensor randomOperand(std::mt19937 &rng, std::vector<int64_t> shape) {
  HostTensor t = randomTensor(rng, std::move(shape), 0.5f, 2.0f);
  for (float &v : t.f32)
    v = randomInt(rng, 0, 1) ? v : -v;
  return t;
}

/// Runs `c` on a and b, out of place or over a; checks it and returns the
/// output.
std::vector<float> checkBinary(const BinaryCase &c, HostTensor a,
                               const HostTensor &b, bool inPlace = false,
                               int numThreads = 1) {
  SCOPED_TRACE(std::string(c.kernel) + " " + shapeString(a.shape) + " " +
               shapeString(b.shape) + (inPlace ? " in place" : ""));
  std::vector<int64_t> shape = broadcastShape(a.shape, b.shape);
  std::vector<double> expected;
  for (int64_t i = 0; i < numElements(shape); ++i) {
    std::vector<int64_t> index = unravel(i, shape);
    expected.push_back(c.reference(a.f32[broadcastIndex(index, a.shape)],
                                   b.f32[broadcastIndex(index, b.shape)]));
  }

  HostTensor bCopy = b, separate = zeros(shape);
  HostTensor &out = inPlace ? a : separate;
  expectOk(runKernel(c.kernel, {&a, &bCopy}, out, {}, numThreads));
  expectClose(out.f32, expected, 1e-6, 0);
  return out.f32;
}

TEST(BinaryKernelTest, MatchesReferenceOnFastPaths) {
  std::mt19937 rng(48);
  for (const BinaryCase &c : binaryCases()) {
    auto operand = [&](std::vector<int64_t> s) {
      return randomOperand(rng, std::move(s));
    };
    checkBinary(c, operand({}), operand({}));                  // rank 0
    checkBinary(c, operand({3, 5}), operand({3, 5}));          // same shape
    checkBinary(c, operand({2, 4, 3, 3}), operand({4, 1, 1})); // channel
    checkBinary(c, operand({2, 4, 3, 3}), operand({1, 4, 1, 1}));
    checkBinary(c, operand({6, 7}), operand({7}));    // per row
    checkBinary(c, operand({6, 7}), operand({6, 1})); // per column
    checkBinary(c, operand({2, 3}), operand({}));     // scalar
    checkBinary(c, operand({2, 3}), operand({1, 1}));
    checkBinary(c, operand({0, 3}), operand({3})); // empty
  }
}

TEST(BinaryKernelTest, MatchesReferenceOnGeneralBroadcasts) {
  std::mt19937 rng(49);
  for (const BinaryCase &c : binaryCases()) {
    auto operand = [&](std::vector<int64_t> s) {
      return randomOperand(rng, std::move(s));
    };
    checkBinary(c, operand({3}), operand({2, 3})); // a broadcasts
    checkBinary(c, operand({}), operand({2, 3}));
    checkBinary(c, operand({4, 1}), operand({1, 5})); // both broadcast
    checkBinary(c, operand({2, 1, 4}), operand({3, 1}));
    checkBinary(c, operand({2, 3, 4}), operand({3, 4})); // b varies twice
    checkBinary(c, operand({1, 0}), operand({3, 1}));    // empty result
  }
}

TEST(BinaryKernelTest, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(50);
  std::vector<BinaryCase> cases = binaryCases();
  for (int trial = 0; trial < 80; ++trial) {
    // Each operand drops some leading dims of the output and sets others
    // to 1.
    std::vector<int64_t> shape = randomShape(rng);
    auto operandShape = [&] {
      std::vector<int64_t> s(shape.end() - randomInt(rng, 0, shape.size()),
                             shape.end());
      for (int64_t &d : s)
        d = randomInt(rng, 0, 2) == 0 ? 1 : d;
      return s;
    };
    std::vector<int64_t> aShape = operandShape(), bShape = operandShape();
    const BinaryCase &c = cases[trial % cases.size()];
    checkBinary(c, randomOperand(rng, aShape), randomOperand(rng, bShape));
  }
}

TEST(BinaryKernelTest, RunsInPlace) {
  std::mt19937 rng(51);
  for (const BinaryCase &c : binaryCases()) {
    auto operand = [&](std::vector<int64_t> s) {
      return randomOperand(rng, std::move(s));
    };
    checkBinary(c, operand({3, 4}), operand({3, 4}), /*inPlace=*/true);
    checkBinary(c, operand({2, 3, 2, 2}), operand({3, 1, 1}), true);
    checkBinary(c, operand({3, 4}), operand({4}), true);
    checkBinary(c, operand({2, 3, 4}), operand({3, 4}), true);
    checkBinary(c, operand({64, 32, 32}), operand({32, 1}), true,
                /*numThreads=*/2);
  }
}

TEST(BinaryKernelTest, RunsInPlaceWithBothOperandsAliased) {
  // x + x with the output over x: every read of b is also a read of a.
  std::mt19937 rng(52);
  HostTensor x = randomOperand(rng, {5, 7});
  std::vector<float> doubled;
  for (float v : x.f32)
    doubled.push_back(v + v);
  expectOk(runKernel("add", {&x, &x}, x));
  expectIdentical(x.f32, doubled);
}

TEST(BinaryKernelTest, ThreadsAgreeWithOneThread) {
  std::mt19937 rng(53);
  for (const BinaryCase &c : binaryCases())
    for (auto [aShape, bShape] :
         {std::pair<std::vector<int64_t>, std::vector<int64_t>>{{64, 1024},
                                                                {64, 1024}},
          {{8, 64, 16, 16}, {64, 1, 1}},
          {{256, 300}, {300}},
          {{16, 1, 64}, {32, 64, 1}}}) {
      HostTensor a = randomOperand(rng, aShape), b = randomOperand(rng, bShape);
      expectIdentical(checkBinary(c, a, b, false, 1),
                      checkBinary(c, a, b, false, 2));
    }
}

} // namespace
