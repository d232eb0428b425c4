//===- Verifier.cpp - Structural checks of a graph ------------------------===//
//
// Every check runs on every node, and every fault is reported, so that a
// user fixes a model in one round. Shape rules may then assume well-formed
// nodes: the right operand count and every attribute present (or
// defaulted) with the right kind and within its bounds.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;

namespace {

llvm::StringRef attrTypeName(AttrType type) {
  switch (type) {
  case AttrType::Int:
    return "an integer";
  case AttrType::Float:
    return "a number";
  case AttrType::Bool:
    return "true or false";
  case AttrType::Name:
    return "a name";
  case AttrType::IntPair:
    return "an integer or a list of two integers";
  case AttrType::IntList:
    return "a list of integers";
  case AttrType::Init:
    return "an initializer (a name or a call such as xavier(magnitude=2))";
  }
  llvm_unreachable("unknown attribute type");
}

bool hasType(const Attribute &a, AttrType type) {
  switch (type) {
  case AttrType::Int:
    return a.isInt();
  case AttrType::Float:
    return a.isNumber();
  case AttrType::Bool:
    return a.getKind() == Attribute::Kind::Bool;
  case AttrType::Name:
    return a.getKind() == Attribute::Kind::Name;
  case AttrType::IntPair:
    return a.isInt() || (a.isIntList() && a.getItems().size() == 2);
  case AttrType::IntList:
    return a.isIntList();
  case AttrType::Init:
    return a.getKind() == Attribute::Kind::Name ||
           a.getKind() == Attribute::Kind::Call;
  }
  llvm_unreachable("unknown attribute type");
}

/// The integers an attribute holds, for bound checks.
std::vector<int64_t> integersOf(const Attribute &a) {
  if (a.isInt())
    return {a.getInt()};
  if (a.isIntList())
    return a.getIntList();
  return {};
}

/// " (did you mean 'units'?)" when an attribute name is a likely typo.
std::string suggest(const OpInfo &op, llvm::StringRef name) {
  const AttrSpec *best = nullptr;
  unsigned bestDistance = 3;
  for (const AttrSpec &spec : op.attrs) {
    unsigned d = name.edit_distance(spec.name, true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = &spec;
    }
  }
  if (!best)
    return "";
  return (" (did you mean '" + best->name + "'?)").str();
}

void verifyOperands(const Node &node, DiagCollector &diags) {
  const OpInfo &op = node.getOp();
  unsigned n = node.getNumOperands();
  unsigned max = op.operands.size();
  if (n >= op.numRequired && (op.variadic || n <= max))
    return;
  std::string expected;
  if (max == 0) {
    diags.error(node.getLoc(), "{0} takes no operands, got {1}",
                node.describe(), n);
    return;
  }
  if (op.variadic)
    expected = llvm::formatv("{0} or more operands", op.numRequired);
  else if (op.numRequired == max)
    expected = llvm::formatv("{0} operand{1}", max, max == 1 ? "" : "s");
  else
    expected = llvm::formatv("{0} to {1} operands", op.numRequired, max);
  std::string names;
  for (llvm::StringRef operand : op.operands)
    names += (names.empty() ? "" : ", ") + operand.str();
  if (op.variadic)
    names += ", ...";
  diags.error(node.getLoc(), "{0} takes {1} ({2}), got {3}", node.describe(),
              expected, names, n);
}

void verifyAttributes(const Node &node, DiagCollector &diags) {
  const OpInfo &op = node.getOp();
  llvm::StringMap<llvm::SMLoc> seen;
  for (const NamedAttribute &attr : node.getAttrs()) {
    if (!seen.try_emplace(attr.name, attr.loc).second) {
      diags.error(attr.loc, "{0} has attribute '{1}' more than once",
                  node.describe(), attr.name);
      continue;
    }
    const AttrSpec *spec = op.findAttr(attr.name);
    if (!spec) {
      diags.error(attr.loc, "{0} has no attribute '{1}'{2}", node.describe(),
                  attr.name, suggest(op, attr.name));
      continue;
    }
    if (!hasType(attr.value, spec->type)) {
      diags.error(attr.loc, "{0}: attribute '{1}' must be {2}, got {3}",
                  node.describe(), attr.name, attrTypeName(spec->type),
                  attr.value);
      continue;
    }
    if (!spec->choices.empty() &&
        !llvm::is_contained(spec->choices, attr.value.getText())) {
      std::string list;
      for (llvm::StringRef c : spec->choices)
        list += (list.empty() ? "" : ", ") + c.str();
      diags.error(attr.loc,
                  "{0}: attribute '{1}' must be one of {2}, got "
                  "{3}",
                  node.describe(), attr.name, list, attr.value);
      continue;
    }
    for (int64_t v : integersOf(attr.value)) {
      if (spec->min && v < *spec->min) {
        diags.error(attr.loc,
                    "{0}: attribute '{1}' must be at least {2}, "
                    "got {3}",
                    node.describe(), attr.name, *spec->min, attr.value);
        break;
      }
    }
  }
  for (const AttrSpec &spec : op.attrs)
    if (spec.required && !seen.count(spec.name))
      diags.error(node.getLoc(), "{0} needs attribute '{1}' ({2})",
                  node.describe(), spec.name, attrTypeName(spec.type));
}

void verifyNames(const Graph &graph, DiagCollector &diags) {
  llvm::StringMap<const Value *> defined;
  auto define = [&](const Value &v) {
    auto [it, inserted] = defined.try_emplace(v.getName(), &v);
    if (inserted)
      return;
    diags.error(v.getLoc(),
                llvm::formatv("'%{0}' is defined more than once in graph "
                              "'{1}'",
                              v.getName(), graph.getName())
                    .str(),
                {{it->second->getLoc(), "first defined here"}});
  };
  for (const std::unique_ptr<Value> &input : graph.getInputs())
    define(*input);
  for (const std::unique_ptr<Node> &node : graph.getNodes())
    define(node->getResult());
}

} // namespace

llvm::Error shapeflow::verifyGraph(Graph &graph) {
  DiagCollector diags;
  verifyNames(graph, diags);
  for (const std::unique_ptr<Value> &input : graph.getInputs())
    if (!input->getType().hasRank())
      diags.error(input->getLoc(),
                  "input '%{0}' needs a rank; write "
                  "{1}[?, ?] for two unknown dims rather than {1}[*]",
                  input->getName(), dtypeName(input->getType().getDType()));
  for (const std::unique_ptr<Node> &node : graph.getNodes()) {
    verifyOperands(*node, diags);
    verifyAttributes(*node, diags);
  }
  if (graph.getOutputs().empty())
    diags.error(graph.getLoc(), "graph '{0}' returns nothing", graph.getName());
  if (diags.getCount())
    return diags.take();
  return graph.sortTopologically();
}
