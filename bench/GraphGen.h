//===- GraphGen.h - Large generated graphs for compiler benchmarks -*- C++ -*-//
//
// Graph families built through the Graph API, of any size, shared by the
// Google Benchmark binary (CompilerBench.cpp) and the suite's compiler
// section (CompilerSuiteBench.cpp):
//
//   dense_chain      %x: f32[32, 64], then (param, dense units=64, relu)*
//   dense_chain_sym  the same with %x: f32[N, 64]
//   conv_chain_sym   %x: f32[N, 8, H, W], then (param, conv2d 3x3 pad 1,
//                    relu)*; every conv keeps H and W
//   branchy          %x: f32[N, ?, 8, 8] and a first weight declared
//                    f32[16, 3, 3, 3], so the input's channels come from the
//                    weight; then blocks that fork into two conv2d + relu
//                    branches joined by add, and every fourth block concats
//                    its output with its input, doubling the channels the
//                    next block's weights must be inferred with
//
// No parameter but the first branchy weight declares a type: every weight's
// shape comes from the op that uses it.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_BENCH_GRAPHGEN_H
#define SHAPEFLOW_BENCH_GRAPHGEN_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/IR/Op.h"

#include "llvm/ADT/ArrayRef.h"

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shapeflow::bench {

enum class Family { DenseChain, DenseChainSym, ConvChainSym, Branchy };

inline const char *familyName(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "dense_chain";
  case Family::DenseChainSym:
    return "dense_chain_sym";
  case Family::ConvChainSym:
    return "conv_chain_sym";
  case Family::Branchy:
    return "branchy";
  }
  return "?";
}

/// Appends nodes to a graph by op name, caching the registry lookups.
class GraphBuilder {
public:
  explicit GraphBuilder(Graph &graph)
      : graph(graph), paramOp(op("param")), denseOp(op("dense")),
        reluOp(op("relu")), convOp(op("conv2d")), addOp(op("add")),
        concatOp(op("concat")) {}

  /// A parameter with no declared type, or with `type`.
  Value &param(std::string name,
               std::optional<TensorType> type = std::nullopt) {
    NodeSpec spec;
    spec.op = paramOp;
    spec.name = std::move(name);
    spec.declaredType = std::move(type);
    return graph.addNode(std::move(spec)).getResult();
  }

  /// A node of `op`; its result is unknown until inference.
  Value &node(const OpInfo *op, std::string name, std::vector<Value *> operands,
              std::vector<NamedAttribute> attrs = {}) {
    NodeSpec spec;
    spec.op = op;
    spec.name = std::move(name);
    spec.operands = std::move(operands);
    spec.attrs = std::move(attrs);
    return graph.addNode(std::move(spec)).getResult();
  }

  size_t size() const { return graph.getNodes().size(); }

  Graph &graph;
  const OpInfo *paramOp, *denseOp, *reluOp, *convOp, *addOp, *concatOp;

private:
  static const OpInfo *op(llvm::StringRef name) {
    const OpInfo *info = lookupOp(name);
    assert(info && "the generators use only registered ops");
    return info;
  }
};

/// `prefix` followed by `index`: "l12". (Built by appending, which also
/// avoids a spurious GCC 12 -Wrestrict warning on `"l" + std::to_string`.)
inline std::string indexed(const char *prefix, size_t index) {
  std::string name = prefix;
  name += std::to_string(index);
  return name;
}

inline NamedAttribute intAttr(const char *name, int64_t value) {
  return {name, Attribute::integer(value), {}};
}

/// `conv2d(x, w, channels=c, kernel=k, padding=p)`, weight undeclared.
inline Value &convBranch(GraphBuilder &b, const std::string &prefix, Value &x,
                         int64_t channels, int64_t kernel, int64_t padding,
                         std::optional<TensorType> weightType = std::nullopt) {
  Value &w = b.param(prefix + ".w", std::move(weightType));
  Value &c = b.node(b.convOp, prefix + ".c", {&x, &w},
                    {intAttr("channels", channels), intAttr("kernel", kernel),
                     intAttr("padding", padding)});
  return b.node(b.reluOp, prefix + ".r", {&c});
}

/// (param, dense units=64, relu) until the graph has `numNodes` nodes.
/// [B, 64] -> [B, 64]
inline Value &buildDenseChain(GraphBuilder &b, Value &x, size_t numNodes) {
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i) {
    std::string prefix = indexed("l", i);
    Value &w = b.param(prefix + ".w");
    Value &d =
        b.node(b.denseOp, prefix + ".d", {h, &w}, {intAttr("units", 64)});
    h = &b.node(b.reluOp, prefix + ".r", {&d});
  }
  return *h;
}

/// (param, conv2d 3x3 pad 1, relu) until the graph has `numNodes` nodes.
/// [N, 8, H, W] -> [N, 8, H, W]
inline Value &buildConvChain(GraphBuilder &b, Value &x, size_t numNodes) {
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i)
    h = &convBranch(b, indexed("l", i), *h, /*channels=*/8,
                    /*kernel=*/3, /*padding=*/1);
  return *h;
}

