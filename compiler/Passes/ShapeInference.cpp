//===- ShapeInference.cpp - The constraint solver for shapes --------------===//
//
// Variables are the dimensions of every value, allocated once the value's
// rank is known. Union-find classes hold dimensions known to be equal; a
// class root carries the class's value (a constant or a symbolic expression)
// once something determines it, and where that value came from, for
// diagnostics.
//
// Cost: a rule runs once at the start and again only when a class holding one
// of its dimensions goes from unknown to known, or when a value of the node
// gets its rank. Each variable makes that transition at most once, and
// classes keep their members on a circular list, so notifying them costs
// the size of the class once. Nothing recurses over the graph.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Support/Diag.h"

#include "../Ops/OpFamilies.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <deque>

#define DEBUG_TYPE "shape-inference"

using namespace shapeflow;

ALWAYS_ENABLED_STATISTIC(NumRuleRuns, "Shape rules run");
ALWAYS_ENABLED_STATISTIC(NumUnions, "Dimension classes merged");
ALWAYS_ENABLED_STATISTIC(NumDetermined, "Dimension classes determined");

namespace {

constexpr uint32_t kNone = ~0u;

/// Where a class's value, or a value's rank, came from.
struct Origin {
  enum class Kind : uint8_t { None, Declared, Inferred };
  Kind kind = Kind::None;
  uint32_t index = kNone; ///< value index (Declared) or node index (Inferred)
};

class Solver;

/// The view of the solver that one node's shape rule gets.
class NodeContext final : public ShapeRuleContext {
public:
  NodeContext(Solver &solver, uint32_t nodeIndex)
      : solver(solver), nodeIndex(nodeIndex) {}

  const Node &getNode() const override;
  std::optional<unsigned> getRank(Slot slot) const override;
  bool setRank(Slot slot, unsigned rank) override;
  Dim getDim(Slot slot, unsigned i) const override;
  void equate(Slot a, unsigned i, Slot b, unsigned j) override;
  void assign(Slot slot, unsigned i, Dim value, llvm::StringRef why) override;
  void fail(const llvm::Twine &message) override;

private:
  uint32_t valueOf(Slot slot) const;
  bool hasDim(uint32_t v, unsigned i) const;

  Solver &solver;
  uint32_t nodeIndex;
};

class Solver {
public:
  Solver(Graph &graph, DiagCollector &diags);

  void run();
  void writeBack();
  void reportUnresolved();
  void checkParamsAreConstant();

private:
  friend class NodeContext;

  struct ValueState {
    Value *value;
    uint32_t defNode; ///< kNone for inputs
    int32_t rank = -1;
    uint32_t firstVar = 0;
    Origin rankOrigin;
  };

  // Setup.
  void indexValues();
  void indexUsers();
  void seedDeclared(uint32_t v, const TensorType &type);
  bool inferDTypes();

  // Variables and classes.
  uint32_t var(uint32_t v, unsigned i) const { return values[v].firstVar + i; }
  uint32_t find(uint32_t x);
  Dim valueOfClass(uint32_t x) { return binding[find(x)]; }
  void allocateVars(uint32_t v, unsigned rank);
  void unify(uint32_t nodeIndex, uint32_t a, uint32_t b, DimRef ra, DimRef rb);
  void determine(uint32_t nodeIndex, uint32_t x, Dim d, DimRef ref,
                 llvm::StringRef why);
  bool setRank(uint32_t nodeIndex, uint32_t v, unsigned rank, Slot slot);

  // Worklist.
  void enqueue(uint32_t nodeIndex);
  void notifyValue(uint32_t v);
  void notifyClass(uint32_t root);

  // Diagnostics.
  void report(uint32_t nodeIndex, const std::string &message,
              std::vector<DiagNote> notes = {});
  DiagNote explain(Dim d, const Origin &origin) const;
  llvm::SMLoc locOf(uint32_t nodeIndex) const;
  std::string partialType(uint32_t v);

