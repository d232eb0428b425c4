//===- SuiteUtil.cpp - Graphs and sessions for the benchmark suite --------===//

#include "SuiteUtil.h"

#include "shapeflow/IR/Parser.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Runtime/Initializer.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace shapeflow;
using namespace shapeflow::bench;

void shapeflow::bench::fatal(const llvm::Twine &message) {
  llvm::errs() << "shapeflow-bench: error: " << message << '\n';
  std::exit(1);
}

std::unique_ptr<Graph> shapeflow::bench::parseGraphText(llvm::StringRef text,
                                                        llvm::StringRef name) {
  llvm::SourceMgr srcMgr;
  auto module = check(parseModuleString(text, srcMgr, name));
  if (module->graphs.empty())
    fatal(name + " holds no graph");
  std::unique_ptr<Graph> graph = std::move(module->graphs.front());
  if (llvm::Error err = verifyGraph(*graph))
    fatal(name + ": " + llvm::toString(std::move(err)));
  return graph;
}

std::unique_ptr<Graph>
shapeflow::bench::loadGraphFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    fatal("cannot read " + path + ": " + buffer.getError().message());
  return parseGraphText((*buffer)->getBuffer(), path);
}

CompiledGraph
shapeflow::bench::compileGraph(std::unique_ptr<Graph> graph,
                               llvm::ArrayRef<TensorType> signature) {
  CompiledGraph out;
  out.session = check(Session::create(std::move(graph)));
  InitOptions options;
  options.seed = 7;
  check(out.session->initialize(init::normal(0.05f), options));
  out.executor = check(out.session->prepare(signature));
  return out;
}

CompiledGraph shapeflow::bench::compileGraphText(llvm::StringRef text) {
  std::unique_ptr<Graph> graph = parseGraphText(text);
  std::vector<TensorType> signature;
  for (const auto &input : graph->getInputs())
    signature.push_back(input->getType());
  return compileGraph(std::move(graph), signature);
}
