//===- KernelTestUtil.h - Helpers for the kernel tests ----------*- C++ -*-===//
//
// The kernel tests run a registered kernel on tensors held in std::vector
// storage and compare its output with a plain-loop reference that
// accumulates in double. Tensors are filled from a seeded std::mt19937, so
// every run sees the same values.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_TESTS_UNIT_RUNTIME_KERNELTESTUTIL_H
#define SHAPEFLOW_TESTS_UNIT_RUNTIME_KERNELTESTUTIL_H

#include "shapeflow/Runtime/Kernel.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace shapeflow::test {

/// The product of `shape` (1 for none).
inline int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// A dense row-major tensor that owns its storage.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<int64_t> i64;

  int64_t numElements() const { return test::numElements(shape); }
  /// A view of the storage; valid while this tensor lives and keeps its size.
  TensorView view() {
    void *data = dtype == DType::F32 ? static_cast<void *>(f32.data())
                                     : static_cast<void *>(i64.data());
    return {dtype, shape, data};
  }
};

/// An f32 tensor of zeros.
inline HostTensor zeros(std::vector<int64_t> shape) {
  HostTensor t;
  t.shape = std::move(shape);
  t.f32.assign(t.numElements(), 0.0f);
  return t;
}

/// An f32 tensor of values drawn uniformly from [lo, hi).
inline HostTensor randomTensor(std::mt19937 &rng, std::vector<int64_t> shape,
                               float lo = -1.0f, float hi = 1.0f) {
  HostTensor t = zeros(std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float &v : t.f32)
    v = dist(rng);
  return t;
}

/// An integer drawn uniformly from [lo, hi].
inline int64_t randomInt(std::mt19937 &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

inline PlanAttr intAttr(std::string name, int64_t value) {
  return {std::move(name), value};
}
inline PlanAttr floatAttr(std::string name, double value) {
  return {std::move(name), value};
}
inline PlanAttr intsAttr(std::string name, std::vector<int64_t> value) {
  return {std::move(name), std::move(value)};
}
inline PlanAttr stringAttr(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

/// What kernel `name`'s PrepareFn makes when it sees the data of the
/// inputs numbered in `params` only (the others and the output carry their
/// shapes, as in Executor::prepare); null when it makes nothing or has no
/// PrepareFn.
inline std::unique_ptr<PreparedStep>
prepareKernel(llvm::StringRef name, std::vector<HostTensor *> inputs,
              HostTensor &out, const std::vector<PlanAttr> &attrs,
              const std::vector<size_t> &params) {
  KernelInfo info = lookupKernelInfo(name);
  if (!info.prepare)
    return nullptr;
  std::vector<TensorView> known;
  for (size_t i = 0; i < inputs.size(); ++i) {
    known.push_back(inputs[i]->view());
    if (!llvm::is_contained(params, i))
      known.back().data = nullptr;
  }
  TensorView shapeOnly = out.view();
  shapeOnly.data = nullptr;
  return info.prepare({known, shapeOnly, KernelAttrs(attrs)});
}

/// Runs kernel `name` with `prepared` as the state of its step.
inline llvm::Error
runKernelWith(llvm::StringRef name, std::vector<HostTensor *> inputs,
              HostTensor &out, const std::vector<PlanAttr> &attrs,
              const PreparedStep *prepared, int numThreads = 1) {
  KernelFn fn = lookupKernel(name);
  if (!fn)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   ("no kernel named '" + name + "'").str());
  std::vector<TensorView> views;
  for (HostTensor *t : inputs)
    views.push_back(t->view());
  return fn({views, out.view(), KernelAttrs(attrs), numThreads, prepared});
}

/// Runs kernel `name` on `inputs`, writing `out`, with `numThreads`.
inline llvm::Error runKernel(llvm::StringRef name,
                             std::vector<HostTensor *> inputs, HostTensor &out,
                             const std::vector<PlanAttr> &attrs = {},
                             int numThreads = 1) {
  return runKernelWith(name, std::move(inputs), out, attrs,
                       /*prepared=*/nullptr, numThreads);
}

/// Runs kernel `name` as the executor runs a prepared step: prepareKernel,
/// then the run with what it made; `prepared` tells whether it made
/// anything.
inline llvm::Error runKernelPrepared(llvm::StringRef name,
                                     std::vector<HostTensor *> inputs,
                                     HostTensor &out,
                                     const std::vector<PlanAttr> &attrs,
                                     const std::vector<size_t> &params,
                                     int numThreads, bool &prepared) {
  std::unique_ptr<PreparedStep> state =
      prepareKernel(name, inputs, out, attrs, params);
  prepared = state != nullptr;
  return runKernelWith(name, inputs, out, attrs, state.get(), numThreads);
}

/// Fails the test, with the message, when `err` is an error.
inline void expectOk(llvm::Error err) {
  if (err)
    ADD_FAILURE() << llvm::toString(std::move(err));
}

/// Prints a shape as "[2, 3]".
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Expects |actual - expected| <= atol + rtol * |expected| everywhere,
/// with infinities matching exactly; reports the first mismatch only.
inline void expectClose(const std::vector<float> &actual,
                        const std::vector<double> &expected, double rtol,
                        double atol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    bool ok =
        std::isinf(e) ? a == e : std::abs(a - e) <= atol + rtol * std::abs(e);
    if (!ok) {
      ADD_FAILURE() << "element " << i << ": got " << a << ", expected " << e
                    << " (rtol " << rtol << ", atol " << atol << ")";
      return;
    }
  }
}

