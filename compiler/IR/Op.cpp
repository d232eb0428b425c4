//===- Op.cpp - The op registry and shape-rule helpers --------------------===//
//
// The registry is filled once, on first use, by the op families in
// compiler/Ops; each family adds its entries with their shape rules.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Op.h"
#include "shapeflow/IR/Graph.h"

#include "../Ops/OpFamilies.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace shapeflow;

const AttrSpec *OpInfo::findAttr(llvm::StringRef attrName) const {
  for (const AttrSpec &spec : attrs)
    if (spec.name == attrName)
      return &spec;
  return nullptr;
}

std::string OpInfo::operandName(unsigned index) const {
  if (variadic && index + 1 >= operands.size())
    return (operands.back() + llvm::Twine(index + 2 - operands.size())).str();
  if (index < operands.size())
    return operands[index].str();
  return ("operand " + llvm::Twine(index)).str();
}

DType OpInfo::operandDType(unsigned index) const {
  if (operandDTypes.empty())
    return DType::F32;
  return operandDTypes[std::min<size_t>(index, operandDTypes.size() - 1)];
}

namespace {

struct Registry {
  std::vector<OpInfo> ops;
  llvm::StringMap<const OpInfo *> byName;

  Registry() {
    registerParamOps(ops);
    registerElementwiseOps(ops);
    registerNNOps(ops);
    registerShapeOps(ops);
    std::sort(ops.begin(), ops.end(),
              [](const OpInfo &a, const OpInfo &b) { return a.name < b.name; });
    for (const OpInfo &op : ops)
      byName[op.name] = &op;
  }

  static const Registry &get() {
    static const Registry instance;
    return instance;
  }
};

} // namespace

const OpInfo *shapeflow::lookupOp(llvm::StringRef name) {
  return Registry::get().byName.lookup(name);
}

std::vector<const OpInfo *> shapeflow::allOps() {
  std::vector<const OpInfo *> result;
  for (const OpInfo &op : Registry::get().ops)
    result.push_back(&op);
  return result;
}

//===----------------------------------------------------------------------===//
// ShapeRuleContext helpers
//===----------------------------------------------------------------------===//

ShapeRuleContext::~ShapeRuleContext() = default;

unsigned ShapeRuleContext::getNumOperands() const {
  return getNode().getNumOperands();
}

std::optional<unsigned>
ShapeRuleContext::normalizeAxis(int64_t axis, unsigned rank,
                                llvm::StringRef attrName) {
  int64_t r = rank;
  if (axis < -r || axis >= r) {
    fail(llvm::formatv("{0}={1} is out of range for rank {2}", attrName, axis,
                       rank)
             .str());
    return std::nullopt;
  }
  return static_cast<unsigned>(axis < 0 ? axis + r : axis);
}

void ShapeRuleContext::sameShape(Slot slot, Slot other) {
  std::optional<unsigned> rank = getRank(slot);
  if (!rank)
    rank = getRank(other);
  if (!rank || !setRank(slot, *rank) || !setRank(other, *rank))
    return;
  for (unsigned i = 0; i < *rank; ++i)
    equate(other, i, slot, i);
}

std::optional<llvm::SmallVector<Dim, 4>>
ShapeRuleContext::getDims(Slot slot) const {
  std::optional<unsigned> rank = getRank(slot);
  if (!rank)
    return std::nullopt;
  llvm::SmallVector<Dim, 4> dims;
  for (unsigned i = 0; i < *rank; ++i)
    dims.push_back(getDim(slot, i));
  return dims;
}
