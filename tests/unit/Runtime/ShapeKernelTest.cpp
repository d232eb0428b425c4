//===- ShapeKernelTest.cpp - reshape, flatten, transpose and concat -------===//
//
// These kernels only move elements, so outputs must match exactly
// (tolerance 0), for f32 and i64 alike.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <numeric>

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

std::vector<int64_t> randomShape(std::mt19937 &rng, int64_t minRank,
                                 int64_t maxRank) {
  std::vector<int64_t> shape;
  for (int64_t i = randomInt(rng, minRank, maxRank); i > 0; --i) {
    int64_t pick = randomInt(rng, 0, 9);
    shape.push_back(pick == 0 ? 0 : pick < 3 ? 1 : randomInt(rng, 2, 5));
  }
  return shape;
}

/// An i64 tensor holding 0, 1, 2, ... offset by `base`.
HostTensor iotaI64(std::vector<int64_t> shape, int64_t base = 0) {
  HostTensor t;
  t.dtype = DType::I64;
  t.shape = std::move(shape);
  t.i64.resize(t.numElements());
  std::iota(t.i64.begin(), t.i64.end(), base);
  return t;
}

TEST(ShapeKernelTest, ReshapeAndFlattenCopyTheElements) {
  std::mt19937 rng(61);
  HostTensor x = randomTensor(rng, {2, 3, 4});
  for (const char *kernel : {"reshape", "flatten"}) {
    HostTensor out = zeros({2, 12});
    expectOk(runKernel(kernel, {&x}, out, {intsAttr("shape", {2, 12})}));
    expectIdentical(out.f32, x.f32);
  }

  HostTensor empty = zeros({0, 3}), emptyOut = zeros({3, 0});
  expectOk(runKernel("reshape", {&empty}, emptyOut));
  HostTensor ids = iotaI64({2, 3}), idsOut = iotaI64({6}, 100);
  expectOk(runKernel("reshape", {&ids}, idsOut));
  EXPECT_EQ(idsOut.i64, ids.i64);
}

/// x transposed by `perm`, by definition.
template <typename T>
std::vector<T> referenceTranspose(const std::vector<T> &x,
                                  const std::vector<int64_t> &shape,
                                  const std::vector<int64_t> &perm,
                                  std::vector<int64_t> &outShape) {
  outShape.clear();
  for (int64_t axis : perm)
    outShape.push_back(shape[axis]);
  std::vector<T> out;
  for (int64_t i = 0; i < numElements(outShape); ++i) {
    std::vector<int64_t> outIndex = unravel(i, outShape), index(shape.size());
    for (size_t k = 0; k < perm.size(); ++k)
      index[perm[k]] = outIndex[k];
    int64_t linear = 0;
    for (size_t k = 0; k < shape.size(); ++k)
      linear = linear * shape[k] + index[k];
    out.push_back(x[linear]);
  }
  return out;
}

void checkTranspose(std::mt19937 &rng, const std::vector<int64_t> &shape,
                    const std::vector<int64_t> &perm, int numThreads = 1) {
  SCOPED_TRACE(shapeString(shape) + " perm " + shapeString(perm));
  std::vector<int64_t> outShape;
  HostTensor x = randomTensor(rng, shape);
  std::vector<float> expected =
      referenceTranspose(x.f32, shape, perm, outShape);
  HostTensor out = zeros(outShape);
  expectOk(
      runKernel("transpose", {&x}, out, {intsAttr("perm", perm)}, numThreads));
  expectIdentical(out.f32, expected);

  HostTensor ids = iotaI64(shape), idsOut = iotaI64(outShape);
  expectOk(runKernel("transpose", {&ids}, idsOut, {intsAttr("perm", perm)},
                     numThreads));
  EXPECT_EQ(idsOut.i64, referenceTranspose(ids.i64, shape, perm, outShape));
}

