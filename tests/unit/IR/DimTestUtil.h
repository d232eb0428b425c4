//===- DimTestUtil.h - Reference arithmetic for the Dim tests --*- C++ -*-===//
//
// Plain 128-bit arithmetic with Python's // and %, and a small evaluator
// that reads a printed dimension with Python's grammar, so the tests can
// check the library against something it does not share code with.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_TESTS_UNIT_IR_DIMTESTUTIL_H
#define SHAPEFLOW_TESTS_UNIT_IR_DIMTESTUTIL_H

#include "shapeflow/IR/Dim.h"
#include "shapeflow/IR/Parser.h"

#include "llvm/ADT/StringMap.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cctype>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace shapeflow {
// Lets gtest print dimensions in failure messages.
inline void PrintTo(const Dim &d, std::ostream *os) { *os << d.str(); }
} // namespace shapeflow

namespace shapeflow::test {

constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

/// Wide enough that the reference arithmetic below never overflows.
using Wide = __int128;

inline Wide pyFloorDiv(Wide a, Wide b) {
  Wide q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0)))
    --q;
  return q;
}

inline Wide pyMod(Wide a, Wide b) { return a - pyFloorDiv(a, b) * b; }

inline std::string wideStr(Wide v) {
  if (v == 0)
    return "0";
  bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    int digit = static_cast<int>(v % 10);
    digits.insert(digits.begin(), char('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

inline Dim H() { return Dim::symbol("H"); }
inline Dim W() { return Dim::symbol("W"); }
inline Dim N() { return Dim::symbol("N"); }

/// Evaluates text with Python's grammar for + - * // % and unary minus:
///   sum     := product (('+' | '-') product)*
///   product := unary (('*' | '//' | '%') unary)*
///   unary   := ('-' | '+') unary | primary
///   primary := integer | name | '(' sum ')'
/// `//` floors and `%` takes the divisor's sign. Returns std::nullopt on a
/// syntax error, an unbound name or a division by zero.
class PyEval {
public:
  PyEval(llvm::StringRef text, const llvm::StringMap<int64_t> &symbols)
      : text(text), symbols(symbols) {}

  std::optional<Wide> run() {
    std::optional<Wide> v = sum();
    skipSpace();
    if (!v || pos != text.size())
      return std::nullopt;
    return v;
  }

private:
  void skipSpace() {
    while (pos < text.size() && text[pos] == ' ')
      ++pos;
  }
  bool eat(llvm::StringRef token) {
    skipSpace();
    // A lone '/' is not an operator in Python's integer grammar here.
    if (token == "/" || !text.substr(pos).startswith(token))
      return false;
    if (token == "*" && text.substr(pos).startswith("**"))
      return false;
    pos += token.size();
    return true;
  }

  std::optional<Wide> sum() {
    std::optional<Wide> lhs = product();
    while (lhs) {
      if (eat("+")) {
        std::optional<Wide> rhs = product();
        if (!rhs)
          return std::nullopt;
        *lhs += *rhs;
      } else if (eat("-")) {
        std::optional<Wide> rhs = product();
        if (!rhs)
          return std::nullopt;
        *lhs -= *rhs;
      } else {
        break;
      }
    }
    return lhs;
  }

  std::optional<Wide> product() {
    std::optional<Wide> lhs = unary();
    while (lhs) {
      char op;
      if (eat("//"))
        op = '/';
      else if (eat("*"))
        op = '*';
      else if (eat("%"))
        op = '%';
      else
        break;
      std::optional<Wide> rhs = unary();
      if (!rhs || (op != '*' && *rhs == 0))
        return std::nullopt;
      *lhs = op == '*'   ? *lhs * *rhs
             : op == '/' ? pyFloorDiv(*lhs, *rhs)
                         : pyMod(*lhs, *rhs);
    }
    return lhs;
  }

  std::optional<Wide> unary() {
    if (eat("-")) {
      std::optional<Wide> v = unary();
      if (!v)
        return std::nullopt;
      return -*v;
    }
    if (eat("+"))
      return unary();
    return primary();
  }

  std::optional<Wide> primary() {
    skipSpace();
    if (eat("(")) {
      std::optional<Wide> v = sum();
      if (!v || !eat(")"))
        return std::nullopt;
      return v;
    }
    size_t start = pos;
    if (pos < text.size() && std::isdigit(text[pos])) {
      Wide v = 0;
      while (pos < text.size() && std::isdigit(text[pos]))
        v = v * 10 + (text[pos++] - '0');
      return v;
    }
    while (pos < text.size() && (std::isalnum(text[pos]) || text[pos] == '_'))
      ++pos;
    if (start == pos)
      return std::nullopt;
    auto it = symbols.find(text.substr(start, pos - start));
    if (it == symbols.end())
      return std::nullopt;
    return Wide(it->second);
  }

  llvm::StringRef text;
  const llvm::StringMap<int64_t> &symbols;
  size_t pos = 0;
};

inline std::optional<Wide>
pyEval(llvm::StringRef text, const llvm::StringMap<int64_t> &symbols = {}) {
  return PyEval(text, symbols).run();
}
} // namespace shapeflow::test

#endif // SHAPEFLOW_TESTS_UNIT_IR_DIMTESTUTIL_H
