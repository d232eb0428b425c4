//===- Derive.h - Parameters computed from other parameters -----*- C++ -*-===//
//
// Lowering may replace parameters by ones derived from them (a conv's
// weight and bias with a following batch_norm folded in). The runtime
// computes those once the sources have data, with the functions here.
//
//   fold_norm_weight  sources [w, gamma, var], eps:
//                     w'[o, ...] = w[o, ...] * gamma[o] / sqrt(var[o] + eps)
//   fold_norm_bias    sources [gamma, beta, mean, var, (bias)], eps:
//                     b'[o] = (bias[o] - mean[o]) * gamma[o] /
//                             sqrt(var[o] + eps) + beta[o]
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_DERIVE_H
#define SHAPEFLOW_RUNTIME_DERIVE_H

#include "shapeflow/Runtime/Plan.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

namespace shapeflow {

/// Computes a derived parameter from its sources (in PlanParam::sources
/// order). An unknown derivation is an error.
llvm::Expected<Tensor> deriveParam(const PlanParam &param,
                                   llvm::ArrayRef<const Tensor *> sources);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_DERIVE_H
