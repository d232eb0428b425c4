//===- Layers.cpp - The built-in blocks -----------------------------------===//

#include "shapeflow/NN/Layers.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;
using namespace shapeflow::nn;

namespace {

NamedAttribute intAttr(llvm::StringRef name, int64_t v) {
  return {name.str(), Attribute::integer(v), {}};
}

NamedAttribute pairAttr(llvm::StringRef name, std::array<int64_t, 2> v) {
  return {name.str(),
          Attribute::list({Attribute::integer(v[0]), Attribute::integer(v[1])}),
          {}};
}

std::string sizeStr(int64_t d) { return d < 0 ? "?" : std::to_string(d); }

/// Applies an activation by name after `v`, if one is asked for.
Value &activate(Tracer &tracer, Value &v, const std::string &activation,
                const std::string &prefix) {
  if (activation.empty())
    return v;
  return tracer.op(activation, prefix + activation, {&v});
}

std::string withActivation(std::string text, const std::string &activation) {
  return activation.empty() ? text + ")" : text + ", " + activation + ")";
}

} // namespace

//===----------------------------------------------------------------------===//
// Sequential
//===----------------------------------------------------------------------===//

Value &Sequential::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  Value *v = &x;
  for (size_t i = 0; i < getChildBlocks().size(); ++i)
    v = &getChildBlocks()[i]->emit(tracer, *v,
                                   prefix + getChildNames()[i] + ".");
  return *v;
}

std::string Sequential::describe() const {
  std::string text = "Sequential(\n";
  for (size_t i = 0; i < getChildBlocks().size(); ++i)
    text += "  (" + getChildNames()[i] +
            "): " + getChildBlocks()[i]->describe() + "\n";
  return text + ")";
}

//===----------------------------------------------------------------------===//
// Dense and Conv2D
//===----------------------------------------------------------------------===//

Dense::Dense(int64_t units, DenseOptions options)
    : units(units), options(options) {
  // weight [units, in]: `in` is the input's (flattened) width.
  weight = declareParam("weight", {units, options.inUnits});
  if (options.useBias)
    bias = declareParam("bias", {units});
}

Value &Dense::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  std::vector<Value *> operands = {&x, &tracer.param(*weight)};
  if (options.useBias)
    operands.push_back(&tracer.param(*bias));
  Value &y = tracer.op("dense", prefix + "dense", operands,
                       {intAttr("units", units),
                        {"flatten", Attribute::boolean(options.flatten), {}}});
  return activate(tracer, y, options.activation, prefix);
}

std::string Dense::describe() const {
  int64_t in = weight->getShape().size() > 1 ? weight->getShape()[1] : -1;
  return withActivation(
      llvm::formatv("Dense({0} -> {1}", sizeStr(in), units).str(),
      options.activation);
}

Conv2D::Conv2D(int64_t channels, std::array<int64_t, 2> kernel,
               Conv2DOptions options)
    : channels(channels), kernel(kernel), options(options) {
  // weight [channels, in / groups, kh, kw]
  int64_t perGroup =
      options.inChannels < 0 ? -1 : options.inChannels / options.groups;
  weight = declareParam("weight", {channels, perGroup, kernel[0], kernel[1]});
  if (options.useBias)
    bias = declareParam("bias", {channels});
}

Value &Conv2D::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  std::vector<Value *> operands = {&x, &tracer.param(*weight)};
  if (options.useBias)
    operands.push_back(&tracer.param(*bias));
  Value &y = tracer.op(
      "conv2d", prefix + "conv", operands,
      {intAttr("channels", channels), pairAttr("kernel", kernel),
       pairAttr("stride", options.stride), pairAttr("padding", options.padding),
       pairAttr("dilation", options.dilation),
       intAttr("groups", options.groups)});
  return activate(tracer, y, options.activation, prefix);
}

std::string Conv2D::describe() const {
  int64_t perGroup = weight->getShape()[1];
  int64_t in = perGroup < 0 ? -1 : perGroup * options.groups;
  return withActivation(llvm::formatv("Conv2D({0} -> {1}, kernel=({2}, {3})",
                                      sizeStr(in), channels, kernel[0],
                                      kernel[1])
                            .str(),
                        options.activation);
}

//===----------------------------------------------------------------------===//
// BatchNorm and pooling
//===----------------------------------------------------------------------===//

BatchNorm::BatchNorm(BatchNormOptions options) : options(options) {
  int64_t c = options.inChannels;
  gamma = declareParam("gamma", {c});
  beta = declareParam("beta", {c});
  mean = declareParam("running_mean", {c});
  var = declareParam("running_var", {c});
}

Value &BatchNorm::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  std::vector<Value *> operands = {&x};
  for (const auto &p : {gamma, beta, mean, var})
    operands.push_back(&tracer.param(*p));
  return tracer.op("batch_norm", prefix + "batch_norm", operands,
                   {{"eps", Attribute::floating(options.eps), {}}});
}

std::string BatchNorm::describe() const {
  return "BatchNorm(" + sizeStr(gamma->getShape()[0]) + ")";
}

LayerNorm::LayerNorm(LayerNormOptions options) : options(options) {
  gamma = declareParam("gamma", {options.inChannels});
  beta = declareParam("beta", {options.inChannels});
}

Value &LayerNorm::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  return tracer.op("layer_norm", prefix + "layer_norm",
                   {&x, &tracer.param(*gamma), &tracer.param(*beta)},
                   {intAttr("axis", options.axis),
                    {"eps", Attribute::floating(options.eps), {}}});
}

std::string LayerNorm::describe() const {
  return "LayerNorm(" + sizeStr(gamma->getShape()[0]) + ")";
}

Embedding::Embedding(int64_t inputDim, int64_t outputDim)
    : inputDim(inputDim), outputDim(outputDim) {
  weight = declareParam("weight", {inputDim, outputDim});
}

Value &Embedding::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  return tracer.op(
      "embedding", prefix + "embedding", {&x, &tracer.param(*weight)},
      {intAttr("input_dim", inputDim), intAttr("output_dim", outputDim)});
}

std::string Embedding::describe() const {
  return llvm::formatv("Embedding({0} -> {1})", inputDim, outputDim);
}

Value &MaxPool2D::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  std::vector<NamedAttribute> attrs = {pairAttr("kernel", kernel),
                                       pairAttr("padding", options.padding)};
  if (options.stride[0] > 0)
    attrs.push_back(pairAttr("stride", options.stride));
  if (options.ceilMode)
    attrs.push_back({"ceil_mode", Attribute::boolean(true), {}});
  return tracer.op(opName(), prefix + "pool", {&x}, std::move(attrs));
}

std::string MaxPool2D::describe() const {
  return llvm::formatv("MaxPool2D(kernel=({0}, {1}))", kernel[0], kernel[1]);
}

std::string AvgPool2D::describe() const {
  return llvm::formatv("AvgPool2D(kernel=({0}, {1}))", kernel[0], kernel[1]);
}

//===----------------------------------------------------------------------===//
// Parameter-free blocks
//===----------------------------------------------------------------------===//

Value &Unary::emit(Tracer &tracer, Value &x, const std::string &prefix) {
  return tracer.op(op, prefix + op, {&x}, attrs);
}

Unary nn::Dropout(double rate) {
  return Unary("dropout", llvm::formatv("Dropout({0})", rate).str(),
               {{"rate", Attribute::floating(rate), {}}});
}

Unary nn::Activation(const std::string &name) {
  return Unary(name, "Activation(" + name + ")");
}
