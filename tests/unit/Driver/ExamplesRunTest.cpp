//===- ExamplesRunTest.cpp - Every bundled example against a reference ----===//
//
// Runs each examples/*.sfg through a Session (with batch_norm folding and
// fused activations, as by default) and checks the output against the
// plain-loop reference interpreter in ReferenceInterpreter.h, evaluated on a
// separately parsed and inferred copy of the graph with the session's
// parameter data. Parameters are all random (running variances in
// [0.5, 1.5), everything else in [-0.5, 0.5)), so batch_norm statistics are
// non-trivial and folding is really exercised.
//
//===----------------------------------------------------------------------===//

#include "Driver/ReferenceInterpreter.h"
#include "TestUtil.h"

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Parser.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Runtime/Random.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace shapeflow;
using namespace shapeflow::test;

namespace {

struct ExampleCase {
  std::string file;
  /// The --bind string for the reference's copy of the graph.
  std::string binding;
  Tensor input;
  /// Tolerance: |session - reference| <= rel * max|reference| + abs. The
  /// same for every example: float rounding through even 100 layers stays
  /// near 1e-6 of the output's scale, so 1e-4 leaves a wide margin.
  double rel = 1e-4;
  double abs = 1e-5;
  /// Weights (rank >= 2) are drawn from U[-a, a) with a = sqrt(6 / fan_in)
  /// instead of U[-0.5, 0.5), and batch_norm gammas from U[0.5, 1.5), so
  /// activations stay O(1) through deep chains and the output still depends
  /// on the input.
  bool fanInScaled = false;
};

std::string readExample(llvm::StringRef file) {
  std::string path = std::string(SHAPEFLOW_EXAMPLES_DIR) + "/" + file.str();
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

void initializeRandomly(Session &session, bool fanInScaled) {
  InitPtr random = init::callback(
      [fanInScaled](const InitRequest &r, llvm::MutableArrayRef<float> data) {
        RandomStream rng(r.seed, r.name);
        float a = 0.5f;
        if (fanInScaled && r.shape.size() >= 2) {
          int64_t fanIn = 1;
          for (size_t d = 1; d < r.shape.size(); ++d)
            fanIn *= r.shape[d];
          a = float(std::sqrt(6.0 / double(fanIn)));
        }
        bool variance = r.role == ParamRole::RunningVar ||
                        (fanInScaled && r.role == ParamRole::Gamma);
        for (float &x : data)
          x = variance ? rng.uniform(0.5f, 1.5f) : rng.uniform(-a, a);
        return llvm::Error::success();
      },
      "random");
  for (const auto &param : session.getParams())
    param->setOwnInit(random);
  InitOptions options;
  options.seed = 7;
  llvm::cantFail(session.initialize(random, options).takeError());
}

void checkExample(const ExampleCase &c) {
  SCOPED_TRACE(c.file);
  std::string text = readExample(c.file);
  ASSERT_FALSE(text.empty());

  // The runtime.
  llvm::SourceMgr srcMgr;
  auto module = parseModuleString(text, srcMgr, c.file);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  std::unique_ptr<Graph> graph = std::move((*module)->graphs[0]);
  ASSERT_FALSE(bool(verifyGraph(*graph)));
  auto session = Session::create(std::move(graph));
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  initializeRandomly(**session, c.fanInScaled);
  auto outputs = (*session)->run({c.input});
  ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
  ASSERT_EQ(outputs->size(), 1u);
  const Tensor &got = (*outputs)[0];

  // The reference, on its own copy of the graph.
  auto compiled = compile(text, {c.binding});
  ASSERT_EQ(compiled->errors, "");
  Session &s = **session;
  auto values = runReference(
      compiled->graph(), {RefTensor::fromTensor(c.input)},
      [&](llvm::StringRef name) -> llvm::Expected<RefTensor> {
        Parameter *p = s.getParams().lookup(name);
        if (!p)
          return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                         "no parameter " + name.str());
        auto data = p->data();
        if (!data)
          return data.takeError();
        return RefTensor::fromTensor(*data);
      });
  ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
  const RefTensor &want =
      values->find(compiled->graph().getOutputs()[0]->getName())->second;

  ASSERT_EQ(std::vector<int64_t>(got.getShape().begin(), got.getShape().end()),
            want.shape);
  double scale = 0;
  for (double v : want.data)
    scale = std::max(scale, std::fabs(v));
  // The output must be neither vanished nor blown up, or the comparison
  // says little.
  EXPECT_GT(scale, 1e-3);
  EXPECT_LT(scale, 1e6);
  double tolerance = c.rel * scale + c.abs;
  double worst = 0;
  int64_t worstAt = 0;
  for (int64_t i = 0; i < got.getNumElements(); ++i) {
    double diff = std::fabs(double(got.f32()[i]) - want.data[i]);
    ASSERT_FALSE(std::isnan(got.f32()[i])) << "at " << i;
    if (diff > worst)
      worst = diff, worstAt = i;
  }
  EXPECT_LE(worst, tolerance)
      << "worst at flat index " << worstAt << ": got " << got.f32()[worstAt]
      << ", want " << want.data[worstAt] << " (scale " << scale << ")";
}

Tensor randomIds(int64_t batch, int64_t length, int64_t vocab, uint64_t seed) {
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {batch, length}));
  Tensor u = Tensor::uniform({batch, length}, seed, 0, 1);
  for (int64_t i = 0; i < ids.getNumElements(); ++i)
    ids.i64()[i] = std::min<int64_t>(int64_t(u.f32()[i] * vocab), vocab - 1);
  return ids;
}

