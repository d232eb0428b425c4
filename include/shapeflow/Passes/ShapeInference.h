//===- ShapeInference.h - Binding a signature and inferring shapes -*- C++ -*-//
//
// Shape inference treats every dimension of every value and parameter as a
// variable. Each op's shape rule (see IR/Op.h) posts constraints: equalities
// between dimensions and defining expressions. A worklist solver keeps the
// variables in union-find classes and runs a rule again only when one of its
// dimensions becomes known, until nothing changes. Work is linear in the
// size of the graph and nothing recurses on it.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_PASSES_SHAPEINFERENCE_H
#define SHAPEFLOW_PASSES_SHAPEINFERENCE_H

#include "shapeflow/IR/Graph.h"

#include "llvm/Support/Error.h"

#include <string>

namespace shapeflow {

/// A type for one graph input, as given by `--bind %x=f32[2,20]`.
struct InputBinding {
  std::string name; ///< without the `%`
  TensorType type;
  /// Where the binding was written, for diagnostics (may be empty).
  std::string origin;
};

/// Refines the declared type of each named input with a bound type. A bound
/// dimension replaces a `?`; a bound value for a declared symbol replaces
/// that symbol in every input and in every type declared on a node. Mismatched
/// dtypes, ranks or sizes, and names that are not inputs, are errors naming the
/// input and both types.
llvm::Error bindInputs(Graph &graph, llvm::ArrayRef<InputBinding> bindings);

struct ShapeInferenceOptions {
  /// Report every dimension left unknown as an error. Callers set this when
  /// the signature is fully given, so that everything should resolve.
  bool requireComplete = false;
};

/// Infers the type of every value in a verified graph and stores it in the
/// values. Conflicts are reported all at once, each with the op, both values
/// and where each came from. A parameter whose shape would depend on an
/// input symbol is an error. Dimensions nothing determines stay unknown (and
/// are errors with `requireComplete`).
llvm::Error inferShapes(Graph &graph,
                        const ShapeInferenceOptions &options = {});

/// True when every input's dims are constants or symbolic expressions.
bool hasCompleteSignature(const Graph &graph);

} // namespace shapeflow

#endif // SHAPEFLOW_PASSES_SHAPEINFERENCE_H
