//===- ParameterTest.cpp - The three states of a parameter ----------------===//

#include "shapeflow/Runtime/Parameter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <vector>

using namespace shapeflow;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string dataError(const Parameter &param) {
  auto data = param.data();
  if (data)
    return "<has data " + data->shapeStr() + ">";
  return llvm::toString(data.takeError());
}

std::string errorText(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : "";
}

/// Calls initialize() and returns its result, failing the test on error.
bool initialize(Parameter &param, const InitPtr &fallback, uint64_t seed = 0,
                bool force = false) {
  auto changed = param.initialize(fallback, seed, force);
  if (!changed) {
    ADD_FAILURE() << llvm::toString(changed.takeError());
    return false;
  }
  return *changed;
}

std::vector<float> values(const Parameter &param) {
  auto data = param.data();
  if (!data) {
    ADD_FAILURE() << llvm::toString(data.takeError());
    return {};
  }
  return std::vector<float>(data->f32(), data->f32() + data->getNumElements());
}

/// An initializer that counts its calls and fills with the call number.
InitPtr countingInit(int &calls) {
  return init::callback(
      [&calls](const InitRequest &, llvm::MutableArrayRef<float> data) {
        ++calls;
        std::fill(data.begin(), data.end(), float(calls));
        return llvm::Error::success();
      },
      "counting");
}

//===----------------------------------------------------------------------===//
// States and their errors
//===----------------------------------------------------------------------===//

TEST(ParameterTest, StartsNotInitializedWithItsPartialShape) {
  Parameter p("dense0.weight", {256, -1});
  EXPECT_EQ(p.getState(), ParamState::NotInitialized);
  EXPECT_EQ(p.shapeStr(), "[256, ?]");
  EXPECT_FALSE(p.hasCompleteShape());
  EXPECT_EQ(p.getInitCount(), 0u);
}

TEST(ParameterTest, NeverInitializedErrorSaysToInitializeOrLoad) {
  Parameter p("dense0.weight", {256, -1});
  std::string err = dataError(p);
  EXPECT_THAT(err, HasSubstr("'dense0.weight'"));
  EXPECT_THAT(err, HasSubstr("[256, ?]"));
  EXPECT_THAT(err, HasSubstr("has not been initialized"));
  EXPECT_THAT(err, HasSubstr("initialize()"));
  EXPECT_THAT(err, Not(HasSubstr("deferred")));
}

TEST(ParameterTest, InitializeWithPartialShapeDefers) {
  Parameter p("dense0.weight", {256, -1});
  EXPECT_TRUE(initialize(p, init::uniform()));
  EXPECT_EQ(p.getState(), ParamState::Deferred);
  EXPECT_EQ(p.getInitCount(), 0u);
  ASSERT_TRUE(p.getChosenInit());
  EXPECT_EQ(p.getChosenInit()->describe(), "uniform(scale=0.07)");
}

TEST(ParameterTest, DeferredErrorNamesShapeAndBothWaysOut) {
  Parameter p("dense0.weight", {256, -1});
  initialize(p, init::uniform());
  std::string err = dataError(p);
  EXPECT_THAT(err, HasSubstr("'dense0.weight'"));
  EXPECT_THAT(err, HasSubstr("deferred"));
  EXPECT_THAT(err, HasSubstr("[256, ?]"));
  EXPECT_THAT(err, HasSubstr("run one batch"));
  EXPECT_THAT(err, HasSubstr("inUnits"));
  EXPECT_THAT(err, HasSubstr("uniform(scale=0.07)"));
  EXPECT_THAT(err, Not(HasSubstr("has not been initialized")));
}

TEST(ParameterTest, DeferredErrorOfOpenRankShowsStar) {
  Parameter p("w", {}, /*rankKnown=*/false);
  EXPECT_EQ(p.shapeStr(), "[*]");
  initialize(p, init::uniform());
  EXPECT_EQ(p.getState(), ParamState::Deferred);
  EXPECT_THAT(dataError(p), HasSubstr("[*]"));
}

