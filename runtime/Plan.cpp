//===- Plan.cpp - Printing plans ------------------------------------------===//

#include "shapeflow/Runtime/Plan.h"

#include "llvm/ADT/STLExtras.h"

using namespace shapeflow;

static const char *kindName(BufferKind kind) {
  switch (kind) {
  case BufferKind::Input:
    return "input";
  case BufferKind::Param:
    return "param";
  case BufferKind::Temp:
    return "temp";
  case BufferKind::Output:
    return "output";
  }
  return "?";
}

static void printAttr(llvm::raw_ostream &os, const PlanAttr &attr) {
  os << attr.name << '=';
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          os << '[';
          llvm::interleaveComma(v, os);
          os << ']';
        } else if constexpr (std::is_same_v<T, std::string>) {
          os << v;
        } else {
          os << v;
        }
      },
      attr.value);
}

void Plan::print(llvm::raw_ostream &os) const {
  os << "plan: " << steps.size() << " steps, " << buffers.size()
     << " buffers; arena " << arenaBytes << " bytes (naive " << naiveBytes
     << ", lower bound " << peakBytes << ")\n";
  for (size_t i = 0; i < buffers.size(); ++i) {
    const PlanBuffer &b = buffers[i];
    os << "  buffer " << i << " %" << b.name << " " << dtypeName(b.dtype)
       << '[';
    llvm::interleaveComma(b.shape, os);
    os << "] " << kindName(b.kind);
    if (b.kind == BufferKind::Temp)
      os << " @" << b.offset;
    os << '\n';
  }
  for (const PlanStep &step : steps) {
    os << "  " << step.kernel << '(';
    llvm::interleaveComma(step.inputs, os,
                          [&](uint32_t b) { os << '%' << buffers[b].name; });
    for (const PlanAttr &attr : step.attrs) {
      os << ", ";
      printAttr(os, attr);
    }
    os << ") -> %" << buffers[step.output].name << '\n';
  }
}
