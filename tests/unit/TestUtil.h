//===- TestUtil.h - Helpers shared by the unit tests ------------*- C++ -*-===//
//
// Most tests write a graph as text, run the compiler's front half on it
// (parse, verify, bind, infer) and look at the types or the error text.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_TESTS_UNIT_TESTUTIL_H
#define SHAPEFLOW_TESTS_UNIT_TESTUTIL_H

#include "shapeflow/IR/Parser.h"
#include "shapeflow/IR/Printer.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"

#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>
#include <vector>

namespace shapeflow::test {

/// The two-layer MLP of examples/mlp.sfg: the input width is left open.
inline constexpr const char *kMlp = R"(
graph mlp(%x: f32[?, ?]) {
  %dense0.weight = param
  %dense0.bias = param(init=zeros)
  %h = dense(%x, %dense0.weight, %dense0.bias, units=256)
  %a = relu(%h)
  %dense1.weight = param(init=xavier(magnitude=2.24)) : f32[10, ?]
  %dense1.bias = param(init=zeros)
  %y = dense(%a, %dense1.weight, %dense1.bias, units=10)
  return %y
}
)";

/// A parsed module and the SourceMgr its locations point into.
struct Compiled {
  llvm::SourceMgr srcMgr;
  std::unique_ptr<Module> module;
  /// Every error, as llvm::toString() gives them (no locations); empty on
  /// success.
  std::string errors;

  Graph &graph(unsigned i = 0) { return *module->graphs[i]; }
  /// The type of a value of graph 0, printed: "f32[2, 256]".
  std::string type(llvm::StringRef valueName, unsigned graphIndex = 0) {
    Value *v = module->graphs[graphIndex]->lookup(valueName);
    return v ? v->getType().str() : "<no value %" + valueName.str() + ">";
  }
};

/// Parses and verifies `text`, applies `bindings` (NAME=TYPE, as --bind) to
/// every graph with that input, and infers shapes unless `infer` is false.
/// Unresolved dims are errors when the signature is complete, as in
/// graph-dump.
inline std::unique_ptr<Compiled> compile(llvm::StringRef text,
                                         std::vector<std::string> bindings = {},
                                         bool infer = true) {
  auto result = std::make_unique<Compiled>();
  auto fail = [&](llvm::Error err) {
    result->errors = llvm::toString(std::move(err));
    return std::move(result);
  };
  auto module = parseModuleString(text, result->srcMgr, "test.sfg");
  if (!module)
    return fail(module.takeError());
  result->module = std::move(*module);

  std::vector<InputBinding> parsed;
  for (const std::string &b : bindings) {
    auto binding = parseInputBinding(b);
    if (!binding)
      return fail(binding.takeError());
    parsed.push_back(std::move(*binding));
  }
  for (auto &graph : result->module->graphs) {
    if (llvm::Error err = verifyGraph(*graph))
      return fail(std::move(err));
    std::vector<InputBinding> mine;
    for (const InputBinding &b : parsed)
      if (Value *v = graph->lookup(b.name); v && v->isInput())
        mine.push_back(b);
    if (llvm::Error err = bindInputs(*graph, mine))
      return fail(std::move(err));
    if (!infer)
      continue;
    ShapeInferenceOptions options;
    options.requireComplete = hasCompleteSignature(*graph);
    if (llvm::Error err = inferShapes(*graph, options))
      return fail(std::move(err));
  }
  return result;
}

/// Prints a module to a string in the text format.
inline std::string print(const Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printModule(module, os);
  return os.str();
}

} // namespace shapeflow::test

#endif // SHAPEFLOW_TESTS_UNIT_TESTUTIL_H
