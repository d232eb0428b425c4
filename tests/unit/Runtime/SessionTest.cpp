//===- SessionTest.cpp - Deferred initialization, end to end --------------===//
//
// The Gluon life cycle on the bundled MLP: parameters exist with partial
// shapes, initialize() fills what it can and defers the rest, and the first
// run completes the shapes and fills each deferred parameter exactly once.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Parser.h"
#include "shapeflow/Passes/Verifier.h"

#include "llvm/Support/SourceMgr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <latch>
#include <thread>

using namespace shapeflow;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

using test::kMlp;

// One dense layer with relu, small enough to compute by hand.
constexpr const char *kTiny = R"(
graph tiny(%x: f32[?, ?]) {
  %fc.weight = param
  %fc.bias = param
  %h = dense(%x, %fc.weight, %fc.bias, units=2)
  %y = relu(%h)
  return %y
}
)";

/// Parses and verifies `text` and makes a session of its first graph.
std::unique_ptr<Session> makeSession(llvm::StringRef text) {
  // Locations point into the buffer; keep every buffer for the whole run.
  static llvm::SourceMgr srcMgr;
  auto module = parseModuleString(text, srcMgr, "test.sfg");
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return nullptr;
  }
  std::unique_ptr<Graph> graph = std::move((*module)->graphs[0]);
  if (llvm::Error err = verifyGraph(*graph)) {
    ADD_FAILURE() << llvm::toString(std::move(err));
    return nullptr;
  }
  auto session = Session::create(std::move(graph));
  if (!session) {
    ADD_FAILURE() << llvm::toString(session.takeError());
    return nullptr;
  }
  return std::move(*session);
}

Parameter &param(Session &session, llvm::StringRef name) {
  Parameter *p = session.getParams().lookup(name);
  EXPECT_NE(p, nullptr) << "no parameter " << name.str();
  static Parameter none("<none>", {});
  return p ? *p : none;
}

InitSummary initialize(Session &session, const InitPtr &init,
                       InitOptions options = {}) {
  auto summary = session.initialize(init, options);
  if (!summary) {
    ADD_FAILURE() << llvm::toString(summary.takeError());
    return {};
  }
  return *summary;
}

std::vector<Tensor> run(Session &session, llvm::ArrayRef<Tensor> inputs) {
  auto outputs = session.run(inputs);
  if (!outputs) {
    ADD_FAILURE() << llvm::toString(outputs.takeError());
    return {};
  }
  return std::move(*outputs);
}

std::string runError(Session &session, llvm::ArrayRef<Tensor> inputs) {
  auto outputs = session.run(inputs);
  if (outputs)
    return "<ran>";
  return llvm::toString(outputs.takeError());
}

std::string errorText(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : "";
}

std::vector<float> values(const Tensor &t) {
  return std::vector<float>(t.f32(), t.f32() + t.getNumElements());
}

bool bitIdentical(const Tensor &a, const Tensor &b) {
  return a.getShape() == b.getShape() && a.getDType() == b.getDType() &&
         std::memcmp(a.raw(), b.raw(), a.getByteSize()) == 0;
}

std::vector<NamedTensor> savedParams(Session &session) {
  auto saved = session.saveParams();
  if (!saved) {
    ADD_FAILURE() << llvm::toString(saved.takeError());
    return {};
  }
  return std::move(*saved);
}

//===----------------------------------------------------------------------===//
// Before the first run
//===----------------------------------------------------------------------===//

TEST(SessionTest, CreateGivesParametersTheirPartialShapes) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->getParams().size(), 4u);
  EXPECT_EQ(param(*session, "dense0.weight").shapeStr(), "[256, ?]");
  EXPECT_EQ(param(*session, "dense0.bias").shapeStr(), "[256]");
  EXPECT_EQ(param(*session, "dense1.weight").shapeStr(), "[10, 256]");
  EXPECT_EQ(param(*session, "dense1.bias").shapeStr(), "[10]");
  for (const auto &p : session->getParams())
    EXPECT_EQ(p->getState(), ParamState::NotInitialized) << p->getName().str();
  EXPECT_EQ(session->getNumPlans(), 0u);
}

