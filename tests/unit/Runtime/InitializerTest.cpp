//===- InitializerTest.cpp - Gluon's initializers, by their formulas -----===//
//
// Random initializers are checked statistically on large tensors: a sample
// mean or variance must lie within kSigmas standard errors of the value the
// formula gives. With the fixed seeds used here the tests are deterministic;
// the tolerance only says how far a correct generator could plausibly land,
// so a wrong formula (a factor of 2 or 3 in the variance) still fails.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Runtime/Initializer.h"
#include "shapeflow/Runtime/Parameter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <vector>

using namespace shapeflow;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

/// How many standard errors a statistic may stray from its expectation.
constexpr double kSigmas = 5;

/// Fills a fresh buffer for a parameter called `name` of `shape`.
std::vector<float> fillWith(const InitPtr &init, llvm::StringRef name,
                            std::vector<int64_t> shape, uint64_t seed = 0,
                            ParamRole role = ParamRole::Weight) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> data(n, -12345.0f);
  InitRequest request{name, role, shape, seed};
  llvm::Error err = init->fill(request, data);
  EXPECT_FALSE(err) << llvm::toString(std::move(err));
  return data;
}

/// Fills and returns the error text, or "" on success.
std::string fillError(const InitPtr &init, llvm::StringRef name,
                      std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> data(n);
  InitRequest request{name, ParamRole::Weight, shape, 0};
  if (llvm::Error err = init->fill(request, data))
    return llvm::toString(std::move(err));
  return "";
}

struct Moments {
  double mean = 0, var = 0, minValue = 0, maxValue = 0;
};

Moments momentsOf(llvm::ArrayRef<float> data) {
  Moments m;
  m.minValue = m.maxValue = data.empty() ? 0 : data[0];
  for (float x : data) {
    m.mean += x;
    m.minValue = std::min<double>(m.minValue, x);
    m.maxValue = std::max<double>(m.maxValue, x);
  }
  m.mean /= data.size();
  for (float x : data)
    m.var += (x - m.mean) * (x - m.mean);
  m.var /= data.size();
  return m;
}

/// Checks mean 0 and variance `var` for U(-b, b) (fourth moment b^4/5) or a
/// normal (fourth moment 3 var^2), each within kSigmas standard errors.
void expectZeroMeanVariance(llvm::ArrayRef<float> data, double var,
                            bool uniform) {
  double n = data.size();
  double fourth = uniform ? 9.0 / 5.0 * var * var : 3 * var * var;
  double meanError = std::sqrt(var / n);
  double varError = std::sqrt((fourth - var * var) / n);
  Moments m = momentsOf(data);
  EXPECT_NEAR(m.mean, 0, kSigmas * meanError);
  EXPECT_NEAR(m.var, var, kSigmas * varError);
}

