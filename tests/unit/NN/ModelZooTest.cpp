//===- ModelZooTest.cpp - Classic networks through the API ----------------===//
//
// Each network of examples/ModelZoo.h states no input size; after one run
// on random data every parameter has the shape worked out by hand below.
//
//===----------------------------------------------------------------------===//

#include "ModelZoo.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

namespace {

/// Initializes with xavier, runs once on `x` and returns the output shape.
std::vector<int64_t> runOnce(nn::Block &net, const Tensor &x) {
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  Tensor y = llvm::cantFail(net(x));
  for (const auto &p : net.getParams())
    EXPECT_EQ(p->getState(), ParamState::Initialized) << p->getName().str();
  return y.getShape().vec();
}

void expectShape(nn::Block &net, const char *name, std::vector<int64_t> shape) {
  EXPECT_THAT(net.param(name).getShape(), ElementsAreArray(shape)) << name;
}

TEST(ModelZooTest, LeNet) {
  nn::Sequential net = zoo::lenet();
  EXPECT_THAT(runOnce(net, Tensor::uniform({2, 1, 28, 28}, 0)),
              ElementsAre(2, 10));
  expectShape(net, "0.weight", {6, 1, 5, 5});
  expectShape(net, "2.weight", {16, 6, 5, 5});
  // 28 -> conv pad 2: 28 -> pool: 14 -> conv 5: 10 -> pool: 5; 16*5*5
  expectShape(net, "5.weight", {120, 400});
  expectShape(net, "7.weight", {10, 84});
}

TEST(ModelZooTest, VGG11) {
  nn::Sequential net = zoo::vgg11(/*hidden=*/64);
  EXPECT_THAT(runOnce(net, Tensor::uniform({1, 3, 32, 32}, 0)),
              ElementsAre(1, 1000));
  expectShape(net, "features.0.weight", {64, 3, 3, 3});
  expectShape(net, "features.2.weight", {128, 64, 3, 3});
  expectShape(net, "features.11.weight", {512, 512, 3, 3});
  // Five 2x2 pools take 32 to 1: 512 * 1 * 1 features.
  expectShape(net, "fc1.weight", {64, 512});
  expectShape(net, "fc3.weight", {1000, 64});
}

TEST(ModelZooTest, ResNet18) {
  nn::Sequential net = zoo::resnet18();
  EXPECT_THAT(runOnce(net, Tensor::uniform({1, 3, 32, 32}, 0)),
              ElementsAre(1, 1000));
  expectShape(net, "stem.conv.weight", {64, 3, 7, 7});
  expectShape(net, "layer1.0.0.conv.weight", {64, 64, 3, 3});
  expectShape(net, "layer2.0.0.conv.weight", {128, 64, 3, 3});
  expectShape(net, "layer2.0.downsample.conv.weight", {128, 64, 1, 1});
  expectShape(net, "layer4.1.1.bn.running_var", {512});
  expectShape(net, "fc.weight", {1000, 512});
}

TEST(ModelZooTest, ResNet50) {
  nn::Sequential net = zoo::resnet50();
  EXPECT_THAT(runOnce(net, Tensor::uniform({1, 3, 32, 32}, 0)),
              ElementsAre(1, 1000));
  expectShape(net, "layer1.0.0.conv.weight", {64, 64, 1, 1});
  expectShape(net, "layer1.0.downsample.conv.weight", {256, 64, 1, 1});
  expectShape(net, "layer1.1.0.conv.weight", {64, 256, 1, 1});
  expectShape(net, "layer3.5.1.conv.weight", {256, 256, 3, 3});
  expectShape(net, "layer4.2.2.conv.weight", {2048, 512, 1, 1});
  expectShape(net, "fc.weight", {1000, 2048});
}

TEST(ModelZooTest, MobileNetV1) {
  nn::Sequential net = zoo::mobilenetV1();
  EXPECT_THAT(runOnce(net, Tensor::uniform({1, 3, 32, 32}, 0)),
              ElementsAre(1, 1000));
  expectShape(net, "stem.conv.weight", {32, 3, 3, 3});
  expectShape(net, "blocks.0.dw.conv.weight", {32, 1, 3, 3});
  expectShape(net, "blocks.0.pw.conv.weight", {64, 32, 1, 1});
  expectShape(net, "blocks.12.dw.conv.weight", {1024, 1, 3, 3});
  expectShape(net, "blocks.12.pw.conv.weight", {1024, 1024, 1, 1});
  expectShape(net, "fc.weight", {1000, 1024});
}

TEST(ModelZooTest, TransformerEncoder) {
  nn::Sequential net = zoo::transformerEncoder(/*vocab=*/1000);
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {2, 8}));
  for (int64_t i = 0; i < ids.getNumElements(); ++i)
    ids.i64()[i] = (i * 131) % 1000;
  EXPECT_THAT(runOnce(net, ids), ElementsAre(2, 8, 512));
  expectShape(net, "embed.weight", {1000, 512});
  expectShape(net, "encoder.attn.q.weight", {512, 512});
  expectShape(net, "encoder.ff1.weight", {2048, 512});
  expectShape(net, "encoder.ff2.weight", {512, 2048});
  expectShape(net, "encoder.norm2.gamma", {512});
}

} // namespace
