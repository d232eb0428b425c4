//===- Graph.cpp - Values, nodes, graphs and modules ----------------------===//

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/DenseMap.h"

#include <cassert>
#include <queue>

using namespace shapeflow;

bool Value::isParam() const { return def && def->getOp().isParam(); }

//===----------------------------------------------------------------------===//
// Node
//===----------------------------------------------------------------------===//

void Node::setAttr(llvm::StringRef name, Attribute value) {
  for (NamedAttribute &attr : attrs) {
    if (attr.name == name) {
      attr.value = std::move(value);
      return;
    }
  }
  attrs.push_back(NamedAttribute{name.str(), std::move(value), {}});
}

const Attribute *Node::getAttr(llvm::StringRef name) const {
  for (const NamedAttribute &attr : attrs)
    if (attr.name == name)
      return &attr.value;
  return nullptr;
}

const Attribute *Node::getAttrOrDefault(llvm::StringRef name) const {
  if (const Attribute *attr = getAttr(name))
    return attr;
  if (const AttrSpec *spec = op->findAttr(name))
    if (spec->defaultValue)
      return &*spec->defaultValue;
  return nullptr;
}

int64_t Node::getInt(llvm::StringRef name) const {
  const Attribute *attr = getAttrOrDefault(name);
  assert(attr && "missing integer attribute on a verified node");
  return attr->getInt();
}

double Node::getFloat(llvm::StringRef name) const {
  const Attribute *attr = getAttrOrDefault(name);
  assert(attr && "missing float attribute on a verified node");
  return attr->getNumber();
}

bool Node::getBool(llvm::StringRef name) const {
  const Attribute *attr = getAttrOrDefault(name);
  assert(attr && "missing boolean attribute on a verified node");
  return attr->getBool();
}

std::pair<int64_t, int64_t> Node::getIntPair(llvm::StringRef name) const {
  const Attribute *attr = getAttrOrDefault(name);
  assert(attr && "missing pair attribute on a verified node");
  if (attr->isInt())
    return {attr->getInt(), attr->getInt()};
  std::vector<int64_t> values = attr->getIntList();
  assert(values.size() == 2 && "a verified pair has two items");
  return {values[0], values[1]};
}

std::vector<int64_t> Node::getIntList(llvm::StringRef name) const {
  const Attribute *attr = getAttrOrDefault(name);
  assert(attr && "missing list attribute on a verified node");
  return attr->getIntList();
}

std::string Node::describe() const {
  return (getOpName() + " '%" + getName() + "'").str();
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

Value &Graph::addInput(llvm::StringRef inputName, TensorType type,
                       llvm::SMLoc inputLoc) {
  inputs.push_back(std::unique_ptr<Value>(
      new Value(inputName.str(), std::move(type), nullptr, inputLoc)));
  Value &v = *inputs.back();
  symbols.try_emplace(inputName, &v);
  return v;
}

Node &Graph::addNode(NodeSpec spec) {
  assert(spec.op && "a node needs an op");
  auto node = std::unique_ptr<Node>(new Node());
  node->op = spec.op;
  node->operands.assign(spec.operands.begin(), spec.operands.end());
  node->attrs = std::move(spec.attrs);
  node->declaredType = spec.declaredType;
  node->loc = spec.loc;
  node->typeLoc = spec.typeLoc;
  TensorType initial = spec.declaredType.value_or(TensorType());
  node->result.reset(
      new Value(spec.name, std::move(initial), node.get(), spec.nameLoc));
  symbols.try_emplace(spec.name, node->result.get());
  nodes.push_back(std::move(node));
  return *nodes.back();
}

void Graph::addOutput(Value &v, llvm::SMLoc outputLoc) {
  outputs.push_back(&v);
  outputLocs.push_back(outputLoc);
}

std::vector<Node *> Graph::getParams() const {
  std::vector<Node *> params;
  for (const std::unique_ptr<Node> &node : nodes)
    if (node->getOp().isParam())
      params.push_back(node.get());
  return params;
}

Value *Graph::lookup(llvm::StringRef valueName) const {
  return symbols.lookup(valueName);
}

llvm::Error Graph::sortTopologically() {
  // Kahn's algorithm; a min-heap on the written position keeps the written
  // order wherever the dependences allow it.
  llvm::DenseMap<const Node *, unsigned> position;
  for (unsigned i = 0; i < nodes.size(); ++i)
    position[nodes[i].get()] = i;

  std::vector<unsigned> pending(nodes.size(), 0);
  std::vector<std::vector<unsigned>> users(nodes.size());
  for (unsigned i = 0; i < nodes.size(); ++i) {
    for (Value *operand : nodes[i]->getOperands()) {
      auto it = position.find(operand->getDefiningNode());
      if (it == position.end())
        continue;
      ++pending[i];
      users[it->second].push_back(i);
    }
  }

  std::priority_queue<unsigned, std::vector<unsigned>, std::greater<>> ready;
  for (unsigned i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0)
      ready.push(i);
  std::vector<unsigned> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    unsigned i = ready.top();
    ready.pop();
    order.push_back(i);
    for (unsigned user : users[i])
      if (--pending[user] == 0)
        ready.push(user);
  }

  if (order.size() != nodes.size())
    return reportCycle(pending, users);

  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes.size());
  for (unsigned i : order)
    sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  return llvm::Error::success();
}

