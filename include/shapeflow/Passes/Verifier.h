//===- Verifier.h - Structural checks of a graph ----------------*- C++ -*-===//

#ifndef SHAPEFLOW_PASSES_VERIFIER_H
#define SHAPEFLOW_PASSES_VERIFIER_H

#include "shapeflow/IR/Graph.h"

#include "llvm/Support/Error.h"

namespace shapeflow {

/// Checks a graph's structure and reports every fault at once: duplicate
/// names, operand counts, unknown, missing, repeated or ill-typed
/// attributes, unranked inputs, a missing return, and cycles. On success the
/// nodes are in topological order, which every pass after it relies on.
llvm::Error verifyGraph(Graph &graph);

} // namespace shapeflow

#endif // SHAPEFLOW_PASSES_VERIFIER_H
