//===- Dim.cpp - Canonical dimension arithmetic ---------------------------===//
//
// Arithmetic works on an ununiqued polynomial (`Poly`) and interns the result.
// The canonical form of a floor division by a positive constant c is
// `q + (r // c)` where every coefficient of r lies in [0, c) and the
// coefficients of r share no factor with c; `(x // a + k) // c` becomes
// `(x + k*a) // (a*c)`. These identities hold for every integer value of the
// symbols, so canonicalisation never changes what an expression evaluates to.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Dim.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <mutex>
#include <numeric>

using namespace shapeflow;
using llvm::StringRef;

namespace {

using Term = DimExpr::Term;

/// Interning tables for atoms and expressions, shared by the whole process.
/// Entries are never freed: distinct symbolic expressions are few.
struct Uniquer {
  std::mutex mutex;
  llvm::StringMap<std::unique_ptr<DimAtom>> atoms;
  llvm::StringMap<std::unique_ptr<DimExpr>> exprs;

  static Uniquer &get() {
    static Uniquer instance;
    return instance;
  }
};

/// A polynomial under construction; terms are kept canonical by normalize().
struct Poly {
  bool invalid = false;
  int64_t constant = 0;
  llvm::SmallVector<Term, 2> terms;

  bool isConstant() const { return !invalid && terms.empty(); }
};

Poly invalidPoly() {
  Poly p;
  p.invalid = true;
  return p;
}

Poly constantPoly(int64_t c) {
  Poly p;
  p.constant = c;
  return p;
}

int64_t pyFloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

int64_t pyMod(int64_t a, int64_t b) { return a - pyFloorDiv(a, b) * b; }

bool termLess(const Term &a, const Term &b) {
  if (a.factors.size() != b.factors.size())
    return a.factors.size() > b.factors.size();
  return std::lexicographical_compare(
      a.factors.begin(), a.factors.end(), b.factors.begin(), b.factors.end(),
      [](const DimAtom *x, const DimAtom *y) { return x->key < y->key; });
}

bool sameFactors(const Term &a, const Term &b) {
  return a.factors == b.factors; // atoms are uniqued
}

/// Sorts terms, merges equal monomials and drops zero coefficients.
void normalize(Poly &p) {
  std::stable_sort(p.terms.begin(), p.terms.end(), termLess);
  llvm::SmallVector<Term, 2> merged;
  for (Term &t : p.terms) {
    if (!merged.empty() && sameFactors(merged.back(), t)) {
      if (__builtin_add_overflow(merged.back().coeff, t.coeff,
                                 &merged.back().coeff))
        p.invalid = true;
      continue;
    }
    merged.push_back(std::move(t));
  }
  llvm::erase_if(merged, [](const Term &t) { return t.coeff == 0; });
  p.terms = std::move(merged);
  // INT64_MIN has no negation and no literal that reads back: treat it as
  // an overflow, as Dim(int64_t) does.
  if (p.constant == INT64_MIN ||
      llvm::any_of(p.terms, [](const Term &t) { return t.coeff == INT64_MIN; }))
    p.invalid = true;
}

Poly toPoly(const Dim &d) {
  Poly p;
  if (d.isConstant()) {
    p.constant = d.getConstant();
  } else if (d.isSymbolic()) {
    p.constant = d.getExpr().constant;
    p.terms.assign(d.getExpr().terms.begin(), d.getExpr().terms.end());
  } else {
    p.invalid = true;
  }
  return p;
}

/// True when `d` prints as a single token and needs no parentheses as the
/// operand of `//` or `%`.
bool isSimple(const Dim &d) {
  if (d.isConstant())
    return d.getConstant() >= 0;
  return !d.isSymbolic() || d.isSymbol();
}

void printOperand(llvm::raw_ostream &os, const Dim &d) {
  if (isSimple(d)) {
    os << d;
    return;
  }
  os << '(' << d << ')';
}

/// Prints one term with a non-negative coefficient `magnitude`.
/// `forceParens` wraps division atoms even when they stand alone, which a
/// leading minus needs: Python reads `-(a) // b` as `(-a) // b`.
void printTerm(llvm::raw_ostream &os, int64_t magnitude, const Term &t,
               bool forceParens) {
  bool alone = magnitude == 1 && t.factors.size() == 1 && !forceParens;
  const char *sep = "";
  if (magnitude != 1) {
    os << magnitude;
    sep = " * ";
  }
  for (const DimAtom *atom : t.factors) {
    os << sep;
    sep = " * ";
    if (atom->kind != DimAtom::Kind::Symbol && !alone)
      os << '(' << atom->key << ')';
    else
      os << atom->key;
  }
}

std::string printPoly(const Poly &p) {
  std::string text;
  llvm::raw_string_ostream os(text);
  bool first = true;
  for (const Term &t : p.terms) {
    // normalize() never leaves INT64_MIN, so the magnitude fits.
    int64_t magnitude = t.coeff < 0 ? -t.coeff : t.coeff;
    if (first) {
      if (t.coeff < 0)
        os << '-';
      printTerm(os, magnitude, t, /*forceParens=*/t.coeff < 0);
    } else {
      os << (t.coeff < 0 ? " - " : " + ");
      printTerm(os, magnitude, t, /*forceParens=*/false);
    }
    first = false;
  }
  if (p.constant > 0)
    os << " + " << p.constant;
  else if (p.constant < 0)
    os << " - " << -p.constant;
  return text;
}

const DimAtom *internAtom(DimAtom::Kind kind, std::string key, Dim lhs = {},
                          Dim rhs = {}) {
  Uniquer &u = Uniquer::get();
  std::lock_guard<std::mutex> lock(u.mutex);
  auto &slot = u.atoms[key];
  if (!slot)
    slot.reset(new DimAtom{kind, std::move(key), lhs, rhs});
  return slot.get();
}

Poly atomPoly(const DimAtom *atom) {
  Poly p;
  p.terms.push_back(Term{1, {atom}});
  return p;
}

Poly makeBinaryAtom(DimAtom::Kind kind, const Dim &lhs, const Dim &rhs) {
  std::string key;
  llvm::raw_string_ostream os(key);
  printOperand(os, lhs);
  os << (kind == DimAtom::Kind::FloorDiv ? " // " : " % ");
  printOperand(os, rhs);
  os.flush();
  return atomPoly(internAtom(kind, std::move(key), lhs, rhs));
}

Poly addPoly(Poly a, const Poly &b) {
  if (a.invalid || b.invalid)
    return invalidPoly();
  if (__builtin_add_overflow(a.constant, b.constant, &a.constant))
    a.invalid = true;
  a.terms.append(b.terms.begin(), b.terms.end());
  normalize(a);
  return a;
}

Poly scalePoly(Poly p, int64_t k) {
  if (__builtin_mul_overflow(p.constant, k, &p.constant))
    p.invalid = true;
  for (Term &t : p.terms)
    if (__builtin_mul_overflow(t.coeff, k, &t.coeff))
      p.invalid = true;
  normalize(p);
  return p;
}

Poly mulPoly(const Poly &a, const Poly &b) {
  if (a.invalid || b.invalid)
    return invalidPoly();
  Poly r;
  if (__builtin_mul_overflow(a.constant, b.constant, &r.constant))
    r.invalid = true;
  auto mulCoeff = [&](int64_t x, int64_t y) {
    int64_t z;
    if (__builtin_mul_overflow(x, y, &z))
      r.invalid = true;
    return z;
  };
  for (const Term &t : a.terms)
    r.terms.push_back(Term{mulCoeff(t.coeff, b.constant), t.factors});
  for (const Term &t : b.terms)
    r.terms.push_back(Term{mulCoeff(t.coeff, a.constant), t.factors});
  for (const Term &x : a.terms) {
    for (const Term &y : b.terms) {
      Term t{mulCoeff(x.coeff, y.coeff), x.factors};
      t.factors.append(y.factors.begin(), y.factors.end());
      std::sort(
          t.factors.begin(), t.factors.end(),
          [](const DimAtom *p, const DimAtom *q) { return p->key < q->key; });
      r.terms.push_back(std::move(t));
    }
  }
  normalize(r);
  return r;
}

} // namespace