TEST(SessionTest, CreateTakesRolesAndInitializersFromTheGraph) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  EXPECT_EQ(param(*session, "dense0.bias").getRole(), ParamRole::Bias);
  EXPECT_EQ(param(*session, "dense0.weight").getRole(), ParamRole::Weight);
  ASSERT_TRUE(param(*session, "dense1.weight").getOwnInit());
  EXPECT_EQ(param(*session, "dense1.weight").getOwnInit()->describe(),
            "xavier(rnd_type=uniform, factor_type=avg, magnitude=2.24)");
  EXPECT_FALSE(param(*session, "dense0.weight").getOwnInit());
}

TEST(SessionTest, InitializeFillsCompleteShapesAndDefersTheRest) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  InitSummary summary = initialize(*session, init::uniform());
  EXPECT_EQ(summary.initialized, 3u);
  EXPECT_EQ(summary.deferred, 1u);
  EXPECT_EQ(summary.skipped, 0u);

  EXPECT_EQ(param(*session, "dense0.weight").getState(), ParamState::Deferred);
  EXPECT_EQ(param(*session, "dense0.weight").getInitCount(), 0u);
  for (const char *name : {"dense0.bias", "dense1.weight", "dense1.bias"}) {
    EXPECT_EQ(param(*session, name).getState(), ParamState::Initialized)
        << name;
    EXPECT_EQ(param(*session, name).getInitCount(), 1u) << name;
  }
}

TEST(SessionTest, DeferredWeightDataIsTheDeferredError) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  auto data = param(*session, "dense0.weight").data();
  ASSERT_FALSE(bool(data));
  std::string err = llvm::toString(data.takeError());
  EXPECT_THAT(err, HasSubstr("'dense0.weight' is deferred"));
  EXPECT_THAT(err, HasSubstr("[256, ?]"));
  EXPECT_THAT(err, HasSubstr("run one batch"));
}

TEST(SessionTest, InitializeTwiceSkipsWhatIsFilled) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  InitSummary again = initialize(*session, init::uniform());
  EXPECT_EQ(again.initialized, 0u);
  EXPECT_EQ(again.skipped, 3u);
  EXPECT_EQ(again.deferred, 1u);
  EXPECT_EQ(param(*session, "dense1.bias").getInitCount(), 1u);

  InitOptions force;
  force.forceReinit = true;
  InitSummary forced = initialize(*session, init::uniform(), force);
  EXPECT_EQ(forced.initialized, 3u);
  EXPECT_EQ(param(*session, "dense1.bias").getInitCount(), 2u);
}

//===----------------------------------------------------------------------===//
// Runs
//===----------------------------------------------------------------------===//

TEST(SessionTest, FirstRunInfersInitializesOnceAndRuns) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  std::vector<Tensor> out = run(*session, {Tensor::uniform({2, 20}, 1)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shapeStr(), "[2, 10]");

  Parameter &w0 = param(*session, "dense0.weight");
  EXPECT_EQ(w0.getState(), ParamState::Initialized);
  EXPECT_EQ(w0.shapeStr(), "[256, 20]");
  for (const auto &p : session->getParams())
    EXPECT_EQ(p->getInitCount(), 1u) << p->getName().str();
  EXPECT_EQ(session->getNumPlans(), 1u);
}

TEST(SessionTest, DeferredWeightUsesTheInitializerGivenBefore) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::constant(0.5f));
  run(*session, {Tensor::uniform({1, 3}, 1)});
  const Tensor &w0 = llvm::cantFail(param(*session, "dense0.weight").data());
  EXPECT_EQ(values(w0), std::vector<float>(256 * 3, 0.5f));
}

