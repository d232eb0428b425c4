//===- Dense.cpp - Fully connected layers and matrix products -------------===//
//
// dense   x viewed as [M, K], weight [units, K], optional bias [units]
//         -> [M, units] = act(x · weightᵀ + bias). With flatten=1, M is
//         x.dim(0) and K the product of the other dims; with flatten=0, K is
//         the last dim and M the product of the others.
// matmul  a [..., m, k] x b [..., k, n] -> [..., m, n], the batch dims
//         broadcast as in NumPy. A rank-1 a is [k] and the output has no m
//         dim; a rank-1 b is [k] and the output has no n dim.
//
// Products go through the packed gemm (Gemm.h), which splits its output
// between threads; dense packs its weight once when the step is prepared.
// A dense with fewer than kSmallBatchRows rows is a matrix-vector product
// bound by reading the weight: there Eigen computes each thread's share of
// the units, without packing.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "KernelFamilies.h"
#include "KernelUtil.h"

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

/// Batches with fewer rows than this multiply with Eigen's matrix-vector
/// style product instead of the packed gemm.
constexpr int64_t kSmallBatchRows = 8;

/// Output rows [row, row + rows) by columns [col, col + cols).
struct Block {
  int64_t row, rows, col, cols;
};

/// out[block] = act(x[block rows] · weight[block cols]ᵀ + bias[block cols]).
void denseBlock(ConstMatrixMap x, ConstMatrixMap weight, const float *bias,
                Activation act, MatrixMap out, Block b) {
  auto dst = out.block(b.row, b.col, b.rows, b.cols);
  if (x.cols() == 0)
    dst.setZero();
  else
    dst.noalias() = x.middleRows(b.row, b.rows) *
                    weight.middleRows(b.col, b.cols).transpose();

  const float *blockBias = bias ? bias + b.col : nullptr;
  for (int64_t r = b.row; r < b.row + b.rows; ++r)
    finishRow(out.data() + r * out.cols() + b.col, b.cols, blockBias,
              /*perRow=*/false, act);
}

/// The rows M of x viewed as [M, K], as the flatten attribute says:
/// [d0, d1, ..., dk] is [d0, d1*...*dk] or [d0*...*d(k-1), dk].
int64_t denseRows(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  return ctx.attrs.getInt("flatten") ? x.dim(0) : product(x.shape.drop_back());
}

/// dense's weight packed for the gemm as B = weightᵀ, once per set of
/// parameters rather than on every run.
class PreparedDense final : public PreparedStep {
public:
  explicit PreparedDense(const TensorView &weight)
      : packed(sourceOf(TransposedB{weight.f32(), weight.dim(1)}, weight.dim(1),
                        weight.dim(0))) {}
  int64_t getBytes() const override { return packed.bytes(); }

  PackedB packed;
};

std::unique_ptr<PreparedStep> prepareDense(const KernelContext &ctx) {
  const TensorView &weight = ctx.inputs[1];
  // Only the batches that go through the gemm read a packed weight.
  if (!weight.data || denseRows(ctx) < kSmallBatchRows ||
      weight.numElements() == 0)
    return nullptr;
  return std::make_unique<PreparedDense>(weight);
}

