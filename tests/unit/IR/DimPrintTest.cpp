//===- DimPrintTest.cpp - Printing dimensions, and property tests ---------===//
//
// Printed dimensions must read back, and evaluate in Python to the value
// the library computes. The property tests build random expressions and
// check both the folded value and the printed form against a plain
// reference evaluation.
//
//===----------------------------------------------------------------------===//

#include "DimTestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

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
