//===- DimTest.cpp - The dimension algebra --------------------------------===//
//
// Constant folding with Python's // and %, overflow, unknowns and canonical
// forms. Printing and the property tests are in DimPrintTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "DimTestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

//===----------------------------------------------------------------------===//
// Constant folding
//===----------------------------------------------------------------------===//

TEST(DimTest, ConstantsFoldWithPythonSemantics) {
  EXPECT_EQ(floorDiv(Dim(-7), Dim(2)), Dim(-4));
  EXPECT_EQ(mod(Dim(-7), Dim(2)), Dim(1));
  EXPECT_EQ(mod(Dim(7), Dim(-2)), Dim(-1));
}

TEST(DimTest, FloorDivRoundsTowardNegativeInfinityForEverySignCombination) {
  // Expected values from python3: a // b.
  struct Case {
    int64_t a, b, quotient;
  } cases[] = {{7, 2, 3},
               {-7, 2, -4},
               {7, -2, -4},
               {-7, -2, 3},
               {6, 3, 2},
               {-6, 3, -2},
               {6, -3, -2},
               {-6, -3, 2},
               {0, 3, 0},
               {0, -3, 0},
               {1, 3, 0},
               {-1, 3, -1},
               {1, -3, -1},
               {-1, -3, 0},
               {kMax, 1, kMax},
               {kMin + 1, 1, kMin + 1},
               {kMin + 1, 2, -4611686018427387904},
               {kMin + 1, 3, -3074457345618258603},
               {kMax, -1, -kMax}};
  for (const Case &c : cases)
    EXPECT_EQ(floorDiv(Dim(c.a), Dim(c.b)), Dim(c.quotient))
        << c.a << " // " << c.b;
}

TEST(DimTest, ModTakesTheSignOfTheDivisorForEverySignCombination) {
  // Expected values from python3: a % b.
  struct Case {
    int64_t a, b, remainder;
  } cases[] = {{7, 2, 1},   {-7, 2, 1},   {7, -2, -1},      {-7, -2, -1},
               {6, 3, 0},   {-6, 3, 0},   {6, -3, 0},       {-6, -3, 0},
               {0, 3, 0},   {0, -3, 0},   {1, 3, 1},        {-1, 3, 2},
               {1, -3, -2}, {-1, -3, -1}, {kMin + 1, 3, 2}, {kMin + 1, -3, -1},
               {kMax, 2, 1}};
  for (const Case &c : cases)
    EXPECT_EQ(mod(Dim(c.a), Dim(c.b)), Dim(c.remainder)) << c.a << " % " << c.b;
}

TEST(DimTest, ConstantArithmeticFolds) {
  EXPECT_EQ(Dim(2) + Dim(3), Dim(5));
  EXPECT_EQ(Dim(2) - Dim(3), Dim(-1));
  EXPECT_EQ(Dim(-4) * Dim(3), Dim(-12));
  EXPECT_TRUE((Dim(2) * Dim(3)).isConstant());
  EXPECT_EQ((Dim(2) - Dim(3)).str(), "-1");
}

TEST(DimTest, DivisionByZeroIsInvalid) {
  EXPECT_TRUE(floorDiv(Dim(7), Dim(0)).isInvalid());
  EXPECT_TRUE(mod(Dim(7), Dim(0)).isInvalid());
  EXPECT_TRUE(floorDiv(H(), Dim(0)).isInvalid());
  EXPECT_TRUE(mod(H() + 1, Dim(0)).isInvalid());
  EXPECT_EQ(floorDiv(H(), Dim(0)).str(), "<invalid>");
}

