//===- SafeTensors.h - Reading and writing .safetensors files ---*- C++ -*-===//
//
// The format: an 8-byte little-endian header length, a JSON header mapping
// each tensor's name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data section), then the data. Every field of a
// file is checked before anything is allocated: sizes against the file,
// offsets against each other (no overlaps, no holes), byte counts against
// shapes. Only F32 and I64 tensors are supported.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_SAFETENSORS_H
#define SHAPEFLOW_RUNTIME_SAFETENSORS_H

#include "shapeflow/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace shapeflow {

using NamedTensor = std::pair<std::string, Tensor>;

/// Parses a whole file already in memory; `source` names it in errors.
llvm::Expected<std::vector<NamedTensor>>
parseSafeTensors(llvm::StringRef bytes, llvm::StringRef source);

/// Reads a file. Tensors come back in the order of their data offsets.
llvm::Expected<std::vector<NamedTensor>> loadSafeTensors(llvm::StringRef path);

/// Serialises tensors (names must be unique) in the given order.
llvm::Expected<std::string>
serializeSafeTensors(llvm::ArrayRef<NamedTensor> tensors);

/// Writes a file.
llvm::Error saveSafeTensors(llvm::StringRef path,
                            llvm::ArrayRef<NamedTensor> tensors);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_SAFETENSORS_H