TEST(SessionTest, LaterRunsInitializeNothingAndReusePlans) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  Tensor x = Tensor::uniform({2, 20}, 1);
  std::vector<Tensor> first = run(*session, {x});
  std::vector<float> w0 =
      values(llvm::cantFail(param(*session, "dense0.weight").data()));

  std::vector<Tensor> second = run(*session, {x});
  EXPECT_EQ(session->getNumPlans(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(bitIdentical(first[0], second[0]));

  // Another batch size: a second plan, the same parameters.
  std::vector<Tensor> five = run(*session, {Tensor::uniform({5, 20}, 2)});
  ASSERT_EQ(five.size(), 1u);
  EXPECT_EQ(five[0].shapeStr(), "[5, 10]");
  EXPECT_EQ(session->getNumPlans(), 2u);
  for (const auto &p : session->getParams())
    EXPECT_EQ(p->getInitCount(), 1u) << p->getName().str();
  EXPECT_EQ(values(llvm::cantFail(param(*session, "dense0.weight").data())),
            w0);
}

TEST(SessionTest, BatchRowsAreIndependentOfBatchSize) {
  // The first two rows of a batch of 5 equal a batch of those 2 rows.
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  Tensor five = Tensor::uniform({5, 20}, 3);
  Tensor two =
      Tensor::fromVector({2, 20}, llvm::ArrayRef<float>(five.f32(), 40));
  std::vector<Tensor> a = run(*session, {five});
  std::vector<Tensor> b = run(*session, {two});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  for (int i = 0; i < 20; ++i)
    EXPECT_NEAR(a[0].f32()[i], b[0].f32()[i], 1e-6) << i;
}

TEST(SessionTest, RunWithAnotherWidthNamesTheParameterAndBothSizes) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  run(*session, {Tensor::uniform({2, 20}, 1)});
  std::string err = runError(*session, {Tensor::uniform({2, 30}, 1)});
  EXPECT_THAT(err, HasSubstr("dim 1 of weight '%dense0.weight' is 20 but "
                             "dim 1 of x '%x' is 30"));
  EXPECT_EQ(param(*session, "dense0.weight").shapeStr(), "[256, 20]");
  EXPECT_EQ(param(*session, "dense0.weight").getInitCount(), 1u);
}

TEST(SessionTest, RejectedWidthLeavesTheSessionUsable) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  Tensor x = Tensor::uniform({2, 20}, 1);
  std::vector<Tensor> before = run(*session, {x});
  EXPECT_NE(runError(*session, {Tensor::uniform({2, 30}, 1)}), "<ran>");

  std::vector<Tensor> after = run(*session, {x});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(bitIdentical(before[0], after[0]));
  // A new batch size still compiles.
  EXPECT_EQ(run(*session, {Tensor::uniform({3, 20}, 1)}).size(), 1u);
}

TEST(SessionTest, RunWithoutInitializeIsTheNeverInitializedError) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  std::string err = runError(*session, {Tensor::uniform({2, 20}, 1)});
  EXPECT_THAT(err, HasSubstr("has not been initialized"));
}

TEST(SessionTest, RunWithWrongInputCountIsAnError) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  EXPECT_THAT(runError(*session, {}), HasSubstr("takes 1 inputs, got 0"));
}

TEST(SessionTest, RunWithWrongDTypeOrRankIsAnError) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {2, 20}));
  EXPECT_THAT(runError(*session, {ids}), HasSubstr("%x"));
  EXPECT_THAT(runError(*session, {Tensor::uniform({2, 20, 1}, 1)}),
              HasSubstr("%x"));
  // Neither attempt fixed the deferred weight's shape.
  EXPECT_EQ(param(*session, "dense0.weight").shapeStr(), "[256, ?]");
  EXPECT_EQ(run(*session, {Tensor::uniform({2, 4}, 1)}).size(), 1u);
}

TEST(SessionTest, EmptyBatchRunsAndGivesAnEmptyResult) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  std::vector<Tensor> out = run(*session, {Tensor::uniform({0, 20}, 1)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shapeStr(), "[0, 10]");
  EXPECT_EQ(param(*session, "dense0.weight").shapeStr(), "[256, 20]");
}