llvm::Error
Graph::reportCycle(const std::vector<unsigned> &pending,
                   const std::vector<std::vector<unsigned>> &users) const {
  // Nodes left with pending operands are on a cycle or downstream of one.
  // The cycles themselves are the strongly connected components with more
  // than one node (or a node that uses itself): Tarjan's algorithm, made
  // iterative so that a long cycle cannot exhaust the stack.
  std::vector<bool> left(nodes.size());
  for (unsigned i = 0; i < nodes.size(); ++i)
    left[i] = pending[i] != 0;
  constexpr unsigned kUnvisited = ~0u;
  std::vector<unsigned> index(nodes.size(), kUnvisited), low(nodes.size());
  std::vector<bool> onStack(nodes.size()), onCycle(nodes.size());
  std::vector<unsigned> stack;
  std::vector<std::pair<unsigned, unsigned>> frames; // node, next user
  unsigned counter = 0;
  for (unsigned root = 0; root < nodes.size(); ++root) {
    if (!left[root] || index[root] != kUnvisited)
      continue;
    frames.push_back({root, 0});
    index[root] = low[root] = counter++;
    stack.push_back(root);
    onStack[root] = true;
    while (!frames.empty()) {
      auto &[v, next] = frames.back();
      if (next < users[v].size()) {
        unsigned w = users[v][next++];
        if (!left[w])
          continue;
        if (index[w] == kUnvisited) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          onStack[w] = true;
          frames.push_back({w, 0});
        } else if (onStack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      unsigned done = v;
      frames.pop_back();
      if (!frames.empty())
        low[frames.back().first] =
            std::min(low[frames.back().first], low[done]);
      if (low[done] != index[done])
        continue;
      // `done` roots a component: pop it.
      std::vector<unsigned> component;
      unsigned w;
      do {
        w = stack.back();
        stack.pop_back();
        onStack[w] = false;
        component.push_back(w);
      } while (w != done);
      bool selfLoop = llvm::is_contained(users[done], done);
      if (component.size() > 1 || selfLoop)
        for (unsigned c : component)
          onCycle[c] = true;
    }
  }

  std::string names;
  std::vector<DiagNote> notes;
  const Node *first = nullptr;
  for (unsigned i = 0; i < nodes.size(); ++i) {
    if (!onCycle[i])
      continue;
    if (!first)
      first = nodes[i].get();
    names += (names.empty() ? "'%" : ", '%") + nodes[i]->getName().str() + "'";
    notes.push_back(
        {nodes[i]->getLoc(), nodes[i]->describe() + " is part of the cycle"});
  }
  assert(first && "a failed sort leaves a cycle");
  return llvm::make_error<DiagError>(
      first->getLoc(),
      llvm::formatv("graph '{0}' has a cycle through {1}", name, names).str(),
      std::move(notes));
}

void Graph::resetTypes() {
  for (std::unique_ptr<Node> &node : nodes)
    node->result->setType(node->declaredType.value_or(TensorType()));
}

Graph *Module::lookup(llvm::StringRef graphName) const {
  for (const std::unique_ptr<Graph> &g : graphs)
    if (g->getName() == graphName)
      return g.get();
  return nullptr;
}
