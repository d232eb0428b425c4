//===- Symbol.h - Symbolic values for writing a block's forward -*- C++ -*-===//
//
// A user's block writes its forward with Syms: values that record ops into
// the traced graph instead of computing anything. `x + dense(x)` adds two
// nodes; nothing runs until the network is called, and every shape is
// inferred then.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_NN_SYMBOL_H
#define SHAPEFLOW_NN_SYMBOL_H

#include "shapeflow/NN/Block.h"

namespace shapeflow::nn {

class Sym {
public:
  Sym(Tracer &tracer, Value &value, std::string prefix)
      : tracer(&tracer), v(&value), prefix(std::move(prefix)) {}

  Value &value() const { return *v; }

  /// A parameter of the block, as a value.
  Sym param(const Parameter &p) const;
  /// Any registered op applied to this value and `others`.
  Sym apply(llvm::StringRef op, std::vector<Sym> others = {},
            std::vector<NamedAttribute> attrs = {}) const;

  Sym operator+(const Sym &b) const { return apply("add", {b}); }
  Sym operator-(const Sym &b) const { return apply("sub", {b}); }
  Sym operator*(const Sym &b) const { return apply("mul", {b}); }
  Sym operator/(const Sym &b) const { return apply("div", {b}); }
  Sym matmul(const Sym &b) const { return apply("matmul", {b}); }
  /// 0 copies a dim, one -1 is inferred.
  Sym reshape(std::vector<int64_t> shape) const;
  Sym transpose(std::vector<int64_t> perm) const;
  Sym softmax(int64_t axis = -1) const;
  Sym relu() const { return apply("relu"); }
  Sym gelu() const { return apply("gelu"); }
  Sym sigmoid() const { return apply("sigmoid"); }
  Sym tanh() const { return apply("tanh"); }
  /// Runs a child block (registered with SymBlock::child) on this value.
  Sym call(Block &block, const std::string &name) const;

private:
  Tracer *tracer;
  Value *v;
  std::string prefix;
};

/// A block whose forward is written with Syms.
class SymBlock : public Block {
public:
  Value &emit(Tracer &tracer, Value &x, const std::string &prefix) override {
    return forward(Sym(tracer, x, prefix)).value();
  }
  virtual Sym forward(Sym x) = 0;

protected:
  /// Registers a child block under `name`; its parameters are named
  /// `name.weight` and so on. Call it with `x.call(*child, name)`.
  template <typename B>
  std::shared_ptr<std::decay_t<B>> child(std::string name, B &&block) {
    auto shared = std::make_shared<std::decay_t<B>>(std::forward<B>(block));
    addChild(std::move(name), shared);
    return shared;
  }
};

} // namespace shapeflow::nn

#endif // SHAPEFLOW_NN_SYMBOL_H