TEST(SessionTest, LoadedParametersThatDisagreeWithEachOtherFailTheRun) {
  // Both weights read %x, so their widths must agree; each alone fits its
  // partial shape [4, ?]. The run must report the clash, not crash.
  auto session = makeSession(R"(
graph two(%x: f32[?, ?]) {
  %l.weight = param
  %r.weight = param
  %a = dense(%x, %l.weight, units=4)
  %b = dense(%x, %r.weight, units=4)
  %y = add(%a, %b)
  return %y
}
)");
  ASSERT_TRUE(session);
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("l.weight", Tensor::uniform({4, 3}, 1));
  tensors.emplace_back("r.weight", Tensor::uniform({4, 5}, 1));
  llvm::Error loaded = session->loadParams(tensors);
  if (loaded) {
    EXPECT_THAT(llvm::toString(std::move(loaded)), HasSubstr("r.weight"));
    return;
  }
  std::string err = runError(*session, {Tensor::uniform({2, 3}, 1)});
  EXPECT_THAT(err, HasSubstr("weight '%r.weight' is 5 but dim 1 of x '%x' "
                             "is 3"));
}

TEST(SessionTest, ConcurrentFirstRunsInitializeEachParameterOnce) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  int calls = 0;
  std::mutex callsMutex;
  InitPtr counting = init::callback(
      [&](const InitRequest &r, llvm::MutableArrayRef<float> data) {
        std::lock_guard<std::mutex> lock(callsMutex);
        ++calls;
        for (size_t i = 0; i < data.size(); ++i)
          data[i] = float((i * 7) % 13) / 13 - 0.5f;
        return llvm::Error::success();
      },
      "counting");
  initialize(*session, counting);
  int callsBefore = calls;

  Tensor x = Tensor::uniform({4, 20}, 5);
  constexpr int kThreads = 4;
  std::vector<llvm::Expected<std::vector<Tensor>>> results;
  for (int i = 0; i < kThreads; ++i)
    results.emplace_back(std::vector<Tensor>());
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = session->run({x});
    });
  for (std::thread &t : threads)
    t.join();

  std::vector<Tensor> first;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(bool(results[i])) << llvm::toString(results[i].takeError());
    ASSERT_EQ(results[i]->size(), 1u);
    if (i == 0)
      first = *results[i];
    else
      EXPECT_TRUE(bitIdentical((*results[i])[0], first[0])) << "thread " << i;
  }
  for (const auto &p : session->getParams())
    EXPECT_EQ(p->getInitCount(), 1u) << p->getName().str();
  EXPECT_EQ(calls - callsBefore, 1); // only dense0.weight was deferred
  EXPECT_EQ(session->getNumPlans(), 1u);
}

TEST(SessionTest, ConcurrentRunsOfTwoBatchSizesAgreeWithSerialRuns) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  Tensor small = Tensor::uniform({2, 20}, 6);
  Tensor large = Tensor::uniform({7, 20}, 7);

  std::vector<Tensor> outSmall, outLarge;
  std::latch start(2);
  std::thread a([&] {
    start.arrive_and_wait();
    for (int i = 0; i < 20; ++i)
      outSmall = run(*session, {small});
  });
  std::thread b([&] {
    start.arrive_and_wait();
    for (int i = 0; i < 20; ++i)
      outLarge = run(*session, {large});
  });
  a.join();
  b.join();

  ASSERT_EQ(outSmall.size(), 1u);
  ASSERT_EQ(outLarge.size(), 1u);
  EXPECT_TRUE(bitIdentical(outSmall[0], run(*session, {small})[0]));
  EXPECT_TRUE(bitIdentical(outLarge[0], run(*session, {large})[0]));
  EXPECT_EQ(session->getNumPlans(), 2u);
}

//===----------------------------------------------------------------------===//
// Loading and saving
//===----------------------------------------------------------------------===//

