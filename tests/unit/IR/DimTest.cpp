//===- DimTest.cpp - The dimension algebra --------------------------------===//
//
// Constant folding with Python's // and %, overflow, unknowns, canonical
// forms and printing. The property tests build random expressions, and check
// both the folded value of each and the value its printed form has when read
// with Python's grammar, against a plain reference evaluation.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Dim.h"
#include "shapeflow/IR/Parser.h"

#include "llvm/ADT/StringMap.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cctype>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>

using namespace shapeflow;

namespace shapeflow {
// Lets gtest print dimensions in failure messages.
void PrintTo(const Dim &d, std::ostream *os) { *os << d.str(); }
} // namespace shapeflow

namespace {

constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

/// Wide enough that the reference arithmetic below never overflows.
using Wide = __int128;

Wide pyFloorDiv(Wide a, Wide b) {
  Wide q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0)))
    --q;
  return q;
}

Wide pyMod(Wide a, Wide b) { return a - pyFloorDiv(a, b) * b; }

std::string wideStr(Wide v) {
  if (v == 0)
    return "0";
  bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    int digit = static_cast<int>(v % 10);
    digits.insert(digits.begin(), char('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

Dim H() { return Dim::symbol("H"); }
Dim W() { return Dim::symbol("W"); }
Dim N() { return Dim::symbol("N"); }

/// Evaluates text with Python's grammar for + - * // % and unary minus:
///   sum     := product (('+' | '-') product)*
///   product := unary (('*' | '//' | '%') unary)*
///   unary   := ('-' | '+') unary | primary
///   primary := integer | name | '(' sum ')'
/// `//` floors and `%` takes the divisor's sign. Returns std::nullopt on a
/// syntax error, an unbound name or a division by zero.
class PyEval {
public:
  PyEval(llvm::StringRef text, const llvm::StringMap<int64_t> &symbols)
      : text(text), symbols(symbols) {}

  std::optional<Wide> run() {
    std::optional<Wide> v = sum();
    skipSpace();
    if (!v || pos != text.size())
      return std::nullopt;
    return v;
  }

private:
  void skipSpace() {
    while (pos < text.size() && text[pos] == ' ')
      ++pos;
  }
  bool eat(llvm::StringRef token) {
    skipSpace();
    // A lone '/' is not an operator in Python's integer grammar here.
    if (token == "/" || !text.substr(pos).startswith(token))
      return false;
    if (token == "*" && text.substr(pos).startswith("**"))
      return false;
    pos += token.size();
    return true;
  }

  std::optional<Wide> sum() {
    std::optional<Wide> lhs = product();
    while (lhs) {
      if (eat("+")) {
        std::optional<Wide> rhs = product();
        if (!rhs)
          return std::nullopt;
        *lhs += *rhs;
      } else if (eat("-")) {
        std::optional<Wide> rhs = product();
        if (!rhs)
          return std::nullopt;
        *lhs -= *rhs;
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<Wide> product() {
    std::optional<Wide> lhs = unary();
    while (lhs) {
      char op;
      if (eat("//"))
        op = '/';
      else if (eat("*"))
        op = '*';
      else if (eat("%"))
        op = '%';
      else
        break;
      std::optional<Wide> rhs = unary();
      if (!rhs || (op != '*' && *rhs == 0))
        return std::nullopt;
      *lhs = op == '*'   ? *lhs * *rhs
             : op == '/' ? pyFloorDiv(*lhs, *rhs)
                         : pyMod(*lhs, *rhs);
    }
    return lhs;
  }

  std::optional<Wide> unary() {
    if (eat("-")) {
      std::optional<Wide> v = unary();
      if (!v)
        return std::nullopt;
      return -*v;
    }
    if (eat("+"))
      return unary();
    return primary();
  }

  std::optional<Wide> primary() {
    skipSpace();
    if (eat("(")) {
      std::optional<Wide> v = sum();
      if (!v || !eat(")"))
        return std::nullopt;
      return v;
    }
    size_t start = pos;
    if (pos < text.size() && std::isdigit(text[pos])) {
      Wide v = 0;
      while (pos < text.size() && std::isdigit(text[pos]))
        v = v * 10 + (text[pos++] - '0');
      return v;
    }
    while (pos < text.size() && (std::isalnum(text[pos]) || text[pos] == '_'))
      ++pos;
    if (start == pos)
      return std::nullopt;
    auto it = symbols.find(text.substr(start, pos - start));
    if (it == symbols.end())
      return std::nullopt;
    return Wide(it->second);
  }

  llvm::StringRef text;
  const llvm::StringMap<int64_t> &symbols;
  size_t pos = 0;
};

std::optional<Wide> pyEval(llvm::StringRef text,
                           const llvm::StringMap<int64_t> &symbols = {}) {
  return PyEval(text, symbols).run();
}

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

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

TEST(DimTest, PrintsKindsOfDimension) {
  EXPECT_EQ(Dim(3).str(), "3");
  EXPECT_EQ(Dim(-3).str(), "-3");
  EXPECT_EQ(Dim::unknown().str(), "?");
  EXPECT_EQ(Dim::invalid().str(), "<invalid>");
  EXPECT_EQ(H().str(), "H");
}

TEST(DimTest, PrintsSumsWithConstantLast) {
  EXPECT_EQ((H() + 1).str(), "H + 1");
  EXPECT_EQ((H() - 1).str(), "H - 1");
  EXPECT_EQ((Dim(1) + H()).str(), "H + 1");
  EXPECT_EQ((H() * W() + H() + 1).str(), "H * W + H + 1");
  EXPECT_EQ((W() + H()).str(), "H + W");
}

TEST(DimTest, PrintsLeadingNegativeTerms) {
  EXPECT_EQ((Dim(1) - H()).str(), "-H + 1");
  EXPECT_EQ((Dim(0) - Dim(2) * H()).str(), "-2 * H");
  EXPECT_EQ((W() - H()).str(), "-H + W");
  // A leading minus before a division atom needs parentheses: Python reads
  // -H // 2 as (-H) // 2.
  EXPECT_EQ((Dim(0) - floorDiv(H(), 2)).str(), "-(H // 2)");
  EXPECT_EQ((Dim(2) - mod(H(), 3)).str(), "-(H % 3) + 2");
}

TEST(DimTest, PrintsDivisionAtomsInProductsWithParentheses) {
  EXPECT_EQ(floorDiv(H(), 2).str(), "H // 2");
  EXPECT_EQ((floorDiv(H(), 2) + 1).str(), "H // 2 + 1");
  EXPECT_EQ((Dim(3) * floorDiv(H(), 2)).str(), "3 * (H // 2)");
  EXPECT_EQ((floorDiv(H(), 2) * W()).str(), "(H // 2) * W");
  EXPECT_EQ((mod(H(), 3) * W()).str(), "(H % 3) * W");
  EXPECT_EQ((W() - floorDiv(H(), 2)).str(), "-(H // 2) + W");
}

TEST(DimTest, PrintsCompoundOperandsOfDivisionWithParentheses) {
  EXPECT_EQ(floorDiv(H() + 1, 2).str(), "(H + 1) // 2");
  EXPECT_EQ(mod(H() + 1, 3).str(), "(H + 1) % 3");
  EXPECT_EQ(floorDiv(H() * W(), 2).str(), "(H * W) // 2");
  EXPECT_EQ(floorDiv(H(), W()).str(), "H // W");
  EXPECT_EQ(floorDiv(H(), W() + 1).str(), "H // (W + 1)");
  EXPECT_EQ(floorDiv(Dim(0) - H(), W()).str(), "(-H) // W");
}

TEST(DimTest, PrintsConvArithmeticCanonically) {
  // out = (H - 3) // 2 + 1 is kept as the equal (H + 1) // 2 - 1.
  Dim out = floorDiv(H() - 3, 2) + 1;
  EXPECT_EQ(out.str(), "(H + 1) // 2 - 1");
  EXPECT_EQ(floorDiv(H() - 3, 2).str(), "(H + 1) // 2 - 2");
  EXPECT_EQ((floorDiv(H() + 3, 4) * floorDiv(W() + 3, 4)).str(),
            "((H + 3) // 4) * ((W + 3) // 4)");
}

// The most negative coefficients and constants still print so that they
// evaluate back to their value in Python.
TEST(DimTest, PrintsMostNegativeCoefficientSoThatItEvaluatesBack) {
  Dim d = Dim(kMin + 1) * H();
  ASSERT_TRUE(d.isSymbolic());
  EXPECT_EQ(d.str(), "-9223372036854775807 * H");
  std::optional<Wide> v = pyEval(d.str(), {{"H", 1}});
  ASSERT_TRUE(v.has_value()) << d.str();
  EXPECT_EQ(wideStr(*v), wideStr(kMin + 1)) << "printed as " << d.str();

  Dim e = H() * W() + Dim(kMin + 1) * H() + Dim(kMin + 1);
  std::optional<Wide> w = pyEval(e.str(), {{"H", 1}, {"W", 2}});
  ASSERT_TRUE(w.has_value()) << e.str();
  EXPECT_EQ(wideStr(*w), wideStr(Wide(2) + 2 * Wide(kMin + 1)))
      << "printed as " << e.str();
}

// The canonical forms listed in docs/text-format.md.
TEST(DimTest, DocumentedCanonicalFormsPrintAsDocumented) {
  struct Case {
    const char *written, *printed;
  } cases[] = {{"5 - N", "-N + 5"},
               {"2*N*M", "2 * M * N"},
               {"N * (M + 1)", "M * N + N"},
               {"(N+1)*(N-1)", "N * N - 1"},
               {"(H - 1) // 2 + 1", "(H + 1) // 2"},
               {"N // 2 // 3", "N // 6"},
               {"(N // 2 + 1) // 3", "(N + 2) // 6"},
               {"N % 4 * 2", "2 * (N % 4)"},
               {"-N % 3 + 7", "(2 * N) % 3 + 7"},
               {"-(N // 2) + 10", "-(N // 2) + 10"},
               {"-N // 2", "-N + N // 2"}};
  for (const Case &c : cases) {
    auto type = parseType(std::string("f32[") + c.written + "]");
    ASSERT_TRUE(bool(type))
        << c.written << ": " << llvm::toString(type.takeError());
    EXPECT_EQ(type->getDim(0).str(), c.printed) << c.written;
  }
}

// The evaluator the property tests rely on, against values from python3.
TEST(DimTest, TestEvaluatorFollowsPythonGrammar) {
  llvm::StringMap<int64_t> h{{"H", 7}};
  auto eval = [&](llvm::StringRef text) { return wideStr(*pyEval(text, h)); };
  EXPECT_EQ(eval("-7 // 2"), "-4");
  EXPECT_EQ(eval("-H // 2"), "-4");
  EXPECT_EQ(eval("2 - 3 - 4"), "-5");
  EXPECT_EQ(eval("2 * 3 % 4"), "2");
  EXPECT_EQ(eval("7 % -3"), "-2");
  EXPECT_EQ(eval("-(7 // 2)"), "-3");
  EXPECT_EQ(eval("12 // 2 // 3"), "2");
  EXPECT_EQ(eval("- - 3"), "3");
  EXPECT_EQ(eval("-2 * -3 // 4"), "1");
  EXPECT_EQ(eval("10 - 7 % 4 * 2"), "4");
  EXPECT_EQ(eval("3 * -H % 5"), "4");
  EXPECT_EQ(eval("-H % 5 * 2"), "6");
  EXPECT_FALSE(pyEval("H / 2", h).has_value());
  EXPECT_FALSE(pyEval("<invalid>", h).has_value());
  EXPECT_FALSE(pyEval("H +", h).has_value());
}

//===----------------------------------------------------------------------===//
// Exact division
//===----------------------------------------------------------------------===//

TEST(DimTest, ExactDivOfConstants) {
  EXPECT_EQ(exactDiv(Dim(6), Dim(3)), Dim(2));
  EXPECT_EQ(exactDiv(Dim(6), Dim(-3)), Dim(-2));
  EXPECT_EQ(exactDiv(Dim(-6), Dim(3)), Dim(-2));
  EXPECT_EQ(exactDiv(Dim(0), Dim(5)), Dim(0));
  EXPECT_FALSE(exactDiv(Dim(7), Dim(2)).has_value());
  EXPECT_FALSE(exactDiv(Dim(5), Dim(0)).has_value());
  EXPECT_FALSE(exactDiv(Dim(0), Dim(0)).has_value());
}

TEST(DimTest, ExactDivByAConstantDividesEveryCoefficient) {
  EXPECT_EQ(exactDiv(Dim(6) * H() + Dim(4) * W(), Dim(2)),
            Dim(3) * H() + Dim(2) * W());
  EXPECT_EQ(exactDiv(Dim(6) * H() + 4, Dim(-2)), Dim(-3) * H() - 2);
  EXPECT_FALSE(exactDiv(Dim(6) * H() + 3, Dim(2)).has_value());
  EXPECT_FALSE(exactDiv(H(), Dim(2)).has_value());
  EXPECT_EQ(exactDiv(H(), Dim(1)), H());
}

TEST(DimTest, ExactDivByAMonomial) {
  EXPECT_EQ(exactDiv(Dim(2) * H() * W(), H()), Dim(2) * W());
  EXPECT_EQ(exactDiv(H() * H(), H()), H());
  EXPECT_EQ(exactDiv(H() * W() + H(), H()), W() + 1);
  EXPECT_EQ(exactDiv(H(), H()), Dim(1));
  EXPECT_EQ(exactDiv(Dim(6) * H() * W(), Dim(3) * W()), Dim(2) * H());
  EXPECT_EQ(exactDiv(Dim(0), H()), Dim(0));
  EXPECT_FALSE(exactDiv(H(), Dim(2) * H()).has_value());
  EXPECT_FALSE(exactDiv(H() + W(), H()).has_value());
  EXPECT_FALSE(exactDiv(H() * W() + 1, H()).has_value());
  EXPECT_FALSE(exactDiv(Dim(6), H()).has_value());
}

TEST(DimTest, ExactDivByASumDividesOnlyItself) {
  EXPECT_EQ(exactDiv(H() + 1, H() + 1), Dim(1));
  EXPECT_EQ(exactDiv(Dim(0), H() + 1), Dim(0));
  EXPECT_FALSE(exactDiv(H() + 2, H() + 1).has_value());
  EXPECT_FALSE(exactDiv(H() + W(), H() + 1).has_value());
}

//===----------------------------------------------------------------------===//
// Property tests
//===----------------------------------------------------------------------===//

/// An expression tree evaluated two ways: as Dims, and directly.
struct Expr {
  enum class Op { Const, Sym, Add, Sub, Mul, FloorDiv, Mod };
  Op op;
  int64_t value = 0; // Const, and the divisor of FloorDiv and Mod
  std::string symbol;
  std::shared_ptr<const Expr> lhs, rhs;
};
using ExprPtr = std::shared_ptr<const Expr>;

class ExprGenerator {
public:
  explicit ExprGenerator(uint64_t seed) : rng(seed) {}

  ExprPtr generate(int depth) {
    if (depth == 0 || pick(0, 4) == 0)
      return leaf();
    auto e = std::make_shared<Expr>();
    switch (pick(0, 5)) {
    case 0:
      e->op = Expr::Op::Add;
      break;
    case 1:
      e->op = Expr::Op::Sub;
      break;
    case 2:
      e->op = Expr::Op::Mul;
      break;
    case 3:
    case 4:
      e->op = Expr::Op::FloorDiv;
      break;
    default:
      e->op = Expr::Op::Mod;
      break;
    }
    e->lhs = generate(depth - 1);
    if (e->op == Expr::Op::FloorDiv || e->op == Expr::Op::Mod) {
      static const int64_t divisors[] = {-6, -4, -3, -2, -1, 1,
                                         2,  3,  4,  5,  6,  8};
      e->value = divisors[pick(0, std::size(divisors) - 1)];
    } else {
      e->rhs = generate(depth - 1);
    }
    return e;
  }

  int64_t pick(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }

private:
  ExprPtr leaf() {
    auto e = std::make_shared<Expr>();
    if (pick(0, 2) == 0) {
      e->op = Expr::Op::Const;
      e->value = pick(-6, 6);
      return e;
    }
    static const char *const symbols[] = {"H", "W", "N"};
    e->op = Expr::Op::Sym;
    e->symbol = symbols[pick(0, 2)];
    return e;
  }

  std::mt19937_64 rng;
};

Dim toDim(const Expr &e) {
  switch (e.op) {
  case Expr::Op::Const:
    return Dim(e.value);
  case Expr::Op::Sym:
    return Dim::symbol(e.symbol);
  case Expr::Op::Add:
    return toDim(*e.lhs) + toDim(*e.rhs);
  case Expr::Op::Sub:
    return toDim(*e.lhs) - toDim(*e.rhs);
  case Expr::Op::Mul:
    return toDim(*e.lhs) * toDim(*e.rhs);
  case Expr::Op::FloorDiv:
    return floorDiv(toDim(*e.lhs), Dim(e.value));
  case Expr::Op::Mod:
    return mod(toDim(*e.lhs), Dim(e.value));
  }
  return Dim::invalid();
}

/// Plain Python-semantics evaluation of the tree.
Wide evaluate(const Expr &e, const llvm::StringMap<int64_t> &values) {
  switch (e.op) {
  case Expr::Op::Const:
    return e.value;
  case Expr::Op::Sym:
    return values.lookup(e.symbol);
  case Expr::Op::Add:
    return evaluate(*e.lhs, values) + evaluate(*e.rhs, values);
  case Expr::Op::Sub:
    return evaluate(*e.lhs, values) - evaluate(*e.rhs, values);
  case Expr::Op::Mul:
    return evaluate(*e.lhs, values) * evaluate(*e.rhs, values);
  case Expr::Op::FloorDiv:
    return pyFloorDiv(evaluate(*e.lhs, values), e.value);
  case Expr::Op::Mod:
    return pyMod(evaluate(*e.lhs, values), e.value);
  }
  return 0;
}

/// The tree fully parenthesised, as Python source, for failure messages.
std::string pythonSource(const Expr &e) {
  switch (e.op) {
  case Expr::Op::Const:
    return e.value < 0 ? "(" + std::to_string(e.value) + ")"
                       : std::to_string(e.value);
  case Expr::Op::Sym:
    return e.symbol;
  case Expr::Op::Add:
    return "(" + pythonSource(*e.lhs) + " + " + pythonSource(*e.rhs) + ")";
  case Expr::Op::Sub:
    return "(" + pythonSource(*e.lhs) + " - " + pythonSource(*e.rhs) + ")";
  case Expr::Op::Mul:
    return "(" + pythonSource(*e.lhs) + " * " + pythonSource(*e.rhs) + ")";
  case Expr::Op::FloorDiv:
    return "(" + pythonSource(*e.lhs) + " // (" + std::to_string(e.value) +
           "))";
  case Expr::Op::Mod:
    return "(" + pythonSource(*e.lhs) + " % (" + std::to_string(e.value) + "))";
  }
  return "";
}

std::string describeValues(const llvm::StringMap<int64_t> &values) {
  return "H=" + std::to_string(values.lookup("H")) +
         ", W=" + std::to_string(values.lookup("W")) +
         ", N=" + std::to_string(values.lookup("N"));
}

/// Collects the first few failures of a property so one run shows them.
struct Failures {
  unsigned count = 0;
  std::string text;

  void add(const std::string &message) {
    if (++count <= 8)
      text += message + "\n";
  }
};

constexpr int kNumExpressions = 4000;
constexpr int kValuesPerExpression = 8;
constexpr Wide kLimit = Wide(1) << 60;

TEST(DimPropertyTest, SubstitutionAndPrintedFormAgreeWithDirectEvaluation) {
  ExprGenerator gen(/*seed=*/20240611);
  Failures folded, printed;
  unsigned checked = 0;
  for (int i = 0; i < kNumExpressions; ++i) {
    ExprPtr e = gen.generate(/*depth=*/1 + i % 5);
    Dim d = toDim(*e);
    ASSERT_TRUE(d.isDetermined()) << pythonSource(*e) << " -> " << d.str();
    std::string text = d.str();

    for (int j = 0; j < kValuesPerExpression; ++j) {
      llvm::StringMap<int64_t> values{{"H", gen.pick(-20, 40)},
                                      {"W", gen.pick(-20, 40)},
                                      {"N", gen.pick(-20, 40)}};
      Wide want = evaluate(*e, values);
      if (want > kLimit || want < -kLimit)
        continue; // too big to say anything about 64-bit folding
      ++checked;
      std::string where = pythonSource(*e) + " at " + describeValues(values) +
                          " (canonical: " + text + ")";

      // (a) Substituting the values folds to the same constant.
      Dim at = d.substitute([&](llvm::StringRef s) -> std::optional<Dim> {
        return Dim(values.lookup(s));
      });
      if (!at.isConstant() || Wide(at.getConstant()) != want)
        folded.add(where + ": substitute gives " + at.str() +
                   ", direct evaluation " + wideStr(want));

      // (b) The printed form, read as Python, has the same value.
      std::optional<Wide> got = pyEval(text, values);
      if (!got || *got != want)
        printed.add(where + ": the printed form evaluates to " +
                    (got ? wideStr(*got) : "<syntax error>") +
                    ", direct evaluation " + wideStr(want));
    }
  }
  EXPECT_GT(checked, unsigned(kNumExpressions));
  EXPECT_EQ(folded.count, 0u) << folded.text;
  EXPECT_EQ(printed.count, 0u) << printed.text;
}

// The printed form also reads back through the text-format parser to the
// very same (uniqued) dimension.
TEST(DimPropertyTest, PrintedFormParsesBackToTheSameDim) {
  ExprGenerator gen(/*seed=*/7);
  Failures failures;
  for (int i = 0; i < 1500; ++i) {
    ExprPtr e = gen.generate(/*depth=*/1 + i % 5);
    Dim d = toDim(*e);
    if (!d.isSymbolic())
      continue; // negative constants are not valid dimensions in a type
    std::string text = "f32[" + d.str() + "]";
    auto type = parseType(text);
    if (!type) {
      failures.add(text + ": " + llvm::toString(type.takeError()));
      continue;
    }
    if (type->getRank() != 1 || type->getDim(0) != d)
      failures.add(text + " parses back as " + type->str());
  }
  EXPECT_EQ(failures.count, 0u) << failures.text;
}

// Equal expressions built in different ways are the same object, so their
// printed forms are identical too.
TEST(DimPropertyTest, RearrangedSumsAndProductsCanonicaliseIdentically) {
  ExprGenerator gen(/*seed=*/99);
  Failures failures;
  for (int i = 0; i < 1000; ++i) {
    Dim a = toDim(*gen.generate(3)), b = toDim(*gen.generate(3)),
        c = toDim(*gen.generate(3));
    if ((a + b) + c != c + (b + a))
      failures.add("sum of " + a.str() + ", " + b.str() + ", " + c.str());
    if ((a * b) * c != c * (b * a))
      failures.add("product of " + a.str() + ", " + b.str() + ", " + c.str());
    if (a * (b + c) != a * b + a * c)
      failures.add("distributing " + a.str() + " over " + b.str() + ", " +
                   c.str());
    if ((a + b) - b != a)
      failures.add("adding and subtracting " + b.str() + " to " + a.str());
  }
  EXPECT_EQ(failures.count, 0u) << failures.text;
}

} // namespace