/// The one place that may construct symbolic dimensions.
struct shapeflow::DimBuilder {
  static Dim make(const DimExpr *expr) {
    Dim d;
    d.kind = Dim::Kind::Symbolic;
    d.expr = expr;
    return d;
  }
  static Dim makeInvalid() {
    Dim d;
    d.kind = Dim::Kind::Invalid;
    return d;
  }
};

namespace {

Dim fromPoly(Poly p) {
  if (p.invalid)
    return DimBuilder::makeInvalid();
  if (p.terms.empty())
    return Dim(p.constant);

  std::string text = printPoly(p);
  Uniquer &u = Uniquer::get();
  std::lock_guard<std::mutex> lock(u.mutex);
  auto &slot = u.exprs[text];
  if (!slot) {
    slot = std::make_unique<DimExpr>();
    slot->constant = p.constant;
    slot->terms = std::move(p.terms);
    slot->text = std::move(text);
  }
  return DimBuilder::make(slot.get());
}

bool isInvalidOrUnknown(const Dim &a, const Dim &b, Dim &result) {
  if (a.isInvalid() || b.isInvalid()) {
    result = Dim::invalid();
    return true;
  }
  if (a.isUnknown() || b.isUnknown()) {
    result = Dim::unknown();
    return true;
  }
  return false;
}

int64_t gcdOfPoly(const Poly &p, int64_t start) {
  int64_t g = std::gcd(start, p.constant);
  for (const Term &t : p.terms)
    g = std::gcd(g, t.coeff);
  return g;
}

/// Splits p into c*q + r where every coefficient of r lies in [0, c).
void splitByConstant(const Poly &p, int64_t c, Poly &q, Poly &r) {
  q.constant = pyFloorDiv(p.constant, c);
  r.constant = p.constant - q.constant * c;
  for (const Term &t : p.terms) {
    int64_t qc = pyFloorDiv(t.coeff, c);
    int64_t rc = t.coeff - qc * c;
    if (qc != 0)
      q.terms.push_back(Term{qc, t.factors});
    if (rc != 0)
      r.terms.push_back(Term{rc, t.factors});
  }
  normalize(q);
  normalize(r);
}

Poly divideExactly(Poly p, int64_t g) {
  p.constant /= g;
  for (Term &t : p.terms)
    t.coeff /= g;
  return p;
}

/// floor(p / c) for a constant c > 0, in canonical form.
Poly floorDivByConstant(const Poly &p, int64_t c) {
  if (c == 1 || p.invalid)
    return p;
  if (p.isConstant()) {
    return constantPoly(pyFloorDiv(p.constant, c));
  }

  Poly q, r;
  splitByConstant(p, c, q, r);
  if (r.terms.empty())
    return q; // r.constant is in [0, c), so floor(r / c) == 0

  int64_t g = gcdOfPoly(r, c);
  r = divideExactly(std::move(r), g);
  c /= g;

  // floor((floor(x / a) + k) / c) == floor((x + k*a) / (a*c)) for a > 0.
  if (r.terms.size() == 1 && r.terms[0].coeff == 1 &&
      r.terms[0].factors.size() == 1) {
    const DimAtom *atom = r.terms[0].factors[0];
    if (atom->kind == DimAtom::Kind::FloorDiv && atom->rhs.isConstant()) {
      int64_t a = atom->rhs.getConstant();
      Poly x = toPoly(atom->lhs);
      int64_t ka, ac;
      if (!__builtin_mul_overflow(r.constant, a, &ka) &&
          !__builtin_mul_overflow(a, c, &ac) &&
          !__builtin_add_overflow(x.constant, ka, &x.constant))
        return addPoly(q, floorDivByConstant(x, ac));
    }
  }

  return addPoly(q, makeBinaryAtom(DimAtom::Kind::FloorDiv, fromPoly(r), c));
}

/// p mod c for a constant c > 0, in canonical form.
Poly modByConstant(const Poly &p, int64_t c) {
  Poly q, r;
  splitByConstant(p, c, q, r);
  if (r.terms.empty())
    return r;

  // (g*x) % (g*c) == g * (x % c)
  int64_t g = gcdOfPoly(r, c);
  r = divideExactly(std::move(r), g);
  Poly atom = makeBinaryAtom(DimAtom::Kind::Mod, fromPoly(r), c / g);
  return scalePoly(std::move(atom), g);
}

/// Removes the factors of `divisor` from `factors`; false if one is missing.
bool removeFactors(llvm::SmallVectorImpl<const DimAtom *> &factors,
                   llvm::ArrayRef<const DimAtom *> divisor) {
  for (const DimAtom *atom : divisor) {
    auto it = llvm::find(factors, atom);
    if (it == factors.end())
      return false;
    factors.erase(it);
  }
  return true;
}

std::optional<Poly> exactDivPoly(const Poly &a, const Poly &b) {
  if (a.invalid || b.invalid)
    return std::nullopt;
  if (b.isConstant()) {
    if (b.constant == 0 || gcdOfPoly(a, 0) % b.constant != 0)
      return std::nullopt;
    return divideExactly(a, b.constant);
  }
  if (b.constant != 0 || b.terms.size() != 1) {
    // A multi-term divisor divides only itself (or zero).
    if (a.isConstant() && a.constant == 0)
      return a;
    if (a.constant == b.constant && a.terms.size() == b.terms.size() &&
        printPoly(a) == printPoly(b))
      return constantPoly(1);
    return std::nullopt;
  }

  // A monomial divisor k * f1 * f2 ... divides every term of a exactly.
  const Term &d = b.terms[0];
  if (a.constant != 0)
    return std::nullopt;
  Poly r;
  for (const Term &t : a.terms) {
    Term quotient{0, t.factors};
    if (t.coeff % d.coeff != 0 || !removeFactors(quotient.factors, d.factors))
      return std::nullopt;
    quotient.coeff = t.coeff / d.coeff;
    if (quotient.factors.empty())
      r.constant += quotient.coeff;
    else
      r.terms.push_back(std::move(quotient));
  }
  normalize(r);
  return r;
}

} // namespace

