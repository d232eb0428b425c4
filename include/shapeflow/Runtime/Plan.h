//===- Plan.h - The compiled plan: the compiler/runtime contract -*- C++ -*-=//
//
// Lowering turns a graph whose shapes are all known into a Plan: buffers
// with concrete shapes, and an ordered list of kernel steps over them. The
// runtime executes plans and never looks at the compiler's IR, so this file
// is all the two share.
//
// Every kernel attribute is spelled out in the step (defaults filled in,
// axes normalised, pairs expanded to two items), so kernels need no
// defaults of their own.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_PLAN_H
#define SHAPEFLOW_RUNTIME_PLAN_H

#include "shapeflow/Support/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace shapeflow {

/// One attribute of a step.
struct PlanAttr {
  std::string name;
  std::variant<int64_t, double, std::vector<int64_t>, std::string> value;
};

/// Where a buffer's memory lives during a run.
enum class BufferKind : uint8_t {
  Input,  ///< supplied by the caller
  Param,  ///< a parameter's data, owned by the parameter store
  Temp,   ///< an intermediate, at `offset` in the run's arena
  Output, ///< a returned value, allocated fresh for each run
};

struct PlanBuffer {
  std::string name; ///< the IR value's name, without '%'
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  BufferKind kind = BufferKind::Temp;
  /// Temp: byte offset into the arena.
  int64_t offset = -1;
  /// Input: position in the signature. Param: index into Plan::params.
  /// Output: position in Plan::outputs.
  uint32_t index = 0;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  int64_t byteSize() const { return numElements() * dtypeSize(dtype); }
};

/// A parameter the plan reads.
struct PlanParam {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// The initializer written in the graph (`xavier(magnitude=2.24)`), or
  /// empty when the graph names none.
  std::string init;
  uint32_t buffer = 0;

  /// A derived parameter is computed from other parameters (`sources`,
  /// indices into Plan::params) by the runtime function named `derive`,
  /// once their data is known, and again whenever it changes. Empty for a
  /// parameter the caller supplies.
  std::string derive;
  std::vector<uint32_t> sources;
  std::vector<PlanAttr> deriveAttrs;

  bool isDerived() const { return !derive.empty(); }
};

struct PlanStep {
  std::string kernel;           ///< a name in the runtime's kernel registry
  std::vector<uint32_t> inputs; ///< buffer indices
  uint32_t output = 0;          ///< buffer index
  std::vector<PlanAttr> attrs;
  std::string node; ///< the IR node it came from, for logs and errors
};

struct Plan {
  std::vector<PlanBuffer> buffers;
  std::vector<PlanStep> steps;
  std::vector<uint32_t> inputs;  ///< buffer indices, in signature order
  std::vector<uint32_t> outputs; ///< buffer indices, in return order
  std::vector<PlanParam> params;

  /// Memory figures, in bytes, for the intermediates (Temp buffers):
  int64_t arenaBytes = 0; ///< the arena the planner laid out
  int64_t naiveBytes = 0; ///< every intermediate in its own buffer
  int64_t peakBytes = 0;  ///< most bytes live at any one step: a lower bound

  /// Writes the plan: buffers, then one line per step.
  void print(llvm::raw_ostream &os) const;
};

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_PLAN_H
