//===- Type.h - Element types and tensor types ------------------*- C++ -*-===//
//
// A tensor type is an element type and a shape. The shape's rank may itself
// be unknown (printed `f32[*]`): a parameter declared without a type takes
// its rank from the ops that use it.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_TYPE_H
#define SHAPEFLOW_IR_TYPE_H

#include "shapeflow/IR/Dim.h"
#include "shapeflow/Support/DType.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace shapeflow {

/// An element type with a shape of known or unknown rank.
class TensorType {
public:
  /// An f32 tensor of unknown rank.
  TensorType() = default;
  TensorType(DType dtype, llvm::ArrayRef<Dim> dims)
      : dtype(dtype), ranked(true), dims(dims.begin(), dims.end()) {}
  static TensorType unranked(DType dtype) {
    TensorType t;
    t.dtype = dtype;
    return t;
  }

  DType getDType() const { return dtype; }
  void setDType(DType d) { dtype = d; }
  bool hasRank() const { return ranked; }
  /// The rank; asserts hasRank().
  unsigned getRank() const;
  llvm::ArrayRef<Dim> getDims() const { return dims; }
  const Dim &getDim(unsigned i) const { return dims[i]; }

  /// True when every dimension is a constant.
  bool isStatic() const;
  /// True when every dimension is a constant or a symbolic expression.
  bool isDetermined() const;
  /// Number of elements, when static and free of overflow.
  std::optional<int64_t> getNumElements() const;

  bool operator==(const TensorType &other) const {
    return dtype == other.dtype && ranked == other.ranked && dims == other.dims;
  }
  bool operator!=(const TensorType &other) const { return !(*this == other); }

  /// Prints `f32[2, ?, N]`, `f32[]` for a scalar, `f32[*]` if unranked.
  void print(llvm::raw_ostream &os) const;
  std::string str() const;
  /// Prints only the shape: `[2, ?, N]` or `[*]`.
  std::string shapeStr() const;

private:
  DType dtype = DType::F32;
  bool ranked = false;
  llvm::SmallVector<Dim, 4> dims;
};

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     const TensorType &t) {
  t.print(os);
  return os;
}

} // namespace shapeflow

#endif // SHAPEFLOW_IR_TYPE_H