TEST(ParameterTest, InitializeWithCompleteShapeFillsAtOnce) {
  Parameter p("fc.weight", {3, 4});
  EXPECT_TRUE(initialize(p, init::constant(2)));
  EXPECT_EQ(p.getState(), ParamState::Initialized);
  EXPECT_EQ(p.getInitCount(), 1u);
  EXPECT_EQ(values(p), std::vector<float>(12, 2.0f));
  EXPECT_EQ(llvm::cantFail(p.data()).shapeStr(), "[3, 4]");
}

TEST(ParameterTest, RankZeroParameterIsCompleteAndHoldsOneValue) {
  Parameter p("scale", {});
  EXPECT_TRUE(p.hasCompleteShape());
  initialize(p, init::constant(7));
  EXPECT_EQ(values(p), std::vector<float>{7.0f});
}

//===----------------------------------------------------------------------===//
// setShape
//===----------------------------------------------------------------------===//

TEST(ParameterTest, SetShapeFillsUnknownDims) {
  Parameter p("w", {256, -1});
  ASSERT_EQ(errorText(p.setShape({-1, 20})), "");
  EXPECT_EQ(p.shapeStr(), "[256, 20]");
  EXPECT_TRUE(p.hasCompleteShape());
  // Not initialized: a shape alone fills nothing.
  EXPECT_EQ(p.getState(), ParamState::NotInitialized);
  EXPECT_EQ(p.getInitCount(), 0u);
}

TEST(ParameterTest, SetShapeGivesAnOpenRankItsRank) {
  Parameter p("w", {}, /*rankKnown=*/false);
  ASSERT_EQ(errorText(p.setShape({2, -1, 3})), "");
  EXPECT_TRUE(p.hasRank());
  EXPECT_EQ(p.shapeStr(), "[2, ?, 3]");
}

TEST(ParameterTest, SetShapeConflictNamesParameterAndBothShapes) {
  Parameter p("dense0.weight", {256, -1});
  std::string err = errorText(p.setShape({128, 20}));
  EXPECT_THAT(err, HasSubstr("'dense0.weight'"));
  EXPECT_THAT(err, HasSubstr("[256, ?]"));
  EXPECT_THAT(err, HasSubstr("[128, 20]"));
  // Nothing changed.
  EXPECT_EQ(p.shapeStr(), "[256, ?]");
}

TEST(ParameterTest, SetShapeOfAnotherRankIsAConflict) {
  Parameter p("w", {4, -1});
  std::string err = errorText(p.setShape({4, 5, 6}));
  EXPECT_THAT(err, HasSubstr("'w'"));
  EXPECT_THAT(err, HasSubstr("[4, ?]"));
  EXPECT_THAT(err, HasSubstr("[4, 5, 6]"));
}

TEST(ParameterTest, SetShapeAfterDataConflictsWithTheFilledShape) {
  Parameter p("w", {4, -1});
  initialize(p, init::ones());
  ASSERT_EQ(errorText(p.setShape({4, 8})), "");
  std::string err = errorText(p.setShape({4, 9}));
  EXPECT_THAT(err, HasSubstr("[4, 8]"));
  EXPECT_THAT(err, HasSubstr("[4, 9]"));
  EXPECT_EQ(llvm::cantFail(p.data()).shapeStr(), "[4, 8]");
}

