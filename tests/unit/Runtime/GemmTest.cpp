//===- GemmTest.cpp - The blocked gemm against a plain triple loop --------===//
//
// The shapes straddle every blocking boundary of Gemm.h: m around kMR and
// kMC, n around kNR and kNC, k around kKC, and 0 and 1 everywhere, with
// row strides wider than the rows, each B packer, A packed ahead or not,
// each epilogue, and 1 to 3 threads.
//
// Tolerance: |got - want| <= 1e-5 * sqrt(k) + 1e-5 * |want| for entries in
// [-1, 1), as in the conv2d tests.
//
//===----------------------------------------------------------------------===//

#include "Kernels/Gemm.h"
#include "KernelTestUtil.h"

#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::kernels;
using namespace shapeflow::test;

namespace {

struct GemmCase {
  int64_t m, n, k;
  /// Extra elements at the end of each row of A, B and C.
  int64_t padA = 0, padB = 0, padC = 0;
  bool transposedB = false, prepackedA = false;
  bool prepackedB = false;
  bool bias = false, biasPerRow = false;
  Activation act = Activation::None;
  int threads = 1;

  std::string str() const {
    return "m " + std::to_string(m) + " n " + std::to_string(n) + " k " +
           std::to_string(k) + " pads " + std::to_string(padA) + "," +
           std::to_string(padB) + "," + std::to_string(padC) +
           (transposedB ? " Bt" : " B") + (prepackedA ? " packedA" : "") +
           (prepackedB ? " packedB" : "") +
           (bias ? (biasPerRow ? " bias/row" : " bias/col") : "") + " act " +
           std::to_string(int(act)) + " threads " + std::to_string(threads);
  }
};

double applyReference(double x, Activation act) {
  switch (act) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return referenceActivation(x, "relu");
  case Activation::Sigmoid:
    return referenceActivation(x, "sigmoid");
  case Activation::Tanh:
    return referenceActivation(x, "tanh");
  case Activation::Gelu:
    return referenceActivation(x, "gelu");
  }
  return x;
}

void checkGemm(const GemmCase &c, std::mt19937 &rng) {
  SCOPED_TRACE(c.str());
  int64_t lda = c.k + c.padA, ldc = c.n + c.padC;
  // B is [k, n] (row stride n + padB) or, transposed, W [n, k] (row stride
  // k + padB).
  int64_t ldb = c.transposedB ? c.k + c.padB : c.n + c.padB;
  HostTensor a = randomTensor(rng, {std::max<int64_t>(c.m * lda, 1)});
  HostTensor b = randomTensor(
      rng, {std::max<int64_t>((c.transposedB ? c.n : c.k) * ldb, 1)});
  HostTensor bias = randomTensor(rng, {std::max(c.m, c.n)});
  // C starts as garbage: the gemm must overwrite, not accumulate.
  HostTensor out = randomTensor(rng, {std::max<int64_t>(c.m * ldc, 1)}, 5, 6);
  std::vector<float> before = out.f32;

  Epilogue e;
  e.bias = c.bias ? bias.f32.data() : nullptr;
  e.biasPerRow = c.biasPerRow;
  e.act = c.act;
  RowMajorB rowMajor{b.f32.data(), ldb};
  TransposedB transposed{b.f32.data(), ldb};
  BSource source = c.transposedB ? sourceOf(transposed, c.k, c.n)
                                 : sourceOf(rowMajor, c.k, c.n);
  PackedB packedB;
  if (c.prepackedB) {
    packedB = PackedB(source);
    source = sourceOf(packedB);
  }
  if (c.prepackedA)
    gemm(PackedA(a.f32.data(), c.m, c.k, lda), source, out.f32.data(), ldc, e,
         c.threads);
  else
    gemm(a.f32.data(), c.m, lda, source, out.f32.data(), ldc, e, c.threads);

  std::vector<float> got;
  std::vector<double> want;
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      if (j >= c.n) {
        // Padding between rows is left alone.
        ASSERT_EQ(out.f32[i * ldc + j], before[i * ldc + j])
            << "row " << i << " padding column " << j;
        continue;
      }
      double sum = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        float bv = c.transposedB ? b.f32[j * ldb + p] : b.f32[p * ldb + j];
        sum += double(a.f32[i * lda + p]) * bv;
      }
      if (c.bias)
        sum += bias.f32[c.biasPerRow ? i : j];
      got.push_back(out.f32[i * ldc + j]);
      want.push_back(applyReference(sum, c.act));
    }
  }
  expectClose(got, want, 1e-5,
              1e-5 * std::sqrt(double(std::max<int64_t>(c.k, 1))));
}

