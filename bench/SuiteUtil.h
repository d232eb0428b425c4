//===- SuiteUtil.h - Graphs and sessions for the benchmark suite -*- C++ -*-=//

#ifndef SHAPEFLOW_BENCH_SUITEUTIL_H
#define SHAPEFLOW_BENCH_SUITEUTIL_H

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Graph.h"
#include "shapeflow/IR/Type.h"
#include "shapeflow/Runtime/Executor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"

#include <memory>
#include <string>

namespace shapeflow::bench {

/// The suite measures bundled, known-good graphs: a failure is a bug to
/// report and stop on, not an input error to recover from.
[[noreturn]] void fatal(const llvm::Twine &message);
/// The value of `expected`, or fatal() with its error.
template <typename T> T check(llvm::Expected<T> expected) {
  if (!expected)
    fatal(llvm::toString(expected.takeError()));
  return std::move(*expected);
}

/// Parses and verifies the first graph of `text` (named `name` in
/// messages), or of the file at `path`.
std::unique_ptr<Graph> parseGraphText(llvm::StringRef text,
                                      llvm::StringRef name = "<bench>");
std::unique_ptr<Graph> loadGraphFile(const std::string &path);

struct CompiledGraph {
  std::unique_ptr<Session> session;
  std::shared_ptr<const Executor> executor;
};

/// A session over `graph`, its parameters initialized from N(0, 0.05)
/// (seeded), compiled for `signature`.
CompiledGraph compileGraph(std::unique_ptr<Graph> graph,
                           llvm::ArrayRef<TensorType> signature);
/// The same for a graph whose inputs all have known shapes.
CompiledGraph compileGraphText(llvm::StringRef text);

} // namespace shapeflow::bench

#endif // SHAPEFLOW_BENCH_SUITEUTIL_H