  Graph &graph;
  DiagCollector &diags;
  std::vector<ValueState> values;
  llvm::DenseMap<const Value *, uint32_t> valueIndex;
  std::vector<uint32_t> userBegin, users; // users of value v, CSR layout
  std::vector<uint32_t> operandBegin, operandValue; // operands of node n
  std::vector<uint32_t> parent, nextMember, varValue;
  std::vector<Dim> binding; // meaningful at class roots
  std::vector<Origin> origin;
  std::deque<uint32_t> worklist;
  std::vector<bool> queued;
  llvm::StringSet<> reported;
};

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

Solver::Solver(Graph &graph, DiagCollector &diags)
    : graph(graph), diags(diags) {
  indexValues();
  indexUsers();
  queued.assign(graph.getNodes().size(), false);
}

void Solver::indexValues() {
  values.reserve(graph.getInputs().size() + graph.getNodes().size());
  valueIndex.reserve(values.capacity());
  for (const std::unique_ptr<Value> &input : graph.getInputs()) {
    valueIndex[input.get()] = values.size();
    values.push_back({input.get(), kNone, -1, 0, {}});
  }
  uint32_t nodeIndex = 0;
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    valueIndex[&node->getResult()] = values.size();
    values.push_back({&node->getResult(), nodeIndex++, -1, 0, {}});
  }
}

void Solver::indexUsers() {
  userBegin.assign(values.size() + 1, 0);
  for (const std::unique_ptr<Node> &node : graph.getNodes())
    for (Value *operand : node->getOperands())
      ++userBegin[valueIndex.lookup(operand) + 1];
  for (size_t v = 0; v < values.size(); ++v)
    userBegin[v + 1] += userBegin[v];
  users.resize(userBegin.back());
  std::vector<uint32_t> fill(userBegin.begin(), userBegin.end() - 1);
  // Rules look their operands up by position constantly; a flat table
  // keeps that off the hash map.
  operandBegin.reserve(graph.getNodes().size() + 1);
  operandValue.reserve(users.size());
  uint32_t nodeIndex = 0;
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    operandBegin.push_back(operandValue.size());
    for (Value *operand : node->getOperands()) {
      uint32_t v = valueIndex.lookup(operand);
      operandValue.push_back(v);
      users[fill[v]++] = nodeIndex;
    }
    ++nodeIndex;
  }
  operandBegin.push_back(operandValue.size());
}

void Solver::allocateVars(uint32_t v, unsigned rank) {
  values[v].rank = rank;
  values[v].firstVar = parent.size();
  for (unsigned i = 0; i < rank; ++i) {
    uint32_t x = parent.size();
    parent.push_back(x);
    nextMember.push_back(x);
    varValue.push_back(v);
    binding.push_back(Dim::unknown());
    origin.push_back({});
  }
}

void Solver::seedDeclared(uint32_t v, const TensorType &type) {
  if (!type.hasRank())
    return;
  allocateVars(v, type.getRank());
  values[v].rankOrigin = {Origin::Kind::Declared, v};
  for (unsigned i = 0; i < type.getRank(); ++i) {
    const Dim &d = type.getDim(i);
    if (!d.isDetermined())
      continue;
    binding[var(v, i)] = d;
    origin[var(v, i)] = {Origin::Kind::Declared, v};
  }
}

/// Element types flow forward in topological order; no op infers an
/// operand's element type from its result.
bool Solver::inferDTypes() {
  unsigned before = diags.getCount();
  uint32_t nodeIndex = 0;
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    const OpInfo &op = node->getOp();
    for (unsigned i = 0; i < node->getNumOperands(); ++i) {
      DType have = node->getOperand(i).getType().getDType();
      DType want = op.operandDType(i);
      if (have != want)
        report(nodeIndex,
               llvm::formatv("{0} '%{1}' must be {2}, got {3}",
                             op.operandName(i), node->getOperand(i).getName(),
                             dtypeName(want), dtypeName(have)));
    }

    DType result = DType::F32;
    if (op.resultDType == ResultDType::FirstOperand && node->getNumOperands())
      result = node->getOperand(0).getType().getDType();
    else if (op.resultDType == ResultDType::LastOperand)
      result = node->getOperands().back()->getType().getDType();
    else if (node->getDeclaredType())
      result = node->getDeclaredType()->getDType();
    if (node->getDeclaredType() &&
        node->getDeclaredType()->getDType() != result)
      report(nodeIndex,
             llvm::formatv("the result is {0}, but its type is "
                           "declared {1}",
                           dtypeName(result), node->getDeclaredType()->str()));

    TensorType type = node->getResult().getType();
    type.setDType(result);
    node->getResult().setType(std::move(type));
    ++nodeIndex;
  }
  return diags.getCount() == before;
}

