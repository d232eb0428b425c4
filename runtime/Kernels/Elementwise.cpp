//===- Elementwise.cpp - Unary, softmax and broadcasting binary kernels ---===//
//
// relu, sigmoid, tanh, gelu, identity, dropout  x -> x, element by element
//     (dropout is inference-only: a copy, its rate unused)
// softmax, log_softmax  x -> x along `axis` (non-negative), seen as
//     [outer, L, inner]; the max along L is subtracted first so that exp
//     cannot overflow, and log_softmax = x - max - log(sum(exp(x - max))).
// add, sub, mul, div  a, b -> out under NumPy broadcasting: the operands'
//     shapes are aligned to the right of out's, and a dim they lack or have
//     of size 1 repeats.
//
// The unary and binary kernels read each element of input 0 before they
// write the same element of the output, so they may run in place.
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <cstring>
#include <limits>
#include <optional>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

float tanhScalar(float x) { return std::tanh(x); }

/// out[i] = Op(x[i]); `Cost` is a rough count of multiply-adds per element.
template <float (*Op)(float), int64_t Cost>
llvm::Error runUnary(const KernelContext &ctx) {
  const float *in = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  parallelChunks(ctx.output.numElements(), Cost, ctx.numThreads,
                 [&](int64_t begin, int64_t end) {
                   for (int64_t i = begin; i < end; ++i)
                     out[i] = Op(in[i]);
                 });
  return llvm::Error::success();
}

llvm::Error runCopy(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  assert(x.numElements() == ctx.output.numElements() && "sizes differ");
  if (ctx.output.data != x.data && x.numElements() > 0)
    std::memcpy(ctx.output.data, x.data, x.numElements() * dtypeSize(x.dtype));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax (or log-softmax) of columns [begin, end) of block `outer`,
/// [L, inner], along L. `scratch` holds 2 * (end - begin) doubles.
template <bool Log>
void softmaxColumns(const AxisSplit &split, const float *in, float *out,
                    int64_t outer, int64_t begin, int64_t end,
                    double *scratch) {
  int64_t size = split.size, inner = split.inner, n = end - begin;
  const float *x = in + outer * size * inner + begin;
  float *y = out + outer * size * inner + begin;
  double *maxes = scratch, *sums = scratch + n;

  std::fill(maxes, maxes + n, -std::numeric_limits<double>::infinity());
  std::fill(sums, sums + n, 0.0);
  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i)
      maxes[i] = std::max<double>(maxes[i], x[l * inner + i]);
  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i)
      sums[i] += std::exp(x[l * inner + i] - maxes[i]);

  // log_softmax never takes the log of a ratio, so a tiny probability keeps
  // its precision instead of rounding to log(0).
  for (int64_t i = 0; i < n; ++i)
    sums[i] = Log ? maxes[i] + std::log(sums[i]) : 1.0 / sums[i];
  for (int64_t l = 0; l < size; ++l)
    for (int64_t i = 0; i < n; ++i) {
      double v = x[l * inner + i];
      y[l * inner + i] = static_cast<float>(
          Log ? v - sums[i] : std::exp(v - maxes[i]) * sums[i]);
    }
}

template <bool Log> llvm::Error runSoftmax(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  AxisSplit split = splitAtAxis(x.shape, ctx.attrs.getInt("axis"));
  const float *in = x.f32();
  float *out = ctx.output.f32();
  forEachColumnSlice(
      split, ctx.numThreads, /*scratchPerColumn=*/2,
      [&](int64_t outer, int64_t begin, int64_t end, double *scratch) {
        softmaxColumns<Log>(split, in, out, outer, begin, end, scratch);
      });
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

struct AddOp {
  float operator()(float a, float b) const { return a + b; }
};
struct SubOp {
  float operator()(float a, float b) const { return a - b; }
};
struct MulOp {
  float operator()(float a, float b) const { return a * b; }
};
struct DivOp {
  float operator()(float a, float b) const { return a / b; }
};

/// Operands and output of one binary step, as flat arrays.
struct BinaryArgs {
  const float *a, *b;
  float *out;
};

template <typename Op>
void binarySameShape(const BinaryArgs &args, int64_t n, int numThreads) {
  parallelChunks(n, 1, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      args.out[i] = Op()(args.a[i], args.b[i]);
  });
}