TEST(ExamplesRunTest, MlpMatchesReference) {
  checkExample({"mlp.sfg", "%x=f32[2,20]", Tensor::uniform({2, 20}, 1)});
}

TEST(ExamplesRunTest, LeNetMatchesReference) {
  checkExample(
      {"lenet.sfg", "%x=f32[2,1,28,28]", Tensor::uniform({2, 1, 28, 28}, 2)});
}

TEST(ExamplesRunTest, Vgg11MatchesReference) {
  // U[-0.5, 0.5) weights would grow activations ~10x per layer (fan-ins up
  // to 4608), to ~1e10 at the output; fan-in scaled weights keep it O(1).
  ExampleCase c{"vgg11.sfg", "%x=f32[2,3,32,32]",
                Tensor::uniform({2, 3, 32, 32}, 3)};
  c.fanInScaled = true;
  checkExample(c);
}

TEST(ExamplesRunTest, ResNet18MatchesReference) {
  // Random batch_norm statistics leave the output large (~2e5); the
  // tolerance is relative to it.
  checkExample({"resnet18.sfg", "%x=f32[2,3,32,32]",
                Tensor::uniform({2, 3, 32, 32}, 4)});
}

TEST(ExamplesRunTest, MobileNetV1MatchesReference) {
  // With U[-0.5, 0.5) weights and gammas every depthwise block shrinks the
  // signal ~4x, so the output is almost the same for any input and would
  // hide a wrong kernel; fan-in scaled weights and gammas near 1 keep it.
  ExampleCase c{"mobilenet_v1.sfg", "%x=f32[2,3,32,32]",
                Tensor::uniform({2, 3, 32, 32}, 5)};
  c.fanInScaled = true;
  checkExample(c);
}

TEST(ExamplesRunTest, TransformerEncoderMatchesReference) {
  checkExample(
      {"transformer_encoder.sfg", "%ids=i64[2,8]", randomIds(2, 8, 30000, 6)});
}

TEST(ExamplesRunTest, ConvChain100MatchesReference) {
  // U[-0.5, 0.5) weights would grow activations ~7x per 3x3x64 layer;
  // fan-in scaled weights keep the output O(1) through 100 layers.
  ExampleCase c{"conv_chain100.sfg", "%x=f32[1,3,8,8]",
                Tensor::uniform({1, 3, 8, 8}, 7)};
  c.fanInScaled = true;
  checkExample(c);
}

} // namespace
