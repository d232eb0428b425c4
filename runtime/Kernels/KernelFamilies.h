//===- KernelFamilies.h - Registration of kernel families -------*- C++ -*-===//
//
// Private to runtime/: each kernel family file adds its kernels to the
// registry through one of these functions.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_KERNELS_KERNELFAMILIES_H
#define SHAPEFLOW_RUNTIME_KERNELS_KERNELFAMILIES_H

#include "shapeflow/Runtime/Kernel.h"

#include "llvm/ADT/StringMap.h"

namespace shapeflow {

using KernelTable = llvm::StringMap<KernelInfo>;

void registerDenseKernels(KernelTable &table);       // dense, matmul
void registerConvKernels(KernelTable &table);        // conv2d
void registerPoolKernels(KernelTable &table);        // *_pool2d
void registerNormKernels(KernelTable &table);        // batch_norm, layer_norm
void registerElementwiseKernels(KernelTable &table); // unary, binary, softmax
void registerShapeKernels(KernelTable &table);       // reshape, transpose ...
void registerEmbeddingKernels(KernelTable &table);   // embedding

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_KERNELS_KERNELFAMILIES_H
