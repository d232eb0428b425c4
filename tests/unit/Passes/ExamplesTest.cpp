//===- ExamplesTest.cpp - Shape inference on the bundled example graphs ---===//
//
// Each graph in examples/ is compiled with a bound input and every inferred
// parameter shape, plus the key activations, is compared with a value worked
// out here by hand. The expectations use plain integer window arithmetic
// written in this file, never the library, so a wrong shape rule or a wrong
// canonical form cannot agree with itself.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "llvm/Support/MemoryBuffer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

/// Parameter name (without `%`) -> printed type.
using ParamTypes = std::map<std::string, std::string>;

/// The text of examples/<name>, or "" after reporting a failure.
std::string readExample(const std::string &name) {
  std::string path = std::string(SHAPEFLOW_EXAMPLES_DIR) + "/" + name;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << path << ": "
                  << buffer.getError().message();
    return "";
  }
  return (*buffer)->getBuffer().str();
}

/// Replaces the one occurrence of `from` in `text` by `to`.
std::string replaceOnce(std::string text, const std::string &from,
                        const std::string &to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "'" << from << "' not in the example";
  if (pos != std::string::npos)
    text.replace(pos, from.size(), to);
  return text;
}

/// A printed type: typeStr("f32", {2, 3}) is "f32[2, 3]".
std::string typeStr(const char *dtype, std::initializer_list<int64_t> dims) {
  std::string s = std::string(dtype) + "[";
  const char *sep = "";
  for (int64_t d : dims) {
    s += sep + std::to_string(d);
    sep = ", ";
  }
  return s + "]";
}

std::string f32(std::initializer_list<int64_t> dims) {
  return typeStr("f32", dims);
}

/// The output size along one axis of a convolution or pooling window
/// (floor mode, no dilation): (in + 2 * pad - kernel) // stride + 1.
int64_t convOut(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  return (in + 2 * pad - kernel) / stride + 1;
}

/// Python's `a // b` for a positive divisor.
int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// `%x=f32[n,c,h,w]`.
std::string bindImage(int64_t n, int64_t c, int64_t h, int64_t w) {
  return "%x=f32[" + std::to_string(n) + "," + std::to_string(c) + "," +
         std::to_string(h) + "," + std::to_string(w) + "]";
}

// Expected parameters of common layers, laid out as the shape rules say:
// conv weight [out, in / groups, k, k], dense weight [units, in], and every
// batch_norm parameter a vector of the channel count.
void addConv(ParamTypes &params, const std::string &name, int64_t out,
             int64_t inPerGroup, int64_t kernel, bool bias) {
  params[name + ".weight"] = f32({out, inPerGroup, kernel, kernel});
  if (bias)
    params[name + ".bias"] = f32({out});
}

void addBatchNorm(ParamTypes &params, const std::string &name, int64_t c) {
  for (const char *field : {"weight", "bias", "running_mean", "running_var"})
    params[name + "." + field] = f32({c});
}

void addDense(ParamTypes &params, const std::string &name, int64_t units,
              int64_t in) {
  params[name + ".weight"] = f32({units, in});
  params[name + ".bias"] = f32({units});
}

/// Checks that the graph has exactly the parameters of `expected`, each with
/// the expected type.
void expectParams(Compiled &c, const ParamTypes &expected) {
  std::vector<Node *> params = c.graph().getParams();
  EXPECT_EQ(params.size(), expected.size());
  for (Node *param : params) {
    std::string name = param->getName().str();
    auto it = expected.find(name);
    if (it == expected.end()) {
      ADD_FAILURE() << "unexpected parameter %" << name;
      continue;
    }
    EXPECT_EQ(param->getResult().getType().str(), it->second)
        << "parameter %" << name;
  }
  for (const auto &entry : expected)
    EXPECT_NE(c.graph().lookup(entry.first), nullptr)
        << "missing parameter %" << entry.first;
}

//===----------------------------------------------------------------------===//
// LeNet
//===----------------------------------------------------------------------===//