bool bitIdentical(llvm::ArrayRef<float> a, llvm::ArrayRef<float> b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

InitPtr parsed(llvm::StringRef spec) {
  auto init = init::parse(spec);
  if (!init) {
    ADD_FAILURE() << spec.str() << ": " << llvm::toString(init.takeError());
    return init::zeros();
  }
  return *init;
}

std::string parseError(llvm::StringRef spec) {
  auto init = init::parse(spec);
  if (init)
    return "<parsed as " + (*init)->describe() + ">";
  return llvm::toString(init.takeError());
}

//===----------------------------------------------------------------------===//
// Constant initializers
//===----------------------------------------------------------------------===//

TEST(InitializerTest, ZerosOnesAndConstantFillEveryElement) {
  for (float x : fillWith(init::zeros(), "w", {3, 5}))
    EXPECT_EQ(x, 0.0f);
  for (float x : fillWith(init::ones(), "w", {3, 5}))
    EXPECT_EQ(x, 1.0f);
  for (float x : fillWith(init::constant(-2.5f), "w", {7}))
    EXPECT_EQ(x, -2.5f);
}

TEST(InitializerTest, ConstantInitializersAcceptRankZeroAndEmpty) {
  EXPECT_EQ(fillWith(init::constant(4), "s", {}), std::vector<float>{4.0f});
  EXPECT_TRUE(fillWith(init::ones(), "e", {0, 3}).empty());
  EXPECT_TRUE(fillWith(init::uniform(), "e", {4, 0}).empty());
}

//===----------------------------------------------------------------------===//
// uniform and normal
//===----------------------------------------------------------------------===//

TEST(InitializerTest, UniformStaysWithinScaleAndReachesIt) {
  std::vector<float> data = fillWith(init::uniform(0.5f), "u", {200, 500});
  Moments m = momentsOf(data);
  EXPECT_GE(m.minValue, -0.5);
  EXPECT_LT(m.maxValue, 0.5);
  // 100k draws leave no gap of 1/1000 of the range at either end.
  EXPECT_LT(m.minValue, -0.499);
  EXPECT_GT(m.maxValue, 0.499);
}

TEST(InitializerTest, UniformHasMeanZeroAndVarianceScaleSquaredOverThree) {
  float scale = 0.07f;
  std::vector<float> data = fillWith(init::uniform(), "u", {250, 400});
  expectZeroMeanVariance(data, scale * scale / 3, /*uniform=*/true);
}

TEST(InitializerTest, NormalHasMeanZeroAndVarianceSigmaSquared) {
  std::vector<float> data = fillWith(init::normal(0.2f), "n", {250, 400});
  expectZeroMeanVariance(data, 0.04, /*uniform=*/false);

  // A normal's tails pass 3 sigma (about 270 of 100k draws) but never 7.
  Moments m = momentsOf(data);
  EXPECT_GT(m.maxValue, 3 * 0.2);
  EXPECT_LT(m.maxValue, 7 * 0.2);
  EXPECT_LT(m.minValue, -3 * 0.2);
}

TEST(InitializerTest, NormalDefaultSigmaIsOneHundredth) {
  std::vector<float> data = fillWith(init::normal(), "n", {250, 400});
  expectZeroMeanVariance(data, 1e-4, /*uniform=*/false);
}

//===----------------------------------------------------------------------===//
// Fans and xavier
//===----------------------------------------------------------------------===//

TEST(InitializerTest, FansOfRankTwoAreTheTwoDims) {
  auto fans = computeFans("fc.weight", {256, 20});
  ASSERT_TRUE(bool(fans)) << llvm::toString(fans.takeError());
  EXPECT_EQ(fans->in, 20);
  EXPECT_EQ(fans->out, 256);
}

TEST(InitializerTest, FansOfRankFourIncludeTheKernelWindow) {
  // [out=64, in=32, 3, 5]: each output sees 32*15 inputs.
  auto fans = computeFans("conv.weight", {64, 32, 3, 5});
  ASSERT_TRUE(bool(fans)) << llvm::toString(fans.takeError());
  EXPECT_EQ(fans->in, 32 * 15);
  EXPECT_EQ(fans->out, 64 * 15);
}

TEST(InitializerTest, FansOfRankOneIsAnErrorNamingTheParameter) {
  auto fans = computeFans("fc.bias", {10});
  ASSERT_FALSE(bool(fans));
  EXPECT_EQ(llvm::toString(fans.takeError()),
            "xavier needs a weight of rank 2 or more, but 'fc.bias' has "
            "shape [10]");
}

TEST(InitializerTest, XavierOnRankOneWeightIsAnErrorNamingIt) {
  std::string err = fillError(init::xavier(), "gate.weight", {16});
  EXPECT_THAT(err, HasSubstr("'gate.weight'"));
  EXPECT_THAT(err, HasSubstr("rank 2 or more"));
  EXPECT_THAT(err, HasSubstr("[16]"));

  EXPECT_THAT(fillError(init::msraPrelu(), "alpha", {}),
              HasSubstr("'alpha' has shape []"));
}

TEST(InitializerTest, XavierUniformBoundIsSqrtMagnitudeOverAverageFan) {
  // fan_in = 32*9 = 288, fan_out = 64*9 = 576, avg 432.
  double scale = std::sqrt(3.0 / 432);
  std::vector<float> data = fillWith(init::xavier(), "c", {64, 32, 3, 3});
  Moments m = momentsOf(data);
  EXPECT_GE(m.minValue, -scale);
  EXPECT_LE(m.maxValue, scale);
  EXPECT_GT(m.maxValue, 0.998 * scale);
  expectZeroMeanVariance(data, scale * scale / 3, /*uniform=*/true);
}

TEST(InitializerTest, XavierFactorTypeChoosesInOutOrAverage) {
  // [100, 400]: fan_in 400, fan_out 100, avg 250.
  struct Case {
    init::FactorType factor;
    double fan;
  };
  for (Case c :
       {Case{init::FactorType::In, 400}, Case{init::FactorType::Out, 100},
        Case{init::FactorType::Avg, 250}}) {
    double scale = std::sqrt(2.0 / c.fan);
    std::vector<float> data = fillWith(
        init::xavier(init::RandType::Uniform, c.factor, 2), "w", {100, 400});
    Moments m = momentsOf(data);
    EXPECT_LE(m.maxValue, scale) << "fan " << c.fan;
    EXPECT_GT(m.maxValue, 0.998 * scale) << "fan " << c.fan;
    expectZeroMeanVariance(data, scale * scale / 3, /*uniform=*/true);
  }
}

TEST(InitializerTest, XavierGaussianHasVarianceMagnitudeOverFactor) {
  // [200, 500]: fan_in 500; magnitude 3 -> variance 3/500.
  std::vector<float> data =
      fillWith(init::xavier(init::RandType::Gaussian, init::FactorType::In, 3),
               "w", {200, 500});
  expectZeroMeanVariance(data, 3.0 / 500, /*uniform=*/false);
}

TEST(InitializerTest, MsraPreluIsGaussianWithMagnitudeTwoOverOnePlusSlope) {
  // Default slope 0.25: magnitude 2/1.0625; [200, 500] averages to 350.
  std::vector<float> data = fillWith(init::msraPrelu(), "w", {200, 500});
  expectZeroMeanVariance(data, 2 / 1.0625 / 350, /*uniform=*/false);

  // slope 1 halves it; factor in uses 500.
  data = fillWith(init::msraPrelu(init::FactorType::In, 1), "w", {200, 500});
  expectZeroMeanVariance(data, 1.0 / 500, /*uniform=*/false);
}

//===----------------------------------------------------------------------===//
// orthogonal
//===----------------------------------------------------------------------===//

/// Max |(Q Q^T or Q^T Q) - scale^2 I| over the smaller side's Gram matrix,
/// Q viewed as [shape[0], rest].
double orthogonalityError(llvm::ArrayRef<float> q, int64_t rows, double scale) {
  int64_t cols = q.size() / rows;
  bool wide = rows <= cols;
  int64_t side = wide ? rows : cols;
  auto at = [&](int64_t i, int64_t j) { return double(q[i * cols + j]); };
  double worst = 0;
  for (int64_t a = 0; a < side; ++a) {
    for (int64_t b = 0; b < side; ++b) {
      double dot = 0;
      for (int64_t k = 0; k < (wide ? cols : rows); ++k)
        dot += wide ? at(a, k) * at(b, k) : at(k, a) * at(k, b);
      double want = a == b ? scale * scale : 0;
      worst = std::max(worst, std::abs(dot - want));
    }
  }
  return worst;
}

TEST(InitializerTest, OrthogonalWideShapeHasOrthonormalRows) {
  // [4, 10]: Q Q^T = 1.414^2 I.
  std::vector<float> q = fillWith(init::orthogonal(), "w", {4, 10});
  EXPECT_LT(orthogonalityError(q, 4, 1.414), 1e-5);
}

TEST(InitializerTest, OrthogonalTallShapeHasOrthonormalColumns) {
  // [10, 4]: Q^T Q = 4 I.
  std::vector<float> q = fillWith(init::orthogonal(2.0f), "w", {10, 4});
  EXPECT_LT(orthogonalityError(q, 10, 2.0), 1e-5);
}

TEST(InitializerTest, OrthogonalFlattensTrailingDims) {
  // [8, 2, 3, 3] is [8, 18]: 8 orthonormal rows; normal draws too.
  std::vector<float> q = fillWith(
      init::orthogonal(1.0f, init::RandType::Gaussian), "w", {8, 2, 3, 3});
  EXPECT_LT(orthogonalityError(q, 8, 1.0), 1e-5);
  // [18, 2, 3]: [18, 6], tall.
  q = fillWith(init::orthogonal(1.0f), "w", {18, 2, 3});
  EXPECT_LT(orthogonalityError(q, 18, 1.0), 1e-5);
}

TEST(InitializerTest, OrthogonalSquareIsAnOrthogonalMatrixBothWays) {
  std::vector<float> q = fillWith(init::orthogonal(1.0f), "w", {6, 6});
  EXPECT_LT(orthogonalityError(q, 6, 1.0), 1e-5);
  // Transposed view: columns too.
  std::vector<float> t(36);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      t[j * 6 + i] = q[i * 6 + j];
  EXPECT_LT(orthogonalityError(t, 6, 1.0), 1e-5);
}

TEST(InitializerTest, OrthogonalOnRankOneIsAnErrorNamingTheParameter) {
  std::string err = fillError(init::orthogonal(), "rnn.h0", {5});
  EXPECT_THAT(err, HasSubstr("'rnn.h0'"));
  EXPECT_THAT(err, HasSubstr("rank 2 or more"));
}

//===----------------------------------------------------------------------===//
// Reproducibility
//===----------------------------------------------------------------------===//

TEST(InitializerTest, SameSeedAndNameGiveBitIdenticalData) {
  for (const InitPtr &init : {init::uniform(), init::normal(), init::xavier(),
                              init::msraPrelu(), init::orthogonal()}) {
    std::vector<float> a = fillWith(init, "fc.weight", {30, 20}, 42);
    std::vector<float> b = fillWith(init, "fc.weight", {30, 20}, 42);
    EXPECT_TRUE(bitIdentical(a, b)) << init->describe();
  }
}

TEST(InitializerTest, DifferentNamesOrSeedsGiveDifferentData) {
  for (const InitPtr &init :
       {init::uniform(), init::normal(), init::xavier(), init::orthogonal()}) {
    std::vector<float> base = fillWith(init, "a.weight", {8, 8}, 1);
    EXPECT_FALSE(bitIdentical(base, fillWith(init, "b.weight", {8, 8}, 1)))
        << init->describe();
    EXPECT_FALSE(bitIdentical(base, fillWith(init, "a.weight", {8, 8}, 2)))
        << init->describe();
  }
}

TEST(InitializerTest, InitializationOrderDoesNotChangeTheData) {
  auto makeParams = [] {
    std::vector<std::unique_ptr<Parameter>> params;
    params.push_back(
        std::make_unique<Parameter>("l0.weight", std::vector<int64_t>{5, 7}));
    params.push_back(
        std::make_unique<Parameter>("l1.weight", std::vector<int64_t>{3, 5}));
    params.push_back(
        std::make_unique<Parameter>("l2.weight", std::vector<int64_t>{2, 3}));
    return params;
  };
  auto forward = makeParams();
  auto backward = makeParams();
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(*forward[i]->initialize(init::xavier(), 9, false));
  for (size_t i = 3; i-- > 0;)
    ASSERT_TRUE(*backward[i]->initialize(init::xavier(), 9, false));

  for (size_t i = 0; i < 3; ++i) {
    const Tensor &a = llvm::cantFail(forward[i]->data());
    const Tensor &b = llvm::cantFail(backward[i]->data());
    ASSERT_EQ(a.getByteSize(), b.getByteSize());
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.getByteSize()), 0)
        << forward[i]->getName().str();
  }
}