TEST(ShapeKernelTest, TransposeMatchesReference) {
  std::mt19937 rng(62);
  checkTranspose(rng, {}, {});
  checkTranspose(rng, {3, 4}, {1, 0});
  checkTranspose(rng, {2, 3, 4}, {0, 1, 2});
  checkTranspose(rng, {2, 3, 4, 5}, {0, 2, 3, 1}); // NCHW -> NHWC
  checkTranspose(rng, {2, 0, 3}, {2, 0, 1});
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<int64_t> shape = randomShape(rng, 1, 5);
    std::vector<int64_t> perm(shape.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    checkTranspose(rng, shape, perm);
  }
  checkTranspose(rng, {8, 64, 33, 5}, {3, 0, 2, 1}, /*numThreads=*/2);
}

/// Runs concat on `shapes` along `axis`, f32 and i64, against a reference
/// that walks the output and finds the input each element comes from.
void checkConcat(std::mt19937 &rng,
                 const std::vector<std::vector<int64_t>> &shapes, int64_t axis,
                 int numThreads = 1) {
  SCOPED_TRACE("axis " + std::to_string(axis) + " first " +
               shapeString(shapes[0]));
  std::vector<HostTensor> xs, ids;
  std::vector<int64_t> outShape = shapes[0];
  outShape[axis] = 0;
  for (const std::vector<int64_t> &shape : shapes) {
    xs.push_back(randomTensor(rng, shape));
    ids.push_back(iotaI64(shape, 1000 * int64_t(ids.size())));
    outShape[axis] += shape[axis];
  }

  std::vector<float> expected;
  std::vector<int64_t> expectedIds;
  for (int64_t i = 0; i < numElements(outShape); ++i) {
    std::vector<int64_t> index = unravel(i, outShape);
    size_t k = 0;
    while (index[axis] >= shapes[k][axis])
      index[axis] -= shapes[k++][axis];
    int64_t linear = 0;
    for (size_t d = 0; d < index.size(); ++d)
      linear = linear * shapes[k][d] + index[d];
    expected.push_back(xs[k].f32[linear]);
    expectedIds.push_back(ids[k].i64[linear]);
  }

  std::vector<HostTensor *> inputs, idInputs;
  for (size_t k = 0; k < xs.size(); ++k) {
    inputs.push_back(&xs[k]);
    idInputs.push_back(&ids[k]);
  }
  HostTensor out = zeros(outShape), idsOut = iotaI64(outShape);
  expectOk(
      runKernel("concat", inputs, out, {intAttr("axis", axis)}, numThreads));
  expectOk(runKernel("concat", idInputs, idsOut, {intAttr("axis", axis)},
                     numThreads));
  expectIdentical(out.f32, expected);
  EXPECT_EQ(idsOut.i64, expectedIds);
}

TEST(ShapeKernelTest, ConcatMatchesReference) {
  std::mt19937 rng(63);
  checkConcat(rng, {{2, 3}, {2, 4}}, 1);
  checkConcat(rng, {{2, 3}, {1, 3}, {4, 3}}, 0);
  checkConcat(rng, {{5}}, 0);                             // a single input
  checkConcat(rng, {{2, 0, 3}, {2, 2, 3}, {2, 0, 3}}, 1); // empty inputs
  checkConcat(rng, {{0, 2}, {0, 3}}, 1);                  // empty output
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<int64_t> shape = randomShape(rng, 1, 4);
    int64_t axis = randomInt(rng, 0, shape.size() - 1);
    std::vector<std::vector<int64_t>> shapes;
    for (int64_t k = randomInt(rng, 1, 4); k > 0; --k) {
      shapes.push_back(shape);
      shapes.back()[axis] = randomInt(rng, 0, 4);
    }
    checkConcat(rng, shapes, axis);
  }
  checkConcat(rng, {{64, 32, 20}, {64, 1, 20}, {64, 7, 20}}, 1,
              /*numThreads=*/2);
}

} // namespace
