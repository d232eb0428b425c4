//===- OpFamilies.h - Registration and helpers for op families --*- C++ -*-===//
//
// Private to compiler/: each op family file registers its entries through
// one of the functions below, and shape rules share the constraint helpers.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_COMPILER_OPS_OPFAMILIES_H
#define SHAPEFLOW_COMPILER_OPS_OPFAMILIES_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/IR/Op.h"

#include <vector>

namespace shapeflow {

void registerParamOps(std::vector<OpInfo> &ops);
void registerElementwiseOps(std::vector<OpInfo> &ops);
void registerNNOps(std::vector<OpInfo> &ops);
void registerShapeOps(std::vector<OpInfo> &ops);

/// An attribute that must be given.
inline AttrSpec requiredAttr(llvm::StringRef name, AttrType type,
                             std::optional<int64_t> min = std::nullopt) {
  AttrSpec spec;
  spec.name = name;
  spec.type = type;
  spec.required = true;
  spec.min = min;
  return spec;
}

/// An attribute with a default (or, with std::nullopt, none: the rule says
/// what absence means).
inline AttrSpec optionalAttr(llvm::StringRef name, AttrType type,
                             std::optional<Attribute> defaultValue,
                             std::optional<int64_t> min = std::nullopt) {
  AttrSpec spec;
  spec.name = name;
  spec.type = type;
  spec.defaultValue = std::move(defaultValue);
  spec.min = min;
  return spec;
}

/// An axis attribute with a default; lowering normalises it.
inline AttrSpec axisAttr(int64_t defaultAxis) {
  AttrSpec spec =
      optionalAttr("axis", AttrType::Int, Attribute::integer(defaultAxis));
  spec.isAxis = true;
  return spec;
}

inline Attribute intPair(int64_t a, int64_t b) {
  return Attribute::list({Attribute::integer(a), Attribute::integer(b)});
}

/// One dimension of one of a node's values.
struct DimRef {
  Slot slot;
  unsigned dim;
};

/// NumPy broadcasting of the last `aCount` dims of `a` from `aBegin` and the
/// last `bCount` dims of `b` from `bBegin`, right-aligned, into the result
/// from `outBegin` (which spans max(aCount, bCount) dims). A dim of 1 takes
/// the other side's dim; equal dims pass through; nothing flows backward
/// from the result into an operand except where the copy is exact.
void broadcastDims(ShapeRuleContext &ctx, Slot a, unsigned aBegin,
                   unsigned aCount, Slot b, unsigned bBegin, unsigned bCount,
                   unsigned outBegin);

/// States `product(factors) == total`: computes the total once every factor
/// is known, or the one unknown factor when the total and the others are
/// known and divide exactly (reporting when they do not).
void productEquals(ShapeRuleContext &ctx, llvm::ArrayRef<DimRef> factors,
                   DimRef total, llvm::StringRef why);

/// States `sum(terms) == total`, solving for one unknown term likewise.
void sumEquals(ShapeRuleContext &ctx, llvm::ArrayRef<DimRef> terms,
               DimRef total, llvm::StringRef why);

/// Describes a dimension for diagnostics: "dim 1 of weight '%w'".
std::string describeDim(ShapeRuleContext &ctx, DimRef ref);

} // namespace shapeflow

#endif // SHAPEFLOW_COMPILER_OPS_OPFAMILIES_H
