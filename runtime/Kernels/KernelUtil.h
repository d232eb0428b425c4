//===- KernelUtil.h - Helpers shared by the kernel families -----*- C++ -*-===//
//
// Private to runtime/Kernels: Eigen maps over row-major views, the fused
// activations of dense and conv2d, index arithmetic for broadcasting and
// axis splits, and the OpenMP helpers that split work across the threads a
// step may use.
//
// Eigen would otherwise parallelise large products on its own, with as many
// threads as OpenMP allows, whatever KernelContext::numThreads says. Every
// kernel file includes this header before any Eigen header, so the define
// below keeps each product on the thread that calls it; kernels split
// their work across threads themselves.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_KERNELS_KERNELUTIL_H
#define SHAPEFLOW_RUNTIME_KERNELS_KERNELUTIL_H

#if defined(EIGEN_CORE_H) && !defined(EIGEN_DONT_PARALLELIZE)
#error "include KernelUtil.h before any Eigen header"
#endif
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "shapeflow/Runtime/Kernel.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"

// GCC 12 warns, wrongly, about an uninitialised value inside the AVX-512
// intrinsics Eigen's packet transposes use.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace shapeflow::kernels {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// An error whose message llvm::formatv builds from `fmt` and `args`.
template <typename... Ts>
llvm::Error makeKernelError(const char *fmt, Ts &&...args) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv(fmt, std::forward<Ts>(args)...).str());
}

//===----------------------------------------------------------------------===//
// Eigen maps
//===----------------------------------------------------------------------===//

using RowMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

//===----------------------------------------------------------------------===//
// Shapes and indices
//===----------------------------------------------------------------------===//

/// The product of `dims` (1 for none).
inline int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// A shape seen as [outer, axis, inner] around one axis.
struct AxisSplit {
  int64_t outer = 1;
  int64_t size = 1;
  int64_t inner = 1;
};

/// Splits `shape` around `axis`, which must be a valid axis.
inline AxisSplit splitAtAxis(llvm::ArrayRef<int64_t> shape, int64_t axis) {
  assert(axis >= 0 && axis < static_cast<int64_t>(shape.size()) &&
         "lowering normalises axes");
  return {product(shape.take_front(axis)), shape[axis],
          product(shape.drop_front(axis + 1))};
}

/// Strides, in elements, of `shape` laid out row-major, each multiplied by
/// `unit` (the size of one element of the last dim).
inline llvm::SmallVector<int64_t, 6>
rowMajorStrides(llvm::ArrayRef<int64_t> shape, int64_t unit = 1) {
  llvm::SmallVector<int64_t, 6> strides(shape.size());
  int64_t stride = unit;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/// Strides that read a tensor of shape `shape` at each position of `target`
/// under NumPy broadcasting: `shape` is aligned to the right of `target`,
/// and a dim it lacks or has of size 1 gets stride 0. `unit` scales every
/// stride (the size of one element, in elements).
inline llvm::SmallVector<int64_t, 6>
broadcastStrides(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> target,
                 int64_t unit = 1) {
  assert(shape.size() <= target.size() && "broadcast cannot drop dims");
  llvm::SmallVector<int64_t, 6> own = rowMajorStrides(shape, unit);
  llvm::SmallVector<int64_t, 6> strides(target.size(), 0);
  size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1)
      strides[lead + i] = own[i];
  return strides;
}

/// The offset of the `linear`-th position of `shape` (row-major order) in a
/// tensor read with `strides`.
inline int64_t offsetOf(int64_t linear, llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<int64_t> strides) {
  int64_t offset = 0;
  for (size_t i = shape.size(); i-- > 0;) {
    offset += (linear % shape[i]) * strides[i];
    linear /= shape[i];
  }
  return offset;
}

//===----------------------------------------------------------------------===//
// Vectorisable math
//===----------------------------------------------------------------------===//

/// Eight floats as one vector (a GCC and Clang extension). Loops whose
/// bodies select with comparisons do not vectorise on their own under the
/// default -ftrapping-math, so the kernels that need them spell out the
/// vectors with this type.
using Float8 = float __attribute__((vector_size(32)));
using Int8 = int32_t __attribute__((vector_size(32)));

/// Loads eight floats from `p`, which need not be aligned.
inline void loadFloat8(Float8 &v, const float *p) {
  std::memcpy(&v, p, sizeof(Float8));
}
/// Stores eight floats to `p`, which need not be aligned.
inline void storeFloat8(float *p, const Float8 &v) {
  std::memcpy(p, &v, sizeof(Float8));
}