//===----------------------------------------------------------------------===//
// Dim
//===----------------------------------------------------------------------===//

Dim Dim::invalid() { return DimBuilder::makeInvalid(); }

bool Dim::isSymbol() const {
  if (!isSymbolic())
    return false;
  const DimExpr &e = *expr;
  return e.constant == 0 && e.terms.size() == 1 && e.terms[0].coeff == 1 &&
         e.terms[0].factors.size() == 1 &&
         e.terms[0].factors[0]->kind == DimAtom::Kind::Symbol;
}

Dim Dim::symbol(StringRef name) {
  assert(!name.empty() && "a symbol needs a name");
  return fromPoly(atomPoly(internAtom(DimAtom::Kind::Symbol, name.str())));
}

int64_t Dim::getConstant() const {
  assert(isConstant() && "not a constant dimension");
  return value;
}

const DimExpr &Dim::getExpr() const {
  assert(isSymbolic() && "not a symbolic dimension");
  return *expr;
}

void Dim::print(llvm::raw_ostream &os) const {
  switch (kind) {
  case Kind::Unknown:
    os << '?';
    return;
  case Kind::Constant:
    os << value;
    return;
  case Kind::Symbolic:
    os << expr->text;
    return;
  case Kind::Invalid:
    os << "<invalid>";
    return;
  }
}

