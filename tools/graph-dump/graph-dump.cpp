//===- graph-dump.cpp - Print a graph with its inferred shapes ------------===//
//
// Reads a .sfg file, verifies it, binds the signature given with --bind,
// infers every shape and prints the result as text (which reads back as the
// same graph), JSON, Graphviz or a parameter table.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Parser.h"
#include "shapeflow/IR/Printer.h"
#include "shapeflow/Passes/Lowering.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/ADT/Statistic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace shapeflow;
namespace cl = llvm::cl;

namespace {

enum class Format { Text, JSON, Dot };

cl::OptionCategory category("graph-dump options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<graph file>"),
                               cl::init("-"), cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Write the output here"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::list<std::string>
    bindings("bind",
             cl::desc("Bind a graph input to a type, as %x=f32[2,20] or "
                      "%x=f32[N,3,H,W]; applies to every graph with that "
                      "input"),
             cl::value_desc("NAME=TYPE"), cl::cat(category));
cl::opt<Format> format(
    "format", cl::desc("Output format"), cl::init(Format::Text),
    cl::values(clEnumValN(Format::Text, "text", "the .sfg text format"),
               clEnumValN(Format::JSON, "json",
                          "inputs, params, values and outputs with shapes"),
               clEnumValN(Format::Dot, "dot", "a Graphviz digraph")),
    cl::cat(category));
cl::opt<bool> params("params", cl::desc("Print a table of parameters instead"),
                     cl::cat(category));
cl::opt<bool> plan("plan",
                   cl::desc("Print the compiled plan (kernel steps and the "
                            "memory layout); needs concrete shapes"),
                   cl::cat(category));
cl::opt<bool> noInfer("no-infer",
                      cl::desc("Print the graph as written, without shape "
                               "inference"),
                      cl::cat(category));
cl::list<std::string>
    trace("trace",
          cl::desc("Trace a component to stderr (debug builds only), e.g. "
                   "shape-inference"),
          cl::value_desc("type"), cl::CommaSeparated, cl::cat(category));

/// Applies every --bind to the graphs that have the named input.
llvm::Error applyBindings(Module &module) {
  DiagCollector diags;
  std::vector<InputBinding> parsed;
  for (const std::string &text : bindings) {
    auto binding = parseInputBinding(text);
    if (!binding) {
      diags.add(binding.takeError());
      continue;
    }
    bool used = llvm::any_of(module.graphs, [&](const auto &graph) {
      Value *v = graph->lookup(binding->name);
      return v && v->isInput();
    });
    if (!used)
      diags.error({}, "--bind {0}: no graph has an input named '%{1}'", text,
                  binding->name);
    parsed.push_back(std::move(*binding));
  }
  if (diags.getCount())
    return diags.take();

  for (const std::unique_ptr<Graph> &graph : module.graphs) {
    std::vector<InputBinding> mine;
    for (const InputBinding &binding : parsed)
      if (Value *v = graph->lookup(binding.name); v && v->isInput())
        mine.push_back(binding);
    diags.add(bindInputs(*graph, mine));
  }
  return diags.take();
}

llvm::Error process(Module &module) {
  DiagCollector diags;
  for (const std::unique_ptr<Graph> &graph : module.graphs)
    diags.add(verifyGraph(*graph));
  if (diags.getCount())
    return diags.take();
  if (llvm::Error err = applyBindings(module))
    return err;
  if (noInfer)
    return llvm::Error::success();

  for (const std::unique_ptr<Graph> &graph : module.graphs) {
    ShapeInferenceOptions options;
    options.requireComplete = hasCompleteSignature(*graph);
    diags.add(inferShapes(*graph, options));
  }
  return diags.take();
}

llvm::Error print(const Module &module, llvm::raw_ostream &os) {
  if (plan) {
    DiagCollector diags;
    for (const std::unique_ptr<Graph> &graph : module.graphs) {
      auto lowered = lowerToPlan(*graph);
      if (!lowered) {
        diags.add(lowered.takeError());
        continue;
      }
      os << "graph " << graph->getName() << ' ';
      lowered->print(os);
    }
    return diags.take();
  }
  if (params) {
    printParamTable(module, os);
    return llvm::Error::success();
  }
  switch (format) {
  case Format::Text:
    printModule(module, os);
    break;
  case Format::JSON:
    printModuleJSON(module, os);
    break;
  case Format::Dot:
    printModuleDot(module, os);
    break;
  }
  return llvm::Error::success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << "graph-dump (shapeflow) 0.1\n"; });
  // --stats is LLVM's own option (it cannot be registered twice): show it.
  cl::Option *statsOption = cl::getRegisteredOptions().lookup("stats");
  if (statsOption) {
    statsOption->setHiddenFlag(cl::NotHidden);
    statsOption->addCategory(category);
    statsOption->setDescription("Print the solver's counters to stderr");
  }
  cl::ParseCommandLineOptions(
      argc, argv,
      "graph-dump: verify a shapeflow graph, infer its shapes and print it\n");
  if (!trace.empty()) {
    llvm::DebugFlag = true;
    std::vector<const char *> types;
    for (const std::string &t : trace)
      types.push_back(t.c_str());
    // A macro under NDEBUG, a function of namespace llvm otherwise.
    using namespace llvm;
    setCurrentDebugTypes(types.data(), types.size());
  }

  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputPath);
  if (!buffer) {
    llvm::WithColor::error(llvm::errs(), "graph-dump")
        << "cannot open '" << inputPath << "': " << buffer.getError().message()
        << '\n';
    return 1;
  }
  llvm::SourceMgr srcMgr;
  unsigned id = srcMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());

  auto module = parseModule(srcMgr, id);
  llvm::Error err = module ? process(**module) : module.takeError();
  if (printDiagnostics(std::move(err), &srcMgr, "graph-dump", llvm::errs()))
    return 1;

  // Render everything first: on an error nothing is written, and an
  // existing -o file is left alone.
  std::string text;
  llvm::raw_string_ostream textStream(text);
  if (llvm::Error err = print(**module, textStream)) {
    printDiagnostics(std::move(err), &srcMgr, "graph-dump", llvm::errs());
    return 1;
  }
  std::error_code ec;
  llvm::ToolOutputFile out(outputPath, ec, llvm::sys::fs::OF_None);
  if (ec) {
    llvm::WithColor::error(llvm::errs(), "graph-dump")
        << "cannot write '" << outputPath << "': " << ec.message() << '\n';
    return 1;
  }
  out.os() << textStream.str();
  out.keep();
  if (statsOption && llvm::AreStatisticsEnabled()) {
    llvm::PrintStatistics(llvm::errs());
    // Debian's LLVM is built without assertions, and at exit its -stats
    // would add "Statistics are disabled"; the counters above are always
    // enabled, so switch that message off.
    // LLVM 14 declares it as cl::opt<bool, true> (external storage).
    static_cast<cl::opt<bool, true> *>(statsOption)->setValue(false);
  }
  return 0;
}
