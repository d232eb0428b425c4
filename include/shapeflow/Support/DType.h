//===- DType.h - Element types shared by compiler and runtime ---*- C++ -*-===//
//
// Header-only, so the runtime can name element types without linking the
// compiler.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_SUPPORT_DTYPE_H
#define SHAPEFLOW_SUPPORT_DTYPE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"

#include <cstdint>
#include <optional>

namespace shapeflow {

/// Element types. f32 carries activations and parameters; i64 carries token
/// ids into an embedding.
enum class DType : uint8_t { F32, I64 };

/// Returns "f32" or "i64".
inline llvm::StringRef dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::I64:
    return "i64";
  }
  llvm_unreachable("unknown dtype");
}

/// Parses "f32" or "i64".
inline std::optional<DType> parseDType(llvm::StringRef name) {
  if (name == "f32")
    return DType::F32;
  if (name == "i64")
    return DType::I64;
  return std::nullopt;
}

/// Size of one element in bytes.
inline unsigned dtypeSize(DType dtype) { return dtype == DType::F32 ? 4 : 8; }

} // namespace shapeflow

#endif // SHAPEFLOW_SUPPORT_DTYPE_H
