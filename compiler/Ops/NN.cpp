//===- NN.cpp - Layers: dense, conv2d, pooling, normalisation, embedding --===//
//
// Shape rules (all NCHW):
//   dense     flatten=true:  x [N, d1..dk] -> [N, units], weight
//                            [units, d1*...*dk]
//             flatten=false: x [..., k] -> [..., units], weight [units, k]
//             bias [units]
//   conv2d    x [N, C, H, W], weight [channels, C/groups, kh, kw],
//             bias [channels] -> [N, channels, H', W'] with
//             H' = (H + 2*ph - dh*(kh - 1) - 1) // sh + 1
//   pooling   as conv2d without channels or dilation; ceil_mode rounds up
//             as MXNet's "full" convention does:
//             H' = (H + 2*ph - kh + (sh - 1 if ceil_mode)) // sh + 1
//   global_avg_pool2d  [N, C, H, W] -> [N, C, 1, 1]
//   batch_norm, layer_norm  params [x.shape[axis]], result = x
//   embedding ids [...] (i64), weight [input_dim, output_dim]
//             -> [..., output_dim]
//
//===----------------------------------------------------------------------===//

#include "OpFamilies.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;

namespace {

constexpr Slot kX = 0, kWeight = 1, kBias = 2;

void inferDense(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  int64_t units = node.getInt("units");
  // After a rank conflict (reported by setRank) the weight's dims are not
  // there to constrain.
  bool weightOk = ctx.setRank(kWeight, 2);
  if (weightOk)
    ctx.assign(kWeight, 0, units, "units");
  if (ctx.getNumOperands() > kBias && ctx.setRank(kBias, 1))
    ctx.assign(kBias, 0, units, "units");

  std::optional<unsigned> rank = ctx.getRank(kX);
  if (!rank)
    return;
  bool flatten = node.getBool("flatten");
  if (*rank < (flatten ? 2u : 1u)) {
    ctx.fail(llvm::formatv("x '%{0}' has rank {1}, but dense needs rank {2} "
                           "or more{3}",
                           node.getOperand(kX).getName(), *rank,
                           flatten ? 2 : 1, flatten ? " with flatten=true" : "")
                 .str());
    return;
  }

  if (!flatten) {
    // [..., k] -> [..., units]
    if (!ctx.setRank(kResult, *rank))
      return;
    for (unsigned i = 0; i + 1 < *rank; ++i)
      ctx.equate(kResult, i, kX, i);
    ctx.assign(kResult, *rank - 1, units, "units");
    if (weightOk)
      ctx.equate(kWeight, 1, kX, *rank - 1);
    return;
  }

  // [N, d1..dk] -> [N, units]; the weight's width is d1*...*dk.
  if (!ctx.setRank(kResult, 2))
    return;
  ctx.equate(kResult, 0, kX, 0);
  ctx.assign(kResult, 1, units, "units");
  if (!weightOk)
    return;
  llvm::SmallVector<DimRef, 4> features;
  for (unsigned i = 1; i < *rank; ++i)
    features.push_back({kX, i});
  productEquals(ctx, features, {kWeight, 1},
                "the product of the input's dims after the first");
}

/// Assigns one spatial output dim of a window op, checking it is positive
/// when it is a constant.
void assignWindowOutput(ShapeRuleContext &ctx, unsigned axis, Dim in,
                        Dim effectiveKernel, int64_t stride, int64_t pad,
                        bool ceilMode) {
  // Constants first, so a stride-1 "same" window adds 0 and interns
  // nothing.
  Dim offset = Dim(2) * Dim(pad) - effectiveKernel;
  if (ceilMode)
    offset = offset + (stride - 1);
  Dim out = stride == 1 ? in + (offset + 1) : floorDiv(in + offset, stride) + 1;
  if (out.isConstant() && out.getConstant() < 1) {
    const char *what = axis == 2 ? "height" : "width";
    ctx.fail(
        llvm::formatv("input {0} {1} with padding {2} is smaller than "
                      "the {3}window {4}, so the output {0} would be {5}",
                      what, in, pad,
                      ctx.getNode().getOp().name == "conv2d" ? "dilated " : "",
                      effectiveKernel, out)
            .str());
    return;
  }
  ctx.assign(kResult, axis, out,
             "the window arithmetic of kernel, stride and padding");
}

void inferConv2D(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  int64_t channels = node.getInt("channels");
  int64_t groups = node.getInt("groups");
  auto [kh, kw] = node.getIntPair("kernel");
  auto [sh, sw] = node.getIntPair("stride");
  auto [ph, pw] = node.getIntPair("padding");
  auto [dh, dw] = node.getIntPair("dilation");
  if (channels % groups != 0) {
    ctx.fail(llvm::formatv("channels={0} is not a multiple of groups={1}",
                           channels, groups)
                 .str());
    return;
  }

  // weight [channels, C/groups, kh, kw], bias [channels]
  bool weightOk = ctx.setRank(kWeight, 4);
  if (weightOk) {
    ctx.assign(kWeight, 0, channels, "channels");
    ctx.assign(kWeight, 2, kh, "kernel");
    ctx.assign(kWeight, 3, kw, "kernel");
  }
  if (ctx.getNumOperands() > kBias && ctx.setRank(kBias, 1))
    ctx.assign(kBias, 0, channels, "channels");
  if (!ctx.setRank(kX, 4) || !ctx.setRank(kResult, 4))
    return;
  ctx.equate(kResult, 0, kX, 0);
  ctx.assign(kResult, 1, channels, "channels");

  // Input channels and the weight's second dim determine each other.
  Dim c = ctx.getDim(kX, 1);
  if (!weightOk) {
    // The weight's rank conflict is reported; nothing to relate.
  } else if (c.isDetermined()) {
    if (std::optional<Dim> perGroup = exactDiv(c, groups))
      ctx.assign(kWeight, 1, *perGroup, "input channels / groups");
    else
      ctx.fail(llvm::formatv("x '%{0}' has {1} channels, which is not a "
                             "multiple of groups={2}",
                             node.getOperand(kX).getName(), c, groups)
                   .str());
  } else if (Dim w1 = ctx.getDim(kWeight, 1); w1.isDetermined()) {
    ctx.assign(kX, 1, w1 * Dim(groups), "weight dim 1 * groups");
  }

  Dim h = ctx.getDim(kX, 2), w = ctx.getDim(kX, 3);
  if (h.isDetermined())
    assignWindowOutput(ctx, 2, h, Dim(dh) * Dim(kh - 1) + 1, sh, ph, false);
  if (w.isDetermined())
    assignWindowOutput(ctx, 3, w, Dim(dw) * Dim(kw - 1) + 1, sw, pw, false);
}

void inferPool2D(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  auto [kh, kw] = node.getIntPair("kernel");
  auto [sh, sw] = node.getAttr("stride") ? node.getIntPair("stride")
                                         : std::make_pair(kh, kw);
  auto [ph, pw] = node.getIntPair("padding");
  bool ceilMode = node.getBool("ceil_mode");
  if (!ctx.setRank(kX, 4) || !ctx.setRank(kResult, 4))
    return;
  ctx.equate(kResult, 0, kX, 0);
  ctx.equate(kResult, 1, kX, 1);

  Dim h = ctx.getDim(kX, 2), w = ctx.getDim(kX, 3);
  if (h.isDetermined())
    assignWindowOutput(ctx, 2, h, kh, sh, ph, ceilMode);
  if (w.isDetermined())
    assignWindowOutput(ctx, 3, w, kw, sw, pw, ceilMode);
}

void inferGlobalPool(ShapeRuleContext &ctx) {
  if (!ctx.setRank(kX, 4) || !ctx.setRank(kResult, 4))
    return;
  ctx.equate(kResult, 0, kX, 0);
  ctx.equate(kResult, 1, kX, 1);
  ctx.assign(kResult, 2, 1, "global pooling");
  ctx.assign(kResult, 3, 1, "global pooling");
}

/// batch_norm and layer_norm: every parameter is a vector as long as the
/// normalised axis.
void inferNorm(ShapeRuleContext &ctx) {
  ctx.sameShape(kX, kResult);
  llvm::SmallVector<bool, 4> vectorOk(ctx.getNumOperands());
  for (unsigned i = 1; i < ctx.getNumOperands(); ++i)
    vectorOk[i] = ctx.setRank(i, 1);
  std::optional<unsigned> rank = ctx.getRank(kX);
  if (!rank)
    return;
  std::optional<unsigned> axis =
      ctx.normalizeAxis(ctx.getNode().getInt("axis"), *rank, "axis");
  if (!axis)
    return;
  for (unsigned i = 1; i < ctx.getNumOperands(); ++i)
    if (vectorOk[i])
      ctx.equate(i, 0, kX, *axis);
}

void inferEmbedding(ShapeRuleContext &ctx) {
  const Node &node = ctx.getNode();
  constexpr Slot kIds = 0, kTable = 1;
  if (ctx.setRank(kTable, 2)) {
    ctx.assign(kTable, 0, node.getInt("input_dim"), "input_dim");
    ctx.assign(kTable, 1, node.getInt("output_dim"), "output_dim");
  }
  std::optional<unsigned> rank = ctx.getRank(kIds);
  if (!rank || !ctx.setRank(kResult, *rank + 1))
    return;
  for (unsigned i = 0; i < *rank; ++i)
    ctx.equate(kResult, i, kIds, i);
  ctx.assign(kResult, *rank, node.getInt("output_dim"), "output_dim");
}

OpInfo makeOp(llvm::StringRef name, std::vector<llvm::StringRef> operands,
              unsigned numRequired, std::vector<AttrSpec> attrs,
              void (*rule)(ShapeRuleContext &)) {
  OpInfo op;
  op.name = name;
  op.operands = std::move(operands);
  op.numRequired = numRequired;
  op.attrs = std::move(attrs);
  op.inferShape = rule;
  return op;
}

} // namespace

