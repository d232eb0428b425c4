//===- Constraints.cpp - Constraint helpers shared by shape rules ---------===//

#include "OpFamilies.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;

std::string shapeflow::describeDim(ShapeRuleContext &ctx, DimRef ref) {
  const Node &node = ctx.getNode();
  if (ref.slot == kResult)
    return llvm::formatv("dim {0} of the result '%{1}'", ref.dim,
                         node.getName());
  return llvm::formatv("dim {0} of {1} '%{2}'", ref.dim,
                       node.getOp().operandName(ref.slot),
                       node.getOperand(ref.slot).getName());
}

void shapeflow::broadcastDims(ShapeRuleContext &ctx, Slot a, unsigned aBegin,
                              unsigned aCount, Slot b, unsigned bBegin,
                              unsigned bCount, unsigned outBegin) {
  unsigned outCount = std::max(aCount, bCount);
  for (unsigned k = 0; k < outCount; ++k) {
    // Position k counts from the left of the result; align both operands
    // to the right.
    unsigned out = outBegin + k;
    bool hasA = k + aCount >= outCount, hasB = k + bCount >= outCount;
    unsigned ai = aBegin + k + aCount - outCount;
    unsigned bi = bBegin + k + bCount - outCount;
    if (!hasA) {
      ctx.equate(kResult, out, b, bi);
      continue;
    }
    if (!hasB) {
      ctx.equate(kResult, out, a, ai);
      continue;
    }

    Dim da = ctx.getDim(a, ai), db = ctx.getDim(b, bi);
    if (da == Dim(1)) {
      ctx.equate(kResult, out, b, bi);
      continue;
    }
    if (db == Dim(1)) {
      ctx.equate(kResult, out, a, ai);
      continue;
    }
    // Either side may still turn out to be 1: wait until both are known.
    if (!da.isDetermined() || !db.isDetermined())
      continue;
    if (da == db) {
      ctx.equate(kResult, out, a, ai);
      continue;
    }
    ctx.fail(llvm::formatv("cannot broadcast {0} ({1}) with {2} ({3}){4}",
                           describeDim(ctx, {a, ai}), da,
                           describeDim(ctx, {b, bi}), db,
                           da.isConstant() && db.isConstant()
                               ? ""
                               : ": they may differ at run time")
                 .str());
  }
}

void shapeflow::productEquals(ShapeRuleContext &ctx,
                              llvm::ArrayRef<DimRef> factors, DimRef total,
                              llvm::StringRef why) {
  if (factors.size() == 1) {
    ctx.equate(total.slot, total.dim, factors[0].slot, factors[0].dim);
    return;
  }

  Dim known = 1;
  std::optional<DimRef> unknown;
  unsigned numUnknown = 0;
  for (DimRef f : factors) {
    Dim d = ctx.getDim(f.slot, f.dim);
    if (d.isDetermined()) {
      known = known * d;
      continue;
    }
    ++numUnknown;
    unknown = f;
  }

  if (numUnknown == 0) {
    ctx.assign(total.slot, total.dim, known, why);
    return;
  }
  Dim t = ctx.getDim(total.slot, total.dim);
  if (numUnknown > 1 || !t.isDetermined() || known == Dim(0))
    return;
  if (std::optional<Dim> q = exactDiv(t, known)) {
    ctx.assign(unknown->slot, unknown->dim, *q, why);
    return;
  }
  ctx.fail(llvm::formatv("{0} is {1}, which is not a multiple of {2} "
                         "(the product of the other dims), so {3} has no "
                         "integer solution",
                         describeDim(ctx, total), t, known,
                         describeDim(ctx, *unknown))
               .str());
}

void shapeflow::sumEquals(ShapeRuleContext &ctx, llvm::ArrayRef<DimRef> terms,
                          DimRef total, llvm::StringRef why) {
  Dim known = 0;
  std::optional<DimRef> unknown;
  unsigned numUnknown = 0;
  for (DimRef term : terms) {
    Dim d = ctx.getDim(term.slot, term.dim);
    if (d.isDetermined()) {
      known = known + d;
      continue;
    }
    ++numUnknown;
    unknown = term;
  }

  if (numUnknown == 0) {
    ctx.assign(total.slot, total.dim, known, why);
    return;
  }
  Dim t = ctx.getDim(total.slot, total.dim);
  if (numUnknown == 1 && t.isDetermined())
    ctx.assign(unknown->slot, unknown->dim, t - known, why);
}
