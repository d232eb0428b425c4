//===- Dim.h - Tensor dimensions: known, unknown or symbolic ----*- C++ -*-===//
//
// A dimension is an integer-valued expression over named symbols (`N`, `H`)
// built from + - * // % (floor division and modulo, as in Python), a plain
// integer, or an unknown (`?`). Symbolic expressions are kept in one canonical
// form and uniqued for the life of the process, so two equal expressions are
// the same object: comparing dimensions is a pointer comparison, and equal
// expressions always print identically.
//
// The canonical form is a polynomial with integer coefficients over atoms,
// where an atom is a symbol, a floor division or a modulo. Division by a
// constant is normalised (see Dim.cpp) so that, for instance,
// `(H - 1) // 2 + 1` and `(H + 1) // 2` become the same expression.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_DIM_H
#define SHAPEFLOW_IR_DIM_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <climits>
#include <cstdint>
#include <optional>
#include <string>

namespace shapeflow {

class DimExpr;
struct DimBuilder;

/// A single tensor dimension, a small value type (two words).
///
/// - constant: a plain integer. Negative values can occur in intermediate
///   arithmetic (`H - 3` evaluated at H = 1); shape rules reject them.
/// - symbolic: a canonical polynomial over symbols, uniqued, never constant.
/// - unknown: `?`. Arithmetic with an unknown gives an unknown.
/// - invalid: arithmetic overflowed 64 bits or divided by zero. It absorbs
///   everything it meets, so a rule can check once, at the end.
class Dim {
public:
  enum class Kind : uint8_t { Unknown, Constant, Symbolic, Invalid };

  /// An unknown dimension, printed `?`.
  Dim() = default;
  /// A known size (implicit, so `Dim d = 3;` reads naturally). INT64_MIN
  /// has no negation and no Python literal that reads back, so it is
  /// treated as an overflow: the dimension is invalid.
  Dim(int64_t value)
      : kind(value == INT64_MIN ? Kind::Invalid : Kind::Constant),
        value(value == INT64_MIN ? 0 : value) {}

  static Dim unknown() { return Dim(); }
  static Dim invalid();
  /// The symbol `name`; `name` must be an identifier (not checked here).
  static Dim symbol(llvm::StringRef name);

  Kind getKind() const { return kind; }
  bool isUnknown() const { return kind == Kind::Unknown; }
  bool isConstant() const { return kind == Kind::Constant; }
  bool isSymbolic() const { return kind == Kind::Symbolic; }
  bool isInvalid() const { return kind == Kind::Invalid; }
  /// True for a bare symbol such as `N`.
  bool isSymbol() const;
  /// True when the dimension has a value: a constant or an expression.
  bool isDetermined() const { return isConstant() || isSymbolic(); }

  /// The value of a constant dimension; asserts that it is one.
  int64_t getConstant() const;
  /// The expression of a symbolic dimension; asserts that it is one.
  const DimExpr &getExpr() const;

  /// Structural equality. Two unknowns compare equal as values; in a graph
  /// each `?` is nevertheless its own unknown (the solver keeps them apart).
  bool operator==(const Dim &other) const {
    return kind == other.kind && value == other.value && expr == other.expr;
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }

  /// Writes the dimension as Python would read it: `3`, `?`, `N`,
  /// `(H + 1) // 2`. Invalid dimensions print as `<invalid>`.
  void print(llvm::raw_ostream &os) const;
  std::string str() const;

  /// Calls `fn` once for each distinct symbol, in canonical order.
  void forEachSymbol(llvm::function_ref<void(llvm::StringRef)> fn) const;

  /// Replaces symbols by the dimensions `lookup` returns for them (or keeps a
  /// symbol where it returns std::nullopt) and re-canonicalises.
  Dim substitute(
      llvm::function_ref<std::optional<Dim>(llvm::StringRef)> lookup) const;

private:
  friend struct DimBuilder;

  Kind kind = Kind::Unknown;
  int64_t value = 0;
  const DimExpr *expr = nullptr;
};

Dim operator+(const Dim &a, const Dim &b);
Dim operator-(const Dim &a, const Dim &b);
Dim operator*(const Dim &a, const Dim &b);
/// Floor division, rounding towards negative infinity (Python's `//`).
Dim floorDiv(const Dim &a, const Dim &b);
/// Modulo with the sign of the divisor (Python's `%`).
Dim mod(const Dim &a, const Dim &b);
/// Exact division: `a / b` when `b` provably divides `a` (constants, or a
/// monomial divisor that divides every term), std::nullopt otherwise.
std::optional<Dim> exactDiv(const Dim &a, const Dim &b);

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const Dim &d) {
  d.print(os);
  return os;
}

/// A factor of a polynomial term: a symbol, `lhs // rhs` or `lhs % rhs`.
/// Atoms are uniqued like expressions; `key` is their printed form and
/// orders them deterministically.
class DimAtom {
public:
  enum class Kind : uint8_t { Symbol, FloorDiv, Mod };

  Kind kind;
  std::string key;
  Dim lhs, rhs; // FloorDiv and Mod only.
};

/// A canonical polynomial `constant + sum(coeff * atom * atom ...)`. Terms
/// are sorted (higher degree first, then by atom keys) and have non-zero
/// coefficients; every expression has at least one term.
class DimExpr {
public:
  struct Term {
    int64_t coeff;
    llvm::SmallVector<const DimAtom *, 2> factors; // sorted by key
  };

  int64_t constant = 0;
  llvm::SmallVector<Term, 2> terms;
  std::string text; // the printed form, also the uniquing key
};

} // namespace shapeflow

#endif // SHAPEFLOW_IR_DIM_H