/// When b varies along one axis of out only (or not at all), out splits
/// around that axis as [outer, L, inner] and b is a vector [L]; otherwise
/// there is no such axis.
std::optional<AxisSplit> vectorAxis(llvm::ArrayRef<int64_t> b,
                                    llvm::ArrayRef<int64_t> out) {
  std::optional<size_t> axis;
  for (size_t i = 0; i < b.size(); ++i) {
    if (b[i] == 1)
      continue;
    if (axis)
      return std::nullopt;
    axis = out.size() - b.size() + i;
  }
  if (!axis)
    return AxisSplit{1, 1, product(out)};
  return splitAtAxis(out, *axis);
}

// [outer, L, inner] op [L]
template <typename Op>
void binaryVector(const BinaryArgs &args, const AxisSplit &split,
                  int numThreads) {
  int64_t size = split.size, inner = split.inner;
  if (inner == 1) {
    // A vector along the last axis: each row [L] meets all of b.
    parallelFor(split.outer, size, numThreads, [&](int64_t row) {
      for (int64_t l = 0; l < size; ++l)
        args.out[row * size + l] = Op()(args.a[row * size + l], args.b[l]);
    });
    return;
  }
  parallelFor(split.outer * size, inner, numThreads, [&](int64_t row) {
    float bv = args.b[row % size];
    for (int64_t i = 0; i < inner; ++i)
      args.out[row * inner + i] = Op()(args.a[row * inner + i], bv);
  });
}

// The general case: out [rows, last], each operand read through its
// broadcast strides.
template <typename Op>
void binaryBroadcast(const BinaryArgs &args, const KernelContext &ctx) {
  llvm::ArrayRef<int64_t> shape = ctx.output.shape;
  assert(!shape.empty() && "rank-0 operands all have the output's shape");
  llvm::SmallVector<int64_t, 6> aStrides =
      broadcastStrides(ctx.inputs[0].shape, shape);
  llvm::SmallVector<int64_t, 6> bStrides =
      broadcastStrides(ctx.inputs[1].shape, shape);
  llvm::ArrayRef<int64_t> rowShape = shape.drop_back();
  int64_t last = shape.back(), aStep = aStrides.back(), bStep = bStrides.back();

  parallelFor(product(rowShape), last, ctx.numThreads, [&](int64_t row) {
    const float *a = args.a + offsetOf(row, rowShape, aStrides);
    const float *b = args.b + offsetOf(row, rowShape, bStrides);
    float *out = args.out + row * last;
    for (int64_t j = 0; j < last; ++j)
      out[j] = Op()(a[j * aStep], b[j * bStep]);
  });
}

template <typename Op> llvm::Error runBinary(const KernelContext &ctx) {
  const TensorView &a = ctx.inputs[0], &b = ctx.inputs[1];
  const TensorView &out = ctx.output;
  BinaryArgs args{a.f32(), b.f32(), out.f32()};
  if (out.numElements() == 0)
    return llvm::Error::success();

  if (a.shape == out.shape && b.shape == out.shape) {
    binarySameShape<Op>(args, out.numElements(), ctx.numThreads);
    return llvm::Error::success();
  }
  if (a.shape == out.shape)
    if (std::optional<AxisSplit> split = vectorAxis(b.shape, out.shape)) {
      binaryVector<Op>(args, *split, ctx.numThreads);
      return llvm::Error::success();
    }
  binaryBroadcast<Op>(args, ctx);
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerElementwiseKernels(KernelTable &table) {
  table["relu"] = runUnary<reluScalar, 1>;
  table["sigmoid"] = runUnary<sigmoidScalar, 16>;
  table["tanh"] = runUnary<tanhScalar, 16>;
  table["gelu"] = runUnary<geluScalar, 16>;
  table["identity"] = runCopy;
  table["dropout"] = runCopy;
  table["softmax"] = runSoftmax</*Log=*/false>;
  table["log_softmax"] = runSoftmax</*Log=*/true>;
  table["add"] = runBinary<AddOp>;
  table["sub"] = runBinary<SubOp>;
  table["mul"] = runBinary<MulOp>;
  table["div"] = runBinary<DivOp>;
}
