//===- Gemm.h - The blocked f32 matrix product under dense and conv2d
//-*-C++-*-//
//
// C [m, n] = A [m, k] · B [k, n], then an epilogue (bias, activation) on
// each finished tile of C, laid out for this machine's registers:
//
//   - A is packed into panels of kMR rows, stored k-major (for each k, the
//     kMR values of one column), and B into panels of kNR columns, stored
//     k-major too. The micro-kernel then reads both with unit stride and
//     keeps a kMR x kNR tile of C in registers (6 x 16 floats in 12 AVX2
//     registers, or 8 x 32 in 16 AVX-512 ones) for a whole kc-long slice
//     of k.
//   - Loops are blocked as in Goto's algorithm: a kc x nc block of packed B
//     stays in the last-level cache, an mc x kc block of packed A in L2,
//     and one kc x kNR panel of B in L1 while the micro-kernel sweeps the
//     A panels over it.
//   - B comes through a packer, so a convolution packs straight from the
//     image (implicit im2col) and never writes the unfolded columns out.
//   - A or B may be packed ahead of time (PackedA, PackedB): weights do not
//     change between runs, so conv2d packs its filters (A) and dense its
//     weight (B) once, when the executor prepares the plan's parameters.
//
// Threads split C into disjoint blocks of whole micro-tiles, along n when
// it is the wider dim and along m otherwise; each thread packs what it
// reads itself, so threads never wait on each other.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_KERNELS_GEMM_H
#define SHAPEFLOW_RUNTIME_KERNELS_GEMM_H

#include "KernelUtil.h"

#include <cstdint>
#include <vector>

namespace shapeflow::kernels {

#if defined(__AVX512F__)
/// Rows of C per micro-tile; columns per micro-tile: 8 x 32 floats, 16 of
/// the 32 AVX-512 registers. Eight rows divide the channel counts of
/// common networks (64, 128, ...), so few tiles are partly empty.
constexpr int64_t kMR = 8, kNR = 32;
/// Cache blocking: k per packed slice, rows of A per L2 block, columns of B
/// per last-level cache block (multiples of kMR and kNR).
constexpr int64_t kKC = 256, kMC = 128, kNC = 2048;
#else
/// Rows of C per micro-tile; columns per micro-tile: 6 x 16 floats, 12 of
/// the 16 AVX registers.
constexpr int64_t kMR = 6, kNR = 16;
/// Cache blocking: k per packed slice, rows of A per L2 block, columns of B
/// per last-level cache block (multiples of kMR and kNR).
constexpr int64_t kKC = 256, kMC = 120, kNC = 2048;
#endif

/// Fills `dst` with rows [p0, p0 + kc) of B and columns [j0, j0 + nc) in
/// panels of kNR columns: panel q holds, for each row p, columns
/// j0 + q*kNR ... + kNR - 1, zero past column n.
using PackBFn = void (*)(const void *source, int64_t p0, int64_t kc, int64_t j0,
                         int64_t nc, float *dst);

/// B [k, n] read from a row-major matrix with row stride `ld`.
struct RowMajorB {
  const float *data;
  int64_t ld;
  static void pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst);
};

/// B [k, n] = Wᵀ for a row-major W [n, k] with row stride `ld` (dense's
/// weight).
struct TransposedB {
  const float *data;
  int64_t ld;
  static void pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float *dst);
};

/// A [m, k] packed once into kMR-row panels, each holding every k: the
/// micro-kernel reads rows [i, i + kMR) of slice [p0, p0 + kc) at
/// panel(i) + p0 * kMR.
class PackedA {
public:
  PackedA() = default;
  /// Packs rows of the row-major A [m, k] (row stride `lda`).
  PackedA(const float *a, int64_t m, int64_t k, int64_t lda);

  int64_t rows() const { return m; }
  int64_t depth() const { return k; }
  int64_t bytes() const { return data.size() * sizeof(float); }
  const float *panel(int64_t row) const {
    return data.data() + row / kMR * kMR * k;
  }

private:
  int64_t m = 0, k = 0;
  std::vector<float> data;
};

/// What to do with each finished element of C: add `bias` (indexed by row
/// or by column) then apply `act`.
struct Epilogue {
  const float *bias = nullptr;
  bool biasPerRow = false;
  Activation act = Activation::None;
};

class PackedB;

/// B as a packer and its state, or as a PackedB, for gemm().
struct BSource {
  const void *self = nullptr;
  PackBFn pack = nullptr;
  int64_t k = 0, n = 0;
  /// When set, B is read from here and `pack` is not called.
  const PackedB *packed = nullptr;
};

/// B [k, n] packed once, whole (weights, which do not change between
/// runs): each kKC-long slice of k holds every kNR-column panel, zero past
/// column n, laid out as one call of the packer over all n columns would
/// lay it out. gemm then reads a block's panels in place.
class PackedB {
public:
  PackedB() = default;
  /// Packs all of `b`, which must not itself be packed.
  explicit PackedB(const BSource &b);

  int64_t depth() const { return k; }
  int64_t cols() const { return n; }
  int64_t bytes() const { return data.size() * sizeof(float); }
  /// Panel of columns [j, j + kNR) in the slice of k starting at pc (a
  /// multiple of kKC); j is a multiple of kNR.
  const float *panel(int64_t pc, int64_t j) const {
    int64_t kc = std::min(kKC, k - pc);
    return data.data() + pc * paddedCols + j * kc;
  }

private:
  int64_t k = 0, n = 0, paddedCols = 0;
  std::vector<float> data;
};

inline BSource sourceOf(const RowMajorB &b, int64_t k, int64_t n) {
  return {&b, RowMajorB::pack, k, n};
}
inline BSource sourceOf(const TransposedB &b, int64_t k, int64_t n) {
  return {&b, TransposedB::pack, k, n};
}
inline BSource sourceOf(const PackedB &b) {
  return {nullptr, nullptr, b.depth(), b.cols(), &b};
}

/// C [a.rows(), b.n] (row stride ldc) = epilogue(A · B), using up to
/// `numThreads` threads.
void gemm(const PackedA &a, const BSource &b, float *c, int64_t ldc,
          const Epilogue &epilogue, int numThreads);

/// The same for an A that is not packed ahead (row-major, row stride lda):
/// each thread packs the blocks it reads.
void gemm(const float *a, int64_t m, int64_t lda, const BSource &b, float *c,
          int64_t ldc, const Epilogue &epilogue, int numThreads);

} // namespace shapeflow::kernels

#endif // SHAPEFLOW_RUNTIME_KERNELS_GEMM_H
