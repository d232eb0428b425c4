//===- Gemm.cpp - The blocked f32 matrix product --------------------------===//
//
// See Gemm.h for the layout. The micro-kernel uses AVX-512 where the build
// targets it, else AVX2 and FMA; without either it is plain C++ over the
// same packed panels, which compilers vectorise less well but which
// computes the same sums in the same order.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#define SHAPEFLOW_GEMM_AVX512 1
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SHAPEFLOW_GEMM_AVX2 1
#endif

using namespace shapeflow::kernels;

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

void RowMajorB::pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                     int64_t nc, float *dst) {
  const auto &b = *static_cast<const RowMajorB *>(self);
  for (int64_t q = 0; q < nc; q += kNR) {
    int64_t width = std::min(kNR, nc - q);
    const float *src = b.data + p0 * b.ld + j0 + q;
    for (int64_t p = 0; p < kc; ++p, src += b.ld, dst += kNR) {
      std::memcpy(dst, src, width * sizeof(float));
      std::fill(dst + width, dst + kNR, 0.0f);
    }
  }
}

void TransposedB::pack(const void *self, int64_t p0, int64_t kc, int64_t j0,
                       int64_t nc, float *dst) {
  const auto &b = *static_cast<const TransposedB *>(self);
  for (int64_t q = 0; q < nc; q += kNR, dst += kc * kNR) {
    int64_t width = std::min(kNR, nc - q);
    // Column c of the panel is row j0 + q + c of W, read contiguously.
    for (int64_t c = 0; c < width; ++c) {
      const float *src = b.data + (j0 + q + c) * b.ld + p0;
      for (int64_t p = 0; p < kc; ++p)
        dst[p * kNR + c] = src[p];
    }
    for (int64_t c = width; c < kNR; ++c)
      for (int64_t p = 0; p < kc; ++p)
        dst[p * kNR + c] = 0.0f;
  }
}

/// Packs rows [i0, i0 + mc) and columns [p0, p0 + kc) of the row-major A
/// into kMR-row panels, each kc columns long, zero past row `m`.
static void packA(const float *a, int64_t lda, int64_t m, int64_t i0,
                  int64_t mc, int64_t p0, int64_t kc, float *dst) {
  for (int64_t i = i0; i < i0 + mc; i += kMR, dst += kc * kMR) {
    int64_t height = std::min(kMR, m - i);
    if (height < kMR) {
      // The last panel: rows past m are zero.
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t r = 0; r < kMR; ++r)
          dst[p * kMR + r] = r < height ? a[(i + r) * lda + p0 + p] : 0.0f;
      continue;
    }
    // Column by column, so that the writes are sequential; the kMR rows
    // are read as kMR sequential streams.
    const float *src = a + i * lda + p0;
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t r = 0; r < kMR; ++r)
        dst[p * kMR + r] = src[r * lda + p];
  }
}

PackedA::PackedA(const float *a, int64_t m, int64_t k, int64_t lda)
    : m(m), k(k), data((m + kMR - 1) / kMR * kMR * k) {
  if (k > 0)
    packA(a, lda, m, 0, m, 0, k, data.data());
}

PackedB::PackedB(const BSource &b)
    : k(b.k), n(b.n), paddedCols((b.n + kNR - 1) / kNR * kNR),
      data(b.k * paddedCols) {
  assert(!b.packed && "B is packed already");
  for (int64_t pc = 0; pc < k; pc += kKC)
    b.pack(b.self, pc, std::min(kKC, k - pc), 0, n,
           data.data() + pc * paddedCols);
}

//===----------------------------------------------------------------------===//
// The micro-kernel
//===----------------------------------------------------------------------===//

/// Adds (or, when `accumulate` is false, stores) the kMR x kNR tile into the
/// mr x nr corner of C at `c`.
[[maybe_unused]] static void storeTile(const float *tile, float *c, int64_t ldc,
                                       int64_t mr, int64_t nr,
                                       bool accumulate) {
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nr; ++j)
      c[r * ldc + j] =
          accumulate ? c[r * ldc + j] + tile[r * kNR + j] : tile[r * kNR + j];
}

