//===- Session.cpp - A graph, its parameters and its plans ----------------===//

#include "shapeflow/Driver/Session.h"
#include "shapeflow/Passes/Lowering.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Runtime/Derive.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "session"

using namespace shapeflow;

namespace {

/// A compiler type as a runtime partial shape (-1 for anything not a
/// constant).
std::vector<int64_t> partialShape(const TensorType &type) {
  std::vector<int64_t> shape;
  for (const Dim &d : type.getDims())
    shape.push_back(d.isConstant() ? d.getConstant() : -1);
  return shape;
}

/// A parameter's role: as stated by `role=`, else the name of the operand
/// slot its first user puts it in (batch_norm's `gamma`, dense's `bias`),
/// else what its own name suggests.
ParamRole roleOf(const Node &param, const Node *user, unsigned slot) {
  if (const Attribute *role = param.getAttr("role"))
    if (std::optional<ParamRole> r = parseRole(role->getText()))
      return *r;
  if (user)
    if (std::optional<ParamRole> r = parseRole(user->getOp().operandName(slot)))
      return *r;
  return roleFromName(param.getName());
}

std::string signatureKey(llvm::ArrayRef<TensorType> signature) {
  std::string key;
  for (const TensorType &t : signature)
    key += t.str() + ";";
  return key;
}

} // namespace

std::vector<TensorType> shapeflow::signatureOf(llvm::ArrayRef<Tensor> inputs) {
  std::vector<TensorType> signature;
  for (const Tensor &t : inputs) {
    llvm::SmallVector<Dim, 4> dims;
    for (int64_t d : t.getShape())
      dims.push_back(d);
    signature.emplace_back(t.getDType(), dims);
  }
  return signature;
}

Session::Session(std::unique_ptr<Graph> g, LoweringOptions lowering)
    : graph(std::move(g)), lowering(lowering) {
  for (const auto &input : graph->getInputs())
    declaredInputs.push_back(input->getType());
  for (const auto &node : graph->getNodes())
    declaredNodeTypes.push_back(node->getDeclaredType());
}

llvm::Expected<std::unique_ptr<Session>>
Session::create(std::unique_ptr<Graph> graph, LoweringOptions lowering,
                const ParameterStore *existing) {
  std::unique_ptr<Session> session(new Session(std::move(graph), lowering));
  if (llvm::Error err = session->createParams(existing))
    return err;
  return session;
}

llvm::Error Session::createParams(const ParameterStore *existing) {
  // What the graph says before any binding gives the partial shapes.
  if (llvm::Error err = inferShapes(*graph))
    return err;
  llvm::DenseMap<const Value *, std::pair<const Node *, unsigned>> firstUse;
  for (const auto &node : graph->getNodes())
    for (unsigned i = 0; i < node->getNumOperands(); ++i)
      firstUse.try_emplace(&node->getOperand(i), node.get(), i);

  DiagCollector diags;
  for (const Node *node : graph->getParams()) {
    if (std::shared_ptr<Parameter> shared =
            existing ? existing->share(node->getName()) : nullptr) {
      params.add(std::move(shared));
      continue;
    }
    const TensorType &type = node->getResult().getType();
    auto param =
        std::make_unique<Parameter>(node->getName().str(), partialShape(type),
                                    type.hasRank(), type.getDType());
    auto [user, slot] = firstUse.lookup(&node->getResult());
    param->setRole(roleOf(*node, user, slot));
    if (const Attribute *spec = node->getAttr("init")) {
      auto init = init::parse(spec->str());
      if (!init) {
        diags.error(node->getLoc(), "parameter '%{0}': {1}", node->getName(),
                    llvm::toString(init.takeError()));
        continue;
      }
      param->setOwnInit(*init);
    }
    params.add(std::move(param));
  }
  return diags.take();
}

llvm::Expected<InitSummary> Session::initialize(const InitPtr &init,
                                                const InitOptions &options) {
  std::lock_guard<std::mutex> lock(mutex);
  return initializeAll(params.all(), init, options);
}

