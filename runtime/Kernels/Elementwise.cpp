//===- Elementwise.cpp - Unary, softmax and broadcasting binary kernels ---===//
//
// relu, sigmoid, tanh, gelu, identity, dropout  x -> x, element by element
//     (dropout is inference-only: a copy, its rate unused)
// softmax, log_softmax  x -> x along `axis` (non-negative), seen as
//     [outer, L, inner]; the max along L is subtracted first so that exp
//     cannot overflow, and log_softmax = x - max - log(sum(exp(x - max))).
//     Along a last axis each row is computed in float with fastExp, its
//     sum kept in double.
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

/// out[i] = Op(x[i]) eight lanes at a time, for the functions that have a
/// vector form.
template <Float8 (*Op)(Float8), int64_t Cost>
llvm::Error runUnaryFloat8(const KernelContext &ctx) {
  const float *in = ctx.inputs[0].f32();
  float *out = ctx.output.f32();
  parallelChunks(ctx.output.numElements(), Cost, ctx.numThreads,
                 [&](int64_t begin, int64_t end) {
                   mapFloat8(in + begin, out + begin, end - begin, Op);
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

/// The largest of the `n` floats at `x` (-infinity for none).
float rowMax(const float *x, int64_t n) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // Two vectors of running maxima hide the latency of the selects.
  Float8 lanes[2] = {Float8{} - kInf, Float8{} - kInf};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 2; ++k) {
      Float8 v;
      loadFloat8(v, x + i + 8 * k);
      lanes[k] = lanes[k] < v ? v : lanes[k];
    }
  float max = -kInf;
  for (; i < n; ++i)
    max = std::max(max, x[i]);
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 8; ++j)
      max = std::max(max, lanes[k][j]);
  return max;
}

/// The sum, in double, of e^(x[i] - max) over the `n` floats at `x`. Each
/// exponential is also stored to y[i] when `y` is not null; `y` may be `x`.
double sumExp(const float *x, float max, float *y, int64_t n) {
  // Exponentials go through a block on the stack when not stored, so that
  // the block stays in L1 between the two loops.
  constexpr int64_t kBlock = 256;
  float block[kBlock];
  double sum = 0.0;
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    int64_t len = std::min(kBlock, n - begin);
    float *e = y ? y + begin : block;
    expShifted(x + begin, max, e, len);
    sum += sumInDouble(e, len);
  }
  return sum;
}

/// Softmax (or log-softmax) of one contiguous row of `n` floats: the case
/// of a last axis, where each row is a line and fits in cache, so it is
/// read three times in float rather than through double scratch columns.
template <bool Log> void softmaxRow(const float *x, float *y, int64_t n) {
  float max = rowMax(x, n);
  if (Log) {
    // As in softmaxColumns, the shift is kept in double so that a large
    // max does not round away the small difference x - shift.
    double shift = max + std::log(sumExp(x, max, nullptr, n));
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<float>(x[i] - shift);
    return;
  }
  float scale = static_cast<float>(1.0 / sumExp(x, max, y, n));
  for (int64_t i = 0; i < n; ++i)
    y[i] *= scale;
}

template <bool Log> llvm::Error runSoftmax(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  AxisSplit split = splitAtAxis(x.shape, ctx.attrs.getInt("axis"));
  const float *in = x.f32();
  float *out = ctx.output.f32();
  if (split.inner == 1) {
    // [outer, L]: whole rows to each thread, so the result does not depend
    // on the thread count.
    int64_t size = split.size;
    parallelFor(split.outer, /*costPerItem=*/16 * size, ctx.numThreads,
                [&](int64_t row) {
                  softmaxRow<Log>(in + row * size, out + row * size, size);
                });
    return llvm::Error::success();
  }

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
  table["sigmoid"] = runUnaryFloat8<sigmoidFloat8, 4>;
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