std::string Dim::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}

static void collectSymbols(const Dim &d,
                           llvm::SmallVectorImpl<const DimAtom *> &out) {
  if (!d.isSymbolic())
    return;
  for (const Term &t : d.getExpr().terms) {
    for (const DimAtom *atom : t.factors) {
      if (atom->kind == DimAtom::Kind::Symbol) {
        if (!llvm::is_contained(out, atom))
          out.push_back(atom);
        continue;
      }
      collectSymbols(atom->lhs, out);
      collectSymbols(atom->rhs, out);
    }
  }
}

void Dim::forEachSymbol(llvm::function_ref<void(StringRef)> fn) const {
  llvm::SmallVector<const DimAtom *, 4> symbols;
  collectSymbols(*this, symbols);
  llvm::sort(symbols, [](const DimAtom *a, const DimAtom *b) {
    return a->key < b->key;
  });
  for (const DimAtom *atom : symbols)
    fn(atom->key);
}

static Dim
substituteAtom(const DimAtom *atom,
               llvm::function_ref<std::optional<Dim>(StringRef)> lookup) {
  switch (atom->kind) {
  case DimAtom::Kind::Symbol:
    if (std::optional<Dim> d = lookup(atom->key))
      return *d;
    return Dim::symbol(atom->key);
  case DimAtom::Kind::FloorDiv:
    return floorDiv(atom->lhs.substitute(lookup), atom->rhs.substitute(lookup));
  case DimAtom::Kind::Mod:
    return mod(atom->lhs.substitute(lookup), atom->rhs.substitute(lookup));
  }
  llvm_unreachable("unknown atom kind");
}

