//===- Random.cpp - A reproducible random stream --------------------------===//

#include "shapeflow/Runtime/Random.h"

using namespace shapeflow;

RandomStream::RandomStream(uint64_t seed, llvm::StringRef key) {
  // FNV-1a over the key, folded with the seed; SplitMix64 then scrambles it.
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  state = h;
}

uint64_t RandomStream::nextU64() {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double RandomStream::normal() {
  if (hasSpare) {
    hasSpare = false;
    return spare;
  }
  // Box-Muller on (0, 1] x [0, 1); 53-bit uniforms keep the tails accurate.
  double u1 = double((nextU64() >> 11) + 1) * 0x1.0p-53;
  double u2 = double(nextU64() >> 11) * 0x1.0p-53;
  double r = std::sqrt(-2.0 * std::log(u1));
  double theta = 2.0 * M_PI * u2;
  spare = r * std::sin(theta);
  hasSpare = true;
  return r * std::cos(theta);
}