/// e^v, lane by lane. See expShifted for the accuracy.
///
/// v = n ln2 + r with |r| <= ln2 / 2; e^r comes from its Taylor series to
/// degree 7 (the first term left out is below 2^-27 relative) and 2^n from
/// exponent bits.
inline Float8 expFloat8(Float8 v) {
  constexpr float kLog2e = 1.44269504088896341f;
  // ln 2 = kLn2Hi + kLn2Lo, where kLn2Hi (355/512) has so few bits that
  // n * kLn2Hi is exact for every n the clamp allows.
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  // Adding 1.5 * 2^23 rounds to an integer in the low mantissa bits.
  constexpr float kRound = 12582912.0f;
  const Float8 zero = {};

  // The clamp keeps n within [-150, 128], where 2^n still overflows or
  // underflows as e^x would; a NaN fails both comparisons and stays NaN.
  v = v < -104.0f ? zero - 104.0f : v;
  v = v > 89.0f ? zero + 89.0f : v;
  Float8 shifted = v * kLog2e + kRound;
  Float8 n = shifted - kRound;
  Int8 exponent = std::bit_cast<Int8>(shifted) - std::bit_cast<int32_t>(kRound);
  Float8 r = v - n * kLn2Hi;
  r = r - n * kLn2Lo;

  Float8 p = zero + 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;

  // 2^n as two factors 2^half * 2^(n - half), each a normal float, so that
  // results near the ends of the range round once, correctly, to a
  // subnormal or to infinity.
  Int8 half = exponent >> 1;
  Float8 lo = std::bit_cast<Float8>((half + 127) << 23);
  Float8 hi = std::bit_cast<Float8>((exponent - half + 127) << 23);
  return p * lo * hi;
}

#if defined(__AVX2__)
/// A mask for _mm256_maskload_ps and _mm256_maskstore_ps: lanes [0, n).
inline __m256i firstLanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

/// Loads the first n < 8 floats at `p` into a vector whose other lanes
/// are 0, without touching memory past them.
inline Float8 loadFloat8Partial(const float *p, int64_t n) {
#if defined(__AVX2__)
  // A masked load: one instruction instead of a copy through the stack,
  // which for short rows (an epilogue on 7 or 28 outputs) costs as much as
  // the vectors before it.
  return std::bit_cast<Float8>(_mm256_maskload_ps(p, firstLanes(n)));
#else
  float lanes[8] = {};
  std::memcpy(lanes, p, n * sizeof(float));
  Float8 v;
  loadFloat8(v, lanes);
  return v;
#endif
}

/// Stores the first n < 8 lanes of `v` to `p`, touching nothing past them.
inline void storeFloat8Partial(float *p, Float8 v, int64_t n) {
#if defined(__AVX2__)
  _mm256_maskstore_ps(p, firstLanes(n), std::bit_cast<__m256>(v));
#else
  float lanes[8];
  storeFloat8(lanes, v);
  std::memcpy(p, lanes, n * sizeof(float));
#endif
}

/// Applies `op`, a function from Float8 to Float8, to the `n` floats at
/// `x` and stores the results to `y`, which may be `x`. The tail goes
/// through a zero-padded vector, so every element sees the same arithmetic
/// whatever its position: results do not depend on how work is split.
template <typename Op>
inline void mapFloat8(const float *x, float *y, int64_t n, Op op) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Float8 v;
    loadFloat8(v, x + i);
    storeFloat8(y + i, op(v));
  }
  if (i < n)
    storeFloat8Partial(y + i, op(loadFloat8Partial(x + i, n - i)), n - i);
}

/// 1 / (1 + e^-v), lane by lane: within a few ulp of the exact value.
/// e^-v overflows to infinity for v below about -88.7, giving 0 (the exact
/// value is below 2^-127 there); NaN stays NaN.
inline Float8 sigmoidFloat8(Float8 v) { return 1.0f / (1.0f + expFloat8(-v)); }

/// Stores e^(x[i] - shift) to y[i] for the `n` floats at `x`; `y` may be
/// `x`. Within about 2 ulp of the exact value for results in the normal
/// range; smaller results lose precision gradually and round to 0 below
/// about e^-103, results above e^88.72 are +infinity, -infinity gives 0
/// and NaN stays NaN.
inline void expShifted(const float *x, float shift, float *y, int64_t n) {
  mapFloat8(x, y, n, [shift](Float8 v) { return expFloat8(v - shift); });
}

/// The sum of the `n` floats at `x`, accumulated in double. Eight partial
/// sums, one per lane, let the loop vectorise; their order depends only on
/// `n`, so the result does not depend on how a caller splits its work.
inline double sumInDouble(const float *x, int64_t n) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k)
      lanes[k] += x[i + k];
  double sum = 0.0;
  for (; i < n; ++i)
    sum += x[i];
  for (int k = 0; k < kLanes; ++k)
    sum += lanes[k];
  return sum;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

enum class Activation { None, Relu, Sigmoid, Tanh, Gelu };