TEST(DimTest, OverflowIsInvalid) {
  EXPECT_TRUE((Dim(kMax) + Dim(1)).isInvalid());
  EXPECT_TRUE((Dim(kMin) + Dim(-1)).isInvalid());
  EXPECT_TRUE((Dim(kMin) - Dim(1)).isInvalid());
  EXPECT_TRUE((Dim(0) - Dim(kMin)).isInvalid());
  EXPECT_TRUE((Dim(kMax) * Dim(2)).isInvalid());
  EXPECT_TRUE((Dim(kMin) * Dim(-1)).isInvalid());
  EXPECT_TRUE((Dim(int64_t(1) << 32) * Dim(int64_t(1) << 31)).isInvalid());
  // 2**63 does not fit.
  EXPECT_TRUE(floorDiv(Dim(kMin), Dim(-1)).isInvalid());
  // INT64_MIN itself counts as an overflow (see MostNegativeIntegerIsInvalid).
  EXPECT_TRUE((Dim(kMin + 1) - Dim(1)).isInvalid());
  EXPECT_TRUE((Dim(-(int64_t(1) << 62)) * Dim(2)).isInvalid());
  // The edges themselves are fine.
  EXPECT_EQ(Dim(kMax - 1) + Dim(1), Dim(kMax));
  EXPECT_EQ((Dim(kMin + 2) - Dim(1)).getConstant(), kMin + 1);
  EXPECT_EQ(Dim(int64_t(1) << 31) * Dim(int64_t(1) << 31),
            Dim(int64_t(1) << 62));
}

// INT64_MIN has no negation and no Python literal that reads back, so a
// dimension never holds it: it is an overflow.
TEST(DimTest, MostNegativeIntegerIsInvalid) {
  EXPECT_TRUE(Dim(kMin).isInvalid());
  EXPECT_TRUE(Dim(kMin + 1).isConstant());
  EXPECT_TRUE((Dim(kMin) * H()).isInvalid());
  // A coefficient or a constant term reaching it overflows too.
  EXPECT_TRUE((Dim(kMin + 1) * H() - H()).isInvalid());
  EXPECT_TRUE((H() + Dim(kMin + 1) - Dim(1)).isInvalid());
  EXPECT_TRUE((H() - Dim(kMax) - Dim(1)).isInvalid());
}

TEST(DimTest, SymbolicOverflowIsInvalid) {
  Dim big = Dim(kMax) * H();
  EXPECT_TRUE(big.isSymbolic());
  EXPECT_TRUE((big + big).isInvalid());
  EXPECT_TRUE((big * Dim(2)).isInvalid());
  EXPECT_TRUE((H() + Dim(kMax) + Dim(1)).isInvalid());
  EXPECT_TRUE((Dim(0) - Dim(kMin) * H()).isInvalid());
  // Substituting a value that makes the expression overflow.
  Dim square = H() * H();
  Dim at = square.substitute([](llvm::StringRef) -> std::optional<Dim> {
    return Dim(int64_t(1) << 32);
  });
  EXPECT_TRUE(at.isInvalid());
}

TEST(DimTest, InvalidAbsorbsEverything) {
  Dim bad = Dim::invalid();
  EXPECT_TRUE((bad + Dim(1)).isInvalid());
  EXPECT_TRUE((bad * Dim(0)).isInvalid());
  EXPECT_TRUE((H() - bad).isInvalid());
  EXPECT_TRUE(floorDiv(bad, Dim(2)).isInvalid());
  EXPECT_TRUE(mod(Dim(2), bad).isInvalid());
  // Invalid wins over unknown, so a rule checking once at the end sees it.
  EXPECT_TRUE((bad + Dim::unknown()).isInvalid());
  EXPECT_TRUE((Dim::unknown() * bad).isInvalid());
  EXPECT_FALSE(exactDiv(bad, Dim(1)).has_value());
}

TEST(DimTest, UnknownAbsorbs) {
  Dim u = Dim::unknown();
  EXPECT_TRUE((u + Dim(1)).isUnknown());
  EXPECT_TRUE((Dim(1) - u).isUnknown());
  EXPECT_TRUE((u * H()).isUnknown());
  // Even a zero factor gives an unknown: `?` is not a number yet.
  EXPECT_TRUE((Dim(0) * u).isUnknown());
  EXPECT_TRUE(floorDiv(u, Dim(2)).isUnknown());
  EXPECT_TRUE(floorDiv(H(), u).isUnknown());
  EXPECT_TRUE(mod(Dim(3), u).isUnknown());
  EXPECT_EQ(u.str(), "?");
  EXPECT_FALSE(u.isDetermined());
  EXPECT_FALSE(exactDiv(u, Dim(2)).has_value());
  EXPECT_FALSE(exactDiv(H(), u).has_value());
}

