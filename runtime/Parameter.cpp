//===- Parameter.cpp - Parameters with deferred initialization ------------===//

#include "shapeflow/Runtime/Parameter.h"

#include "llvm/Support/FormatVariadic.h"

#include <cassert>
#include <cmath>
#include <cstring>

using namespace shapeflow;

static llvm::Error paramError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

llvm::StringRef shapeflow::stateName(ParamState state) {
  switch (state) {
  case ParamState::NotInitialized:
    return "not initialized";
  case ParamState::Deferred:
    return "deferred";
  case ParamState::Initialized:
    return "initialized";
  }
  return "?";
}

Parameter::Parameter(std::string name, std::vector<int64_t> shape,
                     bool rankKnown, DType dtype)
    : name(std::move(name)), dtype(dtype), role(roleFromName(this->name)),
      shape(std::move(shape)), rankKnown(rankKnown) {}

bool Parameter::hasCompleteShape() const {
  return rankKnown && llvm::all_of(shape, [](int64_t d) { return d >= 0; });
}

std::string Parameter::shapeStr() const {
  return rankKnown ? formatShape(shape) : "[*]";
}

llvm::Error Parameter::mergeShape(llvm::ArrayRef<int64_t> complete) {
  auto conflict = [&] {
    return paramError(llvm::formatv("parameter '{0}' has shape {1}, which "
                                    "cannot become {2}",
                                    name, shapeStr(), formatShape(complete)));
  };
  if (rankKnown && shape.size() != complete.size())
    return conflict();
  for (size_t i = 0; rankKnown && i < shape.size(); ++i)
    if (shape[i] >= 0 && complete[i] >= 0 && shape[i] != complete[i])
      return conflict();

  std::vector<int64_t> merged(complete.begin(), complete.end());
  for (size_t i = 0; rankKnown && i < shape.size(); ++i)
    if (merged[i] < 0)
      merged[i] = shape[i];
  shape = std::move(merged);
  rankKnown = true;
  return llvm::Error::success();
}

llvm::Error Parameter::setShape(llvm::ArrayRef<int64_t> complete) {
  if (llvm::Error err = mergeShape(complete))
    return err;
  if (state == ParamState::Deferred && hasCompleteShape())
    return fill();
  return llvm::Error::success();
}

llvm::Expected<bool> Parameter::initialize(const InitPtr &fallback,
                                           uint64_t initSeed, bool force) {
  if (state == ParamState::Initialized && !force)
    return false;

  // A parameter's own initializer wins; otherwise its role decides, and
  // only weights take the initializer the caller passed.
  if (ownInit)
    chosenInit = ownInit;
  else if (role == ParamRole::Bias || role == ParamRole::Beta ||
           role == ParamRole::RunningMean)
    chosenInit = init::zeros();
  else if (role == ParamRole::Gamma || role == ParamRole::RunningVar)
    chosenInit = init::ones();
  else
    chosenInit = fallback;
  seed = initSeed;

  ParamState before = state;
  state = ParamState::Deferred;
  if (!hasCompleteShape())
    return true;
  if (llvm::Error err = fill()) {
    // A failed re-initialization keeps the data it had; a first one has
    // nothing that could run later, so it starts over.
    state =
        before == ParamState::Initialized ? before : ParamState::NotInitialized;
    return err;
  }
  return true;
}

llvm::Error Parameter::fill() {
  assert(chosenInit && hasCompleteShape() && "fill needs an init and a shape");
  auto fresh = Tensor::zeros(dtype, shape);
  if (!fresh)
    return paramError("parameter '" + name +
                      "': " + llvm::toString(fresh.takeError()));
  // Initializers produce floats; an i64 parameter takes them rounded.
  int64_t n = fresh->getNumElements();
  std::vector<float> scratch(dtype == DType::F32 ? 0 : n);
  llvm::MutableArrayRef<float> data(
      dtype == DType::F32 ? fresh->f32() : scratch.data(), n);
  InitRequest request{name, role, shape, seed};
  if (llvm::Error err = chosenInit->fill(request, data))
    return err;
  if (dtype == DType::I64)
    for (int64_t i = 0; i < n; ++i)
      fresh->i64()[i] = std::llround(scratch[i]);
  tensor = std::move(*fresh);
  state = ParamState::Initialized;
  ++initCount;
  ++version;
  return llvm::Error::success();
}

llvm::Error Parameter::setData(Tensor data) {
  if (data.getDType() != dtype)
    return paramError(llvm::formatv("parameter '{0}' is {1}, but the data "
                                    "given is {2}",
                                    name, dtypeName(dtype),
                                    dtypeName(data.getDType())));
  // Loaded data replaces any pending initializer: it must not run.
  if (llvm::Error err = mergeShape(data.getShape()))
    return err;
  tensor = std::move(data);
  state = ParamState::Initialized;
  ++version;
  return llvm::Error::success();
}

llvm::Expected<const Tensor &> Parameter::data() const {
  switch (state) {
  case ParamState::Initialized:
    return tensor;
  case ParamState::NotInitialized:
    return paramError(llvm::formatv(
        "parameter '{0}' (shape {1}) has not been initialized: call "
        "initialize() first, or load its value",
        name, shapeStr()));
  case ParamState::Deferred:
    break;
  }
  return paramError(llvm::formatv(
      "parameter '{0}' is deferred: its shape {1} is not known yet, so its "
      "initializer ({2}) has not run. It waits for the size of the input it "
      "connects to. Either run one batch through the network, which infers "
      "the shape and initializes it, or declare the input size up front "
      "(inUnits for Dense, inChannels for Conv2D and BatchNorm)",
      name, shapeStr(), chosenInit ? chosenInit->describe() : "none"));
}

Parameter &ParameterStore::add(std::shared_ptr<Parameter> param) {
  assert(!byName.count(param->getName()) && "duplicate parameter name");
  byName[param->getName()] = params.size();
  params.push_back(std::move(param));
  return *params.back();
}

Parameter *ParameterStore::lookup(llvm::StringRef name) const {
  return share(name).get();
}

std::shared_ptr<Parameter> ParameterStore::share(llvm::StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : params[it->second];
}

llvm::Expected<InitSummary>
shapeflow::initializeAll(llvm::ArrayRef<std::shared_ptr<Parameter>> params,
                         const InitPtr &init, const InitOptions &options) {
  InitSummary summary;
  for (const auto &param : params) {
    auto changed = param->initialize(init, options.seed, options.forceReinit);
    if (!changed)
      return changed.takeError();
    if (!*changed)
      ++summary.skipped;
    else if (param->getState() == ParamState::Initialized)
      ++summary.initialized;
    else
      ++summary.deferred;
  }
  return summary;
}
