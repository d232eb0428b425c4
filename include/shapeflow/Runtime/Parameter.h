//===- Parameter.h - Parameters with deferred initialization ----*- C++ -*-===//
//
// A parameter exists from the moment its layer does, with a partial shape
// (`[256, ?]`: -1 marks an unknown dim). It moves through three states:
//
//   NotInitialized --initialize()--> Deferred    (shape still partial)
//                                 \-> Initialized (shape complete: filled now)
//   Deferred --setShape() completes the shape--> Initialized
//
// Data can be read only when Initialized; reading in either other state is
// an error, and the two errors say different things. Each parameter is
// filled exactly once unless re-initialization is forced.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_RUNTIME_PARAMETER_H
#define SHAPEFLOW_RUNTIME_PARAMETER_H

#include "shapeflow/Runtime/Initializer.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shapeflow {

enum class ParamState : uint8_t { NotInitialized, Deferred, Initialized };

llvm::StringRef stateName(ParamState state);

class Parameter {
public:
  /// `shape` uses -1 for unknown dims; `rankKnown` false means even the
  /// rank is open (a parameter only its uses can shape).
  Parameter(std::string name, std::vector<int64_t> shape, bool rankKnown = true,
            DType dtype = DType::F32);

  llvm::StringRef getName() const { return name; }
  /// Renames the parameter (a block names its parameters once it knows its
  /// place in the network: `weight` becomes `0.weight`).
  void setName(std::string newName) { name = std::move(newName); }
  DType getDType() const { return dtype; }
  ParamRole getRole() const { return role; }
  void setRole(ParamRole r) { role = r; }
  ParamState getState() const { return state; }
  /// The shape as known, -1 for unknown dims; empty when the rank is open.
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  bool hasRank() const { return rankKnown; }
  bool hasCompleteShape() const;
  /// `[256, ?]`, or `[*]` when the rank is open.
  std::string shapeStr() const;

  /// The parameter's own initializer (from the graph's `init=`), which wins
  /// over role defaults and the one passed to initialize().
  const InitPtr &getOwnInit() const { return ownInit; }
  void setOwnInit(InitPtr init) { ownInit = std::move(init); }
  /// The initializer that was or will be used, once initialize() chose it.
  const InitPtr &getChosenInit() const { return chosenInit; }

  /// Fills in unknown dims (and the rank, if open). A dim that is already
  /// known and differs is an error naming the parameter and both shapes. If
  /// the shape becomes complete while Deferred, the parameter is filled now.
  llvm::Error setShape(llvm::ArrayRef<int64_t> complete);

  /// Chooses the initializer (own, else by role, else `fallback`) and fills
  /// the data at once if the shape is complete, else defers. On an
  /// Initialized parameter it does nothing unless `force`. Returns whether
  /// anything was (or will be) initialized.
  llvm::Expected<bool> initialize(const InitPtr &fallback, uint64_t seed,
                                  bool force);

  /// Takes loaded data; its dtype and shape must fit the known shape.
  /// The parameter becomes Initialized.
  llvm::Error setData(Tensor data);

  /// The data, or an error that says why there is none yet.
  llvm::Expected<const Tensor &> data() const;

  /// How many times the data was filled by an initializer (tests use it).
  unsigned getInitCount() const { return initCount; }
  /// Changes whenever the data does (filled or set), so that values derived
  /// from it know when to recompute.
  uint64_t getVersion() const { return version; }

private:
  llvm::Error fill();
  /// setShape() without filling.
  llvm::Error mergeShape(llvm::ArrayRef<int64_t> complete);

  std::string name;
  DType dtype;
  ParamRole role;
  std::vector<int64_t> shape;
  bool rankKnown;
  ParamState state = ParamState::NotInitialized;
  InitPtr ownInit, chosenInit;
  uint64_t seed = 0;
  Tensor tensor;
  unsigned initCount = 0;
  uint64_t version = 0;
};

/// Parameters in a fixed order (the order they were added), by name.
class ParameterStore {
public:
  /// Adds a parameter; the name must be new (asserted). A parameter may be
  /// shared with its creator (a network block holds its own).
  Parameter &add(std::shared_ptr<Parameter> param);
  Parameter *lookup(llvm::StringRef name) const;
  /// The parameter as a shared pointer, or null.
  std::shared_ptr<Parameter> share(llvm::StringRef name) const;
  size_t size() const { return params.size(); }
  llvm::ArrayRef<std::shared_ptr<Parameter>> all() const { return params; }
  auto begin() const { return params.begin(); }
  auto end() const { return params.end(); }

private:
  std::vector<std::shared_ptr<Parameter>> params;
  llvm::StringMap<size_t> byName; // index into params
};

struct InitOptions {
  /// Re-initialize parameters that already have data.
  bool forceReinit = false;
  uint64_t seed = 0;
};

/// What initialize() did.
struct InitSummary {
  unsigned initialized = 0; ///< filled now
  unsigned deferred = 0;    ///< waiting for their shapes
  unsigned skipped = 0;     ///< already initialized, left alone
};

/// Initializes each parameter in order (see Parameter::initialize) and
/// counts what happened; the first error stops it.
llvm::Expected<InitSummary>
initializeAll(llvm::ArrayRef<std::shared_ptr<Parameter>> params,
              const InitPtr &init, const InitOptions &options);

} // namespace shapeflow

#endif // SHAPEFLOW_RUNTIME_PARAMETER_H