llvm::Error runDense(const KernelContext &ctx) {
  llvm::Expected<Activation> act =
      parseActivation("dense", ctx.attrs.getString("activation"));
  if (!act)
    return act.takeError();

  const TensorView &x = ctx.inputs[0], &weight = ctx.inputs[1];
  int64_t units = weight.dim(0), depth = weight.dim(1);
  int64_t rows = denseRows(ctx);
  assert(rows * depth == x.numElements() && "x does not match the weight");
  assert(rows * units == ctx.output.numElements() && "output is not [M, N]");

  ConstMatrixMap xm(x.f32(), rows, depth);
  ConstMatrixMap wm(weight.f32(), units, depth);
  MatrixMap out(ctx.output.f32(), rows, units);
  const float *bias = ctx.inputs.size() > 2 ? ctx.inputs[2].f32() : nullptr;

  // From a few rows up, the packed product wins: it reads each weight
  // block once per kMR rows. Below that, the product is a matrix-vector
  // one bound by reading the weight, and packing would only add a pass.
  if (rows >= kSmallBatchRows) {
    Epilogue epilogue;
    epilogue.bias = bias;
    epilogue.act = *act;
    TransposedB w{weight.f32(), depth};
    BSource source = sourceOf(w, depth, units);
    if (ctx.prepared)
      source =
          sourceOf(static_cast<const PreparedDense *>(ctx.prepared)->packed);
    gemm(x.f32(), rows, depth, source, ctx.output.f32(), units, epilogue,
         ctx.numThreads);
    return llvm::Error::success();
  }
  // Share out the output's units, so that a batch of one row still keeps
  // every thread busy.
  parallelChunks(
      units, rows * depth, ctx.numThreads, [&](int64_t begin, int64_t end) {
        denseBlock(xm, wm, bias, *act, out, {0, rows, begin, end - begin});
      });
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

/// How the operands of one matmul line up with its output.
struct MatmulLayout {
  int64_t m = 1, k = 1, n = 1;
  /// The output's batch dims: all but m and n (those present).
  llvm::SmallVector<int64_t, 4> batchShape;
  /// Per batch dim, the step between matrices of a and b, in elements
  /// (0 where the operand is broadcast).
  llvm::SmallVector<int64_t, 6> aStrides, bStrides;
};

MatmulLayout readMatmulLayout(const KernelContext &ctx) {
  const TensorView &a = ctx.inputs[0], &b = ctx.inputs[1];

  // A rank-1 a is one row [1, k]; a rank-1 b is one column [k, 1].
  bool aVector = a.rank() == 1, bVector = b.rank() == 1;
  MatmulLayout l;
  l.m = aVector ? 1 : a.dim(a.rank() - 2);
  l.k = a.shape.back();
  l.n = bVector ? 1 : b.shape.back();
  assert(l.k == (bVector ? b.dim(0) : b.dim(b.rank() - 2)) &&
         "inner dims must agree");

  // [batch..., m?, n?] -> [batch...]
  unsigned batchRank = ctx.output.rank() - !aVector - !bVector;
  llvm::ArrayRef<int64_t> batchShape = ctx.output.shape.take_front(batchRank);
  l.batchShape.assign(batchShape.begin(), batchShape.end());
  llvm::ArrayRef<int64_t> aBatch =
      aVector ? llvm::ArrayRef<int64_t>() : a.shape.drop_back(2);
  llvm::ArrayRef<int64_t> bBatch =
      bVector ? llvm::ArrayRef<int64_t>() : b.shape.drop_back(2);
  l.aStrides = broadcastStrides(aBatch, batchShape, l.m * l.k);
  l.bStrides = broadcastStrides(bBatch, batchShape, l.k * l.n);
  return l;
}

/// Output matrix `batch`: out = a · b, on up to `numThreads` threads.
void multiplyBatch(const MatmulLayout &l, const KernelContext &ctx,
                   int64_t batch, int numThreads) {
  const float *a =
      ctx.inputs[0].f32() + offsetOf(batch, l.batchShape, l.aStrides);
  RowMajorB b{ctx.inputs[1].f32() + offsetOf(batch, l.batchShape, l.bStrides),
              l.n};
  gemm(a, l.m, l.k, sourceOf(b, l.k, l.n), ctx.output.f32() + batch * l.m * l.n,
       l.n, Epilogue(), numThreads);
}

llvm::Error runMatmul(const KernelContext &ctx) {
  MatmulLayout l = readMatmulLayout(ctx);
  int64_t batches = product(l.batchShape);
  assert(batches * l.m * l.n == ctx.output.numElements() &&
         "output does not match the operands");

  // Whole matrices per thread when there are enough to go round; otherwise
  // each product shares itself out.
  if (batches >= ctx.numThreads) {
    parallelFor(batches, l.m * l.n * l.k, ctx.numThreads,
                [&](int64_t batch) { multiplyBatch(l, ctx, batch, 1); });
    return llvm::Error::success();
  }
  for (int64_t batch = 0; batch < batches; ++batch)
    multiplyBatch(l, ctx, batch, ctx.numThreads);
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerDenseKernels(KernelTable &table) {
  table["dense"] = {runDense, prepareDense};
  table["matmul"] = runMatmul;
}
