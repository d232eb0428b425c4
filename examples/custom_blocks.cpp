//===- custom_blocks.cpp - User blocks written with symbolic values -------===//
//
// A residual block written as a user would: declare parameters and child
// blocks, and write the forward with Syms. The multi-head attention block
// used below is written the same way in ModelZoo.h. Neither states an input
// size; the first batch decides them all.
//
//===----------------------------------------------------------------------===//

#include "ModelZoo.h"
#include "shapeflow/NN.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

using namespace shapeflow;

namespace {

/// relu(x + bn(conv(relu(bn(conv(x)))))): the channels are x's.
class ResidualBlock : public nn::SymBlock {
public:
  explicit ResidualBlock(int64_t channels) {
    nn::Conv2DOptions same{.padding = {1, 1}, .useBias = false};
    conv1 = child("conv1", nn::Conv2D(channels, {3, 3}, same));
    bn1 = child("bn1", nn::BatchNorm());
    conv2 = child("conv2", nn::Conv2D(channels, {3, 3}, same));
    bn2 = child("bn2", nn::BatchNorm());
  }
  nn::Sym forward(nn::Sym x) override {
    nn::Sym h = x.call(*conv1, "conv1").call(*bn1, "bn1").relu();
    h = h.call(*conv2, "conv2").call(*bn2, "bn2");
    return (x + h).relu();
  }
  std::string describe() const override { return "ResidualBlock()"; }

private:
  std::shared_ptr<nn::Conv2D> conv1, conv2;
  std::shared_ptr<nn::BatchNorm> bn1, bn2;
};

} // namespace

int main() {
  llvm::ExitOnError check("custom_blocks: error: ");
  llvm::raw_ostream &out = llvm::outs();

  nn::Sequential resnet;
  resnet.add(nn::Conv2D(16, {3, 3}, {.padding = {1, 1}}), "stem");
  resnet.add(ResidualBlock(16), "block");
  resnet.add(nn::GlobalAvgPool2D());
  resnet.add(nn::Flatten());
  resnet.add(nn::Dense(10), "fc");
  check(resnet.initialize(init::xavier()).takeError());
  Tensor y = check(resnet(Tensor::uniform({2, 3, 8, 8}, 0)));
  out << "== Residual network, x: f32[2, 3, 8, 8] -> " << y.shapeStr() << '\n'
      << resnet.collectParams();

  nn::Sequential encoder;
  encoder.add(nn::Embedding(1000, 64), "embed");
  encoder.add(zoo::MultiHeadAttention(4, 16), "attn");
  encoder.add(nn::LayerNorm(), "norm");
  check(encoder.initialize(init::xavier()).takeError());
  Tensor ids = check(Tensor::zeros(DType::I64, {2, 6}));
  for (int64_t i = 0; i < ids.getNumElements(); ++i)
    ids.i64()[i] = (i * 37) % 1000;
  y = check(encoder(ids));
  out << "\n== Attention encoder, ids: i64[2, 6] -> " << y.shapeStr() << '\n'
      << encoder.collectParams();
  return 0;
}
