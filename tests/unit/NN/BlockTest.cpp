//===- BlockTest.cpp - The network API and deferred initialization --------===//

#include "shapeflow/IR/Parser.h"
#include "shapeflow/IR/Printer.h"
#include "shapeflow/NN.h"
#include "shapeflow/Passes/Verifier.h"

#include "llvm/Support/SourceMgr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <atomic>
#include <mutex>
#include <thread>

using namespace shapeflow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

/// An initializer that records every call (name and shape) in order.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> calls;

  InitPtr init() {
    return init::callback(
        [this](const InitRequest &r, llvm::MutableArrayRef<float> data) {
          std::lock_guard<std::mutex> lock(mutex);
          calls.push_back(r.name.str() + " " + formatShape(r.shape));
          std::fill(data.begin(), data.end(), 0.01f);
          return llvm::Error::success();
        },
        "recorder");
  }
};

nn::Sequential mlp() {
  nn::Sequential net;
  net.add(nn::Dense(256, {.activation = "relu"}));
  net.add(nn::Dense(10));
  return net;
}

TEST(BlockTest, ParametersExistWithUnknownDims) {
  nn::Sequential net = mlp();
  std::string listing = net.collectParams();
  EXPECT_THAT(listing, HasSubstr("0.weight f32[256, ?]"));
  EXPECT_THAT(listing, HasSubstr("0.bias f32[256]"));
  EXPECT_THAT(listing, HasSubstr("1.weight f32[10, ?]"));
  EXPECT_EQ(net.collectParams("bias$"),
            "0.bias f32[256]  init=(not set)  not initialized\n"
            "1.bias f32[10]  init=(not set)  not initialized\n");
  EXPECT_THAT(net.describe(), HasSubstr("Dense(? -> 256, relu)"));
}

TEST(BlockTest, InitializeFillsKnownShapesAndDefersTheRest) {
  nn::Sequential net = mlp();
  Recorder rec;
  InitSummary s = llvm::cantFail(net.initialize(rec.init()));
  EXPECT_EQ(s.initialized, 2u); // biases, zeros by role
  EXPECT_EQ(s.deferred, 2u);
  EXPECT_TRUE(rec.calls.empty());
  EXPECT_EQ(net.param("0.bias").getState(), ParamState::Initialized);
  EXPECT_EQ(net.param("0.weight").getState(), ParamState::Deferred);
}

TEST(BlockTest, DeferredAndUninitializedReadsGiveDifferentErrors) {
  nn::Sequential net = mlp();
  auto never = net.param("0.weight").data();
  ASSERT_FALSE(bool(never));
  std::string neverText = llvm::toString(never.takeError());
  EXPECT_THAT(neverText, HasSubstr("has not been initialized"));

  llvm::cantFail(net.initialize(init::xavier()).takeError());
  auto deferred = net.param("0.weight").data();
  ASSERT_FALSE(bool(deferred));
  std::string text = llvm::toString(deferred.takeError());
  EXPECT_THAT(text, HasSubstr("'0.weight' is deferred"));
  EXPECT_THAT(text, HasSubstr("[256, ?]"));
  EXPECT_THAT(text, HasSubstr("run one batch"));
  EXPECT_THAT(text, HasSubstr("inUnits"));
  EXPECT_NE(text, neverText);
}

TEST(BlockTest, FirstCallInitializesEachWaitingWeightOnceInOrder) {
  nn::Sequential net = mlp();
  Recorder rec;
  llvm::cantFail(net.initialize(rec.init()).takeError());
  Tensor y = llvm::cantFail(net(Tensor::uniform({2, 20}, 0)));
  EXPECT_THAT(y.getShape(), ElementsAre(2, 10));
  EXPECT_THAT(rec.calls,
              ElementsAre("0.weight [256, 20]", "1.weight [10, 256]"));
  EXPECT_EQ(net.describe(), "Sequential(\n  (0): Dense(20 -> 256, relu)\n"
                            "  (1): Dense(256 -> 10)\n)");

  // Later calls, and another batch size, initialize nothing.
  llvm::cantFail(net(Tensor::uniform({2, 20}, 1)).takeError());
  Tensor y5 = llvm::cantFail(net(Tensor::uniform({5, 20}, 2)));
  EXPECT_THAT(y5.getShape(), ElementsAre(5, 10));
  EXPECT_EQ(rec.calls.size(), 2u);
  EXPECT_EQ(net.param("0.weight").getInitCount(), 1u);
}

TEST(BlockTest, AnotherFeatureWidthIsAnErrorNamingTheParameter) {
  nn::Sequential net = mlp();
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  llvm::cantFail(net(Tensor::uniform({2, 20}, 0)).takeError());
  auto y = net(Tensor::uniform({2, 30}, 0));
  ASSERT_FALSE(bool(y));
  std::string text = llvm::toString(y.takeError());
  EXPECT_THAT(text, HasSubstr("'%0.weight'"));
  EXPECT_THAT(text, HasSubstr("is 20"));
  EXPECT_THAT(text, HasSubstr("is 30"));
}

TEST(BlockTest, ForcedReinitializationRunsAtOnceAndPlainRepeatDoesNot) {
  nn::Sequential net = mlp();
  Recorder rec;
  llvm::cantFail(net.initialize(rec.init()).takeError());
  llvm::cantFail(net(Tensor::uniform({2, 20}, 0)).takeError());
  rec.calls.clear();

  InitSummary again = llvm::cantFail(net.initialize(rec.init()));
  EXPECT_EQ(again.skipped, 4u);
  EXPECT_TRUE(rec.calls.empty());

  InitOptions force;
  force.forceReinit = true;
  llvm::cantFail(net.initialize(rec.init(), force).takeError());
  EXPECT_THAT(rec.calls,
              ElementsAre("0.weight [256, 20]", "1.weight [10, 256]"));
}