TEST(SessionTest, LoadParamsFillsDeferredShapesWithoutARun) {
  auto trained = makeSession(kMlp);
  ASSERT_TRUE(trained);
  initialize(*trained, init::uniform());
  Tensor x = Tensor::uniform({3, 12}, 8);
  std::vector<Tensor> want = run(*trained, {x});
  std::vector<NamedTensor> saved = savedParams(*trained);
  ASSERT_EQ(saved.size(), 4u);

  auto fresh = makeSession(kMlp);
  ASSERT_TRUE(fresh);
  initialize(*fresh, init::zeros());
  ASSERT_EQ(errorText(fresh->loadParams(saved)), "");
  EXPECT_EQ(fresh->getNumPlans(), 0u);
  Parameter &w0 = param(*fresh, "dense0.weight");
  EXPECT_EQ(w0.getState(), ParamState::Initialized);
  EXPECT_EQ(w0.shapeStr(), "[256, 12]");
  EXPECT_EQ(w0.getInitCount(), 0u);

  std::vector<Tensor> got = run(*fresh, {x});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(want.size(), 1u);
  EXPECT_TRUE(bitIdentical(got[0], want[0]));
  EXPECT_EQ(w0.getInitCount(), 0u);
}

TEST(SessionTest, LoadParamsIntoUninitializedSession) {
  auto trained = makeSession(kMlp);
  ASSERT_TRUE(trained);
  initialize(*trained, init::uniform());
  run(*trained, {Tensor::uniform({1, 4}, 1)});

  auto fresh = makeSession(kMlp);
  ASSERT_TRUE(fresh);
  ASSERT_EQ(errorText(fresh->loadParams(savedParams(*trained))), "");
  EXPECT_EQ(run(*fresh, {Tensor::uniform({1, 4}, 1)}).size(), 1u);
}

TEST(SessionTest, LoadParamsWithAMismatchedShapeChangesNothing) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("dense0.weight", Tensor::uniform({256, 6}, 1));
  tensors.emplace_back("dense0.bias", Tensor::uniform({128}, 1));
  tensors.emplace_back("dense1.weight", Tensor::uniform({10, 256}, 1));
  tensors.emplace_back("dense1.bias", Tensor::uniform({10}, 1));
  std::string err = errorText(session->loadParams(tensors));
  EXPECT_THAT(err, HasSubstr("'dense0.bias'"));
  EXPECT_THAT(err, HasSubstr("[256]"));
  EXPECT_THAT(err, HasSubstr("[128]"));
  // The weight that did fit was not taken either.
  EXPECT_EQ(param(*session, "dense0.weight").getState(), ParamState::Deferred);
  EXPECT_EQ(param(*session, "dense0.weight").shapeStr(), "[256, ?]");
}

TEST(SessionTest, LoadParamsReportsMissingAndUnknownNames) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("dense0.weight", Tensor::uniform({256, 6}, 1));
  tensors.emplace_back("dense0.bias", Tensor::uniform({256}, 1));
  tensors.emplace_back("dense1.weight", Tensor::uniform({10, 256}, 1));
  tensors.emplace_back("dense9.bias", Tensor::uniform({10}, 1));
  std::string err = errorText(session->loadParams(tensors));
  EXPECT_THAT(err, HasSubstr("'dense9.bias', which is not a parameter"));
  EXPECT_THAT(err, HasSubstr("no tensor for parameter 'dense1.bias'"));
}

TEST(SessionTest, LoadParamsOfWrongDTypeIsAnError) {
  auto session = makeSession(kTiny);
  ASSERT_TRUE(session);
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("fc.weight",
                       llvm::cantFail(Tensor::zeros(DType::I64, {2, 3})));
  tensors.emplace_back("fc.bias", Tensor::uniform({2}, 1));
  EXPECT_THAT(errorText(session->loadParams(tensors)),
              HasSubstr("parameter 'fc.weight' is f32, but the data given "
                        "is i64"));
}

