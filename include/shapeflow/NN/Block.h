//===- Block.h - Gluon-style blocks with deferred initialization -*- C++ -*-=//
//
// A network is a tree of blocks. Each block declares its parameters when it
// is constructed, with `?` (-1) wherever a size depends on the input it will
// meet: Dense(256) has weight [256, ?] and bias [256]. Calling the network
// on a tensor traces the blocks into an IR graph, and a Session infers every
// shape from the input, initializes each waiting parameter exactly once,
// compiles a plan and runs it. Later calls reuse the plan.
//
// Parameter names are structural and dotted, as in PyTorch and Gluon 2:
// a child's parameters are prefixed with the child's name (`0.weight`).
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_NN_BLOCK_H
#define SHAPEFLOW_NN_BLOCK_H

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Graph.h"
#include "shapeflow/Runtime/Parameter.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace shapeflow::nn {

/// What emitting a block needs: the graph under construction and the
/// dotted prefix of the block's names.
class Tracer {
public:
  explicit Tracer(Graph &graph) : graph(graph) {}

  /// Adds a `param` node for a parameter, typed with its known shape.
  Value &param(const Parameter &p);
  /// Adds an op node named `name` (made unique if needed).
  Value &op(llvm::StringRef opName, llvm::StringRef name,
            std::vector<Value *> operands,
            std::vector<NamedAttribute> attrs = {});

private:
  Graph &graph;
  unsigned counter = 0;
};

/// A parameter a block declared itself.
struct ParamSlot {
  std::shared_ptr<Parameter> param;
};

class Block {
public:
  Block();
  Block(Block &&) = default;
  virtual ~Block();

  /// Appends the block's ops, reading `x`; `prefix` is the block's dotted
  /// path ("" for the network itself, "0." for its first child).
  virtual Value &emit(Tracer &tracer, Value &x, const std::string &prefix) = 0;
  /// `Dense(? -> 256, relu)`: what the block is, with what is known.
  virtual std::string describe() const = 0;

  // The network API, usable on any block.

  /// Every parameter, named by its path, in declaration order.
  std::vector<std::shared_ptr<Parameter>> getParams() const;
  /// A listing of the parameters whose names match `select` (a regular
  /// expression; empty selects all): name, shape with `?`, dtype,
  /// initializer and state, one per line.
  std::string collectParams(llvm::StringRef select = "");
  /// The parameter named `name` (`0.weight`); asserts that it exists.
  Parameter &param(llvm::StringRef name) const;

  /// Records `init` for every parameter; those with complete shapes are
  /// filled at once, the rest when the first batch shows their shapes.
  /// On an initialized network it does nothing (and says so once) unless
  /// `options.forceReinit`.
  llvm::Expected<InitSummary> initialize(const InitPtr &init,
                                         const InitOptions &options = {});

  /// Runs the network on `x`: traces, infers, initializes what waits,
  /// compiles and runs on the first call; only runs afterwards.
  llvm::Expected<Tensor> operator()(const Tensor &x);

  /// The traced IR graph for an input of type `input` (as the first call
  /// would build it); print it with printGraph.
  std::unique_ptr<Graph> exportGraph(const TensorType &input);

  /// Every value's shape and each parameter's element count for an input
  /// of type `input` (concrete or symbolic), from shape inference alone:
  /// nothing is allocated or initialized. Parameters keep their shapes.
  llvm::Expected<std::string> summary(const TensorType &input);

  /// Saves every parameter to a safetensors file; a parameter without data
  /// (deferred or never initialized) is an error.
  llvm::Error saveParameters(llvm::StringRef path) const;
  /// Loads every parameter from a safetensors file written by
  /// saveParameters. Deferred parameters take their shapes from the file,
  /// without a forward pass. Names, dtypes and shapes are checked.
  llvm::Error loadParameters(llvm::StringRef path);

protected:
  /// Declares a parameter named `localName` (prefixed with the block's
  /// path once it is added to a parent); `shape` uses -1 for sizes the
  /// input decides.
  std::shared_ptr<Parameter> declareParam(std::string localName,
                                          std::vector<int64_t> shape,
                                          InitPtr ownInit = nullptr);
  /// Registers a child under `name` (its index in the parent if empty).
  void addChild(std::string name, std::shared_ptr<Block> child);

  const std::vector<std::shared_ptr<Block>> &getChildBlocks() const {
    return childBlocks;
  }
  const std::vector<std::string> &getChildNames() const { return childNames; }

private:
  void collect(std::vector<std::shared_ptr<Parameter>> &out) const;
  void prefixNames(const std::string &prefix);

  std::vector<ParamSlot> ownParams;
  std::vector<std::string> childNames;
  std::vector<std::shared_ptr<Block>> childBlocks;

  /// The compiled network, made by the first call. Behind a pointer so
  /// blocks stay movable.
  struct RunState {
    std::mutex mutex;
    std::unique_ptr<Session> session;
    /// Parameters the traced forward pass used (the others stay deferred).
    llvm::StringSet<> reached;
    bool warnedInitialized = false;
  };
  std::unique_ptr<RunState> run = std::make_unique<RunState>();
};

} // namespace shapeflow::nn

#endif // SHAPEFLOW_NN_BLOCK_H
