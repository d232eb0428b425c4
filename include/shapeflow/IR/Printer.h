//===- Printer.h - Writing graphs as text, JSON, DOT and tables -*- C++ -*-===//
//
// The text form is the .sfg format: printing a graph and parsing the result
// gives the same graph, and printing that again gives the same text. Every
// value's type is printed, so a graph printed after shape inference reads
// back with all its shapes as declared constraints.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_IR_PRINTER_H
#define SHAPEFLOW_IR_PRINTER_H

#include "shapeflow/IR/Graph.h"

#include "llvm/Support/raw_ostream.h"

namespace shapeflow {

/// Writes one graph in the .sfg format.
void printGraph(const Graph &graph, llvm::raw_ostream &os);
/// Writes every graph, separated by blank lines.
void printModule(const Module &module, llvm::raw_ostream &os);

/// Writes `{"graphs": [...]}`; the schema is in docs/graph-dump.md. Each
/// dim is an integer when known, else its printed expression or "?".
void printModuleJSON(const Module &module, llvm::raw_ostream &os);

/// Writes a Graphviz digraph per graph, with each edge labelled by the type
/// of the value it carries.
void printModuleDot(const Module &module, llvm::raw_ostream &os);

/// Writes a table of parameters: name, shape, dtype, initializer.
void printParamTable(const Module &module, llvm::raw_ostream &os);

} // namespace shapeflow

#endif // SHAPEFLOW_IR_PRINTER_H