TEST(SessionTest, SaveParamsOfDeferredParameterIsAnError) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  auto saved = session->saveParams();
  ASSERT_FALSE(bool(saved));
  std::string err = llvm::toString(saved.takeError());
  EXPECT_THAT(err, HasSubstr("'dense0.weight' is deferred"));
  EXPECT_THAT(err, Not(HasSubstr("dense0.bias")));
}

TEST(SessionTest, SaveParamsAfterARunGivesEveryParameterInOrder) {
  auto session = makeSession(kMlp);
  ASSERT_TRUE(session);
  initialize(*session, init::uniform());
  run(*session, {Tensor::uniform({2, 20}, 1)});
  std::vector<NamedTensor> saved = savedParams(*session);
  ASSERT_EQ(saved.size(), 4u);
  EXPECT_EQ(saved[0].first, "dense0.weight");
  EXPECT_EQ(saved[0].second.shapeStr(), "[256, 20]");
  EXPECT_EQ(saved[3].first, "dense1.bias");
}

//===----------------------------------------------------------------------===//
// Numbers
//===----------------------------------------------------------------------===//

/// fc.weight [2, 3] and fc.bias [2] for the hand-computed tests.
std::vector<NamedTensor> tinyParams() {
  std::vector<NamedTensor> tensors;
  tensors.emplace_back(
      "fc.weight", Tensor::fromVector({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}));
  tensors.emplace_back("fc.bias", Tensor::fromVector({2}, {0.5f, -1}));
  return tensors;
}

