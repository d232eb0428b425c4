//===- OpRulesTest.cpp - The shape rule of every op -----------------------===//
//
// Each op's rule is checked forward against shapes computed here with plain
// integer formulas, backward where the rule is exact (a declared weight pins
// an input dim, one unknown factor or part is solved), not backward where
// the answer is ambiguous (broadcasting an unknown against a known non-1
// dim), and on conflicts, whose messages name the op and both values.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <set>
#include <string>

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

/// Python's floor division on plain integers.
int64_t floorDivInt(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// ceil(a / b) for b > 0.
int64_t ceilDivInt(int64_t a, int64_t b) { return -floorDivInt(-a, b); }

/// out = (in + 2p - d(k - 1) - 1) // s + 1
int64_t convOut(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return floorDivInt(in + 2 * p - d * (k - 1) - 1, s) + 1;
}

/// out = floor or ceil((in + 2p - k) / s) + 1
int64_t poolOut(int64_t in, int64_t k, int64_t s, int64_t p, bool ceilMode) {
  int64_t span = in + 2 * p - k;
  return (ceilMode ? ceilDivInt(span, s) : floorDivInt(span, s)) + 1;
}

std::string f32(std::initializer_list<int64_t> dims) {
  std::string s = "f32[";
  const char *sep = "";
  for (int64_t d : dims) {
    s += sep + std::to_string(d);
    sep = ", ";
  }
  return s + "]";
}

/// A graph with inputs `inputs`, the given body and `return %y`.
std::string graph(llvm::StringRef inputs, llvm::StringRef body) {
  return "graph g(" + inputs.str() + ") {\n" + body.str() +
         "\n  return %y\n}\n";
}

//===----------------------------------------------------------------------===//
// Coverage
//===----------------------------------------------------------------------===//

// Every op below has tests in this file; a new op must add its own.
TEST(OpRulesTest, EveryRegisteredOpIsCovered) {
  std::set<std::string> covered = {
      "add",        "avg_pool2d", "batch_norm",  "concat",
      "conv2d",     "dense",      "div",         "dropout",
      "embedding",  "flatten",    "gelu",        "global_avg_pool2d",
      "identity",   "layer_norm", "log_softmax", "matmul",
      "max_pool2d", "mul",        "param",       "relu",
      "reshape",    "sigmoid",    "softmax",     "sub",
      "tanh",       "transpose"};
  std::set<std::string> registered;
  for (const OpInfo *op : allOps())
    registered.insert(op->name.str());
  EXPECT_EQ(registered, covered);
}

//===----------------------------------------------------------------------===//
// param
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, ParamTakesItsShapeFromItsUse) {
  auto c = compile(graph("%x: f32[2, 3]", "  %w = param\n"
                                          "  %y = add(%x, %w)"));
  // add broadcasts, so an unranked parameter cannot be decided by it.
  EXPECT_THAT(c->errors, HasSubstr("parameter '%w' has shape [*] after "
                                   "inference: not determined by add '%y'"));

  auto d = compile(graph("%x: f32[2, 3]", "  %w = param : f32[?, ?]\n"
                                          "  %y = matmul(%x, %w) : f32[2, 5]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("w"), "f32[3, 5]");
}

TEST(OpRulesTest, ParamKeepsItsDeclaredElementType) {
  auto c = compile(graph("", "  %ids = param : i64[4]\n"
                             "  %t = param\n"
                             "  %y = embedding(%ids, %t, input_dim=10, "
                             "output_dim=3)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("ids"), "i64[4]");
  EXPECT_EQ(c->type("y"), "f32[4, 3]");
}

//===----------------------------------------------------------------------===//
// Unary ops, dropout, softmax
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, UnaryOpsKeepTheShapeBothWays) {
  for (const char *op : {"relu", "sigmoid", "tanh", "gelu", "identity",
                         "dropout", "softmax", "log_softmax"}) {
    SCOPED_TRACE(op);
    auto fwd = compile(
        graph("%x: f32[2, N, 5]", std::string("  %y = ") + op + "(%x)"));
    ASSERT_EQ(fwd->errors, "");
    EXPECT_EQ(fwd->type("y"), "f32[2, N, 5]");

    // A declared result fills in the operand.
    auto bwd = compile(graph("%x: f32[?, ?]",
                             std::string("  %y = ") + op + "(%x) : f32[4, 7]"));
    ASSERT_EQ(bwd->errors, "");
    EXPECT_EQ(bwd->type("x"), "f32[4, 7]");

    auto bad = compile(graph("%x: f32[2, 3]",
                             std::string("  %y = ") + op + "(%x) : f32[2, 4]"));
    EXPECT_THAT(bad->errors, HasSubstr(std::string(op) + " '%y': "));
    EXPECT_THAT(bad->errors, HasSubstr("is 4"));
    EXPECT_THAT(bad->errors, HasSubstr("is 3"));
  }
}

TEST(OpRulesTest, DropoutAcceptsRatesInUnitInterval) {
  for (const char *rate : {"0", "0.0", "0.5", "0.999"}) {
    auto c = compile(graph(
        "%x: f32[2, 3]", std::string("  %y = dropout(%x, rate=") + rate + ")"));
    EXPECT_EQ(c->errors, "") << rate;
  }
}

TEST(OpRulesTest, DropoutRejectsRateOutOfRange) {
  for (const char *rate : {"1", "1.0", "-0.5", "2.5"}) {
    auto c = compile(graph(
        "%x: f32[2, 3]", std::string("  %y = dropout(%x, rate=") + rate + ")"));
    EXPECT_THAT(c->errors, HasSubstr("dropout '%y': rate="));
    EXPECT_THAT(c->errors, HasSubstr("must lie in [0, 1)")) << rate;
  }
}

// The message should show the rate as written, not rounded to two places.
TEST(OpRulesTest, DropoutMessageShowsTheRateAsWritten) {
  auto c = compile(graph("%x: f32[2, 3]", "  %y = dropout(%x, rate=-0.001)"));
  EXPECT_THAT(c->errors, HasSubstr("rate=-0.001 must lie in [0, 1)"));
}

TEST(OpRulesTest, SoftmaxChecksItsAxis) {
  for (const char *axis : {"0", "1", "-1", "-2"}) {
    auto c = compile(graph(
        "%x: f32[2, 3]", std::string("  %y = softmax(%x, axis=") + axis + ")"));
    EXPECT_EQ(c->errors, "") << axis;
  }
  auto c = compile(graph("%x: f32[2, 3]", "  %y = log_softmax(%x, axis=2)"));
  EXPECT_THAT(c->errors,
              HasSubstr("log_softmax '%y': axis=2 is out of range for rank 2"));
  auto d = compile(graph("%x: f32[2, 3]", "  %y = softmax(%x, axis=-3)"));
  EXPECT_THAT(d->errors, HasSubstr("axis=-3 is out of range for rank 2"));
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, BinaryOpsBroadcastLikeNumPy) {
  struct Case {
    const char *a, *b, *result;
  } cases[] = {
      {"f32[3, 1, 5]", "f32[4, 1]", "f32[3, 4, 5]"},
      {"f32[2, 3]", "f32[3]", "f32[2, 3]"},
      {"f32[3]", "f32[2, 3]", "f32[2, 3]"},
      {"f32[]", "f32[2, 3]", "f32[2, 3]"},
      {"f32[1]", "f32[]", "f32[1]"},
      {"f32[1, 1]", "f32[1, 1]", "f32[1, 1]"},
      {"f32[N, 1]", "f32[1, C]", "f32[N, C]"},
      {"f32[N, C]", "f32[N, C]", "f32[N, C]"},
  };
  for (const char *op : {"add", "sub", "mul", "div"}) {
    for (const Case &k : cases) {
      SCOPED_TRACE(std::string(op) + " " + k.a + " " + k.b);
      auto c = compile(graph(std::string("%a: ") + k.a + ", %b: " + k.b,
                             std::string("  %y = ") + op + "(%a, %b)"));
      ASSERT_EQ(c->errors, "");
      EXPECT_EQ(c->type("y"), k.result);
    }
  }
}

TEST(OpRulesTest, BroadcastWithOneCopiesTheOtherSideBackward) {
  // [?] + [1] = [5] means the unknown is 5: the 1 copies the other side.
  auto c =
      compile(graph("%a: f32[?], %b: f32[1]", "  %y = add(%a, %b) : f32[5]"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("a"), "f32[5]");

  auto d = compile(
      graph("%a: f32[1, 3], %b: f32[?, 3]", "  %y = mul(%a, %b) : f32[7, 3]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("b"), "f32[7, 3]");
}

TEST(OpRulesTest, BroadcastOfUnknownWithKnownNonOneDoesNotInferBackward) {
  // The unknown may be 1 or 4; nothing decides which.
  auto c = compile(graph("%a: f32[?, 3], %b: f32[4, 3]", "  %y = add(%a, %b)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("a"), "f32[?, 3]");
  EXPECT_THAT(c->type("y"), AnyOf("f32[?, 3]", "f32[4, 3]"));

  auto d = compile(
      graph("%a: f32[?, 3], %b: f32[4, 3]", "  %y = sub(%a, %b) : f32[4, 3]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("a"), "f32[?, 3]");
}

TEST(OpRulesTest, BroadcastRunsAgainOnceAnOperandGetsItsRank) {
  // The add comes first and cannot act: %w has no rank until the dense
  // after it gives it [3, 2]. The add must then run again.
  auto c = compile(R"(
graph g(%v: f32[4, 2], %x: f32[1, 1]) {
  %w = param
  %s = add(%w, %x)
  %y = dense(%v, %w, units=3)
  return %y, %s
}
)");
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({3, 2}));
  EXPECT_EQ(c->type("s"), f32({3, 2}));
}

TEST(OpRulesTest, MatmulNeedsBothRanks) {
  // b could be a vector or a matrix: an unranked operand stays unranked.
  auto c = compile(graph("%a: f32[4, 2]", "  %w = param\n"
                                          "  %y = matmul(%a, %w)"));
  EXPECT_THAT(c->errors, HasSubstr("parameter '%w' has shape [*] after "
                                   "inference: not determined by matmul "
                                   "'%y'"));
}

TEST(OpRulesTest, BroadcastRejectsDifferentKnownDims) {
  auto c = compile(graph("%a: f32[2, 3], %b: f32[4, 3]", "  %y = add(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("add '%y': cannot broadcast dim 0 of a "
                                   "'%a' (2) with dim 0 of b '%b' (4)"));
}

TEST(OpRulesTest, BroadcastRejectsSymbolsThatMayDiffer) {
  auto c = compile(graph("%a: f32[N], %b: f32[3]", "  %y = div(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("div '%y': cannot broadcast dim 0 of a "
                                   "'%a' (N) with dim 0 of b '%b' (3): they "
                                   "may differ at run time"));
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, MatmulFollowsNumPyShapes) {
  struct Case {
    const char *a, *b, *result;
  } cases[] = {
      {"f32[2, 3]", "f32[3, 4]", "f32[2, 4]"},
      {"f32[3]", "f32[3, 4]", "f32[4]"},
      {"f32[2, 3]", "f32[3]", "f32[2]"},
      {"f32[3]", "f32[3]", "f32[]"},
      {"f32[7, 2, 3]", "f32[3]", "f32[7, 2]"},
      {"f32[3]", "f32[7, 3, 4]", "f32[7, 4]"},
      {"f32[7, 2, 3]", "f32[3, 4]", "f32[7, 2, 4]"},
      {"f32[2, 3]", "f32[7, 3, 4]", "f32[7, 2, 4]"},
      {"f32[5, 1, 2, 3]", "f32[4, 3, 6]", "f32[5, 4, 2, 6]"},
      {"f32[B, M, K]", "f32[B, K, N]", "f32[B, M, N]"},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(std::string(k.a) + " x " + k.b);
    auto c = compile(graph(std::string("%a: ") + k.a + ", %b: " + k.b,
                           "  %y = matmul(%a, %b)"));
    ASSERT_EQ(c->errors, "");
    EXPECT_EQ(c->type("y"), k.result);
  }
}

TEST(OpRulesTest, MatmulInfersTheInnerDimBackward) {
  auto c =
      compile(graph("%a: f32[2, ?], %b: f32[5, 4]", "  %y = matmul(%a, %b)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("a"), "f32[2, 5]");

  auto d = compile(graph("%a: f32[?, ?], %b: f32[?, ?]",
                         "  %y = matmul(%a, %b) : f32[2, 4]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("a"), "f32[2, ?]");
  EXPECT_EQ(d->type("b"), "f32[?, 4]");
}

TEST(OpRulesTest, MatmulRejectsMismatchedInnerDims) {
  auto c =
      compile(graph("%a: f32[2, 3], %b: f32[4, 5]", "  %y = matmul(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("matmul '%y': dim 1 of a '%a' is 3 but "
                                   "dim 0 of b '%b' is 4; they must be "
                                   "equal"));
}

TEST(OpRulesTest, MatmulRejectsBatchDimsThatDoNotBroadcast) {
  auto c = compile(
      graph("%a: f32[2, 3, 4], %b: f32[5, 4, 6]", "  %y = matmul(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("matmul '%y': cannot broadcast dim 0 of "
                                   "a '%a' (2) with dim 0 of b '%b' (5)"));
}

TEST(OpRulesTest, MatmulRejectsScalars) {
  auto c = compile(graph("%a: f32[], %b: f32[3]", "  %y = matmul(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("matmul '%y': matmul needs operands of "
                                   "rank 1 or more, got rank 0 and 1"));
}

//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, DenseFlattensTrailingDims) {
  auto c = compile(graph("%x: f32[2, 3, 4, 5]",
                         "  %w = param\n"
                         "  %b = param\n"
                         "  %y = dense(%x, %w, %b, units=10)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({10, 3 * 4 * 5}));
  EXPECT_EQ(c->type("b"), f32({10}));
  EXPECT_EQ(c->type("y"), f32({2, 10}));
}

TEST(OpRulesTest, DenseWithoutFlattenKeepsLeadingDims) {
  auto c = compile(graph("%x: f32[2, 3, 4]",
                         "  %w = param\n"
                         "  %y = dense(%x, %w, units=10, flatten=false)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({10, 4}));
  EXPECT_EQ(c->type("y"), f32({2, 3, 10}));

  auto v = compile(graph("%x: f32[4]",
                         "  %w = param\n"
                         "  %y = dense(%x, %w, units=3, flatten=false)"));
  ASSERT_EQ(v->errors, "");
  EXPECT_EQ(v->type("y"), f32({3}));
}

TEST(OpRulesTest, DenseWeightPinsTheInputWidthBackward) {
  auto c = compile(graph("%x: f32[2, ?]", "  %w = param : f32[10, 20]\n"
                                          "  %y = dense(%x, %w, units=10)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 20}));

  // One unknown factor of the flattened width is solved: 12 / 3 = 4.
  auto d = compile(graph("%x: f32[2, 3, ?]", "  %w = param : f32[10, 12]\n"
                                             "  %y = dense(%x, %w, units=10)"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("x"), f32({2, 3, 4}));

  // Two unknown factors cannot be split.
  auto e = compile(graph("%x: f32[2, ?, ?]", "  %w = param : f32[10, 12]\n"
                                             "  %y = dense(%x, %w, units=10)"));
  ASSERT_EQ(e->errors, "");
  EXPECT_EQ(e->type("x"), "f32[2, ?, ?]");
}

TEST(OpRulesTest, DenseRejectsWidthThatIsNotAMultiple) {
  auto c = compile(graph("%x: f32[2, 3, ?]", "  %w = param : f32[10, 14]\n"
                                             "  %y = dense(%x, %w, units=10)"));
  EXPECT_THAT(c->errors,
              HasSubstr("dense '%y': dim 1 of weight '%w' is 14, which is not "
                        "a multiple of 3 (the product of the other dims), so "
                        "dim 2 of x '%x' has no integer solution"));
}

TEST(OpRulesTest, DenseRejectsWeightThatDisagreesWithUnits) {
  auto c = compile(graph("%x: f32[2, 20]", "  %w = param : f32[8, 20]\n"
                                           "  %y = dense(%x, %w, units=10)"));
  EXPECT_THAT(c->errors, HasSubstr("dense '%y': dim 0 of weight '%w' is 8, "
                                   "but units requires 10"));
  EXPECT_THAT(c->errors, HasSubstr("note: 8 comes from '%w' declared "
                                   "f32[8, 20] here"));
}

TEST(OpRulesTest, DenseRejectsWeightOfTheWrongRank) {
  auto c = compile(graph("%x: f32[2, 20]", "  %w = param : f32[10, 20, 1]\n"
                                           "  %y = dense(%x, %w, units=10)"));
  EXPECT_THAT(c->errors, HasSubstr("dense '%y': weight '%w' must have rank 2, "
                                   "but it has rank 3"));
  EXPECT_THAT(c->errors, HasSubstr("'%w' is declared f32[10, 20, 1] here"));
}

TEST(OpRulesTest, DenseRejectsVectorWhenFlattening) {
  auto c = compile(graph("%x: f32[5]", "  %w = param\n"
                                       "  %y = dense(%x, %w, units=3)"));
  EXPECT_THAT(c->errors, HasSubstr("dense '%y': x '%x' has rank 1, but dense "
                                   "needs rank 2 or more with flatten=true"));
}

// A weight of the wrong rank is one error; the rule must not go on to read
// or equate a dim the weight does not have.
TEST(OpRulesTest, DenseWeightOfTheWrongRankCausesNoOtherConflict) {
  auto c = compile(graph("%x: f32[2, 20]", "  %w = param : f32[10]\n"
                                           "  %y = dense(%x, %w, units=10)"));
  EXPECT_THAT(c->errors, HasSubstr("dense '%y': weight '%w' must have rank 2, "
                                   "but it has rank 1"));
  EXPECT_THAT(c->errors, Not(HasSubstr("dim 1 of weight")));

  auto d = compile(graph("%x: f32[2, 3, 4]",
                         "  %w = param : f32[10]\n"
                         "  %y = dense(%x, %w, units=10, flatten=false)"));
  EXPECT_THAT(d->errors, HasSubstr("weight '%w' must have rank 2"));
  EXPECT_THAT(d->errors, Not(HasSubstr("dim 1 of weight")));
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, Conv2DAppliesStridePaddingAndDilation) {
  // kernel [5, 3], stride [2, 1], padding [2, 1], dilation [1, 2]
  auto c =
      compile(graph("%x: f32[2, 3, 32, 30]",
                    "  %w = param\n"
                    "  %b = param\n"
                    "  %y = conv2d(%x, %w, %b, channels=16, kernel=[5, 3], "
                    "stride=[2, 1], padding=[2, 1], dilation=[1, 2])"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({16, 3, 5, 3}));
  EXPECT_EQ(c->type("b"), f32({16}));
  EXPECT_EQ(c->type("y"),
            f32({2, 16, convOut(32, 5, 2, 2, 1), convOut(30, 3, 1, 1, 2)}));
}

TEST(OpRulesTest, Conv2DMatchesTheFormulaForEveryInputSize) {
  struct Config {
    int64_t k, s, p, d;
  } configs[] = {{3, 1, 1, 1}, {3, 2, 1, 1}, {7, 2, 3, 1},
                 {3, 2, 0, 2}, {1, 3, 0, 1}, {5, 3, 4, 2}};
  for (const Config &cf : configs) {
    for (int64_t h = 1; h <= 24; ++h) {
      std::string attrs = "kernel=" + std::to_string(cf.k) +
                          ", stride=" + std::to_string(cf.s) +
                          ", padding=" + std::to_string(cf.p) +
                          ", dilation=" + std::to_string(cf.d);
      SCOPED_TRACE(attrs + ", H=" + std::to_string(h));
      auto c = compile(graph("%x: f32[1, 2, " + std::to_string(h) + ", 9]",
                             "  %w = param\n"
                             "  %y = conv2d(%x, %w, channels=4, " +
                                 attrs + ")"));
      int64_t out = convOut(h, cf.k, cf.s, cf.p, cf.d);
      if (out < 1) {
        EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': input height " +
                                         std::to_string(h)));
        EXPECT_THAT(c->errors, HasSubstr("so the output height would be " +
                                         std::to_string(out)));
        continue;
      }
      ASSERT_EQ(c->errors, "");
      EXPECT_EQ(c->type("y"),
                f32({1, 4, out, convOut(9, cf.k, cf.s, cf.p, cf.d)}));
    }
  }
}

TEST(OpRulesTest, Conv2DOutputIsSymbolicForSymbolicInput) {
  auto c = compile(graph("%x: f32[N, 3, H, W]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=[3, 5], "
                         "stride=2, padding=[1, 0], dilation=[1, 2])"));
  ASSERT_EQ(c->errors, "");
  Dim h = Dim::symbol("H"), w = Dim::symbol("W");
  // The formula written with Dims: (H + 2p - d(k - 1) - 1) // s + 1.
  Dim oh = floorDiv(h + Dim(2 * 1) - Dim(1 * (3 - 1)) - 1, 2) + 1;
  Dim ow = floorDiv(w + Dim(2 * 0) - Dim(2 * (5 - 1)) - 1, 2) + 1;
  EXPECT_EQ(c->type("y"), "f32[N, 8, " + oh.str() + ", " + ow.str() + "]");
  EXPECT_EQ(oh.str(), "(H + 1) // 2");
}

TEST(OpRulesTest, Conv2DWithGroupsDividesWeightChannels) {
  auto c = compile(graph("%x: f32[N, 8, 10, 10]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=12, kernel=3, "
                         "groups=4)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({12, 8 / 4, 3, 3}));
  EXPECT_EQ(c->type("y"), "f32[N, 12, 8, 8]");
}

TEST(OpRulesTest, DepthwiseConv2DHasOneInputChannelPerGroup) {
  auto c = compile(graph("%x: f32[1, 32, 14, 14]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=32, kernel=3, "
                         "padding=1, groups=32)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("w"), f32({32, 1, 3, 3}));
  EXPECT_EQ(c->type("y"), f32({1, 32, 14, 14}));
}

TEST(OpRulesTest, Conv2DWeightPinsInputChannelsBackward) {
  auto c = compile(graph("%x: f32[2, ?, 16, 16]",
                         "  %w = param : f32[8, 3, 3, 3]\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 3, 16, 16}));

  auto g = compile(graph("%x: f32[2, ?, 16, 16]",
                         "  %w = param : f32[8, 3, 3, 3]\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3, "
                         "groups=2)"));
  ASSERT_EQ(g->errors, "");
  EXPECT_EQ(g->type("x"), f32({2, 3 * 2, 16, 16}));
}

TEST(OpRulesTest, Conv2DRejectsChannelsNotDivisibleByGroups) {
  auto c = compile(graph("%x: f32[1, 4, 8, 8]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=6, kernel=3, "
                         "groups=4)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': channels=6 is not a multiple "
                                   "of groups=4"));
}

TEST(OpRulesTest, Conv2DRejectsInputChannelsNotDivisibleByGroups) {
  auto c = compile(graph("%x: f32[1, 6, 8, 8]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3, "
                         "groups=4)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': x '%x' has 6 channels, which "
                                   "is not a multiple of groups=4"));
}

TEST(OpRulesTest, Conv2DRejectsWeightThatDisagrees) {
  auto c = compile(graph("%x: f32[1, 6, 8, 8]",
                         "  %w = param : f32[8, 4, 3, 3]\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3, "
                         "groups=2)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': dim 1 of weight '%w' is 4, "
                                   "but input channels / groups requires 3"));

  auto k = compile(graph("%x: f32[1, 3, 8, 8]",
                         "  %w = param : f32[8, 3, 5, 5]\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3)"));
  EXPECT_THAT(k->errors, HasSubstr("conv2d '%y': dim 2 of weight '%w' is 5, "
                                   "but kernel requires 3"));
}

TEST(OpRulesTest, Conv2DRejectsWindowLargerThanInput) {
  auto c = compile(graph("%x: f32[1, 3, 4, 9]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3, "
                         "dilation=2)"));
  EXPECT_THAT(c->errors,
              HasSubstr("conv2d '%y': input height 4 with padding 0 is "
                        "smaller than the dilated window 5, so the output "
                        "height would be " +
                        std::to_string(convOut(4, 3, 1, 0, 2))));
  auto w = compile(graph("%x: f32[1, 3, 9, 1]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=[1, 4], "
                         "padding=[0, 1])"));
  EXPECT_THAT(w->errors, HasSubstr("input width 1 with padding 1 is smaller "
                                   "than the dilated window 4, so the output "
                                   "width would be 0"));
}

TEST(OpRulesTest, Conv2DReportsOverflowingOutputSize) {
  auto c = compile(graph("%x: f32[1, 1, 9223372036854775807, 4]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=1, kernel=1, "
                         "padding=1)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': dim 2 of the result '%y'"));
  EXPECT_THAT(c->errors, HasSubstr("overflows 64-bit arithmetic"));
}

TEST(OpRulesTest, Conv2DWeightOfTheWrongRankLeavesInputChannelsAlone) {
  auto c = compile(graph("%x: f32[2, ?, 8, 8]",
                         "  %w = param : f32[8]\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': weight '%w' must have rank 4, "
                                   "but it has rank 1"));
  // Nothing says how many channels %x has.
  EXPECT_EQ(c->type("x"), "f32[2, ?, 8, 8]");
}

TEST(OpRulesTest, Conv2DRequiresRankFourInput) {
  auto c = compile(graph("%x: f32[3, 8, 8]",
                         "  %w = param\n"
                         "  %y = conv2d(%x, %w, channels=8, kernel=3)"));
  EXPECT_THAT(c->errors, HasSubstr("conv2d '%y': x '%x' must have rank 4, but "
                                   "it has rank 3"));
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, PoolsApplyKernelStrideAndPadding) {
  for (const char *op : {"max_pool2d", "avg_pool2d"}) {
    SCOPED_TRACE(op);
    auto c = compile(
        graph("%x: f32[2, 3, 32, 17]", std::string("  %y = ") + op +
                                           "(%x, kernel=[3, 2], stride=[2, 3], "
                                           "padding=[1, 0])"));
    ASSERT_EQ(c->errors, "");
    EXPECT_EQ(c->type("y"), f32({2, 3, poolOut(32, 3, 2, 1, false),
                                 poolOut(17, 2, 3, 0, false)}));
  }
}

TEST(OpRulesTest, PoolStrideDefaultsToTheKernel) {
  auto c = compile(
      graph("%x: f32[1, 3, 33, 32]", "  %y = max_pool2d(%x, kernel=[3, 2])"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), f32({1, 3, poolOut(33, 3, 3, 0, false),
                               poolOut(32, 2, 2, 0, false)}));
}

TEST(OpRulesTest, PoolCeilModeRoundsUp) {
  auto c = compile(graph("%x: f32[1, 1, 7, 8]",
                         "  %y = max_pool2d(%x, kernel=2, stride=2, "
                         "ceil_mode=true)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), f32({1, 1, 4, 4}));
  auto f = compile(graph("%x: f32[1, 1, 7, 8]",
                         "  %y = max_pool2d(%x, kernel=2, stride=2)"));
  ASSERT_EQ(f->errors, "");
  EXPECT_EQ(f->type("y"), f32({1, 1, 3, 4}));
}

TEST(OpRulesTest, PoolsMatchTheFormulaForEveryInputSize) {
  for (bool ceilMode : {false, true}) {
    for (int64_t h = 1; h <= 24; ++h) {
      SCOPED_TRACE("H=" + std::to_string(h) + (ceilMode ? " ceil_mode" : ""));
      auto c = compile(graph("%x: f32[1, 1, " + std::to_string(h) + ", 10]",
                             std::string("  %y = avg_pool2d(%x, kernel=3, "
                                         "stride=2, padding=1, ceil_mode=") +
                                 (ceilMode ? "true" : "false") +
                                 ", count_include_pad=false)"));
      ASSERT_EQ(c->errors, "");
      EXPECT_EQ(c->type("y"), f32({1, 1, poolOut(h, 3, 2, 1, ceilMode),
                                   poolOut(10, 3, 2, 1, ceilMode)}));
    }
  }
}

TEST(OpRulesTest, PoolCeilModeIsSymbolicForSymbolicInput) {
  auto c = compile(graph("%x: f32[N, C, H, W]",
                         "  %y = max_pool2d(%x, kernel=3, stride=2, "
                         "ceil_mode=true)"));
  ASSERT_EQ(c->errors, "");
  Dim h = Dim::symbol("H");
  // ceil((H - 3) / 2) + 1 == (H - 3 + 1) // 2 + 1
  Dim out = floorDiv(h - 3 + (2 - 1), 2) + 1;
  EXPECT_EQ(c->type("y"), "f32[N, C, " + out.str() + ", " +
                              out.substitute([](llvm::StringRef) {
                                   return std::optional<Dim>(Dim::symbol("W"));
                                 })
                                  .str() +
                              "]");
  EXPECT_EQ(out.str(), "H // 2");
}

TEST(OpRulesTest, PoolRejectsWindowLargerThanInput) {
  auto c =
      compile(graph("%x: f32[1, 1, 2, 8]", "  %y = max_pool2d(%x, kernel=3)"));
  EXPECT_THAT(c->errors,
              HasSubstr("max_pool2d '%y': input height 2 with padding 0 is "
                        "smaller than the window 3, so the output height "
                        "would be " +
                        std::to_string(poolOut(2, 3, 3, 0, false))));
}

TEST(OpRulesTest, GlobalPoolKeepsBatchAndChannels) {
  auto c =
      compile(graph("%x: f32[N, 64, H, W]", "  %y = global_avg_pool2d(%x)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), "f32[N, 64, 1, 1]");

  auto b = compile(graph("%x: f32[?, ?, 7, 7]",
                         "  %y = global_avg_pool2d(%x) : f32[2, 64, 1, 1]"));
  ASSERT_EQ(b->errors, "");
  EXPECT_EQ(b->type("x"), f32({2, 64, 7, 7}));

  auto bad = compile(graph("%x: f32[2, 64, 7, 7]",
                           "  %y = global_avg_pool2d(%x) : f32[2, 64, 7, 7]"));
  EXPECT_THAT(bad->errors, HasSubstr("global_avg_pool2d '%y': dim 2 of the "
                                     "result '%y' is 7, but global pooling "
                                     "requires 1"));
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, BatchNormParamsFollowTheChannelAxis) {
  auto c = compile(graph("%x: f32[2, 8, 5, 5]",
                         "  %g = param\n  %b = param\n"
                         "  %m = param\n  %v = param\n"
                         "  %y = batch_norm(%x, %g, %b, %m, %v)"));
  ASSERT_EQ(c->errors, "");
  for (const char *p : {"g", "b", "m", "v"})
    EXPECT_EQ(c->type(p), f32({8})) << p;
  EXPECT_EQ(c->type("y"), f32({2, 8, 5, 5}));

  auto last = compile(graph("%x: f32[2, 8, 5, 6]",
                            "  %g = param\n  %b = param\n"
                            "  %m = param\n  %v = param\n"
                            "  %y = batch_norm(%x, %g, %b, %m, %v, axis=-1)"));
  ASSERT_EQ(last->errors, "");
  EXPECT_EQ(last->type("g"), f32({6}));
}

TEST(OpRulesTest, LayerNormParamsFollowTheLastAxisByDefault) {
  auto c = compile(graph("%x: f32[2, 7, 16]", "  %g = param\n  %b = param\n"
                                              "  %y = layer_norm(%x, %g, %b)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("g"), f32({16}));
  EXPECT_EQ(c->type("b"), f32({16}));
  EXPECT_EQ(c->type("y"), f32({2, 7, 16}));

  auto mid = compile(graph("%x: f32[2, 7, 16]",
                           "  %g = param\n  %b = param\n"
                           "  %y = layer_norm(%x, %g, %b, axis=1)"));
  ASSERT_EQ(mid->errors, "");
  EXPECT_EQ(mid->type("g"), f32({7}));
}

TEST(OpRulesTest, NormParamsPinTheAxisBackward) {
  auto c = compile(graph("%x: f32[2, ?, 5, 5]",
                         "  %g = param : f32[8]\n  %b = param\n"
                         "  %m = param\n  %v = param\n"
                         "  %y = batch_norm(%x, %g, %b, %m, %v)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 8, 5, 5}));
  EXPECT_EQ(c->type("v"), f32({8}));
}

TEST(OpRulesTest, NormRejectsAxisOutOfRange) {
  auto c = compile(graph("%x: f32[2, 8, 5, 5]",
                         "  %g = param\n  %b = param\n"
                         "  %m = param\n  %v = param\n"
                         "  %y = batch_norm(%x, %g, %b, %m, %v, axis=4)"));
  EXPECT_THAT(c->errors, HasSubstr("batch_norm '%y': axis=4 is out of range "
                                   "for rank 4"));
  auto d =
      compile(graph("%x: f32[2, 8]", "  %g = param\n  %b = param\n"
                                     "  %y = layer_norm(%x, %g, %b, axis=-3)"));
  EXPECT_THAT(d->errors, HasSubstr("layer_norm '%y': axis=-3 is out of range "
                                   "for rank 2"));
}

TEST(OpRulesTest, NormParamOfTheWrongRankCausesNoOtherConflict) {
  auto c =
      compile(graph("%x: f32[2, 7, 16]", "  %g = param : f32[]\n  %b = param\n"
                                         "  %y = layer_norm(%x, %g, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("layer_norm '%y': gamma '%g' must have "
                                   "rank 1, but it has rank 0"));
  EXPECT_THAT(c->errors, Not(HasSubstr("dim 0 of gamma")));
  EXPECT_EQ(c->type("x"), "f32[2, 7, 16]");
}

TEST(OpRulesTest, NormRejectsParamOfTheWrongLength) {
  auto c =
      compile(graph("%x: f32[2, 7, 16]", "  %g = param : f32[7]\n  %b = param\n"
                                         "  %y = layer_norm(%x, %g, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("layer_norm '%y': "));
  EXPECT_THAT(c->errors, HasSubstr("is 7"));
  EXPECT_THAT(c->errors, HasSubstr("is 16"));
}

//===----------------------------------------------------------------------===//
// embedding
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, EmbeddingAppendsTheOutputDim) {
  auto c = compile(graph("%ids: i64[2, 7]",
                         "  %t = param\n"
                         "  %y = embedding(%ids, %t, input_dim=100, "
                         "output_dim=16)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("t"), f32({100, 16}));
  EXPECT_EQ(c->type("y"), f32({2, 7, 16}));

  auto s =
      compile(graph("%ids: i64[]", "  %t = param\n"
                                   "  %y = embedding(%ids, %t, input_dim=5, "
                                   "output_dim=3)"));
  ASSERT_EQ(s->errors, "");
  EXPECT_EQ(s->type("y"), f32({3}));
}

TEST(OpRulesTest, EmbeddingInfersIdsShapeBackward) {
  auto c = compile(graph("%ids: i64[?, ?]",
                         "  %t = param\n"
                         "  %y = embedding(%ids, %t, input_dim=100, "
                         "output_dim=16) : f32[4, 9, 16]"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("ids"), "i64[4, 9]");
}

TEST(OpRulesTest, EmbeddingRequiresIntegerIds) {
  auto c = compile(graph("%ids: f32[2, 7]",
                         "  %t = param\n"
                         "  %y = embedding(%ids, %t, input_dim=100, "
                         "output_dim=16)"));
  EXPECT_THAT(c->errors, HasSubstr("embedding '%y': ids '%ids' must be i64, "
                                   "got f32"));
}

TEST(OpRulesTest, EmbeddingRejectsTableThatDisagrees) {
  auto c = compile(graph("%ids: i64[2, 7]",
                         "  %t = param : f32[100, 8]\n"
                         "  %y = embedding(%ids, %t, input_dim=100, "
                         "output_dim=16)"));
  EXPECT_THAT(c->errors, HasSubstr("embedding '%y': dim 1 of weight '%t' is "
                                   "8, but output_dim requires 16"));
}

TEST(OpRulesTest, OtherOpsRejectIntegerOperands) {
  auto c = compile(graph("%ids: i64[2, 7]", "  %y = relu(%ids)"));
  EXPECT_THAT(c->errors, HasSubstr("relu '%y': x '%ids' must be f32, got "
                                   "i64"));
}

//===----------------------------------------------------------------------===//
// flatten
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, FlattenMultipliesTrailingDims) {
  auto c = compile(graph("%x: f32[2, 3, 4, 5]", "  %y = flatten(%x)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), f32({2, 3 * 4 * 5}));

  auto v = compile(graph("%x: f32[5]", "  %y = flatten(%x)"));
  ASSERT_EQ(v->errors, "");
  EXPECT_EQ(v->type("y"), f32({5, 1}));

  auto s = compile(graph("%x: f32[N, C, H, W]", "  %y = flatten(%x)"));
  ASSERT_EQ(s->errors, "");
  EXPECT_EQ(s->type("y"), "f32[N, C * H * W]");
}

TEST(OpRulesTest, FlattenSolvesOneUnknownDimBackward) {
  auto c =
      compile(graph("%x: f32[2, 3, ?]", "  %y = flatten(%x) : f32[2, 12]"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 3, 12 / 3}));

  auto s =
      compile(graph("%x: f32[N, C, ?]", "  %y = flatten(%x) : f32[N, 4 * C]"));
  ASSERT_EQ(s->errors, "");
  EXPECT_EQ(s->type("x"), "f32[N, C, 4]");
}

TEST(OpRulesTest, FlattenRejectsSizeThatIsNotAMultiple) {
  auto c =
      compile(graph("%x: f32[2, 3, ?]", "  %y = flatten(%x) : f32[2, 10]"));
  EXPECT_THAT(c->errors,
              HasSubstr("flatten '%y': dim 1 of the result '%y' is 10, which "
                        "is not a multiple of 3 (the product of the other "
                        "dims), so dim 2 of x '%x' has no integer solution"));
}

TEST(OpRulesTest, FlattenRejectsScalar) {
  auto c = compile(graph("%x: f32[]", "  %y = flatten(%x)"));
  EXPECT_THAT(c->errors, HasSubstr("flatten '%y': flatten needs x of rank 1 "
                                   "or more, got a scalar"));
}

TEST(OpRulesTest, FlattenReportsOverflowingProduct) {
  auto c = compile(
      graph("%x: f32[1, 4294967296, 4294967296]", "  %y = flatten(%x)"));
  EXPECT_THAT(c->errors, HasSubstr("flatten '%y': dim 1 of the result '%y' "
                                   "(the product of the input's dims after "
                                   "the first) overflows 64-bit arithmetic"));
}

//===----------------------------------------------------------------------===//
// reshape
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, ReshapeCopiesZerosAndInfersMinusOne) {
  struct Case {
    const char *input, *shape, *result;
  } cases[] = {
      {"f32[2, 3, 4]", "[0, -1]", "f32[2, 12]"},
      {"f32[2, 3, 4]", "[-1, 6]", "f32[4, 6]"},
      {"f32[2, 3, 4]", "[4, 0, 2]", "f32[4, 3, 2]"},
      {"f32[2, 3, 4]", "[24]", "f32[24]"},
      {"f32[2, 3, 4]", "[-1]", "f32[24]"},
      {"f32[2, 3, 4]", "[2, 3, 4, 1]", "f32[2, 3, 4, 1]"},
      {"f32[N, 3, 4]", "[0, -1]", "f32[N, 12]"},
      {"f32[N, 12]", "[-1, 3, 4]", "f32[N, 3, 4]"},
      {"f32[0, 5]", "[5, 0]", "f32[5, 5]"},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(std::string(k.input) + " to " + k.shape);
    auto c = compile(
        graph(std::string("%x: ") + k.input,
              std::string("  %y = reshape(%x, shape=") + k.shape + ")"));
    if (std::string(k.input) == "f32[0, 5]") {
      // 0 elements into [5, 5] (the 0 copies dim 1): a count mismatch.
      EXPECT_THAT(c->errors, HasSubstr("cannot reshape 0 elements into 25"));
      continue;
    }
    ASSERT_EQ(c->errors, "");
    EXPECT_EQ(c->type("y"), k.result);
  }
}

TEST(OpRulesTest, ReshapeSolvesOneUnknownInputDimBackward) {
  auto c =
      compile(graph("%x: f32[2, ?, 4]", "  %y = reshape(%x, shape=[2, 12])"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 2 * 12 / (2 * 4), 4}));

  // Two unknowns, one on each side: nothing to solve.
  auto d =
      compile(graph("%x: f32[2, ?, 4]", "  %y = reshape(%x, shape=[-1, 4])"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("y"), "f32[?, 4]");
}

TEST(OpRulesTest, ReshapeRejectsMoreThanOneMinusOne) {
  auto c =
      compile(graph("%x: f32[2, 3, 4]", "  %y = reshape(%x, shape=[-1, -1])"));
  EXPECT_THAT(c->errors, HasSubstr("reshape '%y': shape may contain -1 at "
                                   "most once"));
}

TEST(OpRulesTest, ReshapeRejectsZeroBeyondTheInputRank) {
  auto c =
      compile(graph("%x: f32[6, 4]", "  %y = reshape(%x, shape=[0, 0, 0])"));
  EXPECT_THAT(c->errors, HasSubstr("reshape '%y': shape[2] is 0, which copies "
                                   "input dim 2, but the input has rank 2"));
}

TEST(OpRulesTest, ReshapeRejectsDifferentElementCounts) {
  auto c = compile(graph("%x: f32[2, 3]", "  %y = reshape(%x, shape=[4, 2])"));
  EXPECT_THAT(c->errors,
              HasSubstr("reshape '%y': cannot reshape 6 elements into 8"));
  auto d = compile(graph("%x: f32[2, 3]", "  %y = reshape(%x, shape=[4, -1])"));
  EXPECT_THAT(d->errors, HasSubstr("reshape '%y': cannot reshape 6 elements "
                                   "into a shape whose known dims multiply "
                                   "to 4"));
}

// Overflow is reported as such, not as "<invalid> elements".
TEST(OpRulesTest, ReshapeReportsOverflowingElementCount) {
  auto c = compile(graph("%x: f32[4294967296, 4294967296, 2]",
                         "  %y = reshape(%x, shape=[-1])"));
  EXPECT_THAT(c->errors, HasSubstr("reshape '%y'"));
  EXPECT_THAT(c->errors, HasSubstr("overflow"));
  EXPECT_THAT(c->errors, Not(HasSubstr("<invalid>")));
}

//===----------------------------------------------------------------------===//
// transpose
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, TransposeReversesAxesByDefault) {
  auto c = compile(graph("%x: f32[2, 3, 4]", "  %y = transpose(%x)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), f32({4, 3, 2}));
}

TEST(OpRulesTest, TransposeAppliesPerm) {
  auto c = compile(
      graph("%x: f32[N, 3, H, W]", "  %y = transpose(%x, perm=[0, 2, 3, 1])"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), "f32[N, H, W, 3]");
}

TEST(OpRulesTest, TransposeInfersInputBackward) {
  auto c =
      compile(graph("%x: f32[?, ?, ?]",
                    "  %y = transpose(%x, perm=[1, 2, 0]) : f32[3, 4, 2]"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), f32({2, 3, 4}));

  auto d = compile(graph("%x: f32[?, ?]", "  %y = transpose(%x) : f32[5, 7]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("x"), f32({7, 5}));
}

TEST(OpRulesTest, TransposeRejectsBadPerm) {
  auto c = compile(graph("%x: f32[2, 3]", "  %y = transpose(%x, perm=[0, 0])"));
  EXPECT_THAT(c->errors, HasSubstr("transpose '%y': perm=[0, 0] is not a "
                                   "permutation of 0..1"));
  auto d = compile(graph("%x: f32[2, 3]", "  %y = transpose(%x, perm=[0, 2])"));
  EXPECT_THAT(d->errors, HasSubstr("perm=[0, 2] is not a permutation of "
                                   "0..1"));
  auto e =
      compile(graph("%x: f32[2, 3, 4]", "  %y = transpose(%x, perm=[1, 0])"));
  EXPECT_THAT(e->errors, HasSubstr("transpose '%y': x '%x' must have rank 2, "
                                   "but it has rank 3"));
}

//===----------------------------------------------------------------------===//
// concat
//===----------------------------------------------------------------------===//

TEST(OpRulesTest, ConcatSumsAlongTheAxis) {
  auto c = compile(graph("%a: f32[2, 3], %b: f32[2, 5], %c: f32[2, 1]",
                         "  %y = concat(%a, %b, %c)"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), f32({2, 3 + 5 + 1}));

  auto z = compile(
      graph("%a: f32[2, 3], %b: f32[4, 3]", "  %y = concat(%a, %b, axis=0)"));
  ASSERT_EQ(z->errors, "");
  EXPECT_EQ(z->type("y"), f32({6, 3}));

  auto n = compile(graph("%a: f32[N, C, 4], %b: f32[N, 3, 4]",
                         "  %y = concat(%a, %b, axis=-2)"));
  ASSERT_EQ(n->errors, "");
  EXPECT_EQ(n->type("y"), "f32[N, C + 3, 4]");

  auto one = compile(graph("%a: f32[2, 3]", "  %y = concat(%a)"));
  ASSERT_EQ(one->errors, "");
  EXPECT_EQ(one->type("y"), f32({2, 3}));
}

TEST(OpRulesTest, ConcatSolvesOneUnknownPartBackward) {
  auto c = compile(graph("%a: f32[2, ?], %b: f32[2, 3]",
                         "  %y = concat(%a, %b) : f32[2, 10]"));
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("a"), f32({2, 10 - 3}));

  // Non-axis dims flow between every part and the result.
  auto d = compile(graph("%a: f32[?, ?], %b: f32[?, 3]",
                         "  %y = concat(%a, %b) : f32[5, 10]"));
  ASSERT_EQ(d->errors, "");
  EXPECT_EQ(d->type("a"), f32({5, 7}));
  EXPECT_EQ(d->type("b"), f32({5, 3}));
}

TEST(OpRulesTest, ConcatRejectsMismatchedOtherDims) {
  auto c =
      compile(graph("%a: f32[2, 3], %b: f32[4, 5]", "  %y = concat(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("concat '%y': "));
  EXPECT_THAT(c->errors, HasSubstr("x2 '%b' is 4"));
  EXPECT_THAT(c->errors, HasSubstr("is 2"));
}

TEST(OpRulesTest, ConcatRejectsPartsOfDifferentRanks) {
  auto c = compile(
      graph("%a: f32[2, 3], %b: f32[2, 3, 1]", "  %y = concat(%a, %b)"));
  EXPECT_THAT(c->errors, HasSubstr("concat '%y': x2 '%b' must have rank 2, "
                                   "but it has rank 3"));
}

TEST(OpRulesTest, ConcatRejectsNegativePart) {
  auto c = compile(graph("%a: f32[2, ?], %b: f32[2, 5]",
                         "  %y = concat(%a, %b) : f32[2, 3]"));
  EXPECT_THAT(c->errors, HasSubstr("concat '%y': dim 1 of x1 '%a' would be "
                                   "-2 (the sum along axis)"));
}

TEST(OpRulesTest, ConcatRejectsAxisOutOfRange) {
  auto c = compile(
      graph("%a: f32[2, 3], %b: f32[2, 3]", "  %y = concat(%a, %b, axis=2)"));
  EXPECT_THAT(c->errors, HasSubstr("concat '%y': axis=2 is out of range for "
                                   "rank 2"));
}

} // namespace