//===----------------------------------------------------------------------===//
// init::parse
//===----------------------------------------------------------------------===//

TEST(InitializerTest, ParseDescribesEverySpelling) {
  struct Case {
    const char *spec, *described;
  };
  for (Case c : {
           Case{"zeros", "zeros"},
           Case{"zero", "zeros"},
           Case{"ones", "ones"},
           Case{"one", "ones"},
           Case{"constant", "constant(value=0)"},
           Case{"constant(value=2)", "constant(value=2)"},
           Case{"constant(value=-0.5)", "constant(value=-0.5)"},
           Case{"uniform", "uniform(scale=0.07)"},
           Case{"uniform(scale=0.5)", "uniform(scale=0.5)"},
           Case{"normal", "normal(sigma=0.01)"},
           Case{"normal(sigma=2)", "normal(sigma=2)"},
           Case{"xavier",
                "xavier(rnd_type=uniform, factor_type=avg, magnitude=3)"},
           Case{"xavier(magnitude=2.24)",
                "xavier(rnd_type=uniform, factor_type=avg, magnitude=2.24)"},
           Case{"xavier(rnd_type=gaussian, factor_type=in, magnitude=2)",
                "xavier(rnd_type=gaussian, factor_type=in, magnitude=2)"},
           Case{"xavier(factor_type=out)",
                "xavier(rnd_type=uniform, factor_type=out, magnitude=3)"},
           Case{"msra_prelu", "msra_prelu(factor_type=avg, slope=0.25)"},
           Case{"msra_prelu(factor_type=in, slope=0.1)",
                "msra_prelu(factor_type=in, slope=0.1)"},
           Case{"orthogonal", "orthogonal(scale=1.414, rand_type=uniform)"},
           Case{"orthogonal(scale=2, rand_type=normal)",
                "orthogonal(scale=2, rand_type=normal)"},
           Case{"  xavier( magnitude = 6 )  ",
                "xavier(rnd_type=uniform, factor_type=avg, magnitude=6)"},
       })
    EXPECT_EQ(parsed(c.spec)->describe(), c.described) << c.spec;
}

