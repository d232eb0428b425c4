//===- Initializer.cpp - Gluon's parameter initializers -------------------===//

#include "shapeflow/Runtime/Initializer.h"
#include "shapeflow/Runtime/Random.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <Eigen/Dense>

#include <cmath>
#include <cstdio>
#include <set>

using namespace shapeflow;

namespace {

/// The shortest form of a float argument: 3 rather than 3.00.
std::string num(float v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.7g", double(v));
  return buffer;
}

llvm::Error initError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

class ConstantInit final : public Initializer {
public:
  ConstantInit(float value, std::string name)
      : value(value), name(std::move(name)) {}
  llvm::Error fill(const InitRequest &,
                   llvm::MutableArrayRef<float> data) const override {
    std::fill(data.begin(), data.end(), value);
    return llvm::Error::success();
  }
  std::string describe() const override { return name; }

private:
  float value;
  std::string name;
};

class UniformInit final : public Initializer {
public:
  explicit UniformInit(float scale) : scale(scale) {}
  llvm::Error fill(const InitRequest &request,
                   llvm::MutableArrayRef<float> data) const override {
    RandomStream rng(request.seed, request.name);
    for (float &x : data)
      x = rng.uniform(-scale, scale);
    return llvm::Error::success();
  }
  std::string describe() const override {
    return "uniform(scale=" + num(scale) + ")";
  }

private:
  float scale;
};

class NormalInit final : public Initializer {
public:
  explicit NormalInit(float sigma) : sigma(sigma) {}
  llvm::Error fill(const InitRequest &request,
                   llvm::MutableArrayRef<float> data) const override {
    RandomStream rng(request.seed, request.name);
    for (float &x : data)
      x = float(sigma * rng.normal());
    return llvm::Error::success();
  }
  std::string describe() const override {
    return "normal(sigma=" + num(sigma) + ")";
  }

private:
  float sigma;
};

const char *randName(init::RandType rand) {
  return rand == init::RandType::Uniform ? "uniform" : "gaussian";
}

const char *factorName(init::FactorType factor) {
  switch (factor) {
  case init::FactorType::Avg:
    return "avg";
  case init::FactorType::In:
    return "in";
  case init::FactorType::Out:
    return "out";
  }
  return "?";
}

class XavierInit final : public Initializer {
public:
  XavierInit(init::RandType rand, init::FactorType factor, float magnitude,
             std::string name)
      : rand(rand), factor(factor), magnitude(magnitude),
        name(std::move(name)) {}

  llvm::Error fill(const InitRequest &request,
                   llvm::MutableArrayRef<float> data) const override {
    auto fans = computeFans(request.name, request.shape);
    if (!fans)
      return fans.takeError();
    double f = factor == init::FactorType::Avg  ? (fans->in + fans->out) / 2
               : factor == init::FactorType::In ? fans->in
                                                : fans->out;
    if (data.empty())
      return llvm::Error::success();
    double scale = std::sqrt(magnitude / f);
    RandomStream rng(request.seed, request.name);
    for (float &x : data)
      x = rand == init::RandType::Uniform
              ? rng.uniform(float(-scale), float(scale))
              : float(scale * rng.normal());
    return llvm::Error::success();
  }
  std::string describe() const override {
    if (!name.empty())
      return name;
    return llvm::formatv("xavier(rnd_type={0}, factor_type={1}, "
                         "magnitude={2})",
                         randName(rand), factorName(factor), num(magnitude));
  }

private:
  init::RandType rand;
  init::FactorType factor;
  float magnitude;
  std::string name; // set for msra_prelu, which is a xavier underneath
};

class OrthogonalInit final : public Initializer {
public:
  OrthogonalInit(float scale, init::RandType rand) : scale(scale), rand(rand) {}

  llvm::Error fill(const InitRequest &request,
                   llvm::MutableArrayRef<float> data) const override {
    if (request.shape.size() < 2)
      return initError("orthogonal needs a parameter of rank 2 or more, but '" +
                       request.name + "' has shape " +
                       formatShape(request.shape));
    int64_t rows = request.shape[0];
    int64_t cols = int64_t(data.size()) / std::max<int64_t>(rows, 1);
    if (data.empty())
      return llvm::Error::success();

    // [rows, cols] random, then the orthonormal factor of its SVD that has
    // the same shape: U when rows >= cols, else V^T.
    RandomStream rng(request.seed, request.name);
    Eigen::MatrixXd m(rows, cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        m(i, j) =
            rand == init::RandType::Uniform ? rng.uniform(-1, 1) : rng.normal();
    Eigen::BDCSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU |
                                              Eigen::ComputeThinV);
    Eigen::MatrixXd q = rows >= cols
                            ? Eigen::MatrixXd(svd.matrixU())
                            : Eigen::MatrixXd(svd.matrixV().transpose());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        data[i * cols + j] = float(scale * q(i, j));
    return llvm::Error::success();
  }
  std::string describe() const override {
    return llvm::formatv("orthogonal(scale={0}, rand_type={1})", num(scale),
                         rand == init::RandType::Uniform ? "uniform"
                                                         : "normal");
  }

private:
  float scale;
  init::RandType rand;
};

class CallbackInit final : public Initializer {
public:
  CallbackInit(init::InitCallback fn, std::string description)
      : fn(std::move(fn)), description(std::move(description)) {}
  llvm::Error fill(const InitRequest &request,
                   llvm::MutableArrayRef<float> data) const override {
    return fn(request, data);
  }
  std::string describe() const override { return description; }

private:
  init::InitCallback fn;
  std::string description;
};

} // namespace