/// Expects both tensors to hold the same bits (NaNs included).
inline void expectIdentical(const std::vector<float> &a,
                            const std::vector<float> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      ADD_FAILURE() << "element " << i << ": " << a[i] << " vs " << b[i];
      return;
    }
}

/// The activations dense and conv2d fuse, "" meaning none.
inline const std::vector<std::string> &activationNames() {
  static const std::vector<std::string> names = {"", "relu", "sigmoid", "tanh",
                                                 "gelu"};
  return names;
}

/// The activation `name` applied to `x`, straight from its definition.
inline double referenceActivation(double x, llvm::StringRef name) {
  if (name == "relu")
    return x > 0 ? x : 0;
  if (name == "sigmoid")
    return 1 / (1 + std::exp(-x));
  if (name == "tanh")
    return std::tanh(x);
  if (name == "gelu")
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  return x;
}

/// The NumPy broadcast of two shapes, assumed compatible.
inline std::vector<int64_t> broadcastShape(std::vector<int64_t> a,
                                           std::vector<int64_t> b) {
  if (a.size() < b.size())
    std::swap(a, b);
  size_t lead = a.size() - b.size();
  for (size_t i = 0; i < b.size(); ++i)
    if (a[lead + i] == 1)
      a[lead + i] = b[i];
  return a;
}

/// The multi-index of the `linear`-th position of `shape`, row-major.
inline std::vector<int64_t> unravel(int64_t linear,
                                    const std::vector<int64_t> &shape) {
  std::vector<int64_t> index(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    index[i] = linear % shape[i];
    linear /= shape[i];
  }
  return index;
}

/// The linear position in `shape` that index `outIndex` of a larger shape
/// reads under NumPy broadcasting (right-aligned, size-1 dims repeat).
inline int64_t broadcastIndex(const std::vector<int64_t> &outIndex,
                              const std::vector<int64_t> &shape) {
  size_t lead = outIndex.size() - shape.size();
  int64_t linear = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    linear = linear * shape[i] + (shape[i] == 1 ? 0 : outIndex[lead + i]);
  return linear;
}

} // namespace shapeflow::test

#endif // SHAPEFLOW_TESTS_UNIT_RUNTIME_KERNELTESTUTIL_H
