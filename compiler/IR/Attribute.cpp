//===- Attribute.cpp - Op attribute values --------------------------------===//

#include "shapeflow/IR/Attribute.h"

#include "llvm/ADT/STLExtras.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>

using namespace shapeflow;

Attribute Attribute::integer(int64_t v) {
  Attribute a;
  a.kind = Kind::Int;
  a.intValue = v;
  return a;
}

Attribute Attribute::floating(double v) {
  Attribute a;
  a.kind = Kind::Float;
  a.floatValue = v;
  return a;
}

Attribute Attribute::boolean(bool v) {
  Attribute a;
  a.kind = Kind::Bool;
  a.intValue = v;
  return a;
}

Attribute Attribute::name(llvm::StringRef v) {
  Attribute a;
  a.kind = Kind::Name;
  a.text = v.str();
  return a;
}

Attribute Attribute::string(llvm::StringRef v) {
  Attribute a;
  a.kind = Kind::String;
  a.text = v.str();
  return a;
}

Attribute Attribute::list(std::vector<Attribute> items) {
  Attribute a;
  a.kind = Kind::List;
  a.items = std::move(items);
  return a;
}

Attribute Attribute::call(llvm::StringRef callee,
                          std::vector<NamedAttribute> args) {
  Attribute a;
  a.kind = Kind::Call;
  a.text = callee.str();
  a.args = std::move(args);
  return a;
}

bool Attribute::isIntList() const {
  return kind == Kind::List &&
         llvm::all_of(items, [](const Attribute &a) { return a.isInt(); });
}

int64_t Attribute::getInt() const {
  assert(kind == Kind::Int && "not an integer attribute");
  return intValue;
}

double Attribute::getNumber() const {
  assert(isNumber() && "not a numeric attribute");
  return kind == Kind::Int ? static_cast<double>(intValue) : floatValue;
}

bool Attribute::getBool() const {
  assert(kind == Kind::Bool && "not a boolean attribute");
  return intValue != 0;
}

llvm::StringRef Attribute::getText() const {
  assert((kind == Kind::Name || kind == Kind::String || kind == Kind::Call) &&
         "attribute has no text");
  return text;
}

const std::vector<Attribute> &Attribute::getItems() const {
  assert(kind == Kind::List && "not a list attribute");
  return items;
}

const std::vector<NamedAttribute> &Attribute::getArgs() const {
  assert(kind == Kind::Call && "not a call attribute");
  return args;
}

std::vector<int64_t> Attribute::getIntList() const {
  assert(isIntList() && "not an integer list");
  std::vector<int64_t> values;
  for (const Attribute &item : items)
    values.push_back(item.getInt());
  return values;
}

const Attribute *Attribute::getArg(llvm::StringRef key) const {
  for (const NamedAttribute &arg : getArgs())
    if (arg.name == key)
      return &arg.value;
  return nullptr;
}

bool Attribute::operator==(const Attribute &other) const {
  if (kind != other.kind)
    return false;
  switch (kind) {
  case Kind::Int:
  case Kind::Bool:
    return intValue == other.intValue;
  case Kind::Float:
    return floatValue == other.floatValue;
  case Kind::Name:
  case Kind::String:
    return text == other.text;
  case Kind::List:
    return items == other.items;
  case Kind::Call:
    return text == other.text && args == other.args;
  }
  llvm_unreachable("unknown attribute kind");
}

/// The shortest decimal form that reads back as exactly `v`.
static void printDouble(llvm::raw_ostream &os, double v) {
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v)
      break;
  }
  llvm::StringRef text(buffer);
  os << text;
  // Keep it a float when read back: 2 -> 2.0. inf and nan are not
  // representable in the format; the parser never produces them.
  if (text.find_first_of(".eEn") == llvm::StringRef::npos)
    os << ".0";
}

static void printQuoted(llvm::raw_ostream &os, llvm::StringRef s) {
  os << '"';
  for (char c : s) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c == '\t')
      os << "\\t";
    else
      os << c;
  }
  os << '"';
}

void Attribute::print(llvm::raw_ostream &os) const {
  switch (kind) {
  case Kind::Int:
    os << intValue;
    return;
  case Kind::Float:
    printDouble(os, floatValue);
    return;
  case Kind::Bool:
    os << (intValue ? "true" : "false");
    return;
  case Kind::Name:
    os << text;
    return;
  case Kind::String:
    printQuoted(os, text);
    return;
  case Kind::List:
    os << '[';
    llvm::interleaveComma(items, os, [&](const Attribute &a) { a.print(os); });
    os << ']';
    return;
  case Kind::Call:
    os << text << '(';
    llvm::interleaveComma(args, os, [&](const NamedAttribute &arg) {
      os << arg.name << '=';
      arg.value.print(os);
    });
    os << ')';
    return;
  }
}

std::string Attribute::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}

llvm::StringRef Attribute::kindName(Kind kind) {
  switch (kind) {
  case Kind::Int:
    return "an integer";
  case Kind::Float:
    return "a float";
  case Kind::Bool:
    return "a boolean";
  case Kind::Name:
    return "a name";
  case Kind::String:
    return "a string";
  case Kind::List:
    return "a list";
  case Kind::Call:
    return "a call";
  }
  llvm_unreachable("unknown attribute kind");
}