Initializer::~Initializer() = default;

llvm::StringRef shapeflow::roleName(ParamRole role) {
  switch (role) {
  case ParamRole::Weight:
    return "weight";
  case ParamRole::Bias:
    return "bias";
  case ParamRole::Gamma:
    return "gamma";
  case ParamRole::Beta:
    return "beta";
  case ParamRole::RunningMean:
    return "running_mean";
  case ParamRole::RunningVar:
    return "running_var";
  }
  return "weight";
}

std::optional<ParamRole> shapeflow::parseRole(llvm::StringRef word) {
  return llvm::StringSwitch<std::optional<ParamRole>>(word)
      .Case("weight", ParamRole::Weight)
      .Case("bias", ParamRole::Bias)
      .Case("beta", ParamRole::Beta)
      .Case("gamma", ParamRole::Gamma)
      .Case("running_mean", ParamRole::RunningMean)
      .Case("running_var", ParamRole::RunningVar)
      .Default(std::nullopt);
}

ParamRole shapeflow::roleFromName(llvm::StringRef name) {
  llvm::StringRef last = name.rsplit('.').second;
  if (last.empty())
    last = name;
  return parseRole(last).value_or(ParamRole::Weight);
}

llvm::Expected<Fans> shapeflow::computeFans(llvm::StringRef name,
                                            llvm::ArrayRef<int64_t> shape) {
  if (shape.size() < 2)
    return initError(llvm::formatv("xavier needs a weight of rank 2 or more, "
                                   "but '{0}' has shape {1}",
                                   name, formatShape(shape)));
  // Each kernel position adds one connection per input and output channel.
  double receptive = 1;
  for (int64_t d : shape.drop_front(2))
    receptive *= double(d);
  return Fans{double(shape[1]) * receptive, double(shape[0]) * receptive};
}

InitPtr init::zeros() { return std::make_shared<ConstantInit>(0, "zeros"); }
InitPtr init::ones() { return std::make_shared<ConstantInit>(1, "ones"); }
InitPtr init::constant(float value) {
  return std::make_shared<ConstantInit>(value,
                                        "constant(value=" + num(value) + ")");
}
InitPtr init::uniform(float scale) {
  return std::make_shared<UniformInit>(scale);
}
InitPtr init::normal(float sigma) {
  return std::make_shared<NormalInit>(sigma);
}
InitPtr init::xavier(RandType rand, FactorType factor, float magnitude) {
  return std::make_shared<XavierInit>(rand, factor, magnitude, "");
}
InitPtr init::msraPrelu(FactorType factor, float slope) {
  return std::make_shared<XavierInit>(
      RandType::Gaussian, factor, 2.0f / (1 + slope * slope),
      llvm::formatv("msra_prelu(factor_type={0}, slope={1})",
                    factorName(factor), num(slope))
          .str());
}
InitPtr init::orthogonal(float scale, RandType rand) {
  return std::make_shared<OrthogonalInit>(scale, rand);
}
InitPtr init::callback(InitCallback fn, std::string description) {
  return std::make_shared<CallbackInit>(std::move(fn), std::move(description));
}

//===----------------------------------------------------------------------===//
// Parsing `name(key=value, ...)`
//===----------------------------------------------------------------------===//

namespace {

struct InitSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> args;
};

llvm::Expected<InitSpec> splitSpec(llvm::StringRef spec) {
  InitSpec result;
  llvm::StringRef text = spec.trim();
  auto [name, rest] = text.split('(');
  result.name = name.trim().str();
  if (result.name.empty())
    return initError("invalid initializer '" + spec + "': no name");
  if (name.size() == text.size())
    return result;
  rest = rest.trim();
  if (!rest.consume_back(")"))
    return initError("invalid initializer '" + spec + "': missing ')'");
  llvm::SmallVector<llvm::StringRef, 4> parts;
  rest.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef part : parts) {
    auto [key, value] = part.split('=');
    if (value.empty())
      return initError("invalid initializer '" + spec +
                       "': expected "
                       "key=value, got '" +
                       part.trim() + "'");
    result.args.push_back({key.trim().str(), value.trim().str()});
  }
  return result;
}

