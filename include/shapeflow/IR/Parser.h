//===- Parser.h - Reading the .sfg text format ------------------*- C++ -*-===//
//
// The grammar is documented in docs/text-format.md. Errors carry source
// locations into the SourceMgr's buffer, so print them with
// printDiagnostics() and the same SourceMgr.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_PARSER_H
#define SHAPEFLOW_IR_PARSER_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Passes/ShapeInference.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace shapeflow {

/// Parses every graph in buffer `bufferId`. The first syntax error stops the
/// parse; undefined values, unknown ops and duplicate graph names are all
/// reported together. The graphs are not verified.
llvm::Expected<std::unique_ptr<Module>> parseModule(llvm::SourceMgr &srcMgr,
                                                    unsigned bufferId);

/// Adds `text` to `srcMgr` as a buffer named `name` and parses it.
llvm::Expected<std::unique_ptr<Module>>
parseModuleString(llvm::StringRef text, llvm::SourceMgr &srcMgr,
                  llvm::StringRef name = "<string>");

/// Parses a type such as `f32[2, 20]`, `f32[N, 3, H, W]` or `i64[?]`.
llvm::Expected<TensorType> parseType(llvm::StringRef text);

/// Parses `%x=f32[2,20]` (the `%` is optional), as `--bind` takes it.
llvm::Expected<InputBinding> parseInputBinding(llvm::StringRef text);

} // namespace shapeflow

#endif // SHAPEFLOW_IR_PARSER_H
