//===- Kernel.h - The kernel interface and registry -------------*- C++ -*-===//
//
// A kernel computes one plan step: it reads its input views and writes its
// output view, whose memory the executor provides (it may alias nothing the
// kernel reads unless the planner made the step in place, which only
// happens for kernels that are safe in place). Kernels return an
// llvm::Error for faults that depend on data (an embedding id out of range).
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_KERNEL_H
#define SHAPEFLOW_RUNTIME_KERNEL_H

#include "shapeflow/Runtime/Plan.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace shapeflow {

/// A non-owning view of a dense row-major tensor.
struct TensorView {
  DType dtype = DType::F32;
  llvm::ArrayRef<int64_t> shape;
  void *data = nullptr;

  unsigned rank() const { return shape.size(); }
  int64_t dim(unsigned i) const { return shape[i]; }
  int64_t numElements() const;
  float *f32() const { return static_cast<float *>(data); }
  int64_t *i64() const { return static_cast<int64_t *>(data); }
};

/// Read access to a step's attributes. Lowering spells out every attribute
/// a kernel reads; a missing one is a bug in lowering (asserted).
class KernelAttrs {
public:
  explicit KernelAttrs(llvm::ArrayRef<PlanAttr> attrs) : attrs(attrs) {}

  bool has(llvm::StringRef name) const { return find(name) != nullptr; }
  int64_t getInt(llvm::StringRef name) const;
  double getFloat(llvm::StringRef name) const;
  const std::vector<int64_t> &getInts(llvm::StringRef name) const;
  /// A string attribute, or "" when absent (used for optional epilogues).
  llvm::StringRef getString(llvm::StringRef name) const;

private:
  const PlanAttr *find(llvm::StringRef name) const;
  llvm::ArrayRef<PlanAttr> attrs;
};

/// State a kernel derives once from its parameter inputs and reuses on
/// every run, such as weights packed for its matrix product. Only the
/// kernel that made it knows its type; the executor just keeps it.
class PreparedStep {
public:
  virtual ~PreparedStep();
  /// The memory the state takes, for reports.
  virtual int64_t getBytes() const = 0;
};

struct KernelContext {
  llvm::ArrayRef<TensorView> inputs;
  TensorView output;
  KernelAttrs attrs;
  /// Threads the kernel may use (1 = the calling thread only).
  int numThreads = 1;
  /// What this kernel's PrepareFn made from the parameter inputs of this
  /// very step, holding the same data as now; null when there is none.
  const PreparedStep *prepared = nullptr;
};

using KernelFn = llvm::Error (*)(const KernelContext &ctx);

/// Prepares a step ahead of its runs. `ctx` is the step's context with the
/// data of its parameter inputs; every other input, and the output, carry
/// their dtype and shape but no data (null). Returns null when there is
/// nothing worth preparing.
using PrepareFn = std::unique_ptr<PreparedStep> (*)(const KernelContext &ctx);

/// A registered kernel: how to run it and, optionally, how to prepare it.
struct KernelInfo {
  KernelInfo() = default;
  KernelInfo(KernelFn run, PrepareFn prepare = nullptr)
      : run(run), prepare(prepare) {}

  KernelFn run = nullptr;
  PrepareFn prepare = nullptr;
};

/// The kernel registered under `name`, or nullptr.
KernelFn lookupKernel(llvm::StringRef name);
/// The kernel registered under `name` with its PrepareFn; `run` is null
/// when there is no such kernel.
KernelInfo lookupKernelInfo(llvm::StringRef name);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_KERNEL_H