/// LeNet's parameters do not depend on the batch; the image is 28x28.
ParamTypes lenetParams() {
  // conv 5x5 pad 2, pool 2/2, conv 5x5, pool 2/2
  int64_t h = convOut(convOut(convOut(convOut(28, 5, 1, 2), 2, 2, 0), 5, 1, 0),
                      2, 2, 0);
  EXPECT_EQ(h, 5);
  ParamTypes params;
  addConv(params, "conv1", 6, 1, 5, /*bias=*/true);
  addConv(params, "conv2", 16, 6, 5, /*bias=*/true);
  addDense(params, "fc1", 120, 16 * h * h);
  addDense(params, "fc2", 84, 120);
  addDense(params, "fc3", 10, 84);
  return params;
}

TEST(ExamplesTest, LeNetInfersEveryShape) {
  auto c = compile(readExample("lenet.sfg"), {"%x=f32[2,1,28,28]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, lenetParams());

  int64_t h1 = convOut(28, 5, 1, 2), p1 = convOut(h1, 2, 2, 0);
  int64_t h2 = convOut(p1, 5, 1, 0), p2 = convOut(h2, 2, 2, 0);
  EXPECT_EQ(c->type("conv1"), f32({2, 6, h1, h1}));
  EXPECT_EQ(c->type("pool1"), f32({2, 6, p1, p1}));
  EXPECT_EQ(c->type("conv2"), f32({2, 16, h2, h2}));
  EXPECT_EQ(c->type("pool2"), f32({2, 16, p2, p2}));
  EXPECT_EQ(c->type("flat"), f32({2, 16 * p2 * p2}));
  EXPECT_EQ(c->type("fc1"), f32({2, 120}));
  EXPECT_EQ(c->type("fc2"), f32({2, 84}));
  EXPECT_EQ(c->type("logits"), f32({2, 10}));
}

TEST(ExamplesTest, LeNetBatchSizeOnlyChangesTheBatchDim) {
  for (int64_t n : {1, 7, 64}) {
    SCOPED_TRACE("batch " + std::to_string(n));
    auto c = compile(readExample("lenet.sfg"), {bindImage(n, 1, 28, 28)});
    ASSERT_EQ(c->errors, "");
    expectParams(*c, lenetParams());
    EXPECT_EQ(c->type("logits"), f32({n, 10}));
  }
}

TEST(ExamplesTest, LeNetSymbolicBatchFlows) {
  auto c = compile(readExample("lenet.sfg"), {"%x=f32[N,1,28,28]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, lenetParams());
  EXPECT_EQ(c->type("flat"), "f32[N, 400]");
  EXPECT_EQ(c->type("logits"), "f32[N, 10]");
}

TEST(ExamplesTest, LeNetRejectsSymbolicImageSize) {
  // The example fixes 28x28, so a symbolic size is a binding mismatch.
  auto c = compile(readExample("lenet.sfg"), {"%x=f32[N,1,H,W]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("cannot bind input '%x'"),
                               HasSubstr("f32[N, 1, H, W]"),
                               HasSubstr("declared f32[?, 1, 28, 28]")));

  // With the size left open, the dense layer after flatten would need a
  // weight whose width changes with H and W: 16 * (H // 4 - 2) *
  // (W // 4 - 2) expanded.
  std::string open = replaceOnce(readExample("lenet.sfg"), "f32[?, 1, 28, 28]",
                                 "f32[?, 1, ?, ?]");
  c = compile(open, {"%x=f32[N,1,H,W]"});
  EXPECT_THAT(c->errors,
              AllOf(HasSubstr("parameter '%fc1.weight'"),
                    HasSubstr("[120, 16 * (H // 4) * (W // 4) - 32 * (H // 4) "
                              "- 32 * (W // 4) + 64]"),
                    HasSubstr("depends on the input symbols H, W")));
}

//===----------------------------------------------------------------------===//
// VGG-11
//===----------------------------------------------------------------------===//

/// VGG-11's convolutions: torchvision layer index, width, and whether a
/// 2x2 max pool follows (at index + 2, after the relu).
struct VggConv {
  int index;
  int64_t channels;
  bool pooled;
};
constexpr VggConv kVggConvs[] = {
    {0, 64, true},    {3, 128, true},  {6, 256, false},  {8, 256, true},
    {11, 512, false}, {13, 512, true}, {16, 512, false}, {18, 512, true}};

ParamTypes vggParams(int64_t h, int64_t w) {
  ParamTypes params;
  int64_t in = 3;
  for (VggConv conv : kVggConvs) {
    addConv(params, "features." + std::to_string(conv.index), conv.channels, in,
            3, /*bias=*/true);
    in = conv.channels;
  }
  // Five 2x2 stride-2 pools; the 3x3 pad-1 convs keep the size.
  for (int i = 0; i < 5; ++i) {
    h = convOut(h, 2, 2, 0);
    w = convOut(w, 2, 2, 0);
  }
  addDense(params, "classifier.0", 4096, 512 * h * w);
  addDense(params, "classifier.3", 4096, 4096);
  addDense(params, "classifier.6", 1000, 4096);
  return params;
}

/// Compiles VGG-11 on [n, 3, h, w] and checks every shape.
void checkVgg(int64_t n, int64_t h, int64_t w) {
  SCOPED_TRACE("vgg11 on " + bindImage(n, 3, h, w));
  auto c = compile(readExample("vgg11.sfg"), {bindImage(n, 3, h, w)});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, vggParams(h, w));

  // Each conv keeps the size (3x3 pad 1); each pool halves it, rounding
  // down.
  int64_t ch = h, cw = w;
  for (VggConv conv : kVggConvs) {
    ch = convOut(ch, 3, 1, 1);
    cw = convOut(cw, 3, 1, 1);
    std::string name = "features." + std::to_string(conv.index);
    EXPECT_EQ(c->type(name), f32({n, conv.channels, ch, cw})) << name;
    if (!conv.pooled)
      continue;
    ch = convOut(ch, 2, 2, 0);
    cw = convOut(cw, 2, 2, 0);
    std::string pool = "features." + std::to_string(conv.index + 2);
    EXPECT_EQ(c->type(pool), f32({n, conv.channels, ch, cw})) << pool;
  }
  EXPECT_EQ(c->type("flat"), f32({n, 512 * ch * cw}));
  EXPECT_EQ(c->type("classifier.0"), f32({n, 4096}));
  EXPECT_EQ(c->type("classifier.2"), f32({n, 4096}));
  EXPECT_EQ(c->type("classifier.6"), f32({n, 1000}));
}

TEST(ExamplesTest, VggInfersEveryShape) { checkVgg(2, 224, 224); }

TEST(ExamplesTest, VggRoundsOddSizesDown) {
  // 100 -> 50 -> 25 -> 12 -> 6 -> 3 and 150 -> 75 -> 37 -> 18 -> 9 -> 4.
  checkVgg(1, 100, 150);
  EXPECT_EQ(vggParams(100, 150)["classifier.0.weight"],
            f32({4096, 512 * 3 * 4}));
}

TEST(ExamplesTest, VggBatchSizes) {
  for (int64_t n : {1, 3, 16})
    checkVgg(n, 224, 224);
}

TEST(ExamplesTest, VggSymbolicBatchFlows) {
  auto c = compile(readExample("vgg11.sfg"), {"%x=f32[N,3,224,224]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, vggParams(224, 224));
  EXPECT_EQ(c->type("classifier.6"), "f32[N, 1000]");
}

TEST(ExamplesTest, VggRejectsSymbolicImageSize) {
  // 224 // 32 = 7 for a concrete size; symbolically the first dense weight
  // would be [4096, 512 * (H // 32) * (W // 32)].
  auto c = compile(readExample("vgg11.sfg"), {"%x=f32[N,3,H,W]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("parameter '%classifier.0.weight'"),
                               HasSubstr("[4096, 512 * (H // 32) * (W // 32)]"),
                               HasSubstr("depends on the input symbols H, W")));
}

TEST(ExamplesTest, VggRejectsTooSmallImage) {
  // 31 // 16 = 1, and the last 2x2 pool has no room.
  auto c = compile(readExample("vgg11.sfg"), {"%x=f32[1,3,31,31]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("max_pool2d '%features.20'"),
                               HasSubstr("input height 1"),
                               HasSubstr("output height would be 0")));
}

//===----------------------------------------------------------------------===//
// ResNet-18
//===----------------------------------------------------------------------===//

/// The name of block `block` of stage `stage` (both from 1 and 0 as in
/// torchvision): "layer2.0".
std::string resnetBlock(int stage, int block) {
  return "layer" + std::to_string(stage) + "." + std::to_string(block);
}

int64_t resnetWidth(int stage) { return int64_t(64) << (stage - 1); }

ParamTypes resnetParams() {
  ParamTypes params;
  addConv(params, "conv1", 64, 3, 7, /*bias=*/false);
  addBatchNorm(params, "bn1", 64);
  int64_t in = 64;
  for (int stage = 1; stage <= 4; ++stage) {
    int64_t c = resnetWidth(stage);
    for (int block = 0; block < 2; ++block) {
      std::string b = resnetBlock(stage, block);
      addConv(params, b + ".conv1", c, in, 3, /*bias=*/false);
      addBatchNorm(params, b + ".bn1", c);
      addConv(params, b + ".conv2", c, c, 3, /*bias=*/false);
      addBatchNorm(params, b + ".bn2", c);
      if (stage > 1 && block == 0) {
        addConv(params, b + ".downsample.0", c, in, 1, /*bias=*/false);
        addBatchNorm(params, b + ".downsample.1", c);
      }
      in = c;
    }
  }
  addDense(params, "fc", 1000, 512);
  return params;
}

/// Compiles ResNet-18 on [n, 3, h, w] and checks every shape.
void checkResnet(int64_t n, int64_t h, int64_t w) {
  SCOPED_TRACE("resnet18 on " + bindImage(n, 3, h, w));
  auto c = compile(readExample("resnet18.sfg"), {bindImage(n, 3, h, w)});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, resnetParams());

  // Stem: 7x7/2 pad 3, then a 3x3/2 pad 1 max pool.
  h = convOut(h, 7, 2, 3);
  w = convOut(w, 7, 2, 3);
  EXPECT_EQ(c->type("conv1"), f32({n, 64, h, w}));
  EXPECT_EQ(c->type("bn1"), f32({n, 64, h, w}));
  h = convOut(h, 3, 2, 1);
  w = convOut(w, 3, 2, 1);
  EXPECT_EQ(c->type("maxpool"), f32({n, 64, h, w}));

  for (int stage = 1; stage <= 4; ++stage) {
    int64_t ch = resnetWidth(stage);
    for (int block = 0; block < 2; ++block) {
      std::string b = resnetBlock(stage, block);
      int64_t stride = stage > 1 && block == 0 ? 2 : 1;
      if (stride == 2) {
        // The 1x1 stride-2 shortcut must land on the same size as the 3x3
        // stride-2 pad-1 main path.
        int64_t sh = convOut(h, 1, 2, 0), sw = convOut(w, 1, 2, 0);
        EXPECT_EQ(c->type(b + ".downsample.0"), f32({n, ch, sh, sw}));
        EXPECT_EQ(c->type(b + ".downsample.1"), f32({n, ch, sh, sw}));
      }
      h = convOut(h, 3, stride, 1);
      w = convOut(w, 3, stride, 1);
      EXPECT_EQ(c->type(b + ".conv1"), f32({n, ch, h, w})) << b;
      EXPECT_EQ(c->type(b + ".conv2"), f32({n, ch, h, w})) << b;
      EXPECT_EQ(c->type(b + ".add"), f32({n, ch, h, w})) << b;
      EXPECT_EQ(c->type(b), f32({n, ch, h, w})) << b;
    }
  }
  EXPECT_EQ(c->type("avgpool"), f32({n, 512, 1, 1}));
  EXPECT_EQ(c->type("flat"), f32({n, 512}));
  EXPECT_EQ(c->type("fc"), f32({n, 1000}));
}

TEST(ExamplesTest, ResNetInfersEveryShape) { checkResnet(2, 224, 224); }

TEST(ExamplesTest, ResNetRoundsOddSizesUp) {
  // Stride-2 windows with "same" padding give ceil(h / 2): 199 -> 100 ->
  // 50 -> 25 -> 13 -> 7, and 301 -> 151 -> 76 -> 38 -> 19 -> 10.
  checkResnet(3, 199, 301);
  checkResnet(1, 1, 1);
}

TEST(ExamplesTest, ResNetBatchSizes) {
  for (int64_t n : {1, 5, 32})
    checkResnet(n, 224, 224);
}

TEST(ExamplesTest, CanonicalFormsMatchTheWindowArithmetic) {
  // The printed forms checked below, against the window formula applied
  // layer by layer: conv1 (7/2/3), max pool (3/2/1), then one 3x3/2/1 conv
  // per stage 2-4.
  for (int64_t h = 1; h <= 4096; ++h) {
    int64_t h1 = convOut(h, 7, 2, 3);
    ASSERT_EQ(h1, floorDiv(h + 1, 2)) << "H = " << h;
    int64_t h2 = convOut(h1, 3, 2, 1);
    ASSERT_EQ(h2, floorDiv(h + 3, 4)) << "H = " << h;
    int64_t h3 = convOut(h2, 3, 2, 1);
    ASSERT_EQ(h3, floorDiv(h + 7, 8)) << "H = " << h;
    ASSERT_EQ(convOut(h2, 1, 2, 0), h3) << "H = " << h;
    int64_t h4 = convOut(h3, 3, 2, 1);
    ASSERT_EQ(h4, floorDiv(h + 15, 16)) << "H = " << h;
    int64_t h5 = convOut(h4, 3, 2, 1);
    ASSERT_EQ(h5, floorDiv(h + 31, 32)) << "H = " << h;
  }
}

TEST(ExamplesTest, ResNetSymbolicShapes) {
  auto c = compile(readExample("resnet18.sfg"), {"%x=f32[N,3,H,W]"});
  ASSERT_EQ(c->errors, "");
  // Global pooling hides H and W from the head, so every parameter is the
  // same as for a concrete image.
  expectParams(*c, resnetParams());

  // (H + 2*3 - 7) // 2 + 1 = (H - 1) // 2 + 1 = (H + 1) // 2, and each
  // further stride-2 window is a ceiling halving: (H + 2^k - 1) // 2^k.
  EXPECT_EQ(c->type("conv1"), "f32[N, 64, (H + 1) // 2, (W + 1) // 2]");
  EXPECT_EQ(c->type("maxpool"), "f32[N, 64, (H + 3) // 4, (W + 3) // 4]");
  EXPECT_EQ(c->type("layer1.1"), "f32[N, 64, (H + 3) // 4, (W + 3) // 4]");
  EXPECT_EQ(c->type("layer2.0.downsample.0"),
            "f32[N, 128, (H + 7) // 8, (W + 7) // 8]");
  EXPECT_EQ(c->type("layer2.1"), "f32[N, 128, (H + 7) // 8, (W + 7) // 8]");
  EXPECT_EQ(c->type("layer3.1"), "f32[N, 256, (H + 15) // 16, (W + 15) // 16]");
  EXPECT_EQ(c->type("layer4.1"), "f32[N, 512, (H + 31) // 32, (W + 31) // 32]");
  EXPECT_EQ(c->type("avgpool"), "f32[N, 512, 1, 1]");
  EXPECT_EQ(c->type("fc"), "f32[N, 1000]");
}

TEST(ExamplesTest, ResNetSymbolicExpressionsOfExpressions) {
  // H' = 4*H + 3: conv1 gives (4H + 4) // 2 = 2H + 2, the pool
  // (4H + 6) // 4 = H + 1, and stage 4 (4H + 34) // 32, which equals
  // H // 8 + 1 because 4H mod 32 never reaches 30.
  auto c = compile(readExample("resnet18.sfg"), {"%x=f32[N,3,4*H+3,W-1]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("conv1"), "f32[N, 64, 2 * H + 2, W // 2]");
  EXPECT_EQ(c->type("maxpool"), "f32[N, 64, H + 1, (W + 2) // 4]");
  EXPECT_EQ(c->type("layer4.1"), "f32[N, 512, H // 8 + 1, (W + 30) // 32]");
  for (int64_t h = 1; h <= 1024; ++h) {
    int64_t x = convOut(4 * h + 3, 7, 2, 3);
    ASSERT_EQ(x, 2 * h + 2) << "H = " << h;
    x = convOut(x, 3, 2, 1);
    ASSERT_EQ(x, h + 1) << "H = " << h;
    for (int stage = 2; stage <= 4; ++stage)
      x = convOut(x, 3, 2, 1);
    ASSERT_EQ(x, floorDiv(h, 8) + 1) << "H = " << h;
  }
  for (int64_t w = 2; w <= 1024; ++w) {
    int64_t x = convOut(w - 1, 7, 2, 3);
    ASSERT_EQ(x, floorDiv(w, 2)) << "W = " << w;
    x = convOut(x, 3, 2, 1);
    ASSERT_EQ(x, floorDiv(w + 2, 4)) << "W = " << w;
    for (int stage = 2; stage <= 4; ++stage)
      x = convOut(x, 3, 2, 1);
    ASSERT_EQ(x, floorDiv(w + 30, 32)) << "W = " << w;
  }
}

TEST(ExamplesTest, ResNetSymbolicFormsAgreeWithConcreteSizes) {
  // Binding a size that the symbolic form evaluates must give the same
  // numbers as the hand-written canonical forms at that size.
  for (int64_t h : {1,  2,  3,  4,   5,   7,   8,   9,   31,  32, 33,
                    63, 64, 65, 223, 224, 225, 255, 256, 257, 511}) {
    SCOPED_TRACE("H = " + std::to_string(h));
    int64_t w = h + 13;
    auto c = compile(readExample("resnet18.sfg"), {bindImage(1, 3, h, w)});
    ASSERT_EQ(c->errors, "");
    EXPECT_EQ(c->type("conv1"),
              f32({1, 64, floorDiv(h + 1, 2), floorDiv(w + 1, 2)}));
    EXPECT_EQ(c->type("layer2.1"),
              f32({1, 128, floorDiv(h + 7, 8), floorDiv(w + 7, 8)}));
    EXPECT_EQ(c->type("layer4.1"),
              f32({1, 512, floorDiv(h + 31, 32), floorDiv(w + 31, 32)}));
  }
}

TEST(ExamplesTest, ResNetRejectsWrongChannelCount) {
  // The example declares 3 channels, so binding 1 fails at the signature.
  auto c = compile(readExample("resnet18.sfg"), {"%x=f32[1,1,224,224]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("cannot bind input '%x'"),
                               HasSubstr("f32[1, 1, 224, 224]"),
                               HasSubstr("declared f32[?, 3, ?, ?]")));

  // With the channels left open and the stem's weight fixed (as when it is
  // loaded from a checkpoint), the conflict is found at the convolution.
  std::string text = replaceOnce(readExample("resnet18.sfg"), "f32[?, 3, ?, ?]",
                                 "f32[?, ?, ?, ?]");
  text = replaceOnce(text, "%conv1.weight = param\n",
                     "%conv1.weight = param : f32[64, 3, 7, 7]\n");
  c = compile(text, {"%x=f32[1,1,224,224]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("conv2d '%conv1'"),
                               HasSubstr("weight '%conv1.weight' is 3"),
                               HasSubstr("requires 1")));
}

//===----------------------------------------------------------------------===//
// MobileNet v1
//===----------------------------------------------------------------------===//

/// The 13 depthwise-separable blocks: pointwise width and depthwise stride.
struct MobileBlock {
  int64_t channels;
  int64_t stride;
};
constexpr MobileBlock kMobileBlocks[] = {
    {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
    {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

ParamTypes mobilenetParams() {
  ParamTypes params;
  addConv(params, "conv1", 32, 3, 3, /*bias=*/false);
  addBatchNorm(params, "bn1", 32);
  int64_t in = 32;
  for (int i = 0; i < 13; ++i) {
    std::string b = "blocks." + std::to_string(i);
    int64_t out = kMobileBlocks[i].channels;
    // Depthwise: groups = channels, so one input channel per group.
    addConv(params, b + ".dw", in, 1, 3, /*bias=*/false);
    addBatchNorm(params, b + ".dw_bn", in);
    addConv(params, b + ".pw", out, in, 1, /*bias=*/false);
    addBatchNorm(params, b + ".pw_bn", out);
    in = out;
  }
  addDense(params, "fc", 1000, 1024);
  return params;
}

void checkMobilenet(int64_t n, int64_t h, int64_t w) {
  SCOPED_TRACE("mobilenet_v1 on " + bindImage(n, 3, h, w));
  auto c = compile(readExample("mobilenet_v1.sfg"), {bindImage(n, 3, h, w)});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, mobilenetParams());

  h = convOut(h, 3, 2, 1);
  w = convOut(w, 3, 2, 1);
  EXPECT_EQ(c->type("relu1"), f32({n, 32, h, w}));
  int64_t in = 32;
  for (int i = 0; i < 13; ++i) {
    std::string b = "blocks." + std::to_string(i);
    h = convOut(h, 3, kMobileBlocks[i].stride, 1);
    w = convOut(w, 3, kMobileBlocks[i].stride, 1);
    EXPECT_EQ(c->type(b + ".dw"), f32({n, in, h, w})) << b;
    in = kMobileBlocks[i].channels;
    EXPECT_EQ(c->type(b + ".pw"), f32({n, in, h, w})) << b;
    EXPECT_EQ(c->type(b), f32({n, in, h, w})) << b;
  }
  EXPECT_EQ(c->type("avgpool"), f32({n, 1024, 1, 1}));
  EXPECT_EQ(c->type("fc"), f32({n, 1000}));
}

TEST(ExamplesTest, MobileNetInfersEveryShape) {
  checkMobilenet(2, 224, 224);
  checkMobilenet(1, 97, 160);
}

TEST(ExamplesTest, MobileNetBatchSizes) {
  for (int64_t n : {1, 4, 33})
    checkMobilenet(n, 224, 224);
}

TEST(ExamplesTest, MobileNetSymbolicShapes) {
  auto c = compile(readExample("mobilenet_v1.sfg"), {"%x=f32[N,3,H,W]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, mobilenetParams());
  EXPECT_EQ(c->type("relu1"), "f32[N, 32, (H + 1) // 2, (W + 1) // 2]");
  EXPECT_EQ(c->type("blocks.1.dw"), "f32[N, 64, (H + 3) // 4, (W + 3) // 4]");
  EXPECT_EQ(c->type("blocks.10"),
            "f32[N, 512, (H + 15) // 16, (W + 15) // 16]");
  EXPECT_EQ(c->type("blocks.12"),
            "f32[N, 1024, (H + 31) // 32, (W + 31) // 32]");
  EXPECT_EQ(c->type("fc"), "f32[N, 1000]");
}

//===----------------------------------------------------------------------===//
// Transformer encoder block
//===----------------------------------------------------------------------===//

ParamTypes transformerParams() {
  constexpr int64_t model = 512, ff = 2048;
  ParamTypes params;
  params["embedding.weight"] = f32({30000, model});
  for (const char *proj : {"q_proj", "k_proj", "v_proj", "out_proj"})
    addDense(params, std::string("self_attn.") + proj, model, model);
  params["self_attn.scale"] = "f32[]";
  params["norm1.weight"] = f32({model});
  params["norm1.bias"] = f32({model});
  addDense(params, "linear1", ff, model);
  addDense(params, "linear2", model, ff);
  params["norm2.weight"] = f32({model});
  params["norm2.bias"] = f32({model});
  return params;
}

void checkTransformer(int64_t b, int64_t s) {
  std::string binding =
      "%ids=i64[" + std::to_string(b) + "," + std::to_string(s) + "]";
  SCOPED_TRACE("transformer_encoder on " + binding);
  auto c = compile(readExample("transformer_encoder.sfg"), {binding});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, transformerParams());

  constexpr int64_t heads = 8, headDim = 512 / 8;
  EXPECT_EQ(c->type("embedding"), f32({b, s, 512}));
  for (const char *x : {"q", "k", "v"}) {
    std::string p = std::string("self_attn.") + x;
    EXPECT_EQ(c->type(p + "_proj"), f32({b, s, 512})) << p;
    EXPECT_EQ(c->type(p + "_heads"), f32({b, s, heads, headDim})) << p;
    EXPECT_EQ(c->type(p), f32({b, heads, s, headDim})) << p;
  }
  EXPECT_EQ(c->type("self_attn.k_t"), f32({b, heads, headDim, s}));
  EXPECT_EQ(c->type("self_attn.scores"), f32({b, heads, s, s}));
  EXPECT_EQ(c->type("self_attn.scaled"), f32({b, heads, s, s}));
  EXPECT_EQ(c->type("self_attn.weights"), f32({b, heads, s, s}));
  EXPECT_EQ(c->type("self_attn.context"), f32({b, heads, s, headDim}));
  EXPECT_EQ(c->type("self_attn.merged"), f32({b, s, heads, headDim}));
  EXPECT_EQ(c->type("self_attn.concat"), f32({b, s, heads * headDim}));
  EXPECT_EQ(c->type("self_attn"), f32({b, s, 512}));
  EXPECT_EQ(c->type("norm1"), f32({b, s, 512}));
  EXPECT_EQ(c->type("linear1"), f32({b, s, 2048}));
  EXPECT_EQ(c->type("activation"), f32({b, s, 2048}));
  EXPECT_EQ(c->type("norm2"), f32({b, s, 512}));
}

TEST(ExamplesTest, TransformerInfersEveryShape) { checkTransformer(2, 128); }

TEST(ExamplesTest, TransformerBatchAndSequenceSizes) {
  checkTransformer(1, 1);
  checkTransformer(3, 77);
  checkTransformer(16, 512);
}

TEST(ExamplesTest, TransformerSymbolicShapes) {
  auto c = compile(readExample("transformer_encoder.sfg"), {"%ids=i64[B,S]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, transformerParams());
  EXPECT_EQ(c->type("self_attn.q"), "f32[B, 8, S, 64]");
  EXPECT_EQ(c->type("self_attn.k_t"), "f32[B, 8, 64, S]");
  EXPECT_EQ(c->type("self_attn.scores"), "f32[B, 8, S, S]");
  EXPECT_EQ(c->type("self_attn.concat"), "f32[B, S, 512]");
  EXPECT_EQ(c->type("norm2"), "f32[B, S, 512]");
}

TEST(ExamplesTest, TransformerUnboundInfersParametersAnyway) {
  // Nothing in the parameters depends on B or S, so they resolve without a
  // binding.
  auto c = compile(readExample("transformer_encoder.sfg"));
  ASSERT_EQ(c->errors, "");
  expectParams(*c, transformerParams());
  EXPECT_EQ(c->type("norm2"), "f32[?, ?, 512]");
}

TEST(ExamplesTest, TransformerRejectsFloatIds) {
  auto c = compile(readExample("transformer_encoder.sfg"), {"%ids=f32[2,128]"});
  EXPECT_THAT(c->errors, AllOf(HasSubstr("cannot bind input '%ids'"),
                               HasSubstr("declared i64[?, ?]")));
}

//===----------------------------------------------------------------------===//
// The 100-layer conv chain
//===----------------------------------------------------------------------===//

ParamTypes convChainParams() {
  ParamTypes params;
  int64_t in = 3;
  for (int i = 0; i < 100; ++i) {
    addConv(params, "layers." + std::to_string(i), 64, in, 3, /*bias=*/true);
    in = 64;
  }
  return params;
}

TEST(ExamplesTest, ConvChainInfersEveryShape) {
  auto c = compile(readExample("conv_chain100.sfg"), {"%x=f32[2,3,224,224]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("layers.0.weight"), "f32[64, 3, 3, 3]");
  EXPECT_EQ(c->type("layers.99.weight"), "f32[64, 64, 3, 3]");
  expectParams(*c, convChainParams());
  EXPECT_EQ(c->graph().getParams().size(), 200u);

  int64_t h = 224;
  for (int i = 0; i < 100; ++i) {
    h = convOut(h, 3, 1, 1);
    std::string name = "layers." + std::to_string(i);
    EXPECT_EQ(c->type(name), f32({2, 64, h, h})) << name;
  }
}

TEST(ExamplesTest, ConvChainSymbolicAndUnbound) {
  auto c = compile(readExample("conv_chain100.sfg"), {"%x=f32[N,3,H,W]"});
  ASSERT_EQ(c->errors, "");
  expectParams(*c, convChainParams());
  EXPECT_EQ(c->type("layers.0"), "f32[N, 64, H, W]");
  EXPECT_EQ(c->type("layers.99"), "f32[N, 64, H, W]");

  // The declared 3 input channels alone fix every weight.
  c = compile(readExample("conv_chain100.sfg"));
  ASSERT_EQ(c->errors, "");
  expectParams(*c, convChainParams());
  EXPECT_EQ(c->type("layers.99"), "f32[?, 64, ?, ?]");
}

TEST(ExamplesTest, ConvChainBatchSizes) {
  for (int64_t n : {1, 8}) {
    auto c = compile(readExample("conv_chain100.sfg"), {bindImage(n, 3, 5, 9)});
    ASSERT_EQ(c->errors, "");
    EXPECT_EQ(c->type("layers.99"), f32({n, 64, 5, 9}));
  }
}

} // namespace
