//===- Attribute.h - Op attribute values ------------------------*- C++ -*-===//
//
// Attribute values as written in the text format: integers, floats,
// `true`/`false`, bare names (`zeros`), quoted strings, lists (`[3, 3]`) and
// calls (`xavier(magnitude=2.24)`). An op's registry entry says which kinds
// each of its attributes accepts; the verifier checks that before any shape
// rule reads them.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_ATTRIBUTE_H
#define SHAPEFLOW_IR_ATTRIBUTE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shapeflow {

struct NamedAttribute;

/// One attribute value. Small and copyable; lists and calls own their items.
class Attribute {
public:
  enum class Kind : uint8_t { Int, Float, Bool, Name, String, List, Call };

  static Attribute integer(int64_t v);
  static Attribute floating(double v);
  static Attribute boolean(bool v);
  /// A bare identifier such as `zeros` or `uniform`.
  static Attribute name(llvm::StringRef v);
  /// A quoted string.
  static Attribute string(llvm::StringRef v);
  static Attribute list(std::vector<Attribute> items);
  /// A call `callee(key=value, ...)`.
  static Attribute call(llvm::StringRef callee,
                        std::vector<NamedAttribute> args);

  Kind getKind() const { return kind; }
  bool isInt() const { return kind == Kind::Int; }
  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  /// True for a list whose items are all integers.
  bool isIntList() const;

  int64_t getInt() const;
  /// An Int or a Float, as a double.
  double getNumber() const;
  bool getBool() const;
  /// The text of a Name or String, or the callee of a Call.
  llvm::StringRef getText() const;
  const std::vector<Attribute> &getItems() const;
  const std::vector<NamedAttribute> &getArgs() const;
  /// The items of an integer list; asserts isIntList().
  std::vector<int64_t> getIntList() const;

  /// A call argument or nullptr.
  const Attribute *getArg(llvm::StringRef key) const;

  bool operator==(const Attribute &other) const;
  bool operator!=(const Attribute &other) const { return !(*this == other); }

  /// Prints in the text format; floats print with the fewest digits that
  /// read back to the same double, and always with a '.' or an exponent.
  void print(llvm::raw_ostream &os) const;
  std::string str() const;

  /// A word for diagnostics: "an integer", "a list", ...
  static llvm::StringRef kindName(Kind kind);

private:
  Kind kind = Kind::Int;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string text;
  std::vector<Attribute> items;
  std::vector<NamedAttribute> args;
};

/// `key=value`, with the location of the key for diagnostics.
struct NamedAttribute {
  std::string name;
  Attribute value;
  llvm::SMLoc loc;

  bool operator==(const NamedAttribute &other) const {
    return name == other.name && value == other.value;
  }
};

inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     const Attribute &a) {
  a.print(os);
  return os;
}

} // namespace shapeflow

#endif // SHAPEFLOW_IR_ATTRIBUTE_H
