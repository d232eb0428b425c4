//===- NNOpRulesTest.cpp - Shape rules of the layer ops -------------------===//
//
// dense, conv2d, pooling, normalisation and embedding, checked forward
// against plain integer formulas, backward where the rule is exact, and on
// conflicts, whose messages name the op and both values.
//
//===----------------------------------------------------------------------===//

#include "OpRulesTestUtil.h"
#include "TestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

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

} // namespace
