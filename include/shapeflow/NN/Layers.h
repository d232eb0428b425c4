//===- Layers.h - The built-in blocks ---------------------------*- C++ -*-===//
//
// Each layer declares its parameters with what it knows: Dense(256) has
// weight [256, ?] until the input's width is seen, or [256, inUnits] if the
// user says so, in which case initialize() fills it at once.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_NN_LAYERS_H
#define SHAPEFLOW_NN_LAYERS_H

#include "shapeflow/NN/Block.h"

#include <array>

namespace shapeflow::nn {

/// Children run one after another; they are named 0, 1, 2, ...
class Sequential : public Block {
public:
  /// Adds a block (named by its position, or `name`).
  template <typename B> Sequential &add(B &&block, std::string name = "") {
    using T = std::decay_t<B>;
    addChild(std::move(name), std::make_shared<T>(std::forward<B>(block)));
    return *this;
  }
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;
};

struct DenseOptions {
  std::string activation; ///< "" (none), relu, sigmoid, tanh or gelu
  int64_t inUnits = -1;   ///< the input width, if known up front
  bool useBias = true;
  bool flatten = true;
};

class Dense : public Block {
public:
  explicit Dense(int64_t units, DenseOptions options = {});
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

private:
  int64_t units;
  DenseOptions options;
  std::shared_ptr<Parameter> weight, bias;
};

struct Conv2DOptions {
  std::array<int64_t, 2> stride = {1, 1};
  std::array<int64_t, 2> padding = {0, 0};
  std::array<int64_t, 2> dilation = {1, 1};
  int64_t groups = 1;
  int64_t inChannels = -1; ///< if known up front
  std::string activation;
  bool useBias = true;
};

class Conv2D : public Block {
public:
  Conv2D(int64_t channels, std::array<int64_t, 2> kernel,
         Conv2DOptions options = {});
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

private:
  int64_t channels;
  std::array<int64_t, 2> kernel;
  Conv2DOptions options;
  std::shared_ptr<Parameter> weight, bias;
};

struct BatchNormOptions {
  int64_t inChannels = -1;
  double eps = 1e-5;
};

/// Inference batch normalisation over axis 1 (running statistics).
class BatchNorm : public Block {
public:
  explicit BatchNorm(BatchNormOptions options = {});
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

private:
  BatchNormOptions options;
  std::shared_ptr<Parameter> gamma, beta, mean, var;
};

struct LayerNormOptions {
  int64_t axis = -1;
  int64_t inChannels = -1; ///< the size of `axis`, if known up front
  double eps = 1e-5;
};

/// Normalises over one axis, with a learned scale and shift on it.
class LayerNorm : public Block {
public:
  explicit LayerNorm(LayerNormOptions options = {});
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

private:
  LayerNormOptions options;
  std::shared_ptr<Parameter> gamma, beta;
};

/// Looks up rows of a [inputDim, outputDim] table by i64 ids.
class Embedding : public Block {
public:
  Embedding(int64_t inputDim, int64_t outputDim);
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

private:
  int64_t inputDim, outputDim;
  std::shared_ptr<Parameter> weight;
};

struct PoolOptions {
  std::array<int64_t, 2> stride = {0, 0}; ///< {0, 0}: the kernel size
  std::array<int64_t, 2> padding = {0, 0};
  bool ceilMode = false;
};

class MaxPool2D : public Block {
public:
  explicit MaxPool2D(std::array<int64_t, 2> kernel = {2, 2},
                     PoolOptions options = {})
      : kernel(kernel), options(options) {}
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override;

protected:
  virtual llvm::StringRef opName() const { return "max_pool2d"; }
  std::array<int64_t, 2> kernel;
  PoolOptions options;
};

class AvgPool2D : public MaxPool2D {
public:
  using MaxPool2D::MaxPool2D;
  std::string describe() const override;

protected:
  llvm::StringRef opName() const override { return "avg_pool2d"; }
};

/// A parameter-free op applied to the input: GlobalAvgPool2D, Flatten,
/// Dropout and Activation are all of this kind.
class Unary : public Block {
public:
  Unary(std::string op, std::string title,
        std::vector<NamedAttribute> attrs = {})
      : op(std::move(op)), title(std::move(title)), attrs(std::move(attrs)) {}
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override;
  std::string describe() const override { return title; }

private:
  std::string op, title;
  std::vector<NamedAttribute> attrs;
};

inline Unary GlobalAvgPool2D() {
  return Unary("global_avg_pool2d", "GlobalAvgPool2D()");
}
inline Unary Flatten() { return Unary("flatten", "Flatten()"); }
Unary Dropout(double rate);
/// relu, sigmoid, tanh, gelu, softmax, ...
Unary Activation(const std::string &name);

} // namespace shapeflow::nn

#endif // SHAPEFLOW_NN_LAYERS_H
