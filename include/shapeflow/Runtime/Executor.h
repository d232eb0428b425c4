//===- Executor.h - Running a plan ------------------------------*- C++ -*-===//
//
// An Executor is made once per plan and resolves every step's kernel up
// front. It is immutable afterwards, so several threads may run the same
// executor at once, each with its own Workspace (the arena for
// intermediates).
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_EXECUTOR_H
#define SHAPEFLOW_RUNTIME_EXECUTOR_H

#include "shapeflow/Runtime/Kernel.h"
#include "shapeflow/Runtime/Plan.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace shapeflow {

/// Per-thread scratch memory for runs; grows to the largest arena it meets.
class Workspace {
public:
  /// Returns the arena, at least `bytes` long.
  llvm::Expected<std::byte *> reserve(int64_t bytes);

private:
  Tensor arena; // an i64 tensor used as raw, aligned bytes
  int64_t size = 0;
};

struct RunOptions {
  /// Threads each kernel may use.
  int numThreads = 1;
};

class Executor {
public:
  /// Resolves the kernels of every step; an unknown kernel is an error.
  static llvm::Expected<Executor> create(std::shared_ptr<const Plan> plan);

  const Plan &getPlan() const { return *plan; }

  /// Runs the plan. `inputs` follow the signature and must match its
  /// dtypes and shapes exactly; `params` follow Plan::params. Returns the
  /// outputs in return order, each freshly allocated.
  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                          llvm::ArrayRef<const Tensor *> params,
                                          Workspace &workspace,
                                          const RunOptions &options = {}) const;

private:
  Executor(std::shared_ptr<const Plan> plan, std::vector<KernelFn> kernels)
      : plan(std::move(plan)), kernels(std::move(kernels)) {}

  llvm::Error checkInputs(llvm::ArrayRef<Tensor> inputs,
                          llvm::ArrayRef<const Tensor *> params) const;

  std::shared_ptr<const Plan> plan;
  std::vector<KernelFn> kernels;
};

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_EXECUTOR_H
