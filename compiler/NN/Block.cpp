//===- Block.cpp - Gluon-style blocks with deferred initialization --------===//

#include "shapeflow/NN/Block.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Runtime/SafeTensors.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"

#include <cassert>

using namespace shapeflow;
using namespace shapeflow::nn;

//===----------------------------------------------------------------------===//
// Tracer
//===----------------------------------------------------------------------===//

Value &Tracer::param(const Parameter &p) {
  NodeSpec spec;
  spec.op = lookupOp("param");
  spec.name = p.getName().str();
  if (p.hasRank()) {
    llvm::SmallVector<Dim, 4> dims;
    for (int64_t d : p.getShape())
      dims.push_back(d < 0 ? Dim::unknown() : Dim(d));
    spec.declaredType = TensorType(p.getDType(), dims);
  }
  return graph.addNode(std::move(spec)).getResult();
}

Value &Tracer::op(llvm::StringRef opName, llvm::StringRef name,
                  std::vector<Value *> operands,
                  std::vector<NamedAttribute> attrs) {
  NodeSpec spec;
  spec.op = lookupOp(opName);
  assert(spec.op && "blocks only emit registered ops");
  spec.name = name.str();
  // A block emitting two ops under one name gets a numbered second one.
  while (graph.lookup(spec.name))
    spec.name = (name + "." + llvm::Twine(++counter)).str();
  spec.operands = std::move(operands);
  spec.attrs = std::move(attrs);
  return graph.addNode(std::move(spec)).getResult();
}

//===----------------------------------------------------------------------===//
// Block
//===----------------------------------------------------------------------===//

Block::Block() = default;
Block::~Block() = default;

std::shared_ptr<Parameter> Block::declareParam(std::string localName,
                                               std::vector<int64_t> shape,
                                               InitPtr ownInit) {
  auto param = std::make_shared<Parameter>(localName, std::move(shape));
  if (ownInit)
    param->setOwnInit(std::move(ownInit));
  ownParams.push_back({param});
  return param;
}

void Block::addChild(std::string name, std::shared_ptr<Block> child) {
  if (name.empty())
    name = std::to_string(childBlocks.size());
  // Names follow the tree: the child's parameters, and its children's,
  // take its name as a prefix (`weight` becomes `0.weight`).
  child->prefixNames(name + ".");
  childNames.push_back(std::move(name));
  childBlocks.push_back(std::move(child));
}

void Block::prefixNames(const std::string &prefix) {
  for (ParamSlot &slot : ownParams)
    slot.param->setName(prefix + slot.param->getName().str());
  for (const auto &child : childBlocks)
    child->prefixNames(prefix);
}

void Block::collect(std::vector<std::shared_ptr<Parameter>> &out) const {
  for (const ParamSlot &slot : ownParams)
    out.push_back(slot.param);
  for (const auto &child : childBlocks)
    child->collect(out);
}

std::vector<std::shared_ptr<Parameter>> Block::getParams() const {
  std::vector<std::shared_ptr<Parameter>> params;
  collect(params);
  return params;
}

Parameter &Block::param(llvm::StringRef name) const {
  for (const auto &p : getParams())
    if (p->getName() == name)
      return *p;
  assert(false && "no parameter of that name");
  llvm_unreachable("no parameter of that name");
}

std::string Block::collectParams(llvm::StringRef select) {
  llvm::Regex regex(select);
  std::string text;
  llvm::raw_string_ostream os(text);
  for (const auto &p : getParams()) {
    if (!select.empty() && !regex.match(p->getName()))
      continue;
    const InitPtr &init =
        p->getChosenInit() ? p->getChosenInit() : p->getOwnInit();
    std::string state = stateName(p->getState()).str();
    if (run->session && !run->reached.contains(p->getName()))
      state += " (the forward pass never used it, so nothing decides its "
               "shape)";
    os << llvm::formatv("{0} {1}{2}  init={3}  {4}\n", p->getName(),
                        dtypeName(p->getDType()), p->shapeStr(),
                        init ? init->describe() : std::string("(not set)"),
                        state);
  }
  return os.str();
}

llvm::Expected<InitSummary> Block::initialize(const InitPtr &init,
                                              const InitOptions &options) {
  std::lock_guard<std::mutex> lock(run->mutex);
  auto result = initializeAll(getParams(), init, options);
  if (!result)
    return result.takeError();
  const InitSummary &summary = *result;
  // One line for the network, not one per parameter.
  if (summary.skipped && !summary.initialized && !summary.deferred &&
      !run->warnedInitialized) {
    run->warnedInitialized = true;
    llvm::errs() << "initialize: the network is already initialized; pass "
                    "forceReinit to initialize it again\n";
  }
  return summary;
}

