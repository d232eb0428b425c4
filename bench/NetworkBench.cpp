//===- NetworkBench.cpp - Whole networks: latency and memory --------------===//
//
// Each bundled example network is compiled for one input signature and
// run through Session::run, the path a user calls, so the figure includes
// the executor, derived parameters' checks and output allocation. Memory is
// reported from the plan: the arena the planner laid out, against the
// naive total (every intermediate in its own buffer) and the lower bound
// (the most bytes live at any one step).
//
//===----------------------------------------------------------------------===//

#include "Sections.h"
#include "SuiteUtil.h"

#include "shapeflow/IR/Parser.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;
using namespace shapeflow::bench;

namespace {

struct NetworkCase {
  std::string name;  ///< also the file name under examples/
  std::string input; ///< the bound input type
  /// For i64 inputs (token ids): values are drawn from [0, idBound).
  int64_t idBound = 0;
};

std::vector<NetworkCase> networkCases() {
  return {
      {"mlp", "f32[1, 784]"},
      {"mlp", "f32[64, 784]"},
      {"lenet", "f32[1, 1, 28, 28]"},
      {"lenet", "f32[64, 1, 28, 28]"},
      {"resnet18", "f32[1, 3, 224, 224]"},
      {"resnet18", "f32[16, 3, 224, 224]"},
      {"mobilenet_v1", "f32[1, 3, 224, 224]"},
      {"transformer_encoder", "i64[1, 128]", 30000},
  };
}

Tensor makeInput(const TensorType &type, int64_t idBound) {
  std::vector<int64_t> shape;
  for (const Dim &d : type.getDims())
    shape.push_back(d.getConstant());
  if (type.getDType() == DType::F32)
    return Tensor::uniform(shape, /*seed=*/1);
  Tensor ids = check(Tensor::zeros(DType::I64, shape));
  uint64_t state = 12345;
  for (int64_t i = 0; i < ids.getNumElements(); ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    ids.i64()[i] = int64_t((state >> 33) % uint64_t(idBound));
  }
  return ids;
}

void runCase(Report &report, SuiteContext &ctx, const NetworkCase &nc) {
  TensorType type = check(parseType(nc.input));
  std::string path = ctx.examplesDir + "/" + nc.name + ".sfg";
  CompiledGraph compiled = compileGraph(loadGraphFile(path), {type});
  const Plan &plan = compiled.executor->getPlan();
  std::vector<Tensor> inputs;
  inputs.push_back(makeInput(type, nc.idBound));

  int64_t batch = type.getDims().front().getConstant();
  for (int threads : ctx.threadCounts) {
    RunOptions options;
    options.numThreads = threads;
    Timing t = measure([&] { check(compiled.session->run(inputs, options)); },
                       ctx.timing);
    Row row{"networks",
            llvm::formatv("{0}/batch:{1}/threads:{2}", nc.name, batch, threads),
            t};
    row.metrics = {
        {"arena", double(plan.arenaBytes), "bytes"},
        {"naive", double(plan.naiveBytes), "bytes"},
        {"lower_bound", double(plan.peakBytes), "bytes"},
        {"arena/bound",
         plan.peakBytes ? double(plan.arenaBytes) / plan.peakBytes : 1.0,
         "ratio"}};
    row.note = nc.input;
    report.add(std::move(row));
  }
}

} // namespace

void shapeflow::bench::runNetworkSection(Report &report, SuiteContext &ctx) {
  // --filter sees the rows' names without the thread count, as
  // "resnet18/batch:16/".
  for (const NetworkCase &nc : networkCases()) {
    TensorType type = check(parseType(nc.input));
    std::string name = llvm::formatv("{0}/batch:{1}/", nc.name,
                                     type.getDims().front().getConstant());
    if (ctx.selected(name))
      runCase(report, ctx, nc);
  }
}
