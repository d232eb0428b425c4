//===- Op.h - The op registry and the shape-rule interface ------*- C++ -*-===//
//
// Each op is described once, in one registry entry: its name, its operands,
// its attributes (kind, default, lower bound) and its shape rule. Passes look
// ops up here and never switch on op kinds, so adding an op means adding an
// entry (compiler/Ops) and a kernel (runtime), nothing else.
//
// A shape rule states constraints through ShapeRuleContext: it fixes ranks,
// equates dimensions and assigns computed ones. The solver calls a rule again
// whenever one of the dimensions it reads becomes known, so a rule simply
// does what it can with what is known now and returns.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_OP_H
#define SHAPEFLOW_IR_OP_H

#include "shapeflow/IR/Attribute.h"
#include "shapeflow/IR/Dim.h"
#include "shapeflow/IR/Type.h"

#include "llvm/ADT/ArrayRef.h"

#include <optional>
#include <string>
#include <vector>

namespace shapeflow {

class Node;
class ShapeRuleContext;
struct PlanAttr;

/// What an attribute accepts.
enum class AttrType : uint8_t {
  Int,
  Float, ///< an integer or a float
  Bool,
  Name,    ///< a bare name
  IntPair, ///< an integer (used for both) or a list of two integers
  IntList, ///< a list of integers
  Init,    ///< an initializer: a bare name or a call
};

/// One attribute an op accepts.
struct AttrSpec {
  llvm::StringRef name;
  AttrType type = AttrType::Int;
  /// Whether the attribute must be given.
  bool required = false;
  /// The value used when the attribute is absent, if there is one. An
  /// optional attribute without a default (param's `init`, pooling's
  /// `stride`) is read by its rule, which says what absence means.
  std::optional<Attribute> defaultValue;
  /// Lower bound on integers (each item, for pairs and lists).
  std::optional<int64_t> min;
  /// Allowed names, for AttrType::Name.
  std::vector<llvm::StringRef> choices;
  /// An axis of operand 0: lowering makes it non-negative.
  bool isAxis = false;
  /// Absent and without a default, it takes this attribute's value
  /// (pooling's stride defaults to its kernel).
  llvm::StringRef defaultFrom;
};

/// How the result's element type is chosen.
enum class ResultDType : uint8_t {
  FirstOperand, ///< the same as operand 0 (most ops)
  LastOperand,  ///< the same as the last operand (embedding: the weight)
  Declared,     ///< the declared type, f32 by default (param)
};

/// The registry entry of one op.
struct OpInfo {
  llvm::StringRef name;
  /// Operand names, used in diagnostics ("weight", "bias").
  std::vector<llvm::StringRef> operands;
  /// Operands past this count are optional.
  unsigned numRequired = 0;
  /// The last operand may repeat (concat takes x1, ..., xn).
  bool variadic = false;
  std::vector<AttrSpec> attrs;
  ResultDType resultDType = ResultDType::FirstOperand;
  /// Element types the operands accept, by position (the last entry covers
  /// further operands). Empty means f32 everywhere.
  std::vector<DType> operandDTypes;
  /// The shape rule; see ShapeRuleContext.
  void (*inferShape)(ShapeRuleContext &ctx) = nullptr;

  // Traits that lowering reads.

  /// Its kernel may write its result over operand 0 when they have the
  /// same shape and operand 0 dies at this step.
  bool inPlace = false;
  /// An elementwise activation that can run as the epilogue of an op that
  /// accepts one.
  bool isActivation = false;
  /// Its kernel applies an `activation` epilogue (dense, conv2d).
  bool acceptsActivation = false;
  /// An inference-time per-channel affine map on axis 1 (batch_norm) that
  /// can be folded into the weight and bias of an op that accepts it.
  bool foldsIntoProducer = false;
  /// Operands 1 and 2 are a weight whose dim 0 is the result's axis 1 and
  /// an optional bias on that axis (conv2d), so a per-channel affine map
  /// after it folds into them.
  bool acceptsChannelFold = false;
  /// Fills in attributes whose default depends on the node (transpose's
  /// perm); lowering has already converted every attribute it could.
  void (*completeAttrs)(const Node &node,
                        std::vector<PlanAttr> &attrs) = nullptr;

  const AttrSpec *findAttr(llvm::StringRef attrName) const;
  /// The operand's name for diagnostics; variadic operands are numbered.
  std::string operandName(unsigned index) const;
  /// The element type operand `index` must have.
  DType operandDType(unsigned index) const;
  bool isParam() const { return name == "param"; }
};

/// The op named `name`, or nullptr.
const OpInfo *lookupOp(llvm::StringRef name);
/// Every registered op, sorted by name.
std::vector<const OpInfo *> allOps();

/// The value of a node's shape slot: an operand index, or kResult.
using Slot = int;
constexpr Slot kResult = -1;

/// What a shape rule may ask and state. Implemented by the solver.
///
/// Dimensions are read as Dims: a constant, a symbolic expression over the
/// signature's symbols, or unknown. Statements never fail outright: a
/// conflict is recorded as a diagnostic naming the node, both values and
/// where each came from, and the rule carries on.
class ShapeRuleContext {
public:
  virtual ~ShapeRuleContext();

  virtual const Node &getNode() const = 0;
  unsigned getNumOperands() const;

  /// The rank of a slot's value, if known yet.
  virtual std::optional<unsigned> getRank(Slot slot) const = 0;
  /// Fixes a slot's rank. Returns false (and reports) if it has another.
  virtual bool setRank(Slot slot, unsigned rank) = 0;
  /// The current value of dimension `i` of a ranked slot.
  virtual Dim getDim(Slot slot, unsigned i) const = 0;
  /// States that two dimensions are equal; they are unified even while
  /// unknown, so whatever later determines one determines the other.
  virtual void equate(Slot a, unsigned i, Slot b, unsigned j) = 0;
  /// States that a dimension equals `value`, explained by `why` in any
  /// conflict ("units", "the product of the input's dims"). An invalid
  /// value (arithmetic overflow) or a negative constant is reported.
  virtual void assign(Slot slot, unsigned i, Dim value,
                      llvm::StringRef why) = 0;
  /// Reports an error about this node that is not a conflict between dims.
  virtual void fail(const llvm::Twine &message) = 0;

  // Helpers built on the above.

  /// Normalises an axis attribute against `rank` (Python-style negatives).
  /// Reports and returns std::nullopt when it is out of range.
  std::optional<unsigned> normalizeAxis(int64_t axis, unsigned rank,
                                        llvm::StringRef attrName);
  /// Makes the result the same shape as `slot` (and vice versa): rank and
  /// every dimension.
  void sameShape(Slot slot, Slot other);
  /// All dims of a slot, if its rank is known.
  std::optional<llvm::SmallVector<Dim, 4>> getDims(Slot slot) const;
};

} // namespace shapeflow

#endif // SHAPEFLOW_IR_OP_H
