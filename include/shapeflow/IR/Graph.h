//===- Graph.h - Values, nodes, graphs and modules --------------*- C++ -*-===//
//
// The IR. A graph has named inputs (its signature), nodes and returned
// values. Every node has exactly one result, and values are SSA: each name
// is defined once. Parameters are nodes of the `param` op, so they carry
// attributes (an initializer) like any other node.
//
// A graph built by the parser or by hand may be malformed (a duplicate name,
// a cycle, a bad attribute); nothing here checks. The verifier reports every
// such fault, and passes assume a verified graph.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_GRAPH_H
#define SHAPEFLOW_IR_GRAPH_H

#include "shapeflow/IR/Attribute.h"
#include "shapeflow/IR/Op.h"
#include "shapeflow/IR/Type.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SMLoc.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shapeflow {

class Node;

/// A named tensor: a graph input or a node's result.
class Value {
public:
  /// The name without its `%`.
  llvm::StringRef getName() const { return name; }
  /// What is known of the type: declared, then refined by shape inference.
  const TensorType &getType() const { return type; }
  void setType(TensorType t) { type = std::move(t); }
  /// The defining node, or nullptr for a graph input.
  Node *getDefiningNode() const { return def; }
  bool isInput() const { return def == nullptr; }
  bool isParam() const;
  /// Where the name is defined, if the graph came from text.
  llvm::SMLoc getLoc() const { return loc; }

private:
  friend class Graph;
  Value(std::string name, TensorType type, Node *def, llvm::SMLoc loc)
      : name(std::move(name)), type(std::move(type)), def(def), loc(loc) {}

  std::string name;
  TensorType type;
  Node *def;
  llvm::SMLoc loc;
};

/// One op application with a single result.
class Node {
public:
  const OpInfo &getOp() const { return *op; }
  llvm::StringRef getOpName() const { return op->name; }
  Value &getResult() { return *result; }
  const Value &getResult() const { return *result; }
  llvm::StringRef getName() const { return result->getName(); }

  llvm::ArrayRef<Value *> getOperands() const { return operands; }
  Value &getOperand(unsigned i) const { return *operands[i]; }
  unsigned getNumOperands() const { return operands.size(); }
  void setOperand(unsigned i, Value &v) { operands[i] = &v; }
  void setOperands(llvm::ArrayRef<Value *> values) {
    operands.assign(values.begin(), values.end());
  }

  /// Attributes as written, in order.
  const std::vector<NamedAttribute> &getAttrs() const { return attrs; }
  void setAttr(llvm::StringRef name, Attribute value);
  /// The attribute as written, or nullptr.
  const Attribute *getAttr(llvm::StringRef name) const;
  /// The attribute as written, else the op's default, else nullptr.
  const Attribute *getAttrOrDefault(llvm::StringRef name) const;

  // Typed accessors for verified nodes: the attribute (or its default) must
  // exist and have the right kind.
  int64_t getInt(llvm::StringRef name) const;
  double getFloat(llvm::StringRef name) const;
  bool getBool(llvm::StringRef name) const;
  /// An IntPair attribute as two integers.
  std::pair<int64_t, int64_t> getIntPair(llvm::StringRef name) const;
  std::vector<int64_t> getIntList(llvm::StringRef name) const;

  /// The type written after `:`, a constraint on the result.
  const std::optional<TensorType> &getDeclaredType() const {
    return declaredType;
  }
  void setDeclaredType(std::optional<TensorType> type) {
    declaredType = std::move(type);
  }
  llvm::SMLoc getTypeLoc() const { return typeLoc; }
  /// Where the op name is written.
  llvm::SMLoc getLoc() const { return loc; }

  /// `dense '%h'`: how diagnostics name a node.
  std::string describe() const;

private:
  friend class Graph;
  Node() = default;

  const OpInfo *op = nullptr;
  std::unique_ptr<Value> result;
  llvm::SmallVector<Value *, 3> operands;
  std::vector<NamedAttribute> attrs;
  std::optional<TensorType> declaredType;
  llvm::SMLoc loc, typeLoc;
};

/// Everything needed to add a node.
struct NodeSpec {
  const OpInfo *op = nullptr;
  std::string name;
  std::vector<Value *> operands;
  std::vector<NamedAttribute> attrs;
  std::optional<TensorType> declaredType;
  llvm::SMLoc loc, nameLoc, typeLoc;
};

/// A graph: inputs, nodes in topological order (once verified), outputs.
class Graph {
public:
  explicit Graph(std::string name, llvm::SMLoc loc = {})
      : name(std::move(name)), loc(loc) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  llvm::StringRef getName() const { return name; }
  llvm::SMLoc getLoc() const { return loc; }

  /// Adds an input. Its type is its declared type.
  Value &addInput(llvm::StringRef name, TensorType type, llvm::SMLoc loc = {});
  /// Adds a node at the end. Its result's type starts as the declared type
  /// (or unknown).
  Node &addNode(NodeSpec spec);
  void addOutput(Value &v, llvm::SMLoc loc = {});

  llvm::ArrayRef<std::unique_ptr<Value>> getInputs() const { return inputs; }
  llvm::ArrayRef<std::unique_ptr<Node>> getNodes() const { return nodes; }
  llvm::ArrayRef<Value *> getOutputs() const { return outputs; }
  llvm::SMLoc getOutputLoc(unsigned i) const { return outputLocs[i]; }
  /// The `param` nodes, in graph order.
  std::vector<Node *> getParams() const;

  /// The value named `name` (without `%`), or nullptr. With duplicates, the
  /// first definition.
  Value *lookup(llvm::StringRef name) const;

  /// Reorders nodes so every operand is defined before use, keeping the
  /// written order where possible. Reports every node on a cycle.
  llvm::Error sortTopologically();

  /// Resets every value's type to what was declared (inputs keep theirs),
  /// undoing a previous shape inference.
  void resetTypes();

private:
  llvm::Error
  reportCycle(const std::vector<unsigned> &pending,
              const std::vector<std::vector<unsigned>> &users) const;

  std::string name;
  llvm::SMLoc loc;
  std::vector<std::unique_ptr<Value>> inputs;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Value *> outputs;
  std::vector<llvm::SMLoc> outputLocs;
  llvm::StringMap<Value *> symbols;
};

/// The graphs of one file.
class Module {
public:
  std::vector<std::unique_ptr<Graph>> graphs;

  Graph *lookup(llvm::StringRef name) const;
};

} // namespace shapeflow

#endif // SHAPEFLOW_IR_GRAPH_H
