//===- Lowering.cpp - From an inferred graph to a plan --------------------===//
//
// Lowering reads only the op registry's traits and attribute specs, never an
// op's name: a new op lowers to the kernel of the same name with its
// attributes spelled out, and needs no change here.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Passes/Lowering.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Support/FormatVariadic.h"

#define DEBUG_TYPE "lowering"

using namespace shapeflow;

ALWAYS_ENABLED_STATISTIC(NumFused, "Activations fused into the step before");
ALWAYS_ENABLED_STATISTIC(NumFolded, "Normalisations folded into weights");

namespace {

/// Converts one attribute (as written, or its default) for a kernel.
std::optional<PlanAttr> lowerAttr(const Node &node, const AttrSpec &spec) {
  const Attribute *attr = node.getAttrOrDefault(spec.name);
  if (!attr && !spec.defaultFrom.empty())
    attr = node.getAttrOrDefault(spec.defaultFrom);
  if (!attr)
    return std::nullopt;

  PlanAttr out{spec.name.str(), int64_t(0)};
  switch (spec.type) {
  case AttrType::Int:
    out.value = attr->getInt();
    if (spec.isAxis && attr->getInt() < 0)
      out.value = attr->getInt() + node.getOperand(0).getType().getRank();
    return out;
  case AttrType::Float:
    out.value = attr->getNumber();
    return out;
  case AttrType::Bool:
    out.value = int64_t(attr->getBool());
    return out;
  case AttrType::Name:
    out.value = attr->getText().str();
    return out;
  case AttrType::IntPair:
    out.value = attr->isInt()
                    ? std::vector<int64_t>{attr->getInt(), attr->getInt()}
                    : attr->getIntList();
    return out;
  case AttrType::IntList:
    out.value = attr->getIntList();
    return out;
  case AttrType::Init:
    return std::nullopt; // read by the runtime from PlanParam::init
  }
  return std::nullopt;
}

std::vector<int64_t> staticShape(const TensorType &type) {
  std::vector<int64_t> shape;
  for (const Dim &d : type.getDims())
    shape.push_back(d.getConstant());
  return shape;
}

class Lowerer {
public:
  Lowerer(const Graph &graph, const LoweringOptions &options)
      : graph(graph), options(options) {}

  llvm::Expected<Plan> run();

private:
  llvm::Error checkStatic() const;
  void countUses();
  uint32_t bufferFor(const Value &v, BufferKind kind, uint32_t index);
  /// The activation node to fuse into a step of `op` writing `result`, or
  /// nullptr.
  const Node *fusableActivation(const OpInfo &op, const Value &result) const;
  /// The normalisation node to fold into `node`, or nullptr.
  const Node *foldableNorm(const Node &node) const;
  /// Replaces the step's weight and bias by parameters derived from the
  /// normalisation's.
  void foldNorm(const Node &node, const Node &norm, PlanStep &step);
  uint32_t addDerivedParam(const Node &node, llvm::StringRef suffix,
                           const Value &shapeOf, llvm::StringRef derive,
                           std::vector<uint32_t> sources,
                           std::vector<PlanAttr> attrs);
  void emitStep(const Node &node);
  void emitOutputs();

