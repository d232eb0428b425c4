//===- LayersTest.cpp - More blocks, summary, saving and loading ----------===//

#include "shapeflow/NN.h"

#include "llvm/Support/FileSystem.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

nn::Sequential mlp() {
  nn::Sequential net;
  net.add(nn::Dense(256, {.activation = "relu"}));
  net.add(nn::Dense(10));
  return net;
}

std::string tempPath(const char *name) {
  llvm::SmallString<128> path;
  llvm::sys::fs::createUniquePath(std::string(name) + "-%%%%%%.safetensors",
                                  path, /*MakeAbsolute=*/true);
  return path.str().str();
}

TEST(LayersTest, SummaryInfersWithoutInitializing) {
  nn::Sequential net = mlp();
  std::string text = llvm::cantFail(
      net.summary(TensorType(DType::F32, {Dim::symbol("N"), Dim(20)})));
  // One row per block: output type and parameter count.
  // 256 * 20 + 256 = 5376 and 10 * 256 + 10 = 2570.
  EXPECT_THAT(text, HasSubstr("0            Dense(? -> 256, relu)          "
                              "      f32[N, 256]              5376\n"));
  EXPECT_THAT(text, HasSubstr("1            Dense(? -> 10)                 "
                              "      f32[N, 10]               2570\n"));
  EXPECT_THAT(text, HasSubstr("total parameters: 7946"));
  EXPECT_EQ(net.param("0.weight").getState(), ParamState::NotInitialized);
  EXPECT_THAT(net.param("0.weight").getShape(), ElementsAre(256, -1));
}

TEST(LayersTest, SaveThenLoadIntoADeferredNetFillsShapesWithoutAForward) {
  nn::Sequential trained = mlp();
  llvm::cantFail(trained.initialize(init::xavier()).takeError());
  Tensor x = Tensor::uniform({3, 20}, 4);
  Tensor want = llvm::cantFail(trained(x));
  std::string path = tempPath("sf-mlp");
  llvm::cantFail(trained.saveParameters(path));

  nn::Sequential fresh = mlp();
  llvm::cantFail(fresh.loadParameters(path));
  EXPECT_THAT(fresh.param("0.weight").getShape(), ElementsAre(256, 20));
  EXPECT_EQ(fresh.param("0.weight").getState(), ParamState::Initialized);
  EXPECT_EQ(fresh.param("0.weight").getInitCount(), 0u);
  Tensor got = llvm::cantFail(fresh(x));
  for (int64_t i = 0; i < want.getNumElements(); ++i)
    EXPECT_EQ(got.f32()[i], want.f32()[i]);
  llvm::sys::fs::remove(path);
}

TEST(LayersTest, SavingADeferredParameterIsAnError) {
  nn::Sequential net = mlp();
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  llvm::Error err = net.saveParameters(tempPath("sf-deferred"));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("'0.weight' is deferred"));
}

TEST(LayersTest, LoadingAMismatchedFileChangesNothing) {
  nn::Sequential small;
  small.add(nn::Dense(4, {.inUnits = 3}));
  llvm::cantFail(small.initialize(init::xavier()).takeError());
  std::string path = tempPath("sf-small");
  llvm::cantFail(small.saveParameters(path));

  nn::Sequential other = mlp();
  std::string text = llvm::toString(other.loadParameters(path));
  EXPECT_THAT(text, HasSubstr("no tensor for parameter '1.weight'"));
  EXPECT_EQ(other.param("0.weight").getState(), ParamState::NotInitialized);
  llvm::sys::fs::remove(path);
}

TEST(LayersTest, DeclaredInChannelsInitializeConvAndBatchNormAtOnce) {
  nn::Sequential net;
  net.add(nn::Conv2D(8, {3, 3}, {.groups = 2, .inChannels = 4}));
  net.add(nn::BatchNorm({.inChannels = 8}));
  net.add(nn::LayerNorm({.axis = 1, .inChannels = 8}));
  InitSummary s = llvm::cantFail(net.initialize(init::xavier()));
  EXPECT_EQ(s.deferred, 0u);
  EXPECT_THAT(net.param("0.weight").getShape(), ElementsAre(8, 2, 3, 3));
  EXPECT_EQ(net.param("0.weight").getInitCount(), 1u);
  EXPECT_THAT(net.describe(), HasSubstr("Conv2D(4 -> 8, kernel=(3, 3))"));
  Tensor y = llvm::cantFail(net(Tensor::uniform({1, 4, 5, 5}, 0)));
  EXPECT_THAT(y.getShape(), ElementsAre(1, 8, 3, 3));
  EXPECT_EQ(net.param("0.weight").getInitCount(), 1u);
}

TEST(LayersTest, EmbeddingAndLayerNormInferTheirShapes) {
  nn::Sequential net;
  net.add(nn::Embedding(100, 16));
  net.add(nn::LayerNorm());
  net.add(nn::Dense(4, {.flatten = false}));
  llvm::cantFail(net.initialize(init::normal()).takeError());
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {2, 5}));
  for (int64_t i = 0; i < 10; ++i)
    ids.i64()[i] = i * 7;
  Tensor y = llvm::cantFail(net(ids));
  EXPECT_THAT(y.getShape(), ElementsAre(2, 5, 4));
  EXPECT_THAT(net.param("1.gamma").getShape(), ElementsAre(16));
  EXPECT_THAT(net.param("2.weight").getShape(), ElementsAre(4, 16));
  EXPECT_EQ(net.describe(), "Sequential(\n  (0): Embedding(100 -> 16)\n"
                            "  (1): LayerNorm(16)\n  (2): Dense(16 -> 4)\n)");
}

TEST(LayersTest, NamedChildrenGiveNestedNames) {
  nn::Sequential features;
  features.add(nn::Conv2D(4, {3, 3}));
  features.add(nn::Activation("relu"));
  nn::Sequential net;
  net.add(std::move(features), "features");
  net.add(nn::Flatten());
  net.add(nn::Dense(2), "classifier");
  std::vector<std::string> names;
  for (const auto &p : net.getParams())
    names.push_back(p->getName().str());
  EXPECT_THAT(names, ElementsAre("features.0.weight", "features.0.bias",
                                 "classifier.weight", "classifier.bias"));
}

} // namespace
