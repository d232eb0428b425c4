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

struct KernelContext {
  llvm::ArrayRef<TensorView> inputs;
  TensorView output;
  KernelAttrs attrs;
  /// Threads the kernel may use (1 = the calling thread only).
  int numThreads = 1;
};

using KernelFn = llvm::Error (*)(const KernelContext &ctx);

/// The kernel registered under `name`, or nullptr.
KernelFn lookupKernel(llvm::StringRef name);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_KERNEL_H