/// Reads the arguments of one initializer against what it accepts.
class ArgReader {
public:
  ArgReader(const InitSpec &spec, llvm::StringRef spelled)
      : spec(spec), spelled(spelled) {}

  float number(llvm::StringRef key, float def) {
    const std::string *v = take(key);
    if (!v)
      return def;
    double d;
    if (llvm::StringRef(*v).getAsDouble(d))
      bad(key, *v, "a number");
    return float(d);
  }
  std::string choice(llvm::StringRef key, std::string def,
                     std::initializer_list<llvm::StringRef> choices) {
    const std::string *v = take(key);
    if (!v)
      return def;
    if (llvm::is_contained(choices, llvm::StringRef(*v)))
      return *v;
    std::string list;
    for (llvm::StringRef c : choices)
      list += (list.empty() ? "" : ", ") + c.str();
    bad(key, *v, "one of " + list);
    return def;
  }
  /// Any argument not read is an error.
  llvm::Error finish(llvm::StringRef accepted) {
    for (size_t i = 0; i < spec.args.size(); ++i)
      if (!used.count(i) && !err)
        err = initError("initializer '" + spelled + "' has no argument '" +
                        spec.args[i].first + "' (it accepts: " +
                        (accepted.empty() ? "nothing" : accepted) + ")");
    return err ? std::move(err) : llvm::Error::success();
  }

private:
  const std::string *take(llvm::StringRef key) {
    const std::string *found = nullptr;
    for (size_t i = 0; i < spec.args.size(); ++i) {
      if (spec.args[i].first != key)
        continue;
      used.insert(i);
      if (found && !err)
        err = initError("initializer '" + spelled + "' gives '" + key +
                        "' more than once");
      found = &spec.args[i].second;
    }
    return found;
  }
  void bad(llvm::StringRef key, llvm::StringRef value,
           const llvm::Twine &want) {
    if (!err)
      err = initError("initializer '" + spelled + "': " + key + "=" + value +
                      " must be " + want);
  }

  const InitSpec &spec;
  llvm::StringRef spelled;
  std::set<size_t> used;
  llvm::Error err = llvm::Error::success();
};

init::FactorType toFactor(llvm::StringRef s) {
  return s == "in"    ? init::FactorType::In
         : s == "out" ? init::FactorType::Out
                      : init::FactorType::Avg;
}

} // namespace

llvm::Expected<InitPtr> init::parse(llvm::StringRef text) {
  auto spec = splitSpec(text);
  if (!spec)
    return spec.takeError();
  ArgReader args(*spec, text);
  InitPtr result;
  llvm::StringRef accepted;
  llvm::StringRef name = spec->name;
  if (name == "zeros" || name == "zero") {
    result = zeros();
  } else if (name == "ones" || name == "one") {
    result = ones();
  } else if (name == "constant") {
    result = constant(args.number("value", 0));
    accepted = "value";
  } else if (name == "uniform") {
    result = uniform(args.number("scale", 0.07f));
    accepted = "scale";
  } else if (name == "normal") {
    result = normal(args.number("sigma", 0.01f));
    accepted = "sigma";
  } else if (name == "xavier") {
    std::string rnd =
        args.choice("rnd_type", "uniform", {"uniform", "gaussian"});
    std::string factor =
        args.choice("factor_type", "avg", {"avg", "in", "out"});
    float magnitude = args.number("magnitude", 3);
    result = xavier(rnd == "gaussian" ? RandType::Gaussian : RandType::Uniform,
                    toFactor(factor), magnitude);
    accepted = "rnd_type, factor_type, magnitude";
  } else if (name == "msra_prelu") {
    std::string factor =
        args.choice("factor_type", "avg", {"avg", "in", "out"});
    result = msraPrelu(toFactor(factor), args.number("slope", 0.25f));
    accepted = "factor_type, slope";
  } else if (name == "orthogonal") {
    float scale = args.number("scale", 1.414f);
    std::string rand =
        args.choice("rand_type", "uniform", {"uniform", "normal"});
    result = orthogonal(scale, rand == "normal" ? RandType::Gaussian
                                                : RandType::Uniform);
    accepted = "scale, rand_type";
  } else {
    return initError("unknown initializer '" + name +
                     "' (known: zeros, "
                     "ones, constant, uniform, normal, xavier, msra_prelu, "
                     "orthogonal)");
  }
  if (llvm::Error err = args.finish(accepted))
    return err;
  return result;
}
