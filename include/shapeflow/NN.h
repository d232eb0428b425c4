//===- NN.h - The Gluon-style network API -----------------------*- C++ -*-===//
//
// One include for users: blocks, layers, initializers and tensors.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_NN_H
#define SHAPEFLOW_NN_H

#include "shapeflow/NN/Block.h"
#include "shapeflow/NN/Layers.h"
#include "shapeflow/NN/Symbol.h"
#include "shapeflow/Runtime/Initializer.h"
#include "shapeflow/Runtime/Tensor.h"

#endif // SHAPEFLOW_NN_H