Dim Dim::substitute(
    llvm::function_ref<std::optional<Dim>(StringRef)> lookup) const {
  if (!isSymbolic())
    return *this;
  Dim result = expr->constant;
  for (const Term &t : expr->terms) {
    Dim product = t.coeff;
    for (const DimAtom *atom : t.factors)
      product = product * substituteAtom(atom, lookup);
    result = result + product;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

Dim shapeflow::operator+(const Dim &a, const Dim &b) {
  Dim result;
  if (isInvalidOrUnknown(a, b, result))
    return result;
  if (a.isConstant() && b.isConstant()) {
    int64_t sum;
    if (__builtin_add_overflow(a.getConstant(), b.getConstant(), &sum))
      return Dim::invalid();
    return sum;
  }
  if (b == Dim(int64_t(0)))
    return a;
  if (a == Dim(int64_t(0)))
    return b;
  return fromPoly(addPoly(toPoly(a), toPoly(b)));
}

Dim shapeflow::operator-(const Dim &a, const Dim &b) {
  Dim result;
  if (isInvalidOrUnknown(a, b, result))
    return result;
  return a + fromPoly(scalePoly(toPoly(b), -1));
}

Dim shapeflow::operator*(const Dim &a, const Dim &b) {
  Dim result;
  if (isInvalidOrUnknown(a, b, result))
    return result;
  if (a.isConstant() && b.isConstant()) {
    int64_t product;
    if (__builtin_mul_overflow(a.getConstant(), b.getConstant(), &product))
      return Dim::invalid();
    return product;
  }
  return fromPoly(mulPoly(toPoly(a), toPoly(b)));
}

Dim shapeflow::floorDiv(const Dim &a, const Dim &b) {
  Dim result;
  if (isInvalidOrUnknown(a, b, result))
    return result;
  if (b.isConstant()) {
    int64_t c = b.getConstant();
    if (c == 0 || c == INT64_MIN)
      return Dim::invalid();
    // floor(a / c) == floor(-a / -c): keep the divisor positive.
    Poly p = toPoly(a);
    if (c < 0) {
      p = scalePoly(std::move(p), -1);
      c = -c;
    }
    return fromPoly(floorDivByConstant(p, c));
  }
  if (std::optional<Poly> q = exactDivPoly(toPoly(a), toPoly(b)))
    return fromPoly(std::move(*q));
  return fromPoly(makeBinaryAtom(DimAtom::Kind::FloorDiv, a, b));
}

Dim shapeflow::mod(const Dim &a, const Dim &b) {
  Dim result;
  if (isInvalidOrUnknown(a, b, result))
    return result;
  if (b.isConstant()) {
    int64_t c = b.getConstant();
    if (c == 0 || c == INT64_MIN)
      return Dim::invalid();
    if (a.isConstant())
      return pyMod(a.getConstant(), c);
    // a % c == -((-a) % -c): keep the divisor positive.
    if (c < 0)
      return Dim(int64_t(0)) - mod(Dim(int64_t(0)) - a, -c);
    return fromPoly(modByConstant(toPoly(a), c));
  }
  if (exactDivPoly(toPoly(a), toPoly(b)))
    return Dim(int64_t(0));
  return fromPoly(makeBinaryAtom(DimAtom::Kind::Mod, a, b));
}

std::optional<Dim> shapeflow::exactDiv(const Dim &a, const Dim &b) {
  if (!a.isDetermined() || !b.isDetermined())
    return std::nullopt;
  if (std::optional<Poly> q = exactDivPoly(toPoly(a), toPoly(b)))
    return fromPoly(std::move(*q));
  return std::nullopt;
}