// x86 raises SIGFPE for INT64_MIN % -1 and INT64_MIN / -1. These folds must
// give an answer (0, or invalid since INT64_MIN counts as an overflow), not
// trap; the checks run in a child process so that a trap fails only them.
TEST(DimDeathTest, ModOfMostNegativeByMinusOneDoesNotTrap) {
  EXPECT_EXIT(
      {
        Dim r = mod(Dim(kMin), Dim(-1));
        Dim s = mod(Dim(kMin + 1) - Dim(1), Dim(-1));
        bool ok =
            (r == Dim(0) || r.isInvalid()) && (s == Dim(0) || s.isInvalid());
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// 2**63 // -1 does not fit: exactDiv must say no (or give an invalid
// dimension), not trap.
TEST(DimDeathTest, ExactDivOfMostNegativeByMinusOneDoesNotTrap) {
  EXPECT_EXIT(
      {
        std::optional<Dim> q = exactDiv(Dim(kMin), Dim(-1));
        std::exit(!q || q->isInvalid() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        Dim x = Dim(kMin) * H();
        std::optional<Dim> q = exactDiv(x, Dim(0) - H());
        std::exit(!q || q->isInvalid() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

//===----------------------------------------------------------------------===//
// Canonical forms
//===----------------------------------------------------------------------===//

TEST(DimTest, ConvOutputCanonicalises) {
  Dim h = Dim::symbol("H");
  Dim a = floorDiv(h - 1, 2) + 1;
  Dim b = floorDiv(h + 1, 2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.str(), "(H + 1) // 2");
}

TEST(DimTest, SymbolsAreUniqued) {
  EXPECT_EQ(Dim::symbol("H"), Dim::symbol("H"));
  EXPECT_NE(Dim::symbol("H"), Dim::symbol("W"));
  EXPECT_TRUE(H().isSymbol());
  EXPECT_FALSE((H() + 1).isSymbol());
  EXPECT_FALSE((Dim(2) * H()).isSymbol());
  EXPECT_TRUE((H() + 1).isSymbolic());
}

TEST(DimTest, LikeTermsCollect) {
  EXPECT_EQ(N() + N(), Dim(2) * N());
  EXPECT_EQ(N() + N() + N() - N(), N() * Dim(2));
  EXPECT_EQ(H() * W() + W() * H(), Dim(2) * H() * W());
}

TEST(DimTest, CancellationGivesAConstant) {
  Dim d = H() - H();
  EXPECT_TRUE(d.isConstant());
  EXPECT_EQ(d, Dim(0));
  EXPECT_EQ((H() + 3) - (H() + 1), Dim(2));
  EXPECT_EQ(Dim(0) * H(), Dim(0));
  EXPECT_EQ(floorDiv(H(), 2) - floorDiv(H(), 2), Dim(0));
}

TEST(DimTest, AdditionAndMultiplicationCommuteAndAssociate) {
  EXPECT_EQ(H() + W(), W() + H());
  EXPECT_EQ((H() + W()) + N(), H() + (W() + N()));
  EXPECT_EQ((H() + W()) + N(), N() + (W() + H()));
  EXPECT_EQ(H() * W(), W() * H());
  EXPECT_EQ((H() * W()) * N(), H() * (W() * N()));
  EXPECT_EQ((H() * W()) * N(), N() * (W() * H()));
  EXPECT_EQ(((H() + 1) * (W() + 2)).str(), ((W() + 2) * (H() + 1)).str());
}

TEST(DimTest, MultiplicationDistributes) {
  EXPECT_EQ(Dim(2) * (H() + W()), Dim(2) * H() + Dim(2) * W());
  EXPECT_EQ((H() + 1) * (H() - 1), H() * H() - 1);
  EXPECT_EQ((H() + W()) * N(), N() * W() + H() * N());
}

TEST(DimTest, ExactProductDivisionCancels) {
  Dim c = Dim::symbol("C");
  EXPECT_EQ(floorDiv(N() * c, c), N());
  EXPECT_EQ(floorDiv(Dim(6) * H() * W(), Dim(3) * W()), Dim(2) * H());
  EXPECT_EQ(mod(N() * c, c), Dim(0));
  EXPECT_EQ(floorDiv(Dim(4) * H() + 8, 4), H() + 2);
}

TEST(DimTest, FloorDivReducesCommonFactors) {
  EXPECT_EQ(floorDiv(Dim(2) * H() + 2, 4), floorDiv(H() + 1, 2));
  EXPECT_EQ(floorDiv(Dim(3) * H() + 6, 9), floorDiv(H() + 2, 3));
}

TEST(DimTest, FloorDivSplitsOffWholeMultiples) {
  // (H - 1) // 2 + 1 == (H + 1) // 2, and (2*H + 5) // 2 == H + 2.
  EXPECT_EQ(floorDiv(H() - 1, 2) + 1, floorDiv(H() + 1, 2));
  EXPECT_EQ(floorDiv(Dim(2) * H() + 5, 2), H() + 2);
  EXPECT_EQ(floorDiv(Dim(5) * H() + 1, 2), Dim(2) * H() + floorDiv(H() + 1, 2));
}

TEST(DimTest, NestedFloorDivsMerge) {
  Dim once = floorDiv(H() + 1, 2);
  EXPECT_EQ(floorDiv(once + 1, 2), floorDiv(H() + 3, 4));
  EXPECT_EQ(floorDiv(floorDiv(H(), 2), 3), floorDiv(H(), 6));
  // Two stride-2 convolutions with padding 1 and kernel 3.
  Dim first = floorDiv(H() + 2 - 3, 2) + 1;
  Dim second = floorDiv(first + 2 - 3, 2) + 1;
  EXPECT_EQ(second, floorDiv(H() + 3, 4));
}

TEST(DimTest, NegativeDivisorIsNormalised) {
  EXPECT_EQ(floorDiv(H(), -2), floorDiv(Dim(0) - H(), 2));
  EXPECT_EQ(floorDiv(H(), -1), Dim(0) - H());
  EXPECT_EQ(mod(H(), -1), Dim(0));
  EXPECT_EQ(mod(H(), 1), Dim(0));
  EXPECT_EQ(floorDiv(H(), 1), H());
}

TEST(DimTest, ModDropsWholeMultiples) {
  EXPECT_EQ(mod(H() + 4, 2), mod(H(), 2));
  EXPECT_EQ(mod(Dim(2) * H(), 2), Dim(0));
  EXPECT_EQ(mod(Dim(3) * H() + 7, 3), Dim(1));
  EXPECT_EQ(mod(Dim(2) * H(), 4), Dim(2) * mod(H(), 2));
}

TEST(DimTest, SubstituteFoldsToAConstant) {
  Dim d = floorDiv(H() + 2 * 1 - 3, 2) + 1; // conv, k=3, s=2, p=1
  Dim at = d.substitute([](llvm::StringRef s) -> std::optional<Dim> {
    return s == "H" ? std::optional<Dim>(Dim(224)) : std::nullopt;
  });
  EXPECT_EQ(at, Dim(112));
}

TEST(DimTest, SubstituteKeepsUnmappedSymbols) {
  Dim d = H() * W() + 1;
  Dim at = d.substitute([](llvm::StringRef s) -> std::optional<Dim> {
    return s == "H" ? std::optional<Dim>(Dim(3)) : std::nullopt;
  });
  EXPECT_EQ(at, Dim(3) * W() + 1);
  Dim renamed = d.substitute([](llvm::StringRef s) -> std::optional<Dim> {
    return s == "W" ? std::optional<Dim>(H()) : std::nullopt;
  });
  EXPECT_EQ(renamed, H() * H() + 1);
  Dim toUnknown = d.substitute([](llvm::StringRef s) -> std::optional<Dim> {
    return s == "W" ? std::optional<Dim>(Dim::unknown()) : std::nullopt;
  });
  EXPECT_TRUE(toUnknown.isUnknown());
}

TEST(DimTest, ForEachSymbolVisitsEachSymbolOnceInOrder) {
  Dim d = floorDiv(W() * H() + N(), 2) + mod(H(), 3) * W();
  std::string seen;
  d.forEachSymbol([&](llvm::StringRef s) { seen += s.str() + ","; });
  EXPECT_EQ(seen, "H,N,W,");
  std::string none;
  Dim(3).forEachSymbol([&](llvm::StringRef s) { none += s.str(); });
  EXPECT_EQ(none, "");
}
} // namespace
