//===- DenseKernelTest.cpp - dense and matmul against plain loops ---------===//
//
// Tolerance: |got - want| <= 1e-5 * sqrt(K) + 1e-5 * |want|, K being the
// inner dim, for inputs in [-1, 1): float products round once per term and
// Eigen may sum in any order.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtil.h"

#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

double productTolerance(int64_t depth) {
  return 1e-5 * std::sqrt(static_cast<double>(depth));
}

//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

struct DenseCase {
  std::vector<int64_t> xShape;
  bool flatten;
  int64_t units;
  bool bias;
  std::string activation;
};

/// act(x [M, K] · weightᵀ [K, units] + bias), summed in double.
std::vector<double> referenceDense(const HostTensor &x, const HostTensor &w,
                                   const HostTensor *bias, int64_t rows,
                                   const std::string &activation) {
  int64_t units = w.shape[0], depth = w.shape[1];
  std::vector<double> out(rows * units);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u) {
      double sum = bias ? bias->f32[u] : 0.0;
      for (int64_t k = 0; k < depth; ++k)
        sum += double(x.f32[r * depth + k]) * w.f32[u * depth + k];
      out[r * units + u] = referenceActivation(sum, activation);
    }
  return out;
}

/// Runs one dense case on `numThreads` threads and checks it.
std::vector<float> checkDense(std::mt19937 &rng, const DenseCase &c,
                              int numThreads = 1) {
  SCOPED_TRACE("x " + shapeString(c.xShape) + " flatten " +
               std::to_string(c.flatten) + " units " + std::to_string(c.units) +
               " act '" + c.activation + "'");
  HostTensor x = randomTensor(rng, c.xShape);
  // [d0, d1, ..., dk] -> [rows, depth]
  llvm::ArrayRef<int64_t> dims = c.xShape;
  int64_t rows = c.flatten ? dims[0] : numElements(dims.drop_back());
  int64_t depth = c.flatten ? numElements(dims.drop_front()) : dims.back();
  HostTensor w = randomTensor(rng, {c.units, depth});
  HostTensor b = randomTensor(rng, {c.units});

  std::vector<int64_t> outShape =
      c.flatten ? std::vector<int64_t>{rows} : c.xShape;
  if (c.flatten)
    outShape.push_back(c.units);
  else
    outShape.back() = c.units;
  HostTensor out = zeros(outShape);
  std::vector<HostTensor *> inputs = {&x, &w};
  if (c.bias)
    inputs.push_back(&b);
  std::vector<PlanAttr> attrs = {intAttr("flatten", c.flatten)};
  if (!c.activation.empty())
    attrs.push_back(stringAttr("activation", c.activation));

  expectOk(runKernel("dense", inputs, out, attrs, numThreads));
  expectClose(out.f32,
              referenceDense(x, w, c.bias ? &b : nullptr, rows, c.activation),
              1e-5, productTolerance(depth));

  // A weight packed ahead gives the very same sums. Only batches of 8 rows
  // and more (those the gemm takes) pack it.
  HostTensor again = zeros(outShape);
  bool prepared = false;
  expectOk(runKernelPrepared("dense", inputs, again, attrs, {1, 2}, numThreads,
                             prepared));
  EXPECT_EQ(prepared, rows >= 8 && c.units * depth > 0);
  expectIdentical(again.f32, out.f32);
  return out.f32;
}

TEST(DenseKernelTest, MatchesReferenceOnEdgeShapes) {
  std::mt19937 rng(1);
  checkDense(rng, {{1, 1}, true, 1, true, ""});
  checkDense(rng, {{0, 5}, true, 3, true, "relu"});  // no rows
  checkDense(rng, {{4, 5}, true, 0, true, "tanh"});  // no units
  checkDense(rng, {{3, 0}, false, 4, true, "gelu"}); // K = 0: act(bias)
  checkDense(rng, {{3, 0}, false, 4, false, "sigmoid"});
  checkDense(rng, {{2, 3, 0}, true, 2, true, ""}); // K = 3 * 0
  checkDense(rng, {{7}, false, 3, true, "relu"});  // rank 1: one row
  checkDense(rng, {{2, 3, 4, 5}, true, 6, false, "gelu"});
  checkDense(rng, {{2, 3, 4, 5}, false, 6, true, "sigmoid"});
}

