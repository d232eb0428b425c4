//===- Lowering.h - From an inferred graph to a plan ------------*- C++ -*-===//
//
// Lowering needs every shape of the graph to be a constant: it runs after
// binding a concrete signature and inferring shapes. It emits one kernel
// step per op (`param` nodes become parameter buffers), folds an inference
// batch_norm into the conv2d before it, fuses an activation into the dense
// or conv2d step that feeds it when nothing else reads the unactivated
// value, and lays out every intermediate in one arena with the memory
// planner.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_PASSES_LOWERING_H
#define SHAPEFLOW_PASSES_LOWERING_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Runtime/Plan.h"

#include "llvm/Support/Error.h"

#include <vector>

namespace shapeflow {

struct LoweringOptions {
  /// Fold activations into the step before them.
  bool fuseActivations = true;
  /// Fold batch_norm into the conv2d before it: the conv gets derived
  /// parameters w * s and (b - mean) * s + beta, s = gamma / sqrt(var + eps).
  bool foldBatchNorm = true;
  /// Let in-place-safe kernels write over their dying first operand.
  bool inPlace = true;
};

/// Lowers a verified graph whose shapes are all constants. A value whose
/// shape is not constant is an error naming it.
llvm::Expected<Plan> lowerToPlan(const Graph &graph,
                                 const LoweringOptions &options = {});

/// Assigns arena offsets to the plan's Temp buffers by liveness (greedy by
/// size, best fit), lets step `s` reuse its first input's slot where
/// `mayReuseInput[s]` and that input dies at `s`, and fills in the plan's
/// three memory figures. Every size is rounded up to 64 bytes.
void planMemory(Plan &plan, const std::vector<bool> &mayReuseInput);

} // namespace shapeflow

#endif // SHAPEFLOW_PASSES_LOWERING_H