void Session::pinParameterShapes() {
  // Known parameter shapes constrain inference like declared types, so a
  // signature that contradicts them is reported by the solver, naming the
  // parameter, the op and both values.
  for (const Node *node : graph->getParams()) {
    const Parameter *param = params.lookup(node->getName());
    if (!param->hasRank())
      continue;
    llvm::SmallVector<Dim, 4> dims;
    for (int64_t d : param->getShape())
      dims.push_back(d < 0 ? Dim::unknown() : Dim(d));
    const_cast<Node *>(node)->setDeclaredType(
        TensorType(param->getDType(), dims));
  }
}

llvm::Expected<std::shared_ptr<const Executor>>
Session::compile(llvm::ArrayRef<TensorType> signature) {
  if (signature.size() != declaredInputs.size())
    return makeError({}, "graph '{0}' takes {1} inputs, got {2}",
                     graph->getName(), declaredInputs.size(), signature.size());

  // Start from the graph as declared (binding substitutes symbols into
  // declared types), then bind and infer.
  for (size_t i = 0; i < graph->getNodes().size(); ++i)
    graph->getNodes()[i]->setDeclaredType(declaredNodeTypes[i]);
  graph->resetTypes();
  std::vector<InputBinding> bindings;
  for (size_t i = 0; i < signature.size(); ++i) {
    Value &input = *graph->getInputs()[i];
    input.setType(declaredInputs[i]);
    bindings.push_back({input.getName().str(), signature[i], ""});
  }
  pinParameterShapes();
  if (llvm::Error err = bindInputs(*graph, bindings))
    return err;
  ShapeInferenceOptions options;
  options.requireComplete = true;
  if (llvm::Error err = inferShapes(*graph, options))
    return err;

  // Complete the parameters, in graph order; deferred ones fill now.
  for (const Node *node : graph->getParams()) {
    Parameter *param = params.lookup(node->getName());
    std::vector<int64_t> shape = partialShape(node->getResult().getType());
    if (llvm::Error err = param->setShape(shape))
      return err;
  }

  auto plan = lowerToPlan(*graph, lowering);
  if (!plan)
    return plan.takeError();
  auto executor =
      Executor::create(std::make_shared<const Plan>(std::move(*plan)));
  if (!executor)
    return executor.takeError();
  return std::make_shared<const Executor>(std::move(*executor));
}

llvm::Expected<Session::CompiledPlan *>
Session::findOrCompile(llvm::ArrayRef<TensorType> signature) {
  std::string key = signatureKey(signature);
  if (auto it = plans.find(key); it != plans.end())
    return &it->second;
  LLVM_DEBUG(llvm::dbgs() << "compiling " << graph->getName() << " for " << key
                          << '\n');
  auto executor = compile(signature);
  if (!executor)
    return executor.takeError();
  CompiledPlan &compiled = plans[key];
  compiled.executor = *executor;
  size_t numParams = (*executor)->getPlan().params.size();
  compiled.derived.resize(numParams);
  compiled.sourceVersions.resize(numParams);
  compiled.derivedStamps.resize(numParams);
  return &compiled;
}

llvm::Expected<std::shared_ptr<const Executor>>
Session::prepare(llvm::ArrayRef<TensorType> signature) {
  std::lock_guard<std::mutex> lock(mutex);
  auto compiled = findOrCompile(signature);
  if (!compiled)
    return compiled.takeError();
  return (*compiled)->executor;
}

llvm::Expected<std::vector<Tensor>>
Session::gatherParams(CompiledPlan &compiled, std::vector<uint64_t> &stamps) {
  const Plan &plan = compiled.executor->getPlan();
  std::vector<Tensor> values(plan.params.size());
  std::vector<uint64_t> versions(plan.params.size(), 0);
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const PlanParam &p = plan.params[i];
    if (!p.isDerived()) {
      const Parameter *param = params.lookup(p.name);
      auto data = param->data();
      if (!data)
        return data.takeError();
      values[i] = *data; // shares the storage, so a re-fill cannot race
      versions[i] = param->getVersion();
      continue;
    }

    // Sources precede derived parameters in Plan::params.
    std::vector<uint64_t> now;
    std::vector<const Tensor *> sources;
    for (uint32_t src : p.sources) {
      now.push_back(versions[src]);
      sources.push_back(&values[src]);
    }
    if (compiled.sourceVersions[i] != now || now.empty()) {
      auto derived = deriveParam(p, sources);
      if (!derived)
        return derived.takeError();
      compiled.derived[i] = std::move(*derived);
      compiled.sourceVersions[i] = std::move(now);
      compiled.derivedStamps[i] = ++compiled.derivations;
    }
    values[i] = compiled.derived[i];
  }
  stamps = versions;
  for (size_t i = 0; i < plan.params.size(); ++i)
    if (plan.params[i].isDerived())
      stamps[i] = compiled.derivedStamps[i];
  return values;
}