// Batches around the switch to the gemm, and a weight that crosses the
// gemm's k slice (256) and spans several column panels.
TEST(DenseKernelTest, MatchesReferenceAroundTheGemmBatch) {
  std::mt19937 rng(4);
  for (int64_t rows : {7, 8, 9, 33})
    checkDense(rng, {{rows, 300}, true, 37, true, "relu"});
  checkDense(rng, {{2, 5, 260}, false, 70, false, "sigmoid"});
}

// A batch that takes the gemm reads the weight packed when the step was
// prepared: prepared from another weight, a run gives that weight's result.
TEST(DenseKernelTest, RunsFromThePreparedWeight) {
  std::mt19937 rng(5);
  HostTensor x = randomTensor(rng, {12, 40});
  HostTensor w = randomTensor(rng, {9, 40}), other = randomTensor(rng, {9, 40});
  HostTensor b = randomTensor(rng, {9});
  std::vector<PlanAttr> attrs = {intAttr("flatten", 1)};
  HostTensor want = zeros({12, 9}), got = zeros({12, 9});
  expectOk(runKernel("dense", {&x, &other, &b}, want, attrs));
  std::unique_ptr<PreparedStep> state =
      prepareKernel("dense", {&x, &other, &b}, got, attrs, {1, 2});
  ASSERT_NE(state, nullptr);
  expectOk(runKernelWith("dense", {&x, &w, &b}, got, attrs, state.get()));
  expectIdentical(got.f32, want.f32);
}

TEST(DenseKernelTest, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 40; ++trial) {
    DenseCase c;
    c.flatten = randomInt(rng, 0, 1);
    int64_t rank = randomInt(rng, c.flatten ? 2 : 1, 4);
    for (int64_t i = 0; i < rank; ++i)
      c.xShape.push_back(randomInt(rng, 0, 9) == 0 ? 1 : randomInt(rng, 1, 7));
    c.units = randomInt(rng, 1, 17);
    c.bias = randomInt(rng, 0, 1);
    c.activation = activationNames()[trial % activationNames().size()];
    checkDense(rng, c);
  }
}

TEST(DenseKernelTest, ThreadsAgreeWithOneThread) {
  // Enough work to use both threads: rows >= units splits rows, otherwise
  // units.
  for (DenseCase c : {DenseCase{{64, 96}, true, 48, true, "relu"},
                      DenseCase{{1, 256}, true, 200, true, "gelu"},
                      DenseCase{{3, 5, 64}, false, 130, false, ""}}) {
    std::mt19937 rng1(3), rng2(3);
    std::vector<float> one = checkDense(rng1, c, 1);
    std::vector<float> two = checkDense(rng2, c, 2);
    std::vector<double> oneAsDouble(one.begin(), one.end());
    expectClose(two, oneAsDouble, 1e-5, productTolerance(c.xShape.back()));
  }
}

TEST(DenseKernelTest, RejectsUnknownActivation) {
  HostTensor x = zeros({2, 3}), w = zeros({4, 3}), out = zeros({2, 4});
  llvm::Error err =
      runKernel("dense", {&x, &w}, out,
                {intAttr("flatten", 1), stringAttr("activation", "swish")});
  EXPECT_EQ(llvm::toString(std::move(err)),
            "dense: activation 'swish' is not supported");
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

/// NumPy's matmul, summed in double; also returns the output shape.
std::vector<double> referenceMatmul(const HostTensor &a, const HostTensor &b,
                                    std::vector<int64_t> &outShape) {
  // Promote vectors to matrices, as NumPy does, and drop the added dims
  // from the output shape afterwards.
  std::vector<int64_t> as = a.shape, bs = b.shape;
  bool aVector = as.size() == 1, bVector = bs.size() == 1;
  if (aVector)
    as.insert(as.begin(), 1);
  if (bVector)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  std::vector<int64_t> aBatch(as.begin(), as.end() - 2);
  std::vector<int64_t> bBatch(bs.begin(), bs.end() - 2);
  std::vector<int64_t> batch = broadcastShape(aBatch, bBatch);

  int64_t batches = 1;
  for (int64_t d : batch)
    batches *= d;
  std::vector<double> out(batches * m * n);
  for (int64_t i = 0; i < batches; ++i) {
    std::vector<int64_t> index = unravel(i, batch);
    const float *pa = a.f32.data() + broadcastIndex(index, aBatch) * m * k;
    const float *pb = b.f32.data() + broadcastIndex(index, bBatch) * k * n;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < n; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < k; ++j)
          sum += double(pa[r * k + j]) * pb[j * n + c];
        out[(i * m + r) * n + c] = sum;
      }
  }

  outShape = batch;
  if (!aVector)
    outShape.push_back(m);
  if (!bVector)
    outShape.push_back(n);
  return out;
}

