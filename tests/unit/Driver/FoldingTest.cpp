//===- FoldingTest.cpp - batch_norm folded into conv2d --------------------===//
//
// Folding must not change results: a network run with batch_norm folded into
// the convs gives what it gives with every batch_norm run on its own, for
// non-trivial running statistics.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Parser.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Runtime/Random.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace shapeflow;

namespace {

std::unique_ptr<Session> makeSession(llvm::StringRef path, bool fold) {
  llvm::SourceMgr srcMgr;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << path.str();
  unsigned id = srcMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  auto module = llvm::cantFail(parseModule(srcMgr, id));
  std::unique_ptr<Graph> graph = std::move(module->graphs[0]);
  llvm::cantFail(verifyGraph(*graph));
  LoweringOptions options;
  options.foldBatchNorm = fold;
  return llvm::cantFail(Session::create(std::move(graph), options));
}

/// Random statistics: variances in [0.5, 1.5), everything else in
/// [-0.5, 0.5), keyed by name so both sessions get the same values.
void initializeRandomly(Session &session) {
  InitPtr random = init::callback(
      [](const InitRequest &r, llvm::MutableArrayRef<float> data) {
        RandomStream rng(r.seed, r.name);
        bool variance = r.role == ParamRole::RunningVar;
        for (float &x : data)
          x = variance ? rng.uniform(0.5f, 1.5f) : rng.uniform(-0.5f, 0.5f);
        return llvm::Error::success();
      },
      "random");
  for (const auto &param : session.getParams())
    param->setOwnInit(random);
  InitOptions options;
  options.seed = 11;
  llvm::cantFail(session.initialize(random, options).takeError());
}

TEST(FoldingTest, FoldedResNetMatchesUnfolded) {
  std::string path = std::string(SHAPEFLOW_EXAMPLES_DIR) + "/resnet18.sfg";
  auto folded = makeSession(path, true);
  auto plain = makeSession(path, false);
  initializeRandomly(*folded);
  initializeRandomly(*plain);

  Tensor x = Tensor::uniform({2, 3, 32, 32}, 5);
  std::vector<Tensor> a = llvm::cantFail(folded->run({x}));
  std::vector<Tensor> b = llvm::cantFail(plain->run({x}));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].getShape(), b[0].getShape());

  // The folded plan really is different: fewer steps.
  auto sig = signatureOf({x});
  size_t foldedSteps =
      llvm::cantFail(folded->prepare(sig))->getPlan().steps.size();
  size_t plainSteps =
      llvm::cantFail(plain->prepare(sig))->getPlan().steps.size();
  EXPECT_LT(foldedSteps, plainSteps);

  // Tolerance: float rounding through 18 layers, relative to the output's
  // scale.
  double scale = 0, worst = 0;
  for (int64_t i = 0; i < a[0].getNumElements(); ++i) {
    scale = std::max(scale, double(std::fabs(b[0].f32()[i])));
    worst = std::max(worst, double(std::fabs(a[0].f32()[i] - b[0].f32()[i])));
  }
  EXPECT_GT(scale, 0);
  EXPECT_LE(worst, 1e-3 * scale);
}

TEST(FoldingTest, ReinitializingRecomputesFoldedParameters) {
  std::string path = std::string(SHAPEFLOW_EXAMPLES_DIR) + "/resnet18.sfg";
  auto session = makeSession(path, true);
  initializeRandomly(*session);
  Tensor x = Tensor::uniform({1, 3, 32, 32}, 5);
  std::vector<Tensor> first = llvm::cantFail(session->run({x}));

  // New statistics must reach the folded weights.
  InitOptions options;
  options.seed = 12;
  options.forceReinit = true;
  llvm::cantFail(session->initialize(init::uniform(), options).takeError());
  std::vector<Tensor> second = llvm::cantFail(session->run({x}));
  bool differs = false;
  for (int64_t i = 0; i < first[0].getNumElements(); ++i)
    differs |= first[0].f32()[i] != second[0].f32()[i];
  EXPECT_TRUE(differs);
}

} // namespace
