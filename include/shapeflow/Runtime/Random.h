//===- Random.h - A reproducible random stream ------------------*- C++ -*-===//
//
// Initializers must give bit-identical parameters for the same seed on every
// machine and in any order. The standard distributions are implemented
// differently by each standard library, so shapeflow draws from its own
// generator: SplitMix64, keyed by the seed and the parameter's name, with
// uniform floats from the top 24 bits and normals by Box-Muller.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_RANDOM_H
#define SHAPEFLOW_RUNTIME_RANDOM_H

#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstdint>

namespace shapeflow {

class RandomStream {
public:
  /// A stream keyed by `seed` and `key` (a parameter's name): streams with
  /// different keys are independent.
  RandomStream(uint64_t seed, llvm::StringRef key = "");

  uint64_t nextU64();
  /// Uniform in [0, 1), with 24 bits of precision (exact in a float).
  float nextUnit() { return float(nextU64() >> 40) * 0x1.0p-24f; }
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * nextUnit(); }
  /// Standard normal.
  double normal();

private:
  uint64_t state;
  bool hasSpare = false;
  double spare = 0;
};

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_RANDOM_H
