//===- Kernel.cpp - The kernel registry and attribute access --------------===//

#include "shapeflow/Runtime/Kernel.h"

#include "Kernels/KernelFamilies.h"

#include <cassert>

using namespace shapeflow;

int64_t TensorView::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const PlanAttr *KernelAttrs::find(llvm::StringRef name) const {
  for (const PlanAttr &attr : attrs)
    if (attr.name == name)
      return &attr;
  return nullptr;
}

int64_t KernelAttrs::getInt(llvm::StringRef name) const {
  const PlanAttr *attr = find(name);
  assert(attr && std::holds_alternative<int64_t>(attr->value) &&
         "lowering must spell out integer attributes");
  return std::get<int64_t>(attr->value);
}

double KernelAttrs::getFloat(llvm::StringRef name) const {
  const PlanAttr *attr = find(name);
  assert(attr && "lowering must spell out float attributes");
  if (std::holds_alternative<int64_t>(attr->value))
    return static_cast<double>(std::get<int64_t>(attr->value));
  return std::get<double>(attr->value);
}

const std::vector<int64_t> &KernelAttrs::getInts(llvm::StringRef name) const {
  const PlanAttr *attr = find(name);
  assert(attr && std::holds_alternative<std::vector<int64_t>>(attr->value) &&
         "lowering must spell out list attributes");
  return std::get<std::vector<int64_t>>(attr->value);
}

llvm::StringRef KernelAttrs::getString(llvm::StringRef name) const {
  const PlanAttr *attr = find(name);
  if (!attr)
    return "";
  assert(std::holds_alternative<std::string>(attr->value) &&
         "not a string attribute");
  return std::get<std::string>(attr->value);
}

PreparedStep::~PreparedStep() = default;

KernelInfo shapeflow::lookupKernelInfo(llvm::StringRef name) {
  static const KernelTable table = [] {
    KernelTable t;
    registerDenseKernels(t);
    registerConvKernels(t);
    registerPoolKernels(t);
    registerNormKernels(t);
    registerElementwiseKernels(t);
    registerShapeKernels(t);
    registerEmbeddingKernels(t);
    return t;
  }();
  return table.lookup(name);
}

KernelFn shapeflow::lookupKernel(llvm::StringRef name) {
  return lookupKernelInfo(name).run;
}
