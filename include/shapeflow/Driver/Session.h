//===- Session.h - A graph, its parameters and its plans --------*- C++ -*-===//
//
// A Session joins the compiler and the runtime: it owns a verified graph,
// one Parameter per `param` node, and a compiled plan per input signature.
// The first run with a signature binds it, infers every shape, completes
// the parameters' shapes (initializing the deferred ones, in graph order,
// exactly once), lowers the graph and keeps the plan; later runs with the
// same signature only execute. A new signature (another batch size) is
// compiled anew and keeps the parameters; one that would change a
// parameter's shape is an error naming the parameter.
//
// Runs may come from several threads: compiling is serialised, and each
// run borrows its own workspace.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_DRIVER_SESSION_H
#define SHAPEFLOW_DRIVER_SESSION_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Passes/Lowering.h"
#include "shapeflow/Runtime/Executor.h"
#include "shapeflow/Runtime/Parameter.h"
#include "shapeflow/Runtime/SafeTensors.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <mutex>
#include <vector>

namespace shapeflow {

class Session {
public:
  /// Takes a verified graph. Parameters start with the shapes the graph
  /// implies before any binding (`[256, ?]`), and with the graph's `init=`
  /// as their own initializer.
  ///
  /// Parameters found in `existing` (by name) are used as they are, shared
  /// with whoever made them; the others are created.
  static llvm::Expected<std::unique_ptr<Session>>
  create(std::unique_ptr<Graph> graph, LoweringOptions lowering = {},
         const ParameterStore *existing = nullptr);

  const Graph &getGraph() const { return *graph; }
  ParameterStore &getParams() { return params; }
  const ParameterStore &getParams() const { return params; }

  /// Records `init` for every parameter (their own `init=` and role
  /// defaults win) and fills those whose shapes are complete.
  llvm::Expected<InitSummary> initialize(const InitPtr &init,
                                         const InitOptions &options = {});

  /// The executor for a signature (one type per graph input), compiling it
  /// on first use.
  llvm::Expected<std::shared_ptr<const Executor>>
  prepare(llvm::ArrayRef<TensorType> signature);

  /// Runs the graph on `inputs` (compiling for their signature if needed).
  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                          const RunOptions &options = {});

  /// Gives every parameter its data from `tensors` (keyed by name without
  /// '%'), filling in shapes of deferred parameters without a run. A
  /// missing or unknown name, a dtype or a shape that does not fit is an
  /// error; nothing is changed unless everything fits.
  llvm::Error loadParams(llvm::ArrayRef<NamedTensor> tensors);
  /// Every parameter's data, in order; an uninitialized one is an error.
  /// The tensors share storage with the parameters: change weights through
  /// loadParams() (or Parameter::setData), not by writing into them, since
  /// compiled plans keep what they derive from the data (packed weights,
  /// folded batch norms) until a parameter's version changes.
  llvm::Expected<std::vector<NamedTensor>> saveParams() const;

  /// How many signatures have been compiled.
  size_t getNumPlans() const;

private:
  Session(std::unique_ptr<Graph> graph, LoweringOptions lowering);
  llvm::Error createParams(const ParameterStore *existing);
  llvm::Expected<std::shared_ptr<const Executor>>
  compile(llvm::ArrayRef<TensorType> signature);
  void pinParameterShapes();

  /// A plan with the parameters derived for it.
  struct CompiledPlan {
    std::shared_ptr<const Executor> executor;
    /// Per Plan::params entry: a derived parameter's data (empty for the
    /// others) and the versions of the sources it was computed from.
    std::vector<Tensor> derived;
    std::vector<std::vector<uint64_t>> sourceVersions;
    /// Per derived parameter, which derivation made its data (from
    /// `derivations`), so that prepared state sees a re-derived one change.
    std::vector<uint64_t> derivedStamps;
    uint64_t derivations = 0;
    /// Kernel state prepared from the parameters (packed weights), and the
    /// stamps, per Plan::params entry, of the data it was prepared from.
    std::shared_ptr<const PreparedParams> prepared;
    std::vector<uint64_t> preparedStamps;
  };
  /// The plan for a signature, compiled on first use. Called with the
  /// mutex held.
  llvm::Expected<CompiledPlan *>
  findOrCompile(llvm::ArrayRef<TensorType> signature);
  /// The data of every plan parameter, deriving what is stale, and (in
  /// `stamps`) a number per parameter that changes whenever its data does.
  /// Called with the mutex held.
  llvm::Expected<std::vector<Tensor>>
  gatherParams(CompiledPlan &compiled, std::vector<uint64_t> &stamps);

  std::unique_ptr<Graph> graph;
  LoweringOptions lowering;
  std::vector<TensorType> declaredInputs;
  std::vector<std::optional<TensorType>> declaredNodeTypes;
  ParameterStore params;
  mutable std::mutex mutex;
  llvm::StringMap<CompiledPlan> plans;
  std::vector<std::unique_ptr<Workspace>> idleWorkspaces;
};

/// The signature of a set of input tensors.
std::vector<TensorType> signatureOf(llvm::ArrayRef<Tensor> inputs);

} // namespace shapeflow

#endif // SHAPEFLOW_DRIVER_SESSION_H