TEST(SessionTest, DenseReluMatchesHandComputedResult) {
  // y = relu(x W^T + b):
  //   row [1, 2, 3]: [1 - 3 + 0.5, 3 - 1]   = [-1.5, 2]  -> [0, 2]
  //   row [4, 1, 0]: [4 + 0.5, 2.5 - 1]     = [4.5, 1.5] -> [4.5, 1.5]
  auto session = makeSession(kTiny);
  ASSERT_TRUE(session);
  ASSERT_EQ(errorText(session->loadParams(tinyParams())), "");
  std::vector<Tensor> out =
      run(*session, {Tensor::fromVector({2, 3}, {1, 2, 3, 4, 1, 0})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shapeStr(), "[2, 2]");
  EXPECT_EQ(values(out[0]), (std::vector<float>{0, 2, 4.5f, 1.5f}));
}

TEST(SessionTest, NewWeightsReplaceTheOnesPackedForEarlierRuns) {
  // Eight rows take dense through the packed product, whose weight the
  // session packs once; loading new weights must repack it.
  auto session = makeSession(kTiny);
  ASSERT_TRUE(session);
  ASSERT_EQ(errorText(session->loadParams(tinyParams())), "");
  std::vector<float> rows;
  for (int r = 0; r < 4; ++r)
    rows.insert(rows.end(), {1, 2, 3, 4, 1, 0});
  Tensor x = Tensor::fromVector({8, 3}, rows);
  std::vector<float> before;
  for (int r = 0; r < 4; ++r)
    before.insert(before.end(), {0, 2, 4.5f, 1.5f});
  EXPECT_EQ(values(run(*session, {x})[0]), before);
  EXPECT_EQ(values(run(*session, {x})[0]), before);

  // W = [[-1, 0, 1], [1, 1, 1]], b = [0.5, -1]:
  //   row [1, 2, 3]: [-1 + 3 + 0.5, 6 - 1] = [2.5, 5]
  //   row [4, 1, 0]: [-4 + 0.5, 5 - 1]     = [-3.5, 4] -> [0, 4]
  std::vector<NamedTensor> tensors;
  tensors.emplace_back("fc.weight",
                       Tensor::fromVector({2, 3}, {-1, 0, 1, 1, 1, 1}));
  tensors.emplace_back("fc.bias", Tensor::fromVector({2}, {0.5f, -1}));
  ASSERT_EQ(errorText(session->loadParams(tensors)), "");
  std::vector<float> after;
  for (int r = 0; r < 4; ++r)
    after.insert(after.end(), {2.5f, 5, 0, 4});
  EXPECT_EQ(values(run(*session, {x})[0]), after);

  // Data set on the parameter itself keeps the compiled plan: only the
  // parameter's version tells the session to pack the weight again.
  // W = [[1, 0, -1], [0.5, 0.5, 0.5]] again gives the first result.
  ASSERT_EQ(errorText(param(*session, "fc.weight")
                          .setData(Tensor::fromVector(
                              {2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}))),
            "");
  EXPECT_EQ(values(run(*session, {x})[0]), before);
  EXPECT_EQ(session->getNumPlans(), 1u);
}

TEST(SessionTest, UnfusedDenseMatchesHandComputedResult) {
  // Returning %h too keeps the dense step unfused; %h keeps its negatives.
  auto session = makeSession(R"(
graph tiny(%x: f32[?, ?]) {
  %fc.weight = param
  %fc.bias = param
  %h = dense(%x, %fc.weight, %fc.bias, units=2)
  %y = relu(%h)
  return %y, %h
}
)");
  ASSERT_TRUE(session);
  ASSERT_EQ(errorText(session->loadParams(tinyParams())), "");
  std::vector<Tensor> out =
      run(*session, {Tensor::fromVector({2, 3}, {1, 2, 3, 4, 1, 0})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(values(out[0]), (std::vector<float>{0, 2, 4.5f, 1.5f}));
  EXPECT_EQ(values(out[1]), (std::vector<float>{-1.5f, 2, 4.5f, 1.5f}));
}

TEST(SessionTest, TwoLayerMlpMatchesHandComputedResult) {
  // x [1, 2] = [1, -1]; W0 [3, 2], b0 [3]; W1 [1, 3], b1 [1].
  //   h = x W0^T + b0 = [1-(-1)... ] computed below; a = relu(h).
  auto session = makeSession(R"(
graph two(%x: f32[?, ?]) {
  %l0.weight = param
  %l0.bias = param
  %h = dense(%x, %l0.weight, %l0.bias, units=3)
  %a = relu(%h)
  %l1.weight = param
  %l1.bias = param
  %y = dense(%a, %l1.weight, %l1.bias, units=1)
  return %y
}
)");
  ASSERT_TRUE(session);
  std::vector<NamedTensor> tensors;
  // h0 = 1*1 + -1*2 + 0 = -1 -> 0; h1 = 1*3 + -1*1 + 1 = 3;
  // h2 = 1*-1 + -1*-1 + 0.5 = 0.5.
  tensors.emplace_back("l0.weight",
                       Tensor::fromVector({3, 2}, {1, 2, 3, 1, -1, -1}));
  tensors.emplace_back("l0.bias", Tensor::fromVector({3}, {0, 1, 0.5f}));
  // y = 10*0 + 2*3 + 4*0.5 - 1 = 7.
  tensors.emplace_back("l1.weight", Tensor::fromVector({1, 3}, {10, 2, 4}));
  tensors.emplace_back("l1.bias", Tensor::fromVector({1}, {-1}));
  ASSERT_EQ(errorText(session->loadParams(tensors)), "");
  std::vector<Tensor> out =
      run(*session, {Tensor::fromVector({1, 2}, {1, -1})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(values(out[0]), std::vector<float>{7});
}

TEST(SessionTest, SameSeedGivesSameOutputsAcrossSessions) {
  auto a = makeSession(kMlp);
  auto b = makeSession(kMlp);
  ASSERT_TRUE(a && b);
  InitOptions options;
  options.seed = 11;
  initialize(*a, init::xavier(), options);
  initialize(*b, init::xavier(), options);
  Tensor x = Tensor::uniform({2, 20}, 4);
  EXPECT_TRUE(bitIdentical(run(*a, {x})[0], run(*b, {x})[0]));

  auto c = makeSession(kMlp);
  ASSERT_TRUE(c);
  options.seed = 12;
  initialize(*c, init::xavier(), options);
  EXPECT_FALSE(bitIdentical(run(*a, {x})[0], run(*c, {x})[0]));
}

} // namespace