TEST(InitializerTest, ParsedDescriptionParsesBackToTheSameInitializer) {
  for (const InitPtr &init :
       {init::constant(3), init::uniform(0.25f), init::normal(0.5f),
        init::xavier(init::RandType::Gaussian, init::FactorType::Out, 2.5f),
        init::msraPrelu(init::FactorType::In, 0.5f),
        init::orthogonal(1.5f, init::RandType::Gaussian)})
    EXPECT_EQ(parsed(init->describe())->describe(), init->describe());
}

TEST(InitializerTest, ParseDefaultsDrawLikeTheFactoryDefaults) {
  // Same seed and name: equal data means equal arguments.
  struct Case {
    const char *spec;
    InitPtr factory;
  };
  for (const Case &c : {
           Case{"uniform", init::uniform()},
           Case{"normal", init::normal()},
           Case{"xavier", init::xavier()},
           Case{"msra_prelu", init::msraPrelu()},
           Case{"orthogonal", init::orthogonal()},
           Case{"constant", init::constant(0)},
           Case{
               "xavier(rnd_type=gaussian, factor_type=in, magnitude=2)",
               init::xavier(init::RandType::Gaussian, init::FactorType::In, 2)},
       }) {
    EXPECT_TRUE(bitIdentical(fillWith(parsed(c.spec), "w", {12, 9}, 3),
                             fillWith(c.factory, "w", {12, 9}, 3)))
        << c.spec;
  }
}