#if defined(SHAPEFLOW_GEMM_AVX512)
/// C[0:mr, 0:nr] (+)= a-panel [kMR, kc] · b-panel [kc, kNR]. Each row of
/// the tile is two 16-float vectors; a partial tile is stored through
/// masks, so edges cost no scalar loop.
static void microKernel(int64_t kc, const float *a, const float *b, float *c,
                        int64_t ldc, int64_t mr, int64_t nr, bool accumulate) {
  static_assert(kMR == 8 && kNR == 32, "the tile is 8 rows of 2 vectors");
  __m512 acc[kMR][2];
  for (int r = 0; r < kMR; ++r)
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p, a += kMR, b += kNR) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }

  // Lanes [0, nr) of the row's 32 columns.
  __mmask16 mask0 = nr >= 16 ? 0xFFFF : (1u << nr) - 1;
  __mmask16 mask1 = nr >= 32 ? 0xFFFF : nr > 16 ? (1u << (nr - 16)) - 1 : 0;
  for (int r = 0; r < kMR; ++r, c += ldc) {
    if (r >= mr)
      break;
    if (accumulate) {
      acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_maskz_loadu_ps(mask0, c));
      acc[r][1] =
          _mm512_add_ps(acc[r][1], _mm512_maskz_loadu_ps(mask1, c + 16));
    }
    _mm512_mask_storeu_ps(c, mask0, acc[r][0]);
    _mm512_mask_storeu_ps(c + 16, mask1, acc[r][1]);
  }
}
#elif defined(SHAPEFLOW_GEMM_AVX2)
/// C[0:mr, 0:nr] (+)= a-panel [kMR, kc] · b-panel [kc, kNR].
///
/// The 12 accumulators are named variables on purpose: written as an
/// array with loops, as the AVX-512 kernel is, GCC 12 keeps them in
/// registers but also stores all 12 to the stack on every k step.
static void microKernel(int64_t kc, const float *a, const float *b, float *c,
                        int64_t ldc, int64_t mr, int64_t nr, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, a += kMR, b += kNR) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(a0, b0, c00);
    c01 = _mm256_fmadd_ps(a0, b1, c01);
    __m256 a1 = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(a1, b0, c10);
    c11 = _mm256_fmadd_ps(a1, b1, c11);
    __m256 a2 = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(a2, b0, c20);
    c21 = _mm256_fmadd_ps(a2, b1, c21);
    __m256 a3 = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(a3, b0, c30);
    c31 = _mm256_fmadd_ps(a3, b1, c31);
    __m256 a4 = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(a4, b0, c40);
    c41 = _mm256_fmadd_ps(a4, b1, c41);
    __m256 a5 = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(a5, b0, c50);
    c51 = _mm256_fmadd_ps(a5, b1, c51);
  }

  __m256 rows[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                         {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == kMR && nr == kNR) {
    for (int64_t r = 0; r < kMR; ++r, c += ldc) {
      if (accumulate) {
        rows[r][0] = _mm256_add_ps(rows[r][0], _mm256_loadu_ps(c));
        rows[r][1] = _mm256_add_ps(rows[r][1], _mm256_loadu_ps(c + 8));
      }
      _mm256_storeu_ps(c, rows[r][0]);
      _mm256_storeu_ps(c + 8, rows[r][1]);
    }
    return;
  }
  alignas(32) float tile[kMR * kNR];
  for (int64_t r = 0; r < kMR; ++r) {
    _mm256_store_ps(tile + r * kNR, rows[r][0]);
    _mm256_store_ps(tile + r * kNR + 8, rows[r][1]);
  }
  storeTile(tile, c, ldc, mr, nr, accumulate);
}
#else
static void microKernel(int64_t kc, const float *a, const float *b, float *c,
                        int64_t ldc, int64_t mr, int64_t nr, bool accumulate) {
  float tile[kMR * kNR] = {};
  for (int64_t p = 0; p < kc; ++p, a += kMR, b += kNR)
    for (int64_t r = 0; r < kMR; ++r)
      for (int64_t j = 0; j < kNR; ++j)
        tile[r * kNR + j] += a[r] * b[j];
  storeTile(tile, c, ldc, mr, nr, accumulate);
}
#endif

//===----------------------------------------------------------------------===//
// Blocking and threads
//===----------------------------------------------------------------------===//

