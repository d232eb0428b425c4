//===- ShapeInferenceTest.cpp - The solver and its diagnostics ------------===//

#include "TestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::HasSubstr;

namespace {

constexpr const char *kMlp = R"(
graph mlp(%x: f32[?, ?]) {
  %dense0.weight = param
  %dense0.bias = param(init=zeros)
  %h = dense(%x, %dense0.weight, %dense0.bias, units=256)
  %a = relu(%h)
  %dense1.weight = param(init=xavier(magnitude=2.24)) : f32[10, ?]
  %dense1.bias = param(init=zeros)
  %y = dense(%a, %dense1.weight, %dense1.bias, units=10)
  return %y
}
)";

TEST(ShapeInferenceTest, BindingFillsParametersBackward) {
  auto c = compile(kMlp, {"%x=f32[2,20]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("dense0.weight"), "f32[256, 20]");
  EXPECT_EQ(c->type("dense1.weight"), "f32[10, 256]");
  EXPECT_EQ(c->type("y"), "f32[2, 10]");
}

TEST(ShapeInferenceTest, UnboundInputLeavesUnknowns) {
  auto c = compile(kMlp);
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("dense0.weight"), "f32[256, ?]");
  EXPECT_EQ(c->type("y"), "f32[?, 10]");
}

TEST(ShapeInferenceTest, SymbolicBatchFlows) {
  auto c = compile(kMlp, {"%x=f32[N,20]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), "f32[N, 10]");
}

} // namespace