std::unique_ptr<Graph> Block::exportGraph(const TensorType &input) {
  auto graph = std::make_unique<Graph>("net");
  Value &x = graph->addInput("x", input);
  Tracer tracer(*graph);
  Value &y = emit(tracer, x, "");
  graph->addOutput(y);
  return graph;
}

llvm::Expected<Tensor> Block::operator()(const Tensor &x) {
  {
    // The first call (from whichever thread) traces and builds the session.
    std::lock_guard<std::mutex> lock(run->mutex);
    if (!run->session) {
      llvm::SmallVector<Dim, 4> dims;
      for (size_t i = 0; i < x.getShape().size(); ++i)
        dims.push_back(Dim::unknown());
      std::unique_ptr<Graph> graph =
          exportGraph(TensorType(x.getDType(), dims));
      if (llvm::Error err = verifyGraph(*graph))
        return err;
      ParameterStore store;
      for (const auto &p : getParams())
        store.add(p);
      for (const Node *node : graph->getParams())
        run->reached.insert(node->getName());
      auto session = Session::create(std::move(graph), {}, &store);
      if (!session)
        return session.takeError();
      run->session = std::move(*session);
    }
  }
  auto outputs = run->session->run({x});
  if (!outputs)
    return outputs.takeError();
  return std::move((*outputs)[0]);
}

llvm::Expected<std::string> Block::summary(const TensorType &input) {
  std::unique_ptr<Graph> graph = exportGraph(input);
  if (llvm::Error err = verifyGraph(*graph))
    return err;
  if (llvm::Error err = inferShapes(*graph))
    return err;

  // One row per child block (or one for a block without children): its
  // output is the type of the last op emitted under its name.
  std::vector<std::string> names = childNames;
  if (names.empty())
    names.push_back("");
  std::vector<std::string> outputs(names.size(), "-");
  std::vector<int64_t> counts(names.size(), 0);
  int64_t total = 0;
  for (const auto &node : graph->getNodes()) {
    llvm::StringRef name = node->getName();
    for (size_t i = 0; i < names.size(); ++i) {
      if (!name.startswith(names[i].empty() ? "" : names[i] + "."))
        continue;
      const TensorType &type = node->getResult().getType();
      if (!node->getOp().isParam()) {
        outputs[i] = type.str();
        continue;
      }
      int64_t n = type.getNumElements().value_or(0);
      counts[i] += n;
      total += n;
    }
  }

  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0,-12} {1,-36} {2,-24} {3}\n", "block", "kind",
                      "output", "parameters");
  for (size_t i = 0; i < names.size(); ++i) {
    std::string kind =
        childBlocks.empty() ? describe() : childBlocks[i]->describe();
    // A nested block describes itself on several lines; keep the first.
    kind = llvm::StringRef(kind).split('\n').first.str();
    os << llvm::formatv("{0,-12} {1,-36} {2,-24} {3}\n",
                        names[i].empty() ? "(net)" : names[i], kind, outputs[i],
                        counts[i]);
  }
  os << "total parameters: " << total << '\n';
  return os.str();
}

llvm::Error Block::saveParameters(llvm::StringRef path) const {
  std::vector<NamedTensor> tensors;
  DiagCollector diags;
  for (const auto &p : getParams()) {
    auto data = p->data();
    if (!data) {
      diags.add(data.takeError());
      continue;
    }
    tensors.emplace_back(p->getName().str(), *data);
  }
  if (diags.getCount())
    return diags.take();
  return saveSafeTensors(path, tensors);
}

llvm::Error Block::loadParameters(llvm::StringRef path) {
  auto tensors = loadSafeTensors(path);
  if (!tensors)
    return tensors.takeError();
  std::lock_guard<std::mutex> lock(run->mutex);
  llvm::StringMap<const Tensor *> byName;
  for (const auto &[name, tensor] : *tensors)
    byName[name] = &tensor;

  // Check names, then every tensor against a scratch copy of its
  // parameter, before changing anything.
  DiagCollector diags;
  std::vector<std::shared_ptr<Parameter>> params = getParams();
  llvm::StringSet<> known;
  for (const auto &p : params) {
    known.insert(p->getName());
    const Tensor *t = byName.lookup(p->getName());
    if (!t) {
      diags.error({}, "'{0}' has no tensor for parameter '{1}'", path,
                  p->getName());
      continue;
    }
    Parameter probe(p->getName().str(), p->getShape().vec(), p->hasRank(),
                    p->getDType());
    diags.add(probe.setData(*t));
  }
  for (const auto &[name, tensor] : *tensors)
    if (!known.contains(name))
      diags.error({},
                  "'{0}' has a tensor '{1}', which is no parameter of "
                  "the network",
                  path, name);
  if (diags.getCount())
    return diags.take();

  for (const auto &p : params)
    llvm::cantFail(p->setData(byName.lookup(p->getName())->clone()));
  // Plans compiled before may have other parameter shapes.
  run->session.reset();
  return llvm::Error::success();
}
