//===- Elementwise.cpp - Unary, softmax, broadcasting binary ops, matmul --===//
//
// Shape rules:
//   relu, sigmoid, tanh, gelu, identity, dropout: x -> x
//   softmax, log_softmax (axis=-1):               x -> x
//   add, sub, mul, div:          NumPy broadcasting of a and b
//   matmul:  [..., m, k] x [..., k, n] -> [broadcast(...), m, n], where a
//            rank-1 operand is a vector as in NumPy ([k] x [k, n] -> [n]).
//
//===----------------------------------------------------------------------===//

#include "OpFamilies.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;

static void inferUnary(ShapeRuleContext &ctx) { ctx.sameShape(0, kResult); }

static void inferDropout(ShapeRuleContext &ctx) {
  double rate = ctx.getNode().getFloat("rate");
  if (!(rate >= 0 && rate < 1)) {
    ctx.fail("rate=" + ctx.getNode().getAttrOrDefault("rate")->str() +
             " must lie in [0, 1)");
    return;
  }
  ctx.sameShape(0, kResult);
}

static void inferSoftmax(ShapeRuleContext &ctx) {
  ctx.sameShape(0, kResult);
  if (std::optional<unsigned> rank = ctx.getRank(0))
    (void)ctx.normalizeAxis(ctx.getNode().getInt("axis"), *rank, "axis");
}

static void inferBroadcast(ShapeRuleContext &ctx) {
  std::optional<unsigned> ra = ctx.getRank(0), rb = ctx.getRank(1);
  if (!ra || !rb)
    return;
  if (!ctx.setRank(kResult, std::max(*ra, *rb)))
    return;
  broadcastDims(ctx, 0, 0, *ra, 1, 0, *rb, 0);
}

static void inferMatmul(ShapeRuleContext &ctx) {
  std::optional<unsigned> ra = ctx.getRank(0), rb = ctx.getRank(1);
  if (!ra || !rb)
    return;
  if (*ra == 0 || *rb == 0) {
    ctx.fail("matmul needs operands of rank 1 or more, got rank " +
             llvm::Twine(*ra) + " and " + llvm::Twine(*rb));
    return;
  }

  // The contracted dims must agree: a's last with b's second to last (or
  // only) dim.
  unsigned bk = *rb == 1 ? 0 : *rb - 2;
  ctx.equate(0, *ra - 1, 1, bk);

  // A vector operand contributes no batch dims and no m or n.
  unsigned aBatch = *ra >= 2 ? *ra - 2 : 0;
  unsigned bBatch = *rb >= 2 ? *rb - 2 : 0;
  unsigned batch = std::max(aBatch, bBatch);
  unsigned rank = batch + (*ra >= 2) + (*rb >= 2);
  if (!ctx.setRank(kResult, rank))
    return;
  broadcastDims(ctx, 0, 0, aBatch, 1, 0, bBatch, 0);
  unsigned next = batch;
  if (*ra >= 2)
    ctx.equate(kResult, next++, 0, *ra - 2);
  if (*rb >= 2)
    ctx.equate(kResult, next, 1, *rb - 1);
}

static OpInfo unaryOp(llvm::StringRef name, void (*rule)(ShapeRuleContext &)) {
  OpInfo op;
  op.name = name;
  op.operands = {"x"};
  op.numRequired = 1;
  op.inferShape = rule;
  return op;
}

static OpInfo binaryOp(llvm::StringRef name, void (*rule)(ShapeRuleContext &)) {
  OpInfo op;
  op.name = name;
  op.operands = {"a", "b"};
  op.numRequired = 2;
  op.inferShape = rule;
  return op;
}

void shapeflow::registerElementwiseOps(std::vector<OpInfo> &ops) {
  for (llvm::StringRef name : {"relu", "sigmoid", "tanh", "gelu"}) {
    OpInfo op = unaryOp(name, inferUnary);
    op.isActivation = true;
    op.inPlace = true;
    ops.push_back(std::move(op));
  }
  OpInfo identity = unaryOp("identity", inferUnary);
  identity.inPlace = true;
  ops.push_back(std::move(identity));

  OpInfo dropout = unaryOp("dropout", inferDropout);
  dropout.attrs = {
      optionalAttr("rate", AttrType::Float, Attribute::floating(0.5))};
  dropout.inPlace = true; // inference: a copy
  ops.push_back(std::move(dropout));

  for (llvm::StringRef name : {"softmax", "log_softmax"}) {
    OpInfo op = unaryOp(name, inferSoftmax);
    op.attrs = {axisAttr(-1)};
    ops.push_back(std::move(op));
  }

  for (llvm::StringRef name : {"add", "sub", "mul", "div"}) {
    OpInfo op = binaryOp(name, inferBroadcast);
    op.inPlace = true;
    ops.push_back(std::move(op));
  }
  ops.push_back(binaryOp("matmul", inferMatmul));
}