TEST(ParameterTest, DeferredParameterFillsExactlyOnceWhenShapeCompletes) {
  int calls = 0;
  Parameter p("w", {-1, -1});
  initialize(p, countingInit(calls));

  // A partial completion fills nothing yet.
  ASSERT_EQ(errorText(p.setShape({3, -1})), "");
  EXPECT_EQ(p.getState(), ParamState::Deferred);
  EXPECT_EQ(calls, 0);

  ASSERT_EQ(errorText(p.setShape({3, 2})), "");
  EXPECT_EQ(p.getState(), ParamState::Initialized);
  EXPECT_EQ(p.getInitCount(), 1u);
  EXPECT_EQ(calls, 1);

  // The same shape again (a second batch) fills nothing.
  ASSERT_EQ(errorText(p.setShape({3, 2})), "");
  ASSERT_EQ(errorText(p.setShape({-1, 2})), "");
  EXPECT_EQ(p.getInitCount(), 1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(values(p), std::vector<float>(6, 1.0f));
}

//===----------------------------------------------------------------------===//
// Re-initialization
//===----------------------------------------------------------------------===//

TEST(ParameterTest, InitializeAgainWithoutForceDoesNothing) {
  Parameter p("w", {4, 4});
  initialize(p, init::uniform(), /*seed=*/1);
  std::vector<float> before = values(p);
  EXPECT_FALSE(initialize(p, init::ones(), /*seed=*/2));
  EXPECT_EQ(p.getInitCount(), 1u);
  EXPECT_EQ(values(p), before);
  EXPECT_EQ(p.getChosenInit()->describe(), "uniform(scale=0.07)");
}

TEST(ParameterTest, InitializeWithForceRefills) {
  Parameter p("w", {4, 4});
  initialize(p, init::uniform(), /*seed=*/1);
  EXPECT_TRUE(initialize(p, init::ones(), /*seed=*/2, /*force=*/true));
  EXPECT_EQ(p.getInitCount(), 2u);
  EXPECT_EQ(values(p), std::vector<float>(16, 1.0f));
}

TEST(ParameterTest, ForcedRefillWithSameSeedReproducesTheData) {
  Parameter p("w", {5, 3});
  initialize(p, init::normal(), /*seed=*/3);
  std::vector<float> first = values(p);
  initialize(p, init::normal(), /*seed=*/3, /*force=*/true);
  EXPECT_EQ(values(p), first);
  initialize(p, init::normal(), /*seed=*/4, /*force=*/true);
  EXPECT_NE(values(p), first);
}

TEST(ParameterTest, InitializeAfterLoadedDataKeepsTheData) {
  Parameter p("w", {2, -1});
  ASSERT_EQ(errorText(p.setData(Tensor::fromVector({2, 2}, {1, 2, 3, 4}))), "");
  EXPECT_FALSE(initialize(p, init::zeros()));
  EXPECT_EQ(values(p), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(p.getInitCount(), 0u);
}

//===----------------------------------------------------------------------===//
// Choosing the initializer
//===----------------------------------------------------------------------===//

TEST(ParameterTest, RoleDefaultsBeatTheFallback) {
  struct Case {
    const char *name;
    float want;
  };
  for (Case c :
       {Case{"fc.bias", 0}, Case{"bn.beta", 0}, Case{"bn.running_mean", 0},
        Case{"bn.gamma", 1}, Case{"bn.running_var", 1}, Case{"fc.weight", 3}}) {
    Parameter p(c.name, {4});
    initialize(p, init::constant(3));
    EXPECT_EQ(values(p), std::vector<float>(4, c.want)) << c.name;
  }
}

TEST(ParameterTest, RoleComesFromNameAndCanBeSet) {
  Parameter p("gate", {3});
  EXPECT_EQ(p.getRole(), ParamRole::Weight);
  p.setRole(ParamRole::Gamma);
  initialize(p, init::constant(5));
  EXPECT_EQ(values(p), std::vector<float>(3, 1.0f));
  EXPECT_EQ(p.getChosenInit()->describe(), "ones");
}

TEST(ParameterTest, OwnInitializerWinsOverRoleAndFallback) {
  Parameter bias("fc.bias", {3});
  bias.setOwnInit(init::constant(7));
  initialize(bias, init::constant(3));
  EXPECT_EQ(values(bias), std::vector<float>(3, 7.0f));

  Parameter weight("fc.weight", {3});
  weight.setOwnInit(init::zeros());
  initialize(weight, init::constant(3));
  EXPECT_EQ(values(weight), std::vector<float>(3, 0.0f));
  EXPECT_EQ(weight.getChosenInit()->describe(), "zeros");
}

TEST(ParameterTest, CallbackReceivesNameRoleShapeAndSeed) {
  std::string seenName;
  ParamRole seenRole = ParamRole::Weight;
  std::vector<int64_t> seenShape;
  uint64_t seenSeed = 0;
  size_t seenSize = 0;
  InitPtr cb = init::callback(
      [&](const InitRequest &r, llvm::MutableArrayRef<float> data) {
        seenName = r.name.str();
        seenRole = r.role;
        seenShape = r.shape.vec();
        seenSeed = r.seed;
        seenSize = data.size();
        return llvm::Error::success();
      },
      "mine");

  Parameter p("bn.gamma", {-1, 3});
  p.setOwnInit(cb);
  initialize(p, init::zeros(), /*seed=*/77);
  EXPECT_EQ(seenName, ""); // deferred: not called yet
  ASSERT_EQ(errorText(p.setShape({2, 3})), "");
  EXPECT_EQ(seenName, "bn.gamma");
  EXPECT_EQ(seenRole, ParamRole::Gamma);
  EXPECT_EQ(seenShape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(seenSeed, 77u);
  EXPECT_EQ(seenSize, 6u);
  EXPECT_EQ(p.getChosenInit()->describe(), "mine");
}

TEST(ParameterTest, CallbackErrorIsReturnedAndLeavesNoData) {
  InitPtr failing = init::callback([](const InitRequest &r,
                                      llvm::MutableArrayRef<float>) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot fill '%s'", r.name.str().c_str());
  });
  Parameter p("w", {2});
  auto result = p.initialize(failing, 0, false);
  ASSERT_FALSE(bool(result));
  EXPECT_EQ(llvm::toString(result.takeError()), "cannot fill 'w'");
  EXPECT_EQ(p.getInitCount(), 0u);
  EXPECT_THAT(dataError(p), Not(HasSubstr("<has data")));
}

TEST(ParameterTest, DeferredFillErrorIsReturnedBySetShape) {
  Parameter p("fc.weight", {-1});
  initialize(p, init::xavier());
  std::string err = errorText(p.setShape({8}));
  EXPECT_THAT(err, HasSubstr("'fc.weight'"));
  EXPECT_THAT(err, HasSubstr("rank 2 or more"));
}

//===----------------------------------------------------------------------===//
// setData
//===----------------------------------------------------------------------===//

TEST(ParameterTest, SetDataCompletesADeferredShapeWithoutFilling) {
  int calls = 0;
  Parameter p("w", {2, -1});
  initialize(p, countingInit(calls));
  ASSERT_EQ(errorText(p.setData(Tensor::fromVector({2, 1}, {5, 6}))), "");
  EXPECT_EQ(p.getState(), ParamState::Initialized);
  EXPECT_EQ(p.shapeStr(), "[2, 1]");
  EXPECT_EQ(values(p), (std::vector<float>{5, 6}));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(p.getInitCount(), 0u);
}

TEST(ParameterTest, SetDataOnDeferredParameterNeverRunsItsInitializer) {
  // Loading replaces the pending initialization (as Gluon's load does): an
  // initializer that cannot fill this shape must not make the load fail.
  Parameter p("fc.weight", {-1});
  initialize(p, init::xavier());
  EXPECT_EQ(errorText(p.setData(Tensor::fromVector({3}, {1, 2, 3}))), "");
  EXPECT_EQ(p.getState(), ParamState::Initialized);
}

TEST(ParameterTest, SetDataOfWrongShapeNamesBothShapes) {
  Parameter p("w", {2, -1});
  std::string err = errorText(p.setData(Tensor::fromVector({3, 1}, {1, 2, 3})));
  EXPECT_THAT(err, HasSubstr("'w'"));
  EXPECT_THAT(err, HasSubstr("[2, ?]"));
  EXPECT_THAT(err, HasSubstr("[3, 1]"));
  EXPECT_EQ(p.getState(), ParamState::NotInitialized);
}

TEST(ParameterTest, SetDataOfWrongDTypeNamesBoth) {
  Parameter p("w", {2});
  Tensor ids = llvm::cantFail(Tensor::zeros(DType::I64, {2}));
  EXPECT_EQ(errorText(p.setData(ids)),
            "parameter 'w' is f32, but the data given is i64");
}

//===----------------------------------------------------------------------===//
// ParameterStore
//===----------------------------------------------------------------------===//

TEST(ParameterTest, StoreKeepsInsertionOrderAndFindsByName) {
  ParameterStore store;
  store.add(std::make_unique<Parameter>("b", std::vector<int64_t>{1}));
  store.add(std::make_unique<Parameter>("a", std::vector<int64_t>{2}));
  ASSERT_EQ(store.size(), 2u);
  EXPECT_EQ((*store.begin())->getName(), "b");
  ASSERT_NE(store.lookup("a"), nullptr);
  EXPECT_EQ(store.lookup("a")->shapeStr(), "[2]");
  EXPECT_EQ(store.lookup("c"), nullptr);
}

} // namespace
