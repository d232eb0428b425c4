//===- NormKernelTest.cpp - batch_norm and layer_norm against references --===//
//
// Tolerances: batch_norm rounds a few times per element,
// |got - want| <= 1e-6 + 1e-5 * |want|. layer_norm accumulates in double
// but rounds its float inputs and result, |got - want| <= 1e-5 +
// 1e-5 * |want| (the normalised values are of order 1).
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

/// A random shape of rank 1 to 4 whose dims are 1 to 6, sometimes 1.
std::vector<int64_t> randomShape(std::mt19937 &rng) {
  std::vector<int64_t> shape;
  for (int64_t i = randomInt(rng, 1, 4); i > 0; --i)
    shape.push_back(randomInt(rng, 0, 4) == 0 ? 1 : randomInt(rng, 1, 6));
  return shape;
}

/// The index along `axis` of the `linear`-th element of `shape`.
int64_t indexAlong(int64_t linear, const std::vector<int64_t> &shape,
                   int64_t axis) {
  return unravel(linear, shape)[axis];
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

struct BatchNormInputs {
  HostTensor x, gamma, beta, mean, var;
};

BatchNormInputs randomBatchNorm(std::mt19937 &rng,
                                const std::vector<int64_t> &shape,
                                int64_t axis) {
  int64_t channels = shape[axis];
  return {randomTensor(rng, shape, -3, 3), randomTensor(rng, {channels}),
          randomTensor(rng, {channels}), randomTensor(rng, {channels}),
          randomTensor(rng, {channels}, 0.1f, 2.0f)};
}

std::vector<double> referenceBatchNorm(const BatchNormInputs &in, int64_t axis,
                                       double eps) {
  std::vector<double> out;
  for (int64_t i = 0; i < in.x.numElements(); ++i) {
    int64_t c = indexAlong(i, in.x.shape, axis);
    out.push_back((in.x.f32[i] - in.mean.f32[c]) /
                      std::sqrt(in.var.f32[c] + eps) * in.gamma.f32[c] +
                  in.beta.f32[c]);
  }
  return out;
}

/// Runs batch_norm, out of place or in place (writing over x).
void checkBatchNorm(std::mt19937 &rng, const std::vector<int64_t> &shape,
                    int64_t axis, bool inPlace, int numThreads = 1) {
  SCOPED_TRACE(shapeString(shape) + " axis " + std::to_string(axis) +
               (inPlace ? " in place" : ""));
  BatchNormInputs in = randomBatchNorm(rng, shape, axis);
  double eps = 1e-5;
  std::vector<double> expected = referenceBatchNorm(in, axis, eps);

  HostTensor separate = zeros(shape);
  HostTensor &out = inPlace ? in.x : separate;
  expectOk(runKernel(
      "batch_norm", {&in.x, &in.gamma, &in.beta, &in.mean, &in.var}, out,
      {intAttr("axis", axis), floatAttr("eps", eps)}, numThreads));
  expectClose(out.f32, expected, 1e-5, 1e-6);
}

TEST(NormKernelTest, BatchNormMatchesReference) {
  std::mt19937 rng(31);
  checkBatchNorm(rng, {2, 3, 4, 5}, 1, false);
  checkBatchNorm(rng, {1}, 0, false);
  checkBatchNorm(rng, {4, 7}, 1, false); // per feature, [N, C]
  checkBatchNorm(rng, {0, 3, 2, 2}, 1, false);
  checkBatchNorm(rng, {2, 3, 0, 2}, 1, false);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<int64_t> shape = randomShape(rng);
    checkBatchNorm(rng, shape, randomInt(rng, 0, shape.size() - 1),
                   /*inPlace=*/trial % 2);
  }
}

TEST(NormKernelTest, BatchNormRunsInPlace) {
  std::mt19937 rng(32);
  checkBatchNorm(rng, {2, 3, 4, 5}, 1, /*inPlace=*/true);
  checkBatchNorm(rng, {8, 64, 9, 9}, 1, /*inPlace=*/true, /*numThreads=*/2);
}