std::vector<float> checkMatmul(std::mt19937 &rng, std::vector<int64_t> aShape,
                               std::vector<int64_t> bShape,
                               int numThreads = 1) {
  SCOPED_TRACE(shapeString(aShape) + " x " + shapeString(bShape));
  HostTensor a = randomTensor(rng, aShape), b = randomTensor(rng, bShape);
  std::vector<int64_t> outShape;
  std::vector<double> expected = referenceMatmul(a, b, outShape);
  HostTensor out = zeros(outShape);
  expectOk(runKernel("matmul", {&a, &b}, out, {}, numThreads));
  expectClose(out.f32, expected, 1e-5, productTolerance(aShape.back()));
  return out.f32;
}

TEST(MatmulKernelTest, HandlesVectorOperands) {
  std::mt19937 rng(4);
  checkMatmul(rng, {5}, {5});          // dot product: rank 0
  checkMatmul(rng, {0}, {0});          // empty dot product: 0
  checkMatmul(rng, {4}, {4, 3});       // [k] x [k, n] -> [n]
  checkMatmul(rng, {3, 4}, {4});       // [m, k] x [k] -> [m]
  checkMatmul(rng, {4}, {2, 3, 4, 5}); // [k] x [2, 3, k, n] -> [2, 3, n]
  checkMatmul(rng, {2, 3, 5, 4}, {4}); // -> [2, 3, 5]
  checkMatmul(rng, {1}, {1, 1});
}

TEST(MatmulKernelTest, BroadcastsBatchDims) {
  std::mt19937 rng(5);
  checkMatmul(rng, {2, 1, 3, 4}, {5, 4, 2}); // -> [2, 5, 3, 2]
  checkMatmul(rng, {3, 4}, {6, 4, 2});       // a shared by every batch
  checkMatmul(rng, {6, 3, 4}, {4, 2});       // b shared by every batch
  checkMatmul(rng, {1, 3, 4}, {7, 4, 1});
  checkMatmul(rng, {0, 3, 4}, {4, 2});    // no batches
  checkMatmul(rng, {2, 0, 4}, {2, 4, 3}); // m = 0
  checkMatmul(rng, {2, 3, 0}, {2, 0, 3}); // k = 0: zeros
  checkMatmul(rng, {2, 3, 4}, {2, 4, 0}); // n = 0
}

TEST(MatmulKernelTest, MatchesReferenceOnRandomShapes) {
  std::mt19937 rng(6);
  auto dim = [&] {
    return randomInt(rng, 0, 5) == 0 ? 1 : randomInt(rng, 1, 9);
  };
  for (int trial = 0; trial < 40; ++trial) {
    int64_t m = dim(), k = dim(), n = dim();
    std::vector<int64_t> batch;
    for (int64_t i = randomInt(rng, 0, 2); i > 0; --i)
      batch.push_back(randomInt(rng, 1, 3));

    // Each operand keeps a suffix of the batch, some dims set to 1.
    auto operandBatch = [&] {
      std::vector<int64_t> dims(batch.end() - randomInt(rng, 0, batch.size()),
                                batch.end());
      for (int64_t &d : dims)
        d = randomInt(rng, 0, 2) == 0 ? 1 : d;
      return dims;
    };
    std::vector<int64_t> a = operandBatch(), b = operandBatch();
    a.insert(a.end(), {m, k});
    b.insert(b.end(), {k, n});
    if (trial % 7 == 0)
      a = {k};
    if (trial % 5 == 0)
      b = {k};
    checkMatmul(rng, a, b);
  }
}

TEST(MatmulKernelTest, ThreadsAgreeWithOneThread) {
  // Many batches split by batch; one batch splits its rows.
  for (auto [a, b] : {std::pair<std::vector<int64_t>, std::vector<int64_t>>{
                          {8, 16, 32}, {8, 32, 24}},
                      {{128, 64}, {64, 96}},
                      {{1, 96, 80}, {80, 3}}}) {
    std::mt19937 rng1(7), rng2(7);
    std::vector<float> one = checkMatmul(rng1, a, b, 1);
    std::vector<float> two = checkMatmul(rng2, a, b, 2);
    std::vector<double> oneAsDouble(one.begin(), one.end());
    expectClose(two, oneAsDouble, 1e-5, productTolerance(a.back()));
  }
}

} // namespace