TEST(BlockTest, DeclaredInputSizesInitializeAtOnce) {
  nn::Sequential net;
  net.add(nn::Dense(256, {.activation = "relu", .inUnits = 20}));
  net.add(nn::Dense(10, {.inUnits = 256}));
  Recorder rec;
  InitSummary s = llvm::cantFail(net.initialize(rec.init()));
  EXPECT_EQ(s.deferred, 0u);
  EXPECT_THAT(rec.calls,
              ElementsAre("0.weight [256, 20]", "1.weight [10, 256]"));
}

TEST(BlockTest, ConvNetInfersEveryInputSize) {
  nn::Sequential net;
  net.add(nn::Conv2D(8, {3, 3}, {.padding = {1, 1}, .useBias = false}));
  net.add(nn::BatchNorm());
  net.add(nn::Activation("relu"));
  net.add(nn::MaxPool2D({2, 2}));
  net.add(nn::Flatten());
  net.add(nn::Dense(10));
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  Tensor y = llvm::cantFail(net(Tensor::uniform({2, 3, 16, 16}, 0)));
  EXPECT_THAT(y.getShape(), ElementsAre(2, 10));
  // [2, 3, 16, 16] -> conv [2, 8, 16, 16] -> pool [2, 8, 8, 8] -> 512.
  EXPECT_THAT(net.param("0.weight").getShape(), ElementsAre(8, 3, 3, 3));
  EXPECT_THAT(net.param("1.running_var").getShape(), ElementsAre(8));
  EXPECT_THAT(net.param("5.weight").getShape(), ElementsAre(10, 512));
  EXPECT_EQ(net.param("1.gamma").data()->f32()[0], 1.0f); // ones by role
}

TEST(BlockTest, ConcurrentFirstCallsInitializeOnce) {
  nn::Sequential net = mlp();
  Recorder rec;
  llvm::cantFail(net.initialize(rec.init()).takeError());
  Tensor x = Tensor::uniform({2, 20}, 0);
  std::vector<Tensor> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] { results[t] = llvm::cantFail(net(x)); });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(rec.calls.size(), 2u);
  for (int64_t i = 0; i < results[0].getNumElements(); ++i)
    EXPECT_EQ(results[0].f32()[i], results[1].f32()[i]);
}

TEST(BlockTest, ExportedGraphPrintsAsTextGraphDumpAccepts) {
  nn::Sequential net = mlp();
  auto graph = net.exportGraph(TensorType(DType::F32, {Dim(2), Dim(20)}));
  std::string text;
  llvm::raw_string_ostream os(text);
  printGraph(*graph, os);
  EXPECT_THAT(os.str(), HasSubstr("%0.weight = param : f32[256, ?]"));

  llvm::SourceMgr srcMgr;
  auto module = parseModuleString(os.str(), srcMgr);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  EXPECT_FALSE(bool(verifyGraph(*(*module)->graphs[0])));
}

} // namespace

namespace {

/// A user's residual block: y = relu(x + dense(x)), its width inferred.
class Residual : public nn::Block {
public:
  Residual() { weight = declareParam("weight", {-1, -1}); }
  Value &emit(nn::Tracer &tracer, Value &x,
              const std::string &prefix) override {
    Value &h = tracer.op("dense", prefix + "proj", {&x, &tracer.param(*weight)},
                         {{"units", Attribute::integer(8), {}}});
    Value &sum = tracer.op("add", prefix + "add", {&x, &h});
    return tracer.op("relu", prefix + "relu", {&sum});
  }
  std::string describe() const override { return "Residual()"; }

private:
  std::shared_ptr<Parameter> weight;
};

TEST(BlockTest, UserBlocksDeclareParametersAndEmitOps) {
  nn::Sequential net;
  net.add(Residual(), "res");
  net.add(nn::Dense(2));
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  Tensor y = llvm::cantFail(net(Tensor::uniform({3, 8}, 0)));
  EXPECT_THAT(y.getShape(), ElementsAre(3, 2));
  // The add pins the projection to the input's width, 8.
  EXPECT_THAT(net.param("res.weight").getShape(), ElementsAre(8, 8));
}

} // namespace

namespace {

/// Declares a parameter its forward never uses.
class Forgetful : public nn::Block {
public:
  Forgetful() { unused = declareParam("unused", {4, -1}); }
  Value &emit(nn::Tracer &tracer, Value &x, const std::string &) override {
    return tracer.op("relu", "relu", {&x});
  }
  std::string describe() const override { return "Forgetful()"; }

private:
  std::shared_ptr<Parameter> unused;
};

TEST(BlockTest, AParameterTheForwardNeverUsedStaysDeferredWithTheReason) {
  nn::Sequential net;
  net.add(Forgetful(), "f");
  llvm::cantFail(net.initialize(init::xavier()).takeError());
  llvm::cantFail(net(Tensor::uniform({2, 3}, 0)).takeError());
  EXPECT_THAT(net.collectParams(),
              HasSubstr("f.unused f32[4, ?]  init=xavier(rnd_type=uniform, "
                        "factor_type=avg, magnitude=3)  deferred (the "
                        "forward pass never used it"));
}

} // namespace