//===----------------------------------------------------------------------===//
// Classes
//===----------------------------------------------------------------------===//

uint32_t Solver::find(uint32_t x) {
  // Path halving: iterative, and nearly flat after a few finds.
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

void Solver::notifyValue(uint32_t v) {
  if (values[v].defNode != kNone)
    enqueue(values[v].defNode);
  for (uint32_t i = userBegin[v]; i < userBegin[v + 1]; ++i)
    enqueue(users[i]);
}

void Solver::notifyClass(uint32_t root) {
  uint32_t x = root;
  do {
    notifyValue(varValue[x]);
    x = nextMember[x];
  } while (x != root);
}

void Solver::enqueue(uint32_t nodeIndex) {
  if (queued[nodeIndex])
    return;
  queued[nodeIndex] = true;
  worklist.push_back(nodeIndex);
}

void Solver::unify(uint32_t nodeIndex, uint32_t a, uint32_t b, DimRef ra,
                   DimRef rb) {
  uint32_t x = find(a), y = find(b);
  if (x == y)
    return;
  const Dim &dx = binding[x], &dy = binding[y];
  if (dx.isDetermined() && dy.isDetermined()) {
    if (dx == dy)
      return; // equal values; merging would tell no rule anything new
    NodeContext ctx(*this, nodeIndex);
    report(nodeIndex,
           llvm::formatv("{0} is {1} but {2} is {3}; they must be equal",
                         describeDim(ctx, ra), dx, describeDim(ctx, rb), dy),
           {explain(dx, origin[x]), explain(dy, origin[y])});
    return;
  }

  ++NumUnions;
  // The determined class, if any, becomes the root. Only the other class's
  // members learn something, so only they are notified, before the member
  // lists are spliced: a large class (the batch dim of every value) is
  // never walked again.
  if (!dx.isDetermined() && dy.isDetermined())
    std::swap(x, y);
  if (binding[x].isDetermined()) {
    ++NumDetermined;
    notifyClass(y);
  }
  parent[y] = x;
  std::swap(nextMember[x], nextMember[y]);
}

void Solver::determine(uint32_t nodeIndex, uint32_t x, Dim d, DimRef ref,
                       llvm::StringRef why) {
  NodeContext ctx(*this, nodeIndex);
  if (d.isInvalid()) {
    report(nodeIndex, llvm::formatv("{0} ({1}) overflows 64-bit arithmetic",
                                    describeDim(ctx, ref), why));
    return;
  }
  if (d.isConstant() && d.getConstant() < 0) {
    report(nodeIndex, llvm::formatv("{0} would be {1} ({2})",
                                    describeDim(ctx, ref), d, why));
    return;
  }
  uint32_t root = find(x);
  const Dim &have = binding[root];
  if (have == d)
    return;
  if (have.isDetermined()) {
    report(nodeIndex,
           llvm::formatv("{0} is {1}, but {2} requires {3}",
                         describeDim(ctx, ref), have, why, d),
           {explain(have, origin[root])});
    return;
  }
  ++NumDetermined;
  binding[root] = d;
  origin[root] = {Origin::Kind::Inferred, nodeIndex};
  notifyClass(root);
}

bool Solver::setRank(uint32_t nodeIndex, uint32_t v, unsigned rank, Slot slot) {
  ValueState &state = values[v];
  if (state.rank == int32_t(rank))
    return true;
  if (state.rank < 0) {
    allocateVars(v, rank);
    state.rankOrigin = {Origin::Kind::Inferred, nodeIndex};
    notifyValue(v);
    return true;
  }

  const Node &node = *graph.getNodes()[nodeIndex];
  std::string role = slot == kResult ? std::string("the result")
                                     : node.getOp().operandName(slot);
  std::vector<DiagNote> notes;
  const Origin &o = state.rankOrigin;
  if (o.kind == Origin::Kind::Declared)
    notes.push_back(
        {values[o.index].value->isInput()
             ? values[o.index].value->getLoc()
             : values[o.index].value->getDefiningNode()->getTypeLoc(),
         llvm::formatv("'%{0}' is declared {1} here", state.value->getName(),
                       partialType(v))});
  else if (o.kind == Origin::Kind::Inferred)
    notes.push_back(
        {locOf(o.index),
         llvm::formatv("its rank {0} was set by {1} here", state.rank,
                       graph.getNodes()[o.index]->describe())});
  report(nodeIndex,
         llvm::formatv("{0} '%{1}' must have rank {2}, but it has rank {3}",
                       role, state.value->getName(), rank, state.rank),
         std::move(notes));
  return false;
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

llvm::SMLoc Solver::locOf(uint32_t nodeIndex) const {
  return graph.getNodes()[nodeIndex]->getLoc();
}

void Solver::report(uint32_t nodeIndex, const std::string &message,
                    std::vector<DiagNote> notes) {
  std::string text = graph.getNodes()[nodeIndex]->describe() + ": " + message;
  // A rule that runs again after a conflict would report it again.
  if (!reported.insert(text).second)
    return;
  diags.error(locOf(nodeIndex), std::move(text), std::move(notes));
}

DiagNote Solver::explain(Dim d, const Origin &o) const {
  if (o.kind == Origin::Kind::Inferred)
    return {locOf(o.index),
            llvm::formatv("{0} was inferred by {1} here", d,
                          graph.getNodes()[o.index]->describe())};
  const Value &v = *values[o.index].value;
  llvm::SMLoc loc =
      v.isInput() ? v.getLoc() : v.getDefiningNode()->getTypeLoc();
  TensorType declared =
      v.isInput() ? v.getType() : *v.getDefiningNode()->getDeclaredType();
  // A type set by a program (a parameter's known shape) has no location.
  if (!loc.isValid())
    return {loc, llvm::formatv("{0} comes from '%{1}', whose type is {2}", d,
                               v.getName(), declared)};
  return {loc, llvm::formatv("{0} comes from '%{1}' declared {2} here", d,
                             v.getName(), declared)};
}

std::string Solver::partialType(uint32_t v) {
  const ValueState &state = values[v];
  TensorType type = TensorType::unranked(state.value->getType().getDType());
  if (state.rank >= 0) {
    llvm::SmallVector<Dim, 4> dims;
    for (int32_t i = 0; i < state.rank; ++i)
      dims.push_back(valueOfClass(var(v, i)));
    type = TensorType(type.getDType(), dims);
  }
  return type.str();
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

void Solver::run() {
  for (uint32_t v = 0; v < values.size(); ++v) {
    const Value &value = *values[v].value;
    if (value.isInput())
      seedDeclared(v, value.getType());
    else if (const auto &declared = value.getDefiningNode()->getDeclaredType())
      seedDeclared(v, *declared);
  }
  if (!inferDTypes())
    return;

  for (uint32_t n = 0; n < graph.getNodes().size(); ++n)
    enqueue(n);
  while (!worklist.empty()) {
    uint32_t n = worklist.front();
    worklist.pop_front();
    queued[n] = false;
    ++NumRuleRuns;
    const Node &node = *graph.getNodes()[n];
    LLVM_DEBUG(llvm::dbgs() << "rule " << node.describe() << '\n');
    NodeContext ctx(*this, n);
    node.getOp().inferShape(ctx);
  }
}

void Solver::writeBack() {
  for (uint32_t v = 0; v < values.size(); ++v) {
    ValueState &state = values[v];
    DType dtype = state.value->getType().getDType();
    if (state.rank < 0) {
      state.value->setType(TensorType::unranked(dtype));
      continue;
    }
    llvm::SmallVector<Dim, 4> dims;
    for (int32_t i = 0; i < state.rank; ++i)
      dims.push_back(valueOfClass(var(v, i)));
    state.value->setType(TensorType(dtype, dims));
  }
}

void Solver::reportUnresolved() {
  for (uint32_t v = 0; v < values.size(); ++v) {
    const ValueState &state = values[v];
    const Value &value = *state.value;
    if (value.getType().isDetermined() || value.isInput())
      continue;

    // Name the ops that could have decided it: the defining op, or for a
    // parameter the ops that use it.
    std::vector<DiagNote> notes;
    std::string deciders;
    if (!value.isParam()) {
      deciders = value.getDefiningNode()->describe();
    }
    for (uint32_t i = userBegin[v]; i < userBegin[v + 1] && value.isParam();
         ++i) {
      const Node &user = *graph.getNodes()[users[i]];
      deciders += (deciders.empty() ? "" : ", ") + user.describe();
      notes.push_back({user.getLoc(), "'%" + value.getName().str() +
                                          "' is used by " + user.describe() +
                                          " here"});
    }
    const Node &def = *value.getDefiningNode();
    std::string message =
        llvm::formatv("{0} '%{1}' has shape {2} after inference: ",
                      value.isParam() ? "parameter" : "value", value.getName(),
                      value.getType().shapeStr());
    if (deciders.empty())
      message += "it is used by no op, so nothing determines its shape";
    else
      message += "not determined by " + deciders;
    diags.error(def.getLoc(), std::move(message), std::move(notes));
  }
}

void Solver::checkParamsAreConstant() {
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    if (!node->getOp().isParam())
      continue;
    const TensorType &type = node->getResult().getType();
    if (!type.hasRank() || llvm::none_of(type.getDims(), [](const Dim &d) {
          return d.isSymbolic();
        }))
      continue;
    llvm::SmallVector<std::string, 2> names;
    for (const Dim &d : type.getDims())
      d.forEachSymbol([&](llvm::StringRef s) {
        if (!llvm::is_contained(names, s))
          names.push_back(s.str());
      });
    std::string symbols = llvm::join(names, ", ");
    bool plural = names.size() > 1;
    diags.error(node->getLoc(),
                llvm::formatv("parameter '%{0}' would have shape {1}, which "
                              "depends on the input symbol{2} {3}; a "
                              "parameter's shape must not change with the "
                              "input",
                              node->getName(), type.shapeStr(),
                              plural ? "s" : "", symbols)
                    .str(),
                {});
  }
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

const Node &NodeContext::getNode() const {
  return *solver.graph.getNodes()[nodeIndex];
}

uint32_t NodeContext::valueOf(Slot slot) const {
  // Values are numbered inputs first, then node results in order.
  if (slot == kResult)
    return solver.graph.getInputs().size() + nodeIndex;
  return solver.operandValue[solver.operandBegin[nodeIndex] + slot];
}

std::optional<unsigned> NodeContext::getRank(Slot slot) const {
  int32_t rank = solver.values[valueOf(slot)].rank;
  if (rank < 0)
    return std::nullopt;
  return rank;
}

bool NodeContext::setRank(Slot slot, unsigned rank) {
  return solver.setRank(nodeIndex, valueOf(slot), rank, slot);
}

bool NodeContext::hasDim(uint32_t v, unsigned i) const {
  // Rules fix a rank before touching dims, and skip values whose rank
  // conflicted. Should one not, reading another value's variable would give
  // wrong results, so release builds ignore the access.
  bool ok = solver.values[v].rank > int32_t(i);
  assert(ok && "a shape rule used a dim of a value without that rank");
  return ok;
}

Dim NodeContext::getDim(Slot slot, unsigned i) const {
  uint32_t v = valueOf(slot);
  if (!hasDim(v, i))
    return Dim::unknown();
  return solver.valueOfClass(solver.var(v, i));
}

void NodeContext::equate(Slot a, unsigned i, Slot b, unsigned j) {
  uint32_t va = valueOf(a), vb = valueOf(b);
  if (!hasDim(va, i) || !hasDim(vb, j))
    return;
  solver.unify(nodeIndex, solver.var(va, i), solver.var(vb, j), {a, i}, {b, j});
}

void NodeContext::assign(Slot slot, unsigned i, Dim value,
                         llvm::StringRef why) {
  uint32_t v = valueOf(slot);
  if (!hasDim(v, i))
    return;
  solver.determine(nodeIndex, solver.var(v, i), value, {slot, i}, why);
}

void NodeContext::fail(const llvm::Twine &message) {
  solver.report(nodeIndex, message.str());
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

/// Checks one binding against the input's declared type and records the
/// values it gives to declared symbols.
static void checkBinding(const Graph &graph, const InputBinding &binding,
                         llvm::StringMap<Dim> &symbolValues,
                         DiagCollector &diags) {
  Value *input = graph.lookup(binding.name);
  if (!input || !input->isInput()) {
    diags.error({}, "graph '{0}' has no input '%{1}'{2}", graph.getName(),
                binding.name, input ? " (it is a value defined by an op)" : "");
    return;
  }
  const TensorType &declared = input->getType();
  auto mismatch = [&](const llvm::Twine &why) {
    diags.error(input->getLoc(),
                "cannot bind input '%{0}' of graph '{1}' to "
                "{2}: it is declared {3}{4}",
                binding.name, graph.getName(), binding.type, declared,
                why.str());
  };
  if (declared.getDType() != binding.type.getDType())
    return mismatch("");
  if (!binding.type.hasRank() || declared.getRank() != binding.type.getRank())
    return mismatch(" (the ranks differ)");

  for (unsigned i = 0; i < declared.getRank(); ++i) {
    const Dim &have = declared.getDim(i), &want = binding.type.getDim(i);
    // A `?` in the binding keeps what is declared.
    if (have.isUnknown() || want.isUnknown() || have == want)
      continue;
    if (!have.isSymbol())
      return mismatch(llvm::formatv(" (dim {0} differs)", i).str());
    auto [it, inserted] = symbolValues.try_emplace(have.str(), want);
    if (!inserted && it->second != want)
      diags.error({},
                  "symbol {0} of graph '{1}' is bound to both {2} and "
                  "{3}",
                  have, graph.getName(), it->second, want);
  }
}

llvm::Error shapeflow::bindInputs(Graph &graph,
                                  llvm::ArrayRef<InputBinding> bindings) {
  DiagCollector diags;
  llvm::StringMap<Dim> symbolValues;
  llvm::StringMap<TensorType> seen;
  for (const InputBinding &binding : bindings) {
    auto [it, inserted] = seen.try_emplace(binding.name, binding.type);
    if (inserted) {
      checkBinding(graph, binding, symbolValues, diags);
      continue;
    }
    // Saying the same thing twice is harmless; two answers are not.
    if (it->second != binding.type)
      diags.error({},
                  "input '%{0}' of graph '{1}' is bound to both {2} and "
                  "{3}",
                  binding.name, graph.getName(), it->second, binding.type);
  }
  if (diags.getCount())
    return diags.take();

  // A bound dim replaces a `?`; a value given for a declared symbol
  // replaces that symbol in every input, bound or not.
  auto lookup = [&](llvm::StringRef symbol) -> std::optional<Dim> {
    auto it = symbolValues.find(symbol);
    if (it == symbolValues.end())
      return std::nullopt;
    return it->second;
  };
  for (const std::unique_ptr<Value> &input : graph.getInputs()) {
    const TensorType &declared = input->getType();
    if (!declared.hasRank())
      continue;
    const InputBinding *bound = nullptr;
    for (const InputBinding &binding : bindings)
      if (binding.name == input->getName() && !bound)
        bound = &binding;
    llvm::SmallVector<Dim, 4> dims;
    for (unsigned i = 0; i < declared.getRank(); ++i) {
      Dim d = declared.getDim(i);
      bool fromBinding = bound && d.isUnknown();
      dims.push_back(fromBinding ? bound->type.getDim(i)
                                 : d.substitute(lookup));
    }
    input->setType(TensorType(declared.getDType(), dims));
  }

  // A symbol's value holds wherever the symbol is written.
  if (symbolValues.empty())
    return llvm::Error::success();
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    const std::optional<TensorType> &declared = node->getDeclaredType();
    if (!declared || !declared->hasRank())
      continue;
    llvm::SmallVector<Dim, 4> dims;
    for (const Dim &d : declared->getDims())
      dims.push_back(d.substitute(lookup));
    node->setDeclaredType(TensorType(declared->getDType(), dims));
  }
  return llvm::Error::success();
}

bool shapeflow::hasCompleteSignature(const Graph &graph) {
  return llvm::all_of(graph.getInputs(), [](const auto &input) {
    return input->getType().isDetermined();
  });
}

llvm::Error shapeflow::inferShapes(Graph &graph,
                                   const ShapeInferenceOptions &options) {
  DiagCollector diags;
  Solver solver(graph, diags);
  solver.run();
  solver.writeBack();
  if (diags.getCount() == 0) {
    solver.checkParamsAreConstant();
    if (options.requireComplete)
      solver.reportUnresolved();
  }
  return diags.take();
}
