//===- ModelZoo.h - Classic networks built through the C++ API --*- C++ -*-===//
//
// LeNet, VGG-11, ResNet-18/50, MobileNet-v1 and a transformer encoder,
// written without a single input size: every in_channels and in_units is
// inferred from the first batch. Header-only so that both the example
// program and the tests use the same definitions.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_EXAMPLES_MODELZOO_H
#define SHAPEFLOW_EXAMPLES_MODELZOO_H

#include "shapeflow/NN.h"

#include <cmath>

namespace zoo {

using namespace shapeflow;

inline nn::Conv2DOptions convOptions(int64_t stride, int64_t padding,
                                     bool bias = false) {
  nn::Conv2DOptions o;
  o.stride = {stride, stride};
  o.padding = {padding, padding};
  o.useBias = bias;
  return o;
}

/// LeNet-5 for [N, 1, 28, 28].
inline nn::Sequential lenet() {
  nn::Sequential net;
  net.add(nn::Conv2D(6, {5, 5}, {.padding = {2, 2}, .activation = "sigmoid"}));
  net.add(nn::AvgPool2D({2, 2}));
  net.add(nn::Conv2D(16, {5, 5}, {.activation = "sigmoid"}));
  net.add(nn::AvgPool2D({2, 2}));
  net.add(nn::Flatten());
  net.add(nn::Dense(120, {.activation = "sigmoid"}));
  net.add(nn::Dense(84, {.activation = "sigmoid"}));
  net.add(nn::Dense(10));
  return net;
}

/// VGG-11 (configuration A).
inline nn::Sequential vgg11(int64_t hidden = 4096) {
  nn::Sequential features;
  for (int64_t c :
       {64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1}) {
    if (c < 0)
      features.add(nn::MaxPool2D({2, 2}));
    else
      features.add(
          nn::Conv2D(c, {3, 3}, {.padding = {1, 1}, .activation = "relu"}));
  }
  nn::Sequential net;
  net.add(std::move(features), "features");
  net.add(nn::Flatten());
  net.add(nn::Dense(hidden, {.activation = "relu"}), "fc1");
  net.add(nn::Dropout(0.5));
  net.add(nn::Dense(hidden, {.activation = "relu"}), "fc2");
  net.add(nn::Dropout(0.5));
  net.add(nn::Dense(1000), "fc3");
  return net;
}

/// conv -> batch_norm, optionally relu.
class ConvBN : public nn::SymBlock {
public:
  ConvBN(int64_t channels, int64_t kernel, int64_t stride, int64_t padding,
         bool relu, int64_t groups = 1)
      : relu(relu) {
    nn::Conv2DOptions o = convOptions(stride, padding);
    o.groups = groups;
    conv = child("conv", nn::Conv2D(channels, {kernel, kernel}, o));
    bn = child("bn", nn::BatchNorm());
  }
  nn::Sym forward(nn::Sym x) override {
    nn::Sym y = x.call(*conv, "conv").call(*bn, "bn");
    return relu ? y.relu() : y;
  }
  std::string describe() const override { return "ConvBN()"; }

private:
  bool relu;
  std::shared_ptr<nn::Conv2D> conv;
  std::shared_ptr<nn::BatchNorm> bn;
};

/// ResNet's BasicBlock (two 3x3 convs) or Bottleneck (1x1, 3x3, 1x1 with 4x
/// expansion), with a 1x1 projection on the shortcut when the shape changes.
class Residual : public nn::SymBlock {
public:
  Residual(int64_t channels, int64_t stride, bool bottleneck, bool project) {
    if (bottleneck) {
      body.push_back(child("0", ConvBN(channels, 1, 1, 0, true)));
      body.push_back(child("1", ConvBN(channels, 3, stride, 1, true)));
      body.push_back(child("2", ConvBN(channels * 4, 1, 1, 0, false)));
    } else {
      body.push_back(child("0", ConvBN(channels, 3, stride, 1, true)));
      body.push_back(child("1", ConvBN(channels, 3, 1, 1, false)));
    }
    if (project)
      shortcut =
          child("downsample", ConvBN(bottleneck ? channels * 4 : channels, 1,
                                     stride, 0, false));
  }
  nn::Sym forward(nn::Sym x) override {
    nn::Sym h = x;
    for (size_t i = 0; i < body.size(); ++i)
      h = h.call(*body[i], std::to_string(i));
    nn::Sym skip = shortcut ? x.call(*shortcut, "downsample") : x;
    return (h + skip).relu();
  }
  std::string describe() const override { return "Residual()"; }

private:
  std::vector<std::shared_ptr<ConvBN>> body;
  std::shared_ptr<ConvBN> shortcut;
};

/// ResNet-18 (bottleneck = false, blocks {2,2,2,2}) or ResNet-50
/// (bottleneck = true, blocks {3,4,6,3}).
inline nn::Sequential resnet(bool bottleneck, std::array<int, 4> blocks) {
  nn::Sequential net;
  net.add(ConvBN(64, 7, 2, 3, true), "stem");
  net.add(nn::MaxPool2D({3, 3}, {.stride = {2, 2}, .padding = {1, 1}}));
  int64_t channels = 64;
  for (int stage = 0; stage < 4; ++stage, channels *= 2) {
    nn::Sequential layer;
    for (int b = 0; b < blocks[stage]; ++b) {
      int64_t stride = (b == 0 && stage > 0) ? 2 : 1;
      bool project = b == 0 && (stage > 0 || bottleneck);
      layer.add(Residual(channels, stride, bottleneck, project));
    }
    net.add(std::move(layer), "layer" + std::to_string(stage + 1));
  }
  net.add(nn::GlobalAvgPool2D());
  net.add(nn::Flatten());
  net.add(nn::Dense(1000), "fc");
  return net;
}

inline nn::Sequential resnet18() { return resnet(false, {2, 2, 2, 2}); }
inline nn::Sequential resnet50() { return resnet(true, {3, 4, 6, 3}); }

/// MobileNet-v1: depthwise-separable blocks; `groups` equals the channels,
/// which the depthwise conv declares because they equal its output's.
inline nn::Sequential mobilenetV1() {
  nn::Sequential net;
  net.add(ConvBN(32, 3, 2, 1, true), "stem");
  const int64_t schedule[][2] = {
      {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int64_t in = 32;
  nn::Sequential blocks;
  for (const auto &[out, stride] : schedule) {
    nn::Sequential block;
    block.add(ConvBN(in, 3, stride, 1, true, /*groups=*/in), "dw");
    block.add(ConvBN(out, 1, 1, 0, true), "pw");
    blocks.add(std::move(block));
    in = out;
  }
  net.add(std::move(blocks), "blocks");
  net.add(nn::GlobalAvgPool2D());
  net.add(nn::Flatten());
  net.add(nn::Dense(1000), "fc");
  return net;
}

/// Self-attention over x [batch, tokens, heads * headDim].
class MultiHeadAttention : public nn::SymBlock {
public:
  MultiHeadAttention(int64_t heads, int64_t headDim)
      : heads(heads), headDim(headDim) {
    nn::DenseOptions perToken{.flatten = false};
    q = child("q", nn::Dense(heads * headDim, perToken));
    k = child("k", nn::Dense(heads * headDim, perToken));
    v = child("v", nn::Dense(heads * headDim, perToken));
    out = child("out", nn::Dense(heads * headDim, perToken));
    scale = declareParam("scale", {},
                         init::constant(1.0f / std::sqrt(float(headDim))));
  }
  nn::Sym forward(nn::Sym x) override {
    // [B, T, H*D] -> [B, H, T, D]
    auto split = [&](nn::Sym s) {
      return s.reshape({0, 0, heads, headDim}).transpose({0, 2, 1, 3});
    };
    nn::Sym qh = split(x.call(*q, "q")), kh = split(x.call(*k, "k"));
    nn::Sym vh = split(x.call(*v, "v"));
    // [B, H, T, T] attention weights, then [B, H, T, D] -> [B, T, H*D]
    nn::Sym weights =
        (qh.matmul(kh.transpose({0, 1, 3, 2})) * x.param(*scale)).softmax();
    nn::Sym mixed = weights.matmul(vh)
                        .transpose({0, 2, 1, 3})
                        .reshape({0, 0, heads * headDim});
    return mixed.call(*out, "out");
  }
  std::string describe() const override { return "MultiHeadAttention()"; }

private:
  int64_t heads, headDim;
  std::shared_ptr<nn::Dense> q, k, v, out;
  std::shared_ptr<Parameter> scale;
};

/// One post-norm transformer encoder block over token ids.
class EncoderBlock : public nn::SymBlock {
public:
  EncoderBlock(int64_t heads, int64_t headDim, int64_t hidden) {
    int64_t model = heads * headDim;
    attn = child("attn", MultiHeadAttention(heads, headDim));
    norm1 = child("norm1", nn::LayerNorm());
    ff1 = child("ff1",
                nn::Dense(hidden, {.activation = "gelu", .flatten = false}));
    ff2 = child("ff2", nn::Dense(model, {.flatten = false}));
    norm2 = child("norm2", nn::LayerNorm());
  }
  nn::Sym forward(nn::Sym x) override {
    nn::Sym h = (x + x.call(*attn, "attn")).call(*norm1, "norm1");
    nn::Sym f = h.call(*ff1, "ff1").call(*ff2, "ff2");
    return (h + f).call(*norm2, "norm2");
  }
  std::string describe() const override { return "EncoderBlock()"; }

private:
  std::shared_ptr<MultiHeadAttention> attn;
  std::shared_ptr<nn::Dense> ff1, ff2;
  std::shared_ptr<nn::LayerNorm> norm1, norm2;
};

inline nn::Sequential transformerEncoder(int64_t vocab = 30000) {
  nn::Sequential net;
  net.add(nn::Embedding(vocab, 512), "embed");
  net.add(EncoderBlock(8, 64, 2048), "encoder");
  return net;
}

} // namespace zoo

#endif // SHAPEFLOW_EXAMPLES_MODELZOO_H