/// Parses the `activation` attribute of `kernel`; "" is Activation::None.
inline llvm::Expected<Activation> parseActivation(llvm::StringRef kernel,
                                                  llvm::StringRef name) {
  if (name.empty())
    return Activation::None;
  if (name == "relu")
    return Activation::Relu;
  if (name == "sigmoid")
    return Activation::Sigmoid;
  if (name == "tanh")
    return Activation::Tanh;
  if (name == "gelu")
    return Activation::Gelu;
  return makeKernelError("{0}: activation '{1}' is not supported", kernel,
                         name);
}

// Written as `x < 0 ? 0 : x` so that NaN passes through.
inline float reluScalar(float x) { return x < 0.0f ? 0.0f : x; }

/// The exact GELU: 0.5 x (1 + erf(x / sqrt(2))).
inline float geluScalar(float x) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2));
}

/// Applies `op` to each of the `n` floats at `data`, in place.
template <typename Op> void mapInPlace(float *data, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i)
    data[i] = op(data[i]);
}

/// Applies `act` to the `n` floats at `data`, in place.
inline void applyActivation(float *data, int64_t n, Activation act) {
  switch (act) {
  case Activation::None:
    return;
  case Activation::Relu:
    return mapInPlace(data, n, reluScalar);
  case Activation::Sigmoid:
    return mapFloat8(data, data, n, sigmoidFloat8);
  case Activation::Tanh:
    return mapInPlace(data, n, [](float x) { return std::tanh(x); });
  case Activation::Gelu:
    return mapInPlace(data, n, geluScalar);
  }
}

/// The epilogue of dense and conv2d on one row of `n` outputs: adds `bias`
/// (n values, or one value each when `perRow`, or nothing when null), then
/// applies `act`.
inline void finishRow(float *row, int64_t n, const float *bias, bool perRow,
                      Activation act) {
  if (bias && perRow)
    mapInPlace(row, n, [b = *bias](float x) { return x + b; });
  else if (bias)
    for (int64_t j = 0; j < n; ++j)
      row[j] += bias[j];
  applyActivation(row, n, act);
}

//===----------------------------------------------------------------------===//
// Scratch
//===----------------------------------------------------------------------===//

/// A buffer of at least `n` floats private to the calling thread, reused
/// from call to call so that kernels do not allocate once warm; `Slot`
/// tells apart buffers a thread holds at the same time.
template <int Slot> float *threadScratch(int64_t n) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < n)
    buffer.resize(n);
  return buffer.data();
}

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

/// Work, in rough multiply-adds, below which starting threads costs more
/// than it saves.
constexpr int64_t kMinParallelWork = 1 << 15;

/// Calls fn(begin, end) on contiguous slices that cover [0, n), one slice
/// per thread, using up to `numThreads` threads when `n * costPerItem` is
/// worth it. Slices never overlap, so fn may write its slice freely.
template <typename Fn>
void parallelChunks(int64_t n, int64_t costPerItem, int numThreads, Fn &&fn) {
  if (n <= 0)
    return;
  int64_t chunks = 1;
  if (numThreads > 1 &&
      n * std::max<int64_t>(costPerItem, 1) >= kMinParallelWork)
    chunks = std::min<int64_t>(numThreads, n);
  if (chunks == 1)
    return fn(int64_t(0), n);

#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c)
    fn(n * c / chunks, n * (c + 1) / chunks);
}

/// Calls fn(i) for each i in [0, n), split across threads as
/// parallelChunks does.
template <typename Fn>
void parallelFor(int64_t n, int64_t costPerItem, int numThreads, Fn &&fn) {
  parallelChunks(n, costPerItem, numThreads, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      fn(i);
  });
}

/// Calls fn(outer, begin, end, scratch) so that the calls cover columns
/// [0, inner) of every block [0, outer) of an [outer, L, inner] split: whole
/// blocks go to the threads when there are enough of them, slices of each
/// block's columns otherwise. `scratch` holds scratchPerColumn doubles per
/// column of the call, private to the thread.
template <typename Fn>
void forEachColumnSlice(const AxisSplit &split, int numThreads,
                        int64_t scratchPerColumn, Fn &&fn) {
  int64_t blockCost = split.size * split.inner;
  if (split.outer >= numThreads) {
    parallelChunks(
        split.outer, blockCost, numThreads, [&](int64_t begin, int64_t end) {
          std::vector<double> scratch(scratchPerColumn * split.inner);
          for (int64_t o = begin; o < end; ++o)
            fn(o, int64_t(0), split.inner, scratch.data());
        });
    return;
  }

  for (int64_t o = 0; o < split.outer; ++o)
    parallelChunks(
        split.inner, split.size, numThreads, [&](int64_t begin, int64_t end) {
          std::vector<double> scratch(scratchPerColumn * (end - begin));
          fn(o, begin, end, scratch.data());
        });
}

} // namespace shapeflow::kernels

#endif // SHAPEFLOW_RUNTIME_KERNELS_KERNELUTIL_H