TEST(InitializerTest, ParsedConstantFillsItsValue) {
  for (float x : fillWith(parsed("constant(value=2)"), "w", {4}))
    EXPECT_EQ(x, 2.0f);
}

TEST(InitializerTest, ParseRejectsUnknownInitializerListingKnownOnes) {
  std::string err = parseError("kaiming");
  EXPECT_THAT(err, HasSubstr("unknown initializer 'kaiming'"));
  EXPECT_THAT(err, HasSubstr("zeros"));
  EXPECT_THAT(err, HasSubstr("orthogonal"));
  EXPECT_THAT(parseError("Xavier"), HasSubstr("unknown initializer 'Xavier'"));
}

TEST(InitializerTest, ParseRejectsUnknownArgumentListingAcceptedOnes) {
  EXPECT_EQ(parseError("uniform(sigma=1)"),
            "initializer 'uniform(sigma=1)' has no argument 'sigma' (it "
            "accepts: scale)");
  EXPECT_THAT(parseError("xavier(scale=1)"),
              HasSubstr("(it accepts: rnd_type, factor_type, magnitude)"));
  EXPECT_THAT(parseError("zeros(value=1)"),
              HasSubstr("has no argument 'value' (it accepts: nothing)"));
}

TEST(InitializerTest, ParseRejectsBadValues) {
  EXPECT_EQ(parseError("uniform(scale=big)"),
            "initializer 'uniform(scale=big)': scale=big must be a number");
  EXPECT_THAT(parseError("xavier(factor_type=both)"),
              HasSubstr("factor_type=both must be one of avg, in, out"));
  EXPECT_THAT(parseError("xavier(rnd_type=normal)"),
              HasSubstr("rnd_type=normal must be one of uniform, gaussian"));
  EXPECT_THAT(parseError("orthogonal(rand_type=gaussian)"),
              HasSubstr("rand_type=gaussian must be one of uniform, normal"));
}

