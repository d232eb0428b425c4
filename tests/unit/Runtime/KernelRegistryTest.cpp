//===- KernelRegistryTest.cpp - Every kernel the lowering names exists ----===//

#include "shapeflow/Runtime/Kernel.h"

#include "gtest/gtest.h"

using namespace shapeflow;

namespace {

TEST(KernelRegistryTest, RegistersEveryKernel) {
  for (const char *name : {"dense",       "matmul",     "conv2d",
                           "max_pool2d",  "avg_pool2d", "global_avg_pool2d",
                           "batch_norm",  "layer_norm", "relu",
                           "sigmoid",     "tanh",       "gelu",
                           "identity",    "dropout",    "softmax",
                           "log_softmax", "add",        "sub",
                           "mul",         "div",        "reshape",
                           "flatten",     "transpose",  "concat",
                           "embedding"})
    EXPECT_NE(lookupKernel(name), nullptr) << name;
}

TEST(KernelRegistryTest, UnknownNameGivesNull) {
  EXPECT_EQ(lookupKernel("conv3d"), nullptr);
  EXPECT_EQ(lookupKernel(""), nullptr);
}

} // namespace
