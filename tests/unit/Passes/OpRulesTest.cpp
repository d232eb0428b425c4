//===- OpRulesTest.cpp - Shape rules of the elementwise and shape ops -----===//
//
// Each op's rule is checked forward against shapes computed here with plain
// integer formulas, backward where the rule is exact (a declared weight pins
// an input dim, one unknown factor or part is solved), not backward where
// the answer is ambiguous (broadcasting an unknown against a known non-1
// dim), and on conflicts, whose messages name the op and both values.
//
//===----------------------------------------------------------------------===//

#include "OpRulesTestUtil.h"
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

//===----------------------------------------------------------------------===//
// Coverage
//===----------------------------------------------------------------------===//

// Every op has tests here or in NNOpRulesTest.cpp; a new op must add its
// own.
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
