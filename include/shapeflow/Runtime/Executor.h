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

class PreparedParams;

struct RunOptions {
  /// Threads each kernel may use.
  int numThreads = 1;
  /// State prepared from the parameters by Executor::prepare(), or null.
  /// The caller must prepare again whenever a parameter's data changes
  /// (Session does, by parameter version); state prepared for another plan,
  /// or a parameter found at another address than when prepared, makes the
  /// run ignore the state (and pack on the fly) rather than use it.
  const PreparedParams *prepared = nullptr;
};

/// What every step of a plan prepared once from one set of parameters
/// (packed weights), made by Executor::prepare() and used by its runs.
class PreparedParams {
public:
  /// What plan step `step` prepared, or null (for running a kernel alone,
  /// as the kernel benchmarks do).
  const PreparedStep *getStep(size_t step) const { return steps[step].get(); }
  /// The bytes their state takes, as the kernels report it.
  int64_t getBytes() const { return bytes; }

private:
  friend class Executor;
  /// Per plan step; null where the kernel prepares nothing.
  std::vector<std::unique_ptr<PreparedStep>> steps;
  /// The plan it was prepared for: state is used by that plan's runs only.
  const Plan *plan = nullptr;
  /// Per plan parameter, the address of the data it was prepared from.
  std::vector<const void *> sources;
  int64_t bytes = 0;
};

class Executor {
public:
  /// Resolves the kernels of every step; an unknown kernel is an error.
  static llvm::Expected<Executor> create(std::shared_ptr<const Plan> plan);

  const Plan &getPlan() const { return *plan; }

  /// Lets every kernel that can prepare its step from `params` (following
  /// Plan::params, as for run()) do so: conv2d and dense pack their
  /// weights. Pass the result in RunOptions::prepared.
  llvm::Expected<std::shared_ptr<const PreparedParams>>
  prepare(llvm::ArrayRef<const Tensor *> params) const;

  /// Runs the plan. `inputs` follow the signature and must match its
  /// dtypes and shapes exactly; `params` follow Plan::params. Returns the
  /// outputs in return order, each freshly allocated.
  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                          llvm::ArrayRef<const Tensor *> params,
                                          Workspace &workspace,
                                          const RunOptions &options = {}) const;

private:
  Executor(std::shared_ptr<const Plan> plan, std::vector<KernelInfo> kernels)
      : plan(std::move(plan)), kernels(std::move(kernels)) {}

  llvm::Error checkInputs(llvm::ArrayRef<Tensor> inputs,
                          llvm::ArrayRef<const Tensor *> params) const;
  llvm::Error checkParams(llvm::ArrayRef<const Tensor *> params) const;

  std::shared_ptr<const Plan> plan;
  std::vector<KernelInfo> kernels;
};

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_EXECUTOR_H