void shapeflow::registerNNOps(std::vector<OpInfo> &ops) {
  ops.push_back(makeOp(
      "dense", {"x", "weight", "bias"}, 2,
      {requiredAttr("units", AttrType::Int, 1),
       optionalAttr("flatten", AttrType::Bool, Attribute::boolean(true))},
      inferDense));
  ops.back().acceptsActivation = true;

  ops.push_back(
      makeOp("conv2d", {"x", "weight", "bias"}, 2,
             {requiredAttr("channels", AttrType::Int, 1),
              requiredAttr("kernel", AttrType::IntPair, 1),
              optionalAttr("stride", AttrType::IntPair, intPair(1, 1), 1),
              optionalAttr("padding", AttrType::IntPair, intPair(0, 0), 0),
              optionalAttr("dilation", AttrType::IntPair, intPair(1, 1), 1),
              optionalAttr("groups", AttrType::Int, Attribute::integer(1), 1)},
             inferConv2D));
  ops.back().acceptsActivation = true;
  ops.back().acceptsChannelFold = true;

  for (llvm::StringRef name : {"max_pool2d", "avg_pool2d"}) {
    std::vector<AttrSpec> attrs = {
        requiredAttr("kernel", AttrType::IntPair, 1),
        optionalAttr("stride", AttrType::IntPair, std::nullopt, 1),
        optionalAttr("padding", AttrType::IntPair, intPair(0, 0), 0),
        optionalAttr("ceil_mode", AttrType::Bool, Attribute::boolean(false))};
    attrs[1].defaultFrom = "kernel";
    // Gluon averages over the padded window by default.
    if (name == "avg_pool2d")
      attrs.push_back(optionalAttr("count_include_pad", AttrType::Bool,
                                   Attribute::boolean(true)));
    ops.push_back(makeOp(name, {"x"}, 1, std::move(attrs), inferPool2D));
  }
  ops.push_back(makeOp("global_avg_pool2d", {"x"}, 1, {}, inferGlobalPool));

  ops.push_back(makeOp("batch_norm",
                       {"x", "gamma", "beta", "running_mean", "running_var"}, 5,
                       {axisAttr(1), optionalAttr("eps", AttrType::Float,
                                                  Attribute::floating(1e-5))},
                       inferNorm));
  ops.back().inPlace = true;
  ops.back().foldsIntoProducer = true;
  ops.push_back(makeOp("layer_norm", {"x", "gamma", "beta"}, 3,
                       {axisAttr(-1), optionalAttr("eps", AttrType::Float,
                                                   Attribute::floating(1e-5))},
                       inferNorm));

  OpInfo embedding = makeOp("embedding", {"ids", "weight"}, 2,
                            {requiredAttr("input_dim", AttrType::Int, 1),
                             requiredAttr("output_dim", AttrType::Int, 1)},
                            inferEmbedding);
  embedding.operandDTypes = {DType::I64, DType::F32};
  embedding.resultDType = ResultDType::LastOperand;
  ops.push_back(std::move(embedding));
}
