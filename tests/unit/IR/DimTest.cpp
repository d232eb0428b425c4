//===- DimTest.cpp - The dimension algebra --------------------------------===//

#include "shapeflow/IR/Dim.h"

#include "gtest/gtest.h"

using namespace shapeflow;

namespace {

TEST(DimTest, ConstantsFoldWithPythonSemantics) {
  EXPECT_EQ(floorDiv(Dim(-7), Dim(2)), Dim(-4));
  EXPECT_EQ(mod(Dim(-7), Dim(2)), Dim(1));
  EXPECT_EQ(mod(Dim(7), Dim(-2)), Dim(-1));
}

TEST(DimTest, ConvOutputCanonicalises) {
  Dim h = Dim::symbol("H");
  Dim a = floorDiv(h - 1, 2) + 1;
  Dim b = floorDiv(h + 1, 2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.str(), "(H + 1) // 2");
}

} // namespace