namespace {

/// Where the A panels come from: packed ahead, or packed per block here.
struct ASource {
  const PackedA *packed = nullptr;
  const float *data = nullptr; ///< row-major, when not packed
  int64_t m = 0, lda = 0;
};

/// Per-thread packing buffers, kept between calls so the run path does not
/// allocate once they have grown.
struct PackBuffers {
  std::vector<float> a, b;
};

PackBuffers &threadBuffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

void applyEpilogue(const Epilogue &e, float *c, int64_t ldc, int64_t i0,
                   int64_t rows, int64_t j0, int64_t cols) {
  if (!e.bias && e.act == Activation::None)
    return;
  for (int64_t i = i0; i < i0 + rows; ++i) {
    const float *bias = nullptr;
    if (e.bias)
      bias = e.biasPerRow ? e.bias + i : e.bias + j0;
    finishRow(c + i * ldc + j0, cols, bias, e.biasPerRow, e.act);
  }
}

/// C[i0:i1, j0:j1] on the calling thread. i0 is a multiple of kMR.
void gemmRange(const ASource &a, const BSource &b, float *c, int64_t ldc,
               const Epilogue &epilogue, int64_t i0, int64_t i1, int64_t j0,
               int64_t j1) {
  if (i0 >= i1 || j0 >= j1)
    return;
  if (b.k == 0) {
    for (int64_t i = i0; i < i1; ++i)
      std::fill(c + i * ldc + j0, c + i * ldc + j1, 0.0f);
    applyEpilogue(epilogue, c, ldc, i0, i1 - i0, j0, j1 - j0);
    return;
  }

  PackBuffers &buffers = threadBuffers();
  int64_t maxNC = std::min(kNC, (j1 - j0 + kNR - 1) / kNR * kNR);
  int64_t maxKC = std::min(kKC, b.k);
  if (!b.packed)
    buffers.b.resize(std::max<size_t>(buffers.b.size(), maxKC * maxNC));
  if (!a.packed)
    buffers.a.resize(std::max<size_t>(buffers.a.size(), kMC * maxKC));

  for (int64_t jc = j0; jc < j1; jc += kNC) {
    int64_t nc = std::min(kNC, j1 - jc);
    for (int64_t pc = 0; pc < b.k; pc += kKC) {
      int64_t kc = std::min(kKC, b.k - pc);
      bool first = pc == 0, last = pc + kc == b.k;
      if (!b.packed)
        b.pack(b.self, pc, kc, jc, nc, buffers.b.data());
      for (int64_t ic = i0; ic < i1; ic += kMC) {
        int64_t mc = std::min(kMC, i1 - ic);
        if (!a.packed)
          packA(a.data, a.lda, a.m, ic, mc, pc, kc, buffers.a.data());
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const float *bPanel = b.packed ? b.packed->panel(pc, jc + jr)
                                         : buffers.b.data() + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            const float *aPanel = a.packed ? a.packed->panel(ic + ir) + pc * kMR
                                           : buffers.a.data() + ir * kc;
            microKernel(kc, aPanel, bPanel, c + (ic + ir) * ldc + jc + jr, ldc,
                        std::min(kMR, mc - ir), std::min(kNR, nc - jr), !first);
          }
        }
        if (last)
          applyEpilogue(epilogue, c, ldc, ic, mc, jc, nc);
      }
    }
  }
}

void gemmThreaded(const ASource &a, const BSource &b, float *c, int64_t ldc,
                  const Epilogue &epilogue, int numThreads) {
  int64_t m = a.m, n = b.n;
  if (m <= 0 || n <= 0)
    return;
  // Split the wider dim in whole micro-tiles; one thread when the product
  // is too small to pay for waking another.
  int64_t mTiles = (m + kMR - 1) / kMR, nTiles = (n + kNR - 1) / kNR;
  bool splitN = n >= m;
  int64_t tiles = splitN ? nTiles : mTiles;
  int64_t threads = std::min<int64_t>(numThreads, tiles);
  if (m * n * std::max<int64_t>(b.k, 1) < 4 * kMinParallelWork)
    threads = 1;
  if (threads <= 1)
    return gemmRange(a, b, c, ldc, epilogue, 0, m, 0, n);

#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int64_t t = 0; t < threads; ++t) {
    int64_t begin = tiles * t / threads, end = tiles * (t + 1) / threads;
    if (splitN)
      gemmRange(a, b, c, ldc, epilogue, 0, m, begin * kNR,
                std::min(n, end * kNR));
    else
      gemmRange(a, b, c, ldc, epilogue, begin * kMR, std::min(m, end * kMR), 0,
                n);
  }
}

} // namespace

void shapeflow::kernels::gemm(const PackedA &a, const BSource &b, float *c,
                              int64_t ldc, const Epilogue &epilogue,
                              int numThreads) {
  assert(a.depth() == b.k && "inner dims must agree");
  ASource source;
  source.packed = &a;
  source.m = a.rows();
  gemmThreaded(source, b, c, ldc, epilogue, numThreads);
}

void shapeflow::kernels::gemm(const float *a, int64_t m, int64_t lda,
                              const BSource &b, float *c, int64_t ldc,
                              const Epilogue &epilogue, int numThreads) {
  ASource source;
  source.data = a;
  source.m = m;
  source.lda = lda;
  gemmThreaded(source, b, c, ldc, epilogue, numThreads);
}
