//===- Tensor.cpp - Owned, dense, row-major tensors -----------------------===//

#include "shapeflow/Runtime/Tensor.h"
#include "shapeflow/Runtime/Random.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

using namespace shapeflow;

namespace {

constexpr std::size_t kAlignment = 64;

struct AlignedDelete {
  void operator()(std::byte *p) const {
    ::operator delete[](p, std::align_val_t(kAlignment));
  }
};

std::shared_ptr<std::byte[]> allocate(int64_t bytes) {
  // Round up so a zero-byte tensor still has a valid pointer.
  std::size_t size = std::max<int64_t>(bytes, 1);
  auto *p = static_cast<std::byte *>(
      ::operator new[](size, std::align_val_t(kAlignment)));
  std::memset(p, 0, size);
  return std::shared_ptr<std::byte[]>(p, AlignedDelete());
}

} // namespace

std::string shapeflow::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

llvm::Expected<int64_t> Tensor::checkedByteSize(DType dtype,
                                                llvm::ArrayRef<int64_t> shape) {
  int64_t bytes = dtypeSize(dtype);
  for (int64_t d : shape)
    if (d < 0)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "shape %s has a negative dimension",
                                     formatShape(shape).c_str());
  // An empty dim makes the tensor empty whatever the others are.
  if (llvm::is_contained(shape, 0))
    return 0;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(bytes, d, &bytes))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "shape %s is too large to allocate",
                                     formatShape(shape).c_str());
  }
  return bytes;
}

llvm::Expected<Tensor> Tensor::zeros(DType dtype,
                                     llvm::ArrayRef<int64_t> shape) {
  auto bytes = checkedByteSize(dtype, shape);
  if (!bytes)
    return bytes.takeError();
  Tensor t;
  t.dtype = dtype;
  t.shapeDims.assign(shape.begin(), shape.end());
  try {
    t.storage = allocate(*bytes);
  } catch (const std::bad_alloc &) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot allocate %lld bytes for shape %s",
                                   static_cast<long long>(*bytes),
                                   formatShape(shape).c_str());
  }
  return t;
}

Tensor Tensor::uniform(llvm::ArrayRef<int64_t> shape, uint64_t seed, float lo,
                       float hi) {
  Tensor t = llvm::cantFail(zeros(DType::F32, shape));
  RandomStream rng(seed, "tensor");
  float *data = t.f32();
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i)
    data[i] = rng.uniform(lo, hi);
  return t;
}

Tensor Tensor::fromVector(llvm::ArrayRef<int64_t> shape,
                          llvm::ArrayRef<float> values) {
  Tensor t = llvm::cantFail(zeros(DType::F32, shape));
  assert(t.getNumElements() == int64_t(values.size()) &&
         "value count must match the shape");
  std::copy(values.begin(), values.end(), t.f32());
  return t;
}

int64_t Tensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shapeDims)
    n *= d;
  return n;
}

Tensor Tensor::clone() const {
  Tensor t = llvm::cantFail(zeros(dtype, shapeDims));
  std::memcpy(t.raw(), raw(), getByteSize());
  return t;
}

std::string Tensor::shapeStr() const { return formatShape(shapeDims); }

void Tensor::printSummary(llvm::raw_ostream &os, unsigned maxValues) const {
  os << dtypeName(dtype) << shapeStr();
  int64_t n = getNumElements();
  auto value = [&](int64_t i) {
    return dtype == DType::F32 ? double(f32()[i]) : double(i64()[i]);
  };
  double sum = 0, sumSq = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += value(i);
  double mean = n ? sum / n : 0;
  for (int64_t i = 0; i < n; ++i)
    sumSq += (value(i) - mean) * (value(i) - mean);
  double std = n ? std::sqrt(sumSq / n) : 0;
  // Four significant digits, so small values do not print as 0.00.
  auto g = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.4g", v);
    return std::string(buffer);
  };
  os << "  mean " << g(mean) << " std " << g(std) << " [";
  for (int64_t i = 0; i < n && i < maxValues; ++i)
    os << (i ? ", " : "") << g(value(i));
  os << (n > maxValues ? ", ...]" : "]");
}