/// Residual-style blocks until the graph has `numNodes` nodes.
/// [N, C, 8, 8] -> [N, 16, 8, 8], or [N, 32, 8, 8] after a concat.
inline Value &buildBranchy(GraphBuilder &b, Value &x, size_t numNodes) {
  // The first branch fixes the input's channels backward:
  // weight [16, 3, 3, 3] => x [N, 3, 8, 8].
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i) {
    std::string prefix = indexed("b", i);
    std::optional<TensorType> firstWeight;
    if (i == 0)
      firstWeight = TensorType(DType::F32, {16, 3, 3, 3});
    Value &left = convBranch(b, prefix + ".a", *h, 16, 3, 1, firstWeight);
    Value &right = convBranch(b, prefix + ".b", *h, 16, 1, 0);
    Value &sum = b.node(b.addOp, prefix + ".add", {&left, &right});
    if (i % 4 != 3) {
      h = &sum;
      continue;
    }
    // [N, 16, 8, 8] ++ [N, 16, 8, 8] -> [N, 32, 8, 8]
    h = &b.node(b.concatOp, prefix + ".cat", {&sum, h}, {intAttr("axis", 1)});
  }
  return *h;
}

/// A graph of `family` with at least `numNodes` nodes (a few more when the
/// last layer or block overshoots).
inline std::unique_ptr<Graph> buildGraph(Family family, size_t numNodes) {
  auto graph = std::make_unique<Graph>(familyName(family));
  GraphBuilder b(*graph);
  Dim n = Dim::symbol("N");
  Value *out = nullptr;
  switch (family) {
  case Family::DenseChain:
    out = &buildDenseChain(
        b, graph->addInput("x", TensorType(DType::F32, {32, 64})), numNodes);
    break;
  case Family::DenseChainSym:
    out = &buildDenseChain(
        b, graph->addInput("x", TensorType(DType::F32, {n, 64})), numNodes);
    break;
  case Family::ConvChainSym: {
    TensorType type(DType::F32, {n, 8, Dim::symbol("H"), Dim::symbol("W")});
    out = &buildConvChain(b, graph->addInput("x", type), numNodes);
    break;
  }
  case Family::Branchy:
    out = &buildBranchy(
        b, graph->addInput("x", TensorType(DType::F32, {n, Dim(), 8, 8})),
        numNodes);
    break;
  }
  graph->addOutput(*out);
  return graph;
}

/// The type inference must give the graph's input: branchy's channels are
/// inferred backward from its first weight.
inline const char *expectedInput(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "f32[32, 64]";
  case Family::DenseChainSym:
    return "f32[N, 64]";
  case Family::ConvChainSym:
    return "f32[N, 8, H, W]";
  case Family::Branchy:
    return "f32[N, 3, 8, 8]";
  }
  return nullptr;
}

/// The type inference must give the graph's output, if it is fixed.
inline const char *expectedOutput(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "f32[32, 64]";
  case Family::DenseChainSym:
    return "f32[N, 64]";
  case Family::ConvChainSym:
    return "f32[N, 8, H, W]";
  case Family::Branchy:
    return nullptr; // 16 or 32 channels, depending on where it stops
  }
  return nullptr;
}

/// Why the types inference gave a graph of `family` are wrong, or nothing
/// when they are right. Checked after timing, so that a broken graph fails
/// loudly instead of timing an early exit.
inline std::optional<std::string> checkInferredTypes(const Graph &graph,
                                                     Family family) {
  const TensorType &in = graph.getInputs().front()->getType();
  const TensorType &out = graph.getOutputs().front()->getType();
  const char *expected = expectedOutput(family);
  if (in.str() == expectedInput(family) &&
      (!expected || out.str() == expected) && out.isDetermined())
    return std::nullopt;
  return "unexpected types: input " + in.str() + ", output " + out.str();
}

/// The inputs' types before inference; Graph::resetTypes() keeps inputs as
/// inference refined them (branchy's channels).
inline std::vector<TensorType> inputTypesOf(const Graph &graph) {
  std::vector<TensorType> types;
  for (const std::unique_ptr<Value> &input : graph.getInputs())
    types.push_back(input->getType());
  return types;
}

/// Undoes a previous inference: node types as declared, and input types
/// as `inputTypes`, taken by inputTypesOf() before the first inference.
inline void resetGraphTypes(Graph &graph,
                            llvm::ArrayRef<TensorType> inputTypes) {
  graph.resetTypes();
  for (size_t i = 0; i < inputTypes.size(); ++i)
    graph.getInputs()[i]->setType(inputTypes[i]);
}

} // namespace shapeflow::bench

#endif // SHAPEFLOW_BENCH_GRAPHGEN_H
