//===- Tensor.h - Owned, dense, row-major tensors ---------------*- C++ -*-===//
//
// A Tensor shares ownership of 64-byte aligned storage, so copies are cheap
// and a parameter's data can be handed out without copying. Creating one
// checks the shape (no negative dims, no overflow of the byte size) before
// anything is allocated.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_TENSOR_H
#define SHAPEFLOW_RUNTIME_TENSOR_H

#include "shapeflow/Runtime/Kernel.h"
#include "shapeflow/Support/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shapeflow {

class Tensor {
public:
  /// An empty f32 tensor of shape [0].
  Tensor() : shapeDims{0} {}

  /// A zero-filled tensor. Fails on a negative dim or a byte size that
  /// overflows 63 bits.
  static llvm::Expected<Tensor> zeros(DType dtype,
                                      llvm::ArrayRef<int64_t> shape);
  /// An f32 tensor filled from U[lo, hi) by the same generator that
  /// initializers use, so it is reproducible on every machine.
  static Tensor uniform(llvm::ArrayRef<int64_t> shape, uint64_t seed,
                        float lo = -1, float hi = 1);
  /// An f32 tensor holding `values` (whose size must match the shape).
  static Tensor fromVector(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<float> values);

  DType getDType() const { return dtype; }
  llvm::ArrayRef<int64_t> getShape() const { return shapeDims; }
  unsigned getRank() const { return shapeDims.size(); }
  int64_t getNumElements() const;
  int64_t getByteSize() const { return getNumElements() * dtypeSize(dtype); }

  float *f32() { return reinterpret_cast<float *>(storage.get()); }
  const float *f32() const {
    return reinterpret_cast<const float *>(storage.get());
  }
  int64_t *i64() { return reinterpret_cast<int64_t *>(storage.get()); }
  const int64_t *i64() const {
    return reinterpret_cast<const int64_t *>(storage.get());
  }
  void *raw() { return storage.get(); }
  const void *raw() const { return storage.get(); }

  /// A view for kernels; valid while this tensor lives.
  TensorView view() const {
    return TensorView{dtype, shapeDims, storage.get()};
  }

  /// A deep copy.
  Tensor clone() const;

  /// Prints `f32[2, 10]  mean ... std ... [first values]`.
  void printSummary(llvm::raw_ostream &os, unsigned maxValues = 6) const;
  /// `[2, 10]`
  std::string shapeStr() const;

  /// Checks a shape and returns its byte size for `dtype`.
  static llvm::Expected<int64_t> checkedByteSize(DType dtype,
                                                 llvm::ArrayRef<int64_t> shape);

private:
  DType dtype = DType::F32;
  std::vector<int64_t> shapeDims;
  std::shared_ptr<std::byte[]> storage;
};

/// Formats a shape as `[256, 20]`, with `?` for negative (unknown) dims.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_TENSOR_H
