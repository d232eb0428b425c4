//===- Shape.cpp - Ops that rearrange shapes ------------------------------===//
//
// Shape rules:
//   flatten    [N, d1..dk] -> [N, d1*...*dk]   ([N] -> [N, 1])
//   reshape    shape=[...]: a positive entry is that size, 0 copies the
//              input's dim at the same position, one -1 is inferred so the
//              element count is unchanged
//   transpose  perm=[...] (default: reversed axes): out[i] = x[perm[i]]
//   concat     axis=1: every dim equal except `axis`, which is the sum
//
//===----------------------------------------------------------------------===//

#include "OpFamilies.h"
#include "shapeflow/Runtime/Plan.h"

#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;

namespace {

void inferFlatten(ShapeRuleContext &ctx) {
  std::optional<unsigned> rank = ctx.getRank(0);
  if (!rank || !ctx.setRank(kResult, 2))
    return;
  if (*rank == 0) {
    ctx.fail("flatten needs x of rank 1 or more, got a scalar");
    return;
  }
  ctx.equate(kResult, 0, 0, 0);
  llvm::SmallVector<DimRef, 4> rest;
  for (unsigned i = 1; i < *rank; ++i)
    rest.push_back({0, i});
  if (rest.empty()) {
    ctx.assign(kResult, 1, 1, "flattening a rank-1 input");
    return;
  }
  productEquals(ctx, rest, {kResult, 1},
                "the product of the input's dims "
                "after the first");
}

/// Multiplies the dims of `refs`; returns the product and the one ref that
/// is not determined (if exactly one), counting how many are not.
Dim productOfKnown(ShapeRuleContext &ctx, llvm::ArrayRef<DimRef> refs,
                   unsigned &numUnknown, std::optional<DimRef> &unknown) {
  Dim product = 1;
  for (DimRef ref : refs) {
    Dim d = ctx.getDim(ref.slot, ref.dim);
    if (d.isDetermined()) {
      product = product * d;
      continue;
    }
    ++numUnknown;
    unknown = ref;
  }
  return product;
}

void inferReshape(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  std::vector<int64_t> shape = node.getIntList("shape");
  if (llvm::count(shape, -1) > 1) {
    ctx.fail("shape may contain -1 at most once");
    return;
  }
  if (!ctx.setRank(kResult, shape.size()))
    return;

  // Fixed entries need no input; 0 entries copy the input's dim.
  std::optional<unsigned> rank = ctx.getRank(0);
  for (unsigned i = 0; i < shape.size(); ++i) {
    if (shape[i] > 0) {
      ctx.assign(kResult, i, shape[i], "the reshape target");
      continue;
    }
    if (shape[i] != 0 || !rank)
      continue;
    if (i >= *rank) {
      ctx.fail(llvm::formatv("shape[{0}] is 0, which copies input dim {0}, "
                             "but the input has rank {1}",
                             i, *rank)
                   .str());
      return;
    }
    ctx.equate(kResult, i, 0, i);
  }
  if (!rank)
    return;

  // The element count is preserved: product(x) == product(result). Solve
  // for one unknown dim on either side when everything else is known.
  llvm::SmallVector<DimRef, 4> in, out;
  for (unsigned i = 0; i < *rank; ++i)
    in.push_back({0, i});
  for (unsigned i = 0; i < shape.size(); ++i)
    out.push_back({kResult, i});
  unsigned inUnknown = 0, outUnknown = 0;
  std::optional<DimRef> inRef, outRef;
  Dim inProduct = productOfKnown(ctx, in, inUnknown, inRef);
  Dim outProduct = productOfKnown(ctx, out, outUnknown, outRef);
  if (inProduct.isInvalid() || outProduct.isInvalid()) {
    ctx.fail("the element count overflows 64-bit arithmetic");
    return;
  }

  if (inUnknown == 0 && outUnknown == 0) {
    if (inProduct != outProduct)
      ctx.fail(llvm::formatv("cannot reshape {0} elements into {1}", inProduct,
                             outProduct)
                   .str());
    return;
  }
  if (inUnknown + outUnknown != 1)
    return;
  bool solveOut = outUnknown == 1;
  Dim total = solveOut ? inProduct : outProduct;
  Dim others = solveOut ? outProduct : inProduct;
  DimRef target = solveOut ? *outRef : *inRef;
  if (others == Dim(0))
    return;
  if (std::optional<Dim> q = exactDiv(total, others)) {
    ctx.assign(target.slot, target.dim, *q, "the element count");
    return;
  }
  ctx.fail(llvm::formatv("cannot reshape {0} elements into a shape whose "
                         "known dims multiply to {1}",
                         total, others)
               .str());
}

void inferTranspose(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  std::vector<int64_t> perm;
  if (node.getAttr("perm")) {
    perm = node.getIntList("perm");
  } else {
    std::optional<unsigned> rank = ctx.getRank(0);
    if (!rank)
      rank = ctx.getRank(kResult);
    if (!rank)
      return;
    for (unsigned i = 0; i < *rank; ++i)
      perm.push_back(*rank - 1 - i);
  }

  unsigned rank = perm.size();
  llvm::SmallBitVector seen(rank);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(rank) || seen.test(p)) {
      ctx.fail(llvm::formatv("perm=[{0}] is not a permutation of 0..{1}",
                             llvm::make_range(perm.begin(), perm.end()),
                             int64_t(rank) - 1)
                   .str());
      return;
    }
    seen.set(p);
  }
  if (!ctx.setRank(0, rank) || !ctx.setRank(kResult, rank))
    return;
  for (unsigned i = 0; i < rank; ++i)
    ctx.equate(kResult, i, 0, perm[i]);
}

