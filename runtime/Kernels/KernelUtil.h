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
#include <cassert>
#include <cmath>
#include <cstdint>
#include <vector>

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

/// 1 / (1 + e^-x), evaluated so that exp never overflows.
inline float sigmoidScalar(float x) {
  if (x >= 0.0f)
    return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}

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
    return mapInPlace(data, n, sigmoidScalar);
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