TEST(GemmTest, MatchesReferenceAcrossBlockBoundaries) {
  std::mt19937 rng(21);
  const int64_t ms[] = {0, 1, kMR - 1, kMR, kMR + 1, kMC + 1, 2 * kMC + 7};
  const int64_t ns[] = {0, 1, kNR - 1, kNR, kNR + 1, 100};
  const int64_t ks[] = {0, 1, 7, kKC, kKC + 1};
  for (int64_t m : ms)
    for (int64_t n : ns)
      for (int64_t k : ks) {
        checkGemm({m, n, k}, rng);
        GemmCase packed{m, n, k};
        packed.prepackedA = packed.prepackedB = true;
        checkGemm(packed, rng);
      }
}

TEST(GemmTest, CrossesTheLastLevelCacheBlock) {
  std::mt19937 rng(22);
  checkGemm({kMR + 1, kNC + kNR + 3, 5}, rng);
  checkGemm({13, kNC + 1, 2 * kKC + 3, 1, 2, 3, /*transposedB=*/true}, rng);
  // A packed B is read in place, block by block, by every thread.
  for (int threads : {1, 2}) {
    GemmCase c{kMR + 5, kNC + kNR + 3, kKC + 9, 0, 1, 2, true};
    c.prepackedB = true;
    c.threads = threads;
    checkGemm(c, rng);
  }
}

TEST(GemmTest, EveryLayoutAndEpilogue) {
  std::mt19937 rng(23);
  const Activation acts[] = {Activation::None, Activation::Relu,
                             Activation::Sigmoid, Activation::Tanh,
                             Activation::Gelu};
  int trial = 0;
  for (bool transposedB : {false, true})
    for (int packed = 0; packed < 3; ++packed) // none, A, B
      for (int bias = 0; bias < 3; ++bias)
        for (Activation act : acts) {
          GemmCase c{randomInt(rng, 1, 40), randomInt(rng, 1, 70),
                     randomInt(rng, 1, 300)};
          c.padA = randomInt(rng, 0, 3);
          c.padB = randomInt(rng, 0, 3);
          c.padC = randomInt(rng, 0, 3);
          c.transposedB = transposedB;
          c.prepackedA = packed == 1;
          c.prepackedB = packed == 2;
          c.bias = bias > 0;
          c.biasPerRow = bias == 2;
          c.act = act;
          c.threads = 1 + trial++ % 3;
          checkGemm(c, rng);
        }
}

TEST(GemmTest, ThreadsSplitEitherDim) {
  std::mt19937 rng(24);
  // Wide (split along n) and tall (split along m), with odd tile counts so
  // the threads' shares differ.
  for (int threads : {2, 3}) {
    checkGemm({37, 500, 70, 0, 0, 0, false, false, false, true, true,
               Activation::Relu, threads},
              rng);
    checkGemm({500, 37, 70, 1, 1, 1, true, true, true, true, false,
               Activation::None, threads},
              rng);
  }
}

TEST(GemmTest, PackedAKeepsItsShape) {
  std::mt19937 rng(25);
  HostTensor a = randomTensor(rng, {13 * 9});
  PackedA packed(a.f32.data(), 13, 9, 9);
  EXPECT_EQ(packed.rows(), 13);
  EXPECT_EQ(packed.depth(), 9);
  // Row 7 is row 7 % kMR of its panel; each k of a panel holds kMR rows.
  EXPECT_EQ(packed.panel(7)[7 % kMR], a.f32[7 * 9]);
  EXPECT_EQ(packed.panel(7)[kMR + 7 % kMR], a.f32[7 * 9 + 1]);
  // Rows past m (row 13 here) are zero.
  EXPECT_EQ(packed.panel(13)[13 % kMR], 0.0f);
}

TEST(GemmTest, PackedBKeepsItsShape) {
  std::mt19937 rng(26);
  int64_t k = kKC + 3, n = kNR + 5;
  HostTensor b = randomTensor(rng, {k * n});
  RowMajorB rowMajor{b.f32.data(), n};
  PackedB packed(sourceOf(rowMajor, k, n));
  EXPECT_EQ(packed.depth(), k);
  EXPECT_EQ(packed.cols(), n);
  // Row p of column j in the first slice; the second slice is 3 rows deep.
  EXPECT_EQ(packed.panel(0, 0)[5 * kNR + 2], b.f32[5 * n + 2]);
  EXPECT_EQ(packed.panel(0, kNR)[7 * kNR + 4], b.f32[7 * n + kNR + 4]);
  EXPECT_EQ(packed.panel(kKC, kNR)[2 * kNR + 1],
            b.f32[(kKC + 2) * n + kNR + 1]);
  // Columns past n are zero.
  EXPECT_EQ(packed.panel(kKC, kNR)[2 * kNR + 5], 0.0f);
}

} // namespace