llvm::Expected<std::vector<Tensor>> Session::run(llvm::ArrayRef<Tensor> inputs,
                                                 const RunOptions &options) {
  // Compile (if new) and gather parameters under one lock, so a
  // concurrent loadParams() cannot drop the plan in between.
  std::shared_ptr<const Executor> executor;
  std::shared_ptr<const PreparedParams> prepared;
  std::unique_ptr<Workspace> workspace;
  std::vector<Tensor> paramValues;
  std::vector<const Tensor *> paramData;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto compiled = findOrCompile(signatureOf(inputs));
    if (!compiled)
      return compiled.takeError();
    executor = (*compiled)->executor;
    std::vector<uint64_t> stamps;
    auto values = gatherParams(**compiled, stamps);
    if (!values)
      return values.takeError();
    paramValues = std::move(*values);
    for (const Tensor &t : paramValues)
      paramData.push_back(&t);
    // Weights are packed once, and again only after one of them changes.
    if (!(*compiled)->prepared || (*compiled)->preparedStamps != stamps) {
      auto made = executor->prepare(paramData);
      if (!made)
        return made.takeError();
      (*compiled)->prepared = std::move(*made);
      (*compiled)->preparedStamps = std::move(stamps);
    }
    prepared = (*compiled)->prepared;
    // Borrow a workspace so concurrent runs never share an arena.
    if (!idleWorkspaces.empty()) {
      workspace = std::move(idleWorkspaces.back());
      idleWorkspaces.pop_back();
    }
  }
  if (!workspace)
    workspace = std::make_unique<Workspace>();
  RunOptions withPrepared = options;
  withPrepared.prepared = prepared.get();
  auto outputs = executor->run(inputs, paramData, *workspace, withPrepared);
  std::lock_guard<std::mutex> lock(mutex);
  idleWorkspaces.push_back(std::move(workspace));
  return outputs;
}

size_t Session::getNumPlans() const {
  std::lock_guard<std::mutex> lock(mutex);
  return plans.size();
}

llvm::Error Session::loadParams(llvm::ArrayRef<NamedTensor> tensors) {
  std::lock_guard<std::mutex> lock(mutex);
  DiagCollector diags;
  llvm::StringMap<const Tensor *> byName;
  for (const auto &[name, tensor] : tensors) {
    byName[name] = &tensor;
    if (!params.lookup(name))
      diags.error({},
                  "the file has a tensor '{0}', which is not a "
                  "parameter of graph '{1}'",
                  name, graph->getName());
  }
  // Check every parameter against a scratch copy before changing any.
  for (const auto &param : params) {
    const Tensor *tensor = byName.lookup(param->getName());
    if (!tensor) {
      diags.error({}, "the file has no tensor for parameter '{0}'",
                  param->getName());
      continue;
    }
    Parameter probe(param->getName().str(), param->getShape().vec(),
                    param->hasRank(), param->getDType());
    diags.add(probe.setData(*tensor));
  }
  if (diags.getCount())
    return diags.take();
  for (const auto &param : params)
    llvm::cantFail(param->setData(byName.lookup(param->getName())->clone()));
  // Shapes may have changed: plans compiled before would be stale.
  plans.clear();
  return llvm::Error::success();
}

llvm::Expected<std::vector<NamedTensor>> Session::saveParams() const {
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<NamedTensor> tensors;
  DiagCollector diags;
  for (const auto &param : params) {
    auto data = param->data();
    if (!data) {
      diags.add(data.takeError());
      continue;
    }
    tensors.emplace_back(param->getName().str(), *data);
  }
  if (diags.getCount())
    return diags.take();
  return tensors;
}