TEST(NormKernelTest, BatchNormThreadsAgreeWithOneThread) {
  std::vector<int64_t> shape = {4, 32, 16, 16};
  std::mt19937 rng(33);
  BatchNormInputs in = randomBatchNorm(rng, shape, 1);
  HostTensor one = zeros(shape), two = zeros(shape);
  std::vector<PlanAttr> attrs = {intAttr("axis", 1), floatAttr("eps", 1e-3)};
  std::vector<HostTensor *> inputs = {&in.x, &in.gamma, &in.beta, &in.mean,
                                      &in.var};
  expectOk(runKernel("batch_norm", inputs, one, attrs, 1));
  expectOk(runKernel("batch_norm", inputs, two, attrs, 2));
  expectIdentical(one.f32, two.f32);
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

/// Two-pass mean and variance along `axis`, in double, one line at a time.
std::vector<double> referenceLayerNorm(const HostTensor &x,
                                       const HostTensor &gamma,
                                       const HostTensor &beta, int64_t axis,
                                       double eps) {
  llvm::ArrayRef<int64_t> shape = x.shape;
  int64_t outer = numElements(shape.take_front(axis)), size = shape[axis];
  int64_t inner = numElements(shape.drop_front(axis + 1));
  std::vector<double> out(x.numElements());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      // The line's elements are start + k * inner.
      int64_t start = o * size * inner + i;
      double mean = 0, var = 0;
      for (int64_t k = 0; k < size; ++k)
        mean += x.f32[start + k * inner];
      mean /= size;
      for (int64_t k = 0; k < size; ++k)
        var += std::pow(x.f32[start + k * inner] - mean, 2);
      var /= size;
      for (int64_t k = 0; k < size; ++k)
        out[start + k * inner] = (x.f32[start + k * inner] - mean) /
                                     std::sqrt(var + eps) * gamma.f32[k] +
                                 beta.f32[k];
    }
  return out;
}

std::vector<float> checkLayerNorm(std::mt19937 &rng,
                                  const std::vector<int64_t> &shape,
                                  int64_t axis, float offset = 0,
                                  int numThreads = 1) {
  SCOPED_TRACE(shapeString(shape) + " axis " + std::to_string(axis) +
               " offset " + std::to_string(offset));
  HostTensor x = randomTensor(rng, shape, offset - 1, offset + 1);
  HostTensor gamma = randomTensor(rng, {shape[axis]});
  HostTensor beta = randomTensor(rng, {shape[axis]});
  HostTensor out = zeros(shape);
  double eps = 1e-5;
  expectOk(runKernel("layer_norm", {&x, &gamma, &beta}, out,
                     {intAttr("axis", axis), floatAttr("eps", eps)},
                     numThreads));
  expectClose(out.f32, referenceLayerNorm(x, gamma, beta, axis, eps), 1e-5,
              1e-5);
  return out.f32;
}

TEST(NormKernelTest, LayerNormMatchesReference) {
  std::mt19937 rng(34);
  checkLayerNorm(rng, {2, 5, 8}, 2);
  checkLayerNorm(rng, {2, 5, 8}, 1); // a middle axis: strided lines
  checkLayerNorm(rng, {6, 3}, 0);
  checkLayerNorm(rng, {3, 1}, 1); // one value per line: y = beta
  checkLayerNorm(rng, {0, 4}, 1);
  checkLayerNorm(rng, {3, 0}, 1); // empty lines: nothing to write
  checkLayerNorm(rng, {7}, 0);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<int64_t> shape = randomShape(rng);
    checkLayerNorm(rng, shape, randomInt(rng, 0, shape.size() - 1));
  }
}

TEST(NormKernelTest, LayerNormIsStableForLargeOffsets) {
  // Values 1000 +- 1: a one-pass E[x^2] - E[x]^2 in float would lose all
  // of the variance.
  std::mt19937 rng(35);
  checkLayerNorm(rng, {4, 64}, 1, /*offset=*/1000);
  checkLayerNorm(rng, {64, 3}, 0, /*offset=*/1000);
}

TEST(NormKernelTest, LayerNormThreadsAgreeWithOneThread) {
  // Many lines split by block; one block splits its columns.
  for (auto [shape, axis] :
       {std::pair<std::vector<int64_t>, int64_t>{{64, 768}, 1},
        {{1, 128, 300}, 1},
        {{512, 96}, 0}}) {
    std::mt19937 rng1(36), rng2(36);
    std::vector<float> one = checkLayerNorm(rng1, shape, axis, 0, 1);
    std::vector<float> two = checkLayerNorm(rng2, shape, axis, 0, 2);
    expectIdentical(one, two);
  }
}

} // namespace