  const Graph &graph;
  const LoweringOptions &options;
  Plan plan;
  std::vector<bool> mayReuseInput;
  llvm::DenseMap<const Value *, uint32_t> bufferOf;
  llvm::DenseMap<const Value *, uint32_t> paramIndexOf;
  llvm::DenseMap<const Value *, const Node *> onlyUser;
  llvm::DenseMap<const Value *, unsigned> useCount;
  llvm::DenseMap<const Node *, const Node *> fusedInto;
};

llvm::Error Lowerer::checkStatic() const {
  DiagCollector diags;
  auto check = [&](const Value &v) {
    if (v.getType().isStatic())
      return;
    diags.error(v.getLoc(),
                "cannot compile graph '{0}': '%{1}' has type "
                "{2}, and a plan needs every shape to be a constant (bind "
                "a concrete input signature first)",
                graph.getName(), v.getName(), v.getType());
  };
  for (const auto &input : graph.getInputs())
    check(*input);
  for (const auto &node : graph.getNodes())
    check(node->getResult());
  return diags.take();
}

void Lowerer::countUses() {
  for (const auto &node : graph.getNodes()) {
    for (const Value *operand : node->getOperands()) {
      ++useCount[operand];
      onlyUser[operand] = node.get();
    }
  }
  for (const Value *output : graph.getOutputs())
    ++useCount[output];
}

uint32_t Lowerer::bufferFor(const Value &v, BufferKind kind, uint32_t index) {
  PlanBuffer buffer;
  buffer.name = v.getName().str();
  buffer.dtype = v.getType().getDType();
  buffer.shape = staticShape(v.getType());
  buffer.kind = kind;
  buffer.index = index;
  plan.buffers.push_back(std::move(buffer));
  bufferOf[&v] = plan.buffers.size() - 1;
  return plan.buffers.size() - 1;
}

const Node *Lowerer::fusableActivation(const OpInfo &op,
                                       const Value &result) const {
  if (!options.fuseActivations || !op.acceptsActivation)
    return nullptr;
  if (useCount.lookup(&result) != 1)
    return nullptr; // read elsewhere too, or returned
  const Node *user = onlyUser.lookup(&result);
  if (!user || !user->getOp().isActivation)
    return nullptr;
  return user;
}

const Node *Lowerer::foldableNorm(const Node &node) const {
  if (!options.foldBatchNorm || !node.getOp().acceptsChannelFold)
    return nullptr;
  const Value &result = node.getResult();
  if (useCount.lookup(&result) != 1)
    return nullptr;
  const Node *norm = onlyUser.lookup(&result);
  if (!norm || !norm->getOp().foldsIntoProducer ||
      &norm->getOperand(0) != &result)
    return nullptr;
  // The map must act on the channel axis, and everything folded must be a
  // parameter: its value is fixed once the plan runs.
  int64_t axis = norm->getInt("axis");
  if (axis != 1 && axis != 1 - int64_t(result.getType().getRank()))
    return nullptr;
  auto isParam = [](const Value &v) { return v.isParam(); };
  for (unsigned i = 1; i < node.getNumOperands(); ++i)
    if (!isParam(node.getOperand(i)))
      return nullptr;
  for (unsigned i = 1; i < norm->getNumOperands(); ++i)
    if (!isParam(norm->getOperand(i)))
      return nullptr;
  return norm;
}

uint32_t Lowerer::addDerivedParam(const Node &node, llvm::StringRef suffix,
                                  const Value &shapeOf, llvm::StringRef derive,
                                  std::vector<uint32_t> sources,
                                  std::vector<PlanAttr> attrs) {
  PlanParam p;
  p.name = (node.getName() + "." + suffix).str();
  p.dtype = shapeOf.getType().getDType();
  p.shape = staticShape(shapeOf.getType());
  p.derive = derive.str();
  p.sources = std::move(sources);
  p.deriveAttrs = std::move(attrs);
  PlanBuffer buffer;
  buffer.name = p.name;
  buffer.dtype = p.dtype;
  buffer.shape = p.shape;
  buffer.kind = BufferKind::Param;
  buffer.index = plan.params.size();
  plan.buffers.push_back(std::move(buffer));
  p.buffer = plan.buffers.size() - 1;
  plan.params.push_back(std::move(p));
  return plan.params.back().buffer;
}

void Lowerer::foldNorm(const Node &node, const Node &norm, PlanStep &step) {
  // norm operands: x, gamma, beta, running_mean, running_var.
  auto param = [&](const Node &n, unsigned i) {
    return paramIndexOf.lookup(&n.getOperand(i));
  };
  std::vector<PlanAttr> eps = {{"eps", norm.getFloat("eps")}};
  uint32_t weight = addDerivedParam(
      node, "folded_weight", node.getOperand(1), "fold_norm_weight",
      {param(node, 1), param(norm, 1), param(norm, 4)}, eps);

  // The bias is derived whether or not the conv had one.
  std::vector<uint32_t> biasSources = {param(norm, 1), param(norm, 2),
                                       param(norm, 3), param(norm, 4)};
  if (node.getNumOperands() > 2)
    biasSources.push_back(param(node, 2));
  uint32_t bias =
      addDerivedParam(node, "folded_bias", norm.getOperand(1), "fold_norm_bias",
                      std::move(biasSources), eps);
  step.inputs.resize(1);
  step.inputs.push_back(weight);
  step.inputs.push_back(bias);
  ++NumFolded;
}

void Lowerer::emitStep(const Node &node) {
  if (fusedInto.count(&node))
    return;
  PlanStep step;
  step.kernel = node.getOpName().str();
  step.node = node.getName().str();
  for (const Value *operand : node.getOperands())
    step.inputs.push_back(bufferOf.lookup(operand));
  for (const AttrSpec &spec : node.getOp().attrs)
    if (std::optional<PlanAttr> attr = lowerAttr(node, spec))
      step.attrs.push_back(std::move(*attr));
  if (node.getOp().completeAttrs)
    node.getOp().completeAttrs(node, step.attrs);

  // The step writes the result of what is folded or fused into it.
  const Node *producesFor = &node;
  if (const Node *norm = foldableNorm(node)) {
    foldNorm(node, *norm, step);
    fusedInto[norm] = &node;
    producesFor = norm;
  }
  if (const Node *activation =
          fusableActivation(node.getOp(), producesFor->getResult())) {
    ++NumFused;
    fusedInto[activation] = &node;
    step.attrs.push_back({"activation", activation->getOpName().str()});
    producesFor = activation;
  }
  step.output = bufferFor(producesFor->getResult(), BufferKind::Temp, 0);
  mayReuseInput.push_back(options.inPlace && node.getOp().inPlace &&
                          producesFor == &node);
  plan.steps.push_back(std::move(step));
}

void Lowerer::emitOutputs() {
  // A returned value is written straight into its own output buffer; an
  // input, a parameter, or a value returned twice gets a copy.
  llvm::DenseMap<const Value *, bool> claimed;
  for (size_t i = 0; i < graph.getOutputs().size(); ++i) {
    const Value &v = *graph.getOutputs()[i];
    uint32_t b = bufferOf.lookup(&v);
    PlanBuffer &buffer = plan.buffers[b];
    if (buffer.kind == BufferKind::Temp && !claimed[&v]) {
      claimed[&v] = true;
      buffer.kind = BufferKind::Output;
      buffer.index = i;
      plan.outputs.push_back(b);
      continue;
    }
    PlanStep copy;
    copy.kernel = "identity";
    copy.node = v.getName().str();
    copy.inputs = {b};
    PlanBuffer out = buffer;
    out.kind = BufferKind::Output;
    out.index = i;
    plan.buffers.push_back(std::move(out));
    copy.output = plan.buffers.size() - 1;
    plan.outputs.push_back(copy.output);
    plan.steps.push_back(std::move(copy));
    mayReuseInput.push_back(false);
  }
}

llvm::Expected<Plan> Lowerer::run() {
  if (llvm::Error err = checkStatic())
    return err;
  countUses();

  uint32_t inputIndex = 0;
  for (const auto &input : graph.getInputs())
    plan.inputs.push_back(bufferFor(*input, BufferKind::Input, inputIndex++));
  for (const Node *param : graph.getParams()) {
    PlanParam p;
    p.name = param->getName().str();
    p.dtype = param->getResult().getType().getDType();
    p.shape = staticShape(param->getResult().getType());
    if (const Attribute *init = param->getAttr("init"))
      p.init = init->str();
    p.buffer =
        bufferFor(param->getResult(), BufferKind::Param, plan.params.size());
    paramIndexOf[&param->getResult()] = plan.params.size();
    plan.params.push_back(std::move(p));
  }
  for (const auto &node : graph.getNodes())
    if (!node->getOp().isParam())
      emitStep(*node);
  emitOutputs();

  planMemory(plan, mayReuseInput);
  return std::move(plan);
}

} // namespace

llvm::Expected<Plan> shapeflow::lowerToPlan(const Graph &graph,
                                            const LoweringOptions &options) {
  return Lowerer(graph, options).run();
}