/// Without `perm`, transpose reverses the axes.
void completeTranspose(const Node &node, std::vector<PlanAttr> &attrs) {
  if (node.getAttr("perm"))
    return;
  std::vector<int64_t> perm;
  for (int64_t i = node.getOperand(0).getType().getRank() - 1; i >= 0; --i)
    perm.push_back(i);
  attrs.push_back({"perm", std::move(perm)});
}

void inferConcat(ShapeRuleContext &ctx) {
  // Every operand has the rank of any operand (or of the result).
  std::optional<unsigned> rank = ctx.getRank(kResult);
  for (unsigned i = 0; i < ctx.getNumOperands() && !rank; ++i)
    rank = ctx.getRank(i);
  if (!rank)
    return;
  for (unsigned i = 0; i < ctx.getNumOperands(); ++i)
    if (!ctx.setRank(i, *rank))
      return;
  if (!ctx.setRank(kResult, *rank))
    return;
  std::optional<unsigned> axis =
      ctx.normalizeAxis(ctx.getNode().getInt("axis"), *rank, "axis");
  if (!axis)
    return;

  llvm::SmallVector<DimRef, 4> parts;
  for (unsigned i = 0; i < ctx.getNumOperands(); ++i) {
    parts.push_back({Slot(i), *axis});
    for (unsigned d = 0; d < *rank; ++d)
      if (d != *axis)
        ctx.equate(kResult, d, i, d);
  }
  sumEquals(ctx, parts, {kResult, *axis}, "the sum along axis");
}

} // namespace

void shapeflow::registerShapeOps(std::vector<OpInfo> &ops) {
  OpInfo flatten;
  flatten.name = "flatten";
  flatten.operands = {"x"};
  flatten.numRequired = 1;
  flatten.inferShape = inferFlatten;
  ops.push_back(std::move(flatten));

  OpInfo reshape;
  reshape.name = "reshape";
  reshape.operands = {"x"};
  reshape.numRequired = 1;
  reshape.attrs = {requiredAttr("shape", AttrType::IntList, -1)};
  reshape.inferShape = inferReshape;
  ops.push_back(std::move(reshape));

  OpInfo transpose;
  transpose.name = "transpose";
  transpose.operands = {"x"};
  transpose.numRequired = 1;
  transpose.attrs = {optionalAttr("perm", AttrType::IntList, std::nullopt, 0)};
  transpose.inferShape = inferTranspose;
  transpose.completeAttrs = completeTranspose;
  ops.push_back(std::move(transpose));

  OpInfo concat;
  concat.name = "concat";
  concat.operands = {"x"};
  concat.numRequired = 1;
  concat.variadic = true;
  concat.attrs = {axisAttr(1)};
  concat.inferShape = inferConcat;
  ops.push_back(std::move(concat));
}
