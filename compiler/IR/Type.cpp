//===- Type.cpp - Element types and tensor types --------------------------===//

#include "shapeflow/IR/Type.h"

#include <cassert>

using namespace shapeflow;

unsigned TensorType::getRank() const {
  assert(ranked && "rank of an unranked type");
  return dims.size();
}

bool TensorType::isStatic() const {
  return ranked &&
         llvm::all_of(dims, [](const Dim &d) { return d.isConstant(); });
}

bool TensorType::isDetermined() const {
  return ranked &&
         llvm::all_of(dims, [](const Dim &d) { return d.isDetermined(); });
}

std::optional<int64_t> TensorType::getNumElements() const {
  if (!isStatic())
    return std::nullopt;
  int64_t n = 1;
  for (const Dim &d : dims)
    if (__builtin_mul_overflow(n, d.getConstant(), &n))
      return std::nullopt;
  return n;
}

std::string TensorType::shapeStr() const {
  if (!ranked)
    return "[*]";
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      dims, os, [&](const Dim &d) { d.print(os); }, ", ");
  os << ']';
  return os.str();
}

void TensorType::print(llvm::raw_ostream &os) const {
  os << dtypeName(dtype) << shapeStr();
}

std::string TensorType::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}
