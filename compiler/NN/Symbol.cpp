//===- Symbol.cpp - Symbolic values for writing a block's forward ---------===//

#include "shapeflow/NN/Symbol.h"

using namespace shapeflow;
using namespace shapeflow::nn;

namespace {

NamedAttribute listAttr(llvm::StringRef name, llvm::ArrayRef<int64_t> items) {
  std::vector<Attribute> list;
  for (int64_t v : items)
    list.push_back(Attribute::integer(v));
  return {name.str(), Attribute::list(std::move(list)), {}};
}

} // namespace

Sym Sym::param(const Parameter &p) const {
  return Sym(*tracer, tracer->param(p), prefix);
}

Sym Sym::apply(llvm::StringRef op, std::vector<Sym> others,
               std::vector<NamedAttribute> attrs) const {
  std::vector<Value *> operands = {v};
  for (const Sym &s : others)
    operands.push_back(s.v);
  Value &result =
      tracer->op(op, prefix + op.str(), std::move(operands), std::move(attrs));
  return Sym(*tracer, result, prefix);
}

Sym Sym::reshape(std::vector<int64_t> shape) const {
  return apply("reshape", {}, {listAttr("shape", shape)});
}

Sym Sym::transpose(std::vector<int64_t> perm) const {
  return apply("transpose", {}, {listAttr("perm", perm)});
}

Sym Sym::softmax(int64_t axis) const {
  return apply("softmax", {}, {{"axis", Attribute::integer(axis), {}}});
}

Sym Sym::call(Block &block, const std::string &name) const {
  std::string childPrefix = prefix + name + ".";
  return Sym(*tracer, block.emit(*tracer, *v, childPrefix), prefix);
}
