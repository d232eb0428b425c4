//===- Printer.cpp - Writing graphs as text, JSON, DOT and tables ---------===//

#include "shapeflow/IR/Printer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

using namespace shapeflow;

//===----------------------------------------------------------------------===//
// Text
//===----------------------------------------------------------------------===//

static void printNode(const Node &node, llvm::raw_ostream &os) {
  os << "  %" << node.getName() << " = " << node.getOpName();
  // `param` with no attributes reads best bare; every other op gets
  // parentheses even when empty.
  if (!node.getOp().isParam() || !node.getAttrs().empty()) {
    os << '(';
    const char *sep = "";
    for (const Value *operand : node.getOperands()) {
      os << sep << '%' << operand->getName();
      sep = ", ";
    }
    for (const NamedAttribute &attr : node.getAttrs()) {
      os << sep << attr.name << '=' << attr.value;
      sep = ", ";
    }
    os << ')';
  }
  os << " : " << node.getResult().getType() << '\n';
}

void shapeflow::printGraph(const Graph &graph, llvm::raw_ostream &os) {
  os << "graph " << graph.getName() << '(';
  const char *sep = "";
  for (const std::unique_ptr<Value> &input : graph.getInputs()) {
    os << sep << '%' << input->getName() << ": " << input->getType();
    sep = ", ";
  }
  os << ") {\n";
  for (const std::unique_ptr<Node> &node : graph.getNodes())
    printNode(*node, os);
  os << "  return ";
  sep = "";
  for (const Value *output : graph.getOutputs()) {
    os << sep << '%' << output->getName();
    sep = ", ";
  }
  os << "\n}\n";
}

void shapeflow::printModule(const Module &module, llvm::raw_ostream &os) {
  const char *sep = "";
  for (const std::unique_ptr<Graph> &graph : module.graphs) {
    os << sep;
    printGraph(*graph, os);
    sep = "\n";
  }
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

static void writeValueJSON(llvm::json::OStream &json, const Value &v) {
  const TensorType &type = v.getType();
  json.object([&] {
    json.attribute("name", v.getName());
    json.attribute("dtype", dtypeName(type.getDType()));
    if (!type.hasRank()) {
      json.attribute("shape", nullptr);
      return;
    }
    json.attributeArray("shape", [&] {
      for (const Dim &d : type.getDims()) {
        if (d.isConstant())
          json.value(d.getConstant());
        else
          json.value(d.str());
      }
    });
  });
}

void shapeflow::printModuleJSON(const Module &module, llvm::raw_ostream &os) {
  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    json.attributeArray("graphs", [&] {
      for (const std::unique_ptr<Graph> &graph : module.graphs) {
        json.object([&] {
          json.attribute("name", graph->getName());
          json.attributeArray("inputs", [&] {
            for (const std::unique_ptr<Value> &input : graph->getInputs())
              writeValueJSON(json, *input);
          });
          json.attributeArray("params", [&] {
            for (const Node *param : graph->getParams())
              writeValueJSON(json, param->getResult());
          });
          json.attributeArray("values", [&] {
            for (const std::unique_ptr<Node> &node : graph->getNodes())
              if (!node->getOp().isParam())
                writeValueJSON(json, node->getResult());
          });
          json.attributeArray("outputs", [&] {
            for (const Value *output : graph->getOutputs())
              writeValueJSON(json, *output);
          });
        });
      }
    });
  });
  os << '\n';
}

//===----------------------------------------------------------------------===//
// DOT
//===----------------------------------------------------------------------===//

/// Writes a quoted DOT string; a newline becomes DOT's `\n` line break.
static void printDotString(llvm::raw_ostream &os, llvm::StringRef s) {
  os << '"';
  for (char c : s) {
    if (c == '\n') {
      os << "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      os << '\\';
    os << c;
  }
  os << '"';
}

void shapeflow::printModuleDot(const Module &module, llvm::raw_ostream &os) {
  for (const std::unique_ptr<Graph> &graph : module.graphs) {
    os << "digraph ";
    printDotString(os, graph->getName());
    os << " {\n  node [shape=box, fontname=\"monospace\"];\n";
    for (const std::unique_ptr<Value> &input : graph->getInputs()) {
      os << "  ";
      printDotString(os, ("%" + input->getName()).str());
      os << " [shape=ellipse];\n";
    }
    for (const std::unique_ptr<Node> &node : graph->getNodes()) {
      os << "  ";
      printDotString(os, ("%" + node->getName()).str());
      os << " [label=";
      printDotString(os,
                     ("%" + node->getName() + "\n" + node->getOpName()).str());
      if (node->getOp().isParam())
        os << ", style=dashed";
      os << "];\n";
      for (const Value *operand : node->getOperands()) {
        os << "  ";
        printDotString(os, ("%" + operand->getName()).str());
        os << " -> ";
        printDotString(os, ("%" + node->getName()).str());
        os << " [label=";
        printDotString(os, operand->getType().str());
        os << "];\n";
      }
    }
    for (const Value *output : graph->getOutputs()) {
      os << "  ";
      printDotString(os, ("%" + output->getName()).str());
      os << " -> \"return\" [label=";
      printDotString(os, output->getType().str());
      os << "];\n";
    }
    os << "}\n";
  }
}

//===----------------------------------------------------------------------===//
// Parameter table
//===----------------------------------------------------------------------===//

void shapeflow::printParamTable(const Module &module, llvm::raw_ostream &os) {
  struct Row {
    std::string graph, name, shape, dtype, init;
  };
  std::vector<Row> rows;
  for (const std::unique_ptr<Graph> &graph : module.graphs) {
    for (const Node *param : graph->getParams()) {
      const TensorType &type = param->getResult().getType();
      const Attribute *init = param->getAttr("init");
      rows.push_back({graph->getName().str(), ("%" + param->getName()).str(),
                      type.shapeStr(), dtypeName(type.getDType()).str(),
                      init ? init->str() : "(default)"});
    }
  }

  Row header{"graph", "name", "shape", "dtype", "init"};
  size_t widths[4] = {header.graph.size(), header.name.size(),
                      header.shape.size(), header.dtype.size()};
  for (const Row &row : rows) {
    widths[0] = std::max(widths[0], row.graph.size());
    widths[1] = std::max(widths[1], row.name.size());
    widths[2] = std::max(widths[2], row.shape.size());
    widths[3] = std::max(widths[3], row.dtype.size());
  }
  auto printRow = [&](const Row &row) {
    os << llvm::left_justify(row.graph, widths[0]) << "  "
       << llvm::left_justify(row.name, widths[1]) << "  "
       << llvm::left_justify(row.shape, widths[2]) << "  "
       << llvm::left_justify(row.dtype, widths[3]) << "  " << row.init << '\n';
  };
  printRow(header);
  for (const Row &row : rows)
    printRow(row);
}
