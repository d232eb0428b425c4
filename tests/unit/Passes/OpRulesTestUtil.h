//===- OpRulesTestUtil.h - Helpers for the op rule tests -------*- C++ -*-===//
//
// Plain integer formulas for window sizes, written independently of the
// library, and small builders for test graphs.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_TESTS_UNIT_PASSES_OPRULESTESTUTIL_H
#define SHAPEFLOW_TESTS_UNIT_PASSES_OPRULESTESTUTIL_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <initializer_list>
#include <string>

namespace shapeflow::test {

/// Python's floor division on plain integers.
inline int64_t floorDivInt(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// ceil(a / b) for b > 0.
inline int64_t ceilDivInt(int64_t a, int64_t b) { return -floorDivInt(-a, b); }

/// out = (in + 2p - d(k - 1) - 1) // s + 1
inline int64_t convOut(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return floorDivInt(in + 2 * p - d * (k - 1) - 1, s) + 1;
}

/// out = floor or ceil((in + 2p - k) / s) + 1
inline int64_t poolOut(int64_t in, int64_t k, int64_t s, int64_t p,
                       bool ceilMode) {
  int64_t span = in + 2 * p - k;
  return (ceilMode ? ceilDivInt(span, s) : floorDivInt(span, s)) + 1;
}

inline std::string f32(std::initializer_list<int64_t> dims) {
  std::string s = "f32[";
  const char *sep = "";
  for (int64_t d : dims) {
    s += sep + std::to_string(d);
    sep = ", ";
  }
  return s + "]";
}

/// A graph with inputs `inputs`, the given body and `return %y`.
inline std::string graph(llvm::StringRef inputs, llvm::StringRef body) {
  return "graph g(" + inputs.str() + ") {\n" + body.str() +
         "\n  return %y\n}\n";
}

} // namespace shapeflow::test

#endif // SHAPEFLOW_TESTS_UNIT_PASSES_OPRULESTESTUTIL_H