TEST(InitializerTest, ParseRejectsRepeatedArgumentWithoutDenyingIt) {
  // Giving magnitude twice is an error, but not "has no argument
  // 'magnitude'" for an initializer that accepts it.
  std::string err = parseError("xavier(magnitude=2, magnitude=3)");
  EXPECT_THAT(err, HasSubstr("magnitude"));
  EXPECT_THAT(err, Not(HasSubstr("has no argument 'magnitude'")));
  EXPECT_THAT(err, Not(HasSubstr("<parsed")));
}

TEST(InitializerTest, ParseRejectsMalformedSpecs) {
  EXPECT_THAT(parseError("uniform(scale=1"), HasSubstr("missing ')'"));
  EXPECT_THAT(parseError("uniform(scale)"),
              HasSubstr("expected key=value, got 'scale'"));
  EXPECT_THAT(parseError(""), HasSubstr("no name"));
  EXPECT_THAT(parseError("(scale=1)"), HasSubstr("no name"));
}

//===----------------------------------------------------------------------===//
// Roles
//===----------------------------------------------------------------------===//

TEST(InitializerTest, RoleFromNameReadsTheLastComponent) {
  EXPECT_EQ(roleFromName("conv1.bias"), ParamRole::Bias);
  EXPECT_EQ(roleFromName("bn.gamma"), ParamRole::Gamma);
  EXPECT_EQ(roleFromName("bn.beta"), ParamRole::Beta);
  EXPECT_EQ(roleFromName("stage1.bn.running_mean"), ParamRole::RunningMean);
  EXPECT_EQ(roleFromName("bn.running_var"), ParamRole::RunningVar);
  EXPECT_EQ(roleFromName("dense0.weight"), ParamRole::Weight);
  EXPECT_EQ(roleFromName("bias"), ParamRole::Bias);
}

TEST(InitializerTest, RoleFromNameFallsBackToWeight) {
  EXPECT_EQ(roleFromName("mybias"), ParamRole::Weight);
  EXPECT_EQ(roleFromName("bias.kernel"), ParamRole::Weight);
  EXPECT_EQ(roleFromName("conv.Bias"), ParamRole::Weight);
  EXPECT_EQ(roleFromName(""), ParamRole::Weight);
  EXPECT_EQ(roleFromName("bias."), ParamRole::Weight);
}

TEST(InitializerTest, ParseRoleRoundTripsEveryRoleName) {
  for (ParamRole role :
       {ParamRole::Weight, ParamRole::Bias, ParamRole::Gamma, ParamRole::Beta,
        ParamRole::RunningMean, ParamRole::RunningVar}) {
    std::optional<ParamRole> back = parseRole(roleName(role));
    ASSERT_TRUE(back.has_value()) << roleName(role).str();
    EXPECT_EQ(*back, role);
  }
  EXPECT_EQ(roleName(ParamRole::RunningMean), "running_mean");
}

TEST(InitializerTest, ParseRoleRejectsOtherWords) {
  EXPECT_FALSE(parseRole("Bias").has_value());
  EXPECT_FALSE(parseRole("runningvar").has_value());
  EXPECT_FALSE(parseRole("").has_value());
  EXPECT_FALSE(parseRole("conv.bias").has_value());
}

} // namespace
