//===- CompilerBench.cpp - Time to build, verify and infer large graphs ---===//
//
// Builds graphs of 1k to 1M nodes through the Graph API and times, each on
// its own, graph construction, verifyGraph and inferShapes. The solver is
// meant to be linear in graph size, so the counter that matters is
// `ns_per_node`: thread CPU time of the measured step divided by iterations
// and nodes. It should stay flat as the size grows. Memory counters, from
// /proc/self/status: `graph_MiB` is what the built graph occupies, and
// `peak_MiB` the peak resident set the measured step adds (for build, the
// graph itself; for verify and infer, their scratch on top of the graph).
//
// The graph families:
//   dense_chain      %x: f32[32, 64], then (param, dense units=64, relu)*
//   dense_chain_sym  the same with %x: f32[N, 64]
//   conv_chain_sym   %x: f32[N, 8, H, W], then (param, conv2d 3x3 pad 1,
//                    relu)*; every conv keeps H and W
//   branchy          %x: f32[N, ?, 8, 8] and a first weight declared
//                    f32[16, 3, 3, 3], so the input's channels come from the
//                    weight; then blocks that fork into two conv2d + relu
//                    branches joined by add, and every fourth block concats
//                    its output with its input, doubling the channels the
//                    next block's weights must be inferred with
// No parameter but the first branchy weight declares a type: every weight's
// shape comes from the op that uses it.
//
// See bench/README.md for how to build and run, and the measured numbers.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Graph.h"
#include "shapeflow/IR/Op.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"

#include <benchmark/benchmark.h>

#include <cassert>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <malloc.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace shapeflow;

namespace {

//===----------------------------------------------------------------------===//
// Building graphs
//===----------------------------------------------------------------------===//

enum class Family { DenseChain, DenseChainSym, ConvChainSym, Branchy };

const char *familyName(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "dense_chain";
  case Family::DenseChainSym:
    return "dense_chain_sym";
  case Family::ConvChainSym:
    return "conv_chain_sym";
  case Family::Branchy:
    return "branchy";
  }
  return "?";
}

/// Appends nodes to a graph by op name, caching the registry lookups.
class Builder {
public:
  explicit Builder(Graph &graph)
      : graph(graph), paramOp(op("param")), denseOp(op("dense")),
        reluOp(op("relu")), convOp(op("conv2d")), addOp(op("add")),
        concatOp(op("concat")) {}

  /// A parameter with no declared type, or with `type`.
  Value &param(std::string name,
               std::optional<TensorType> type = std::nullopt) {
    NodeSpec spec;
    spec.op = paramOp;
    spec.name = std::move(name);
    spec.declaredType = std::move(type);
    return graph.addNode(std::move(spec)).getResult();
  }

  /// A node of `op`; its result is unknown until inference.
  Value &node(const OpInfo *op, std::string name, std::vector<Value *> operands,
              std::vector<NamedAttribute> attrs = {}) {
    NodeSpec spec;
    spec.op = op;
    spec.name = std::move(name);
    spec.operands = std::move(operands);
    spec.attrs = std::move(attrs);
    return graph.addNode(std::move(spec)).getResult();
  }

  size_t size() const { return graph.getNodes().size(); }

  Graph &graph;
  const OpInfo *paramOp, *denseOp, *reluOp, *convOp, *addOp, *concatOp;

private:
  static const OpInfo *op(llvm::StringRef name) {
    const OpInfo *info = lookupOp(name);
    assert(info && "the benchmark uses only registered ops");
    return info;
  }
};

/// `prefix` followed by `index`: "l12". (Built by appending, which also
/// avoids a spurious GCC 12 -Wrestrict warning on `"l" + std::to_string`.)
std::string indexed(const char *prefix, size_t index) {
  std::string name = prefix;
  name += std::to_string(index);
  return name;
}

NamedAttribute intAttr(const char *name, int64_t value) {
  return {name, Attribute::integer(value), {}};
}

/// `conv2d(x, w, channels=c, kernel=k, padding=p)`, weight undeclared.
Value &convBranch(Builder &b, const std::string &prefix, Value &x,
                  int64_t channels, int64_t kernel, int64_t padding,
                  std::optional<TensorType> weightType = std::nullopt) {
  Value &w = b.param(prefix + ".w", std::move(weightType));
  Value &c = b.node(b.convOp, prefix + ".c", {&x, &w},
                    {intAttr("channels", channels), intAttr("kernel", kernel),
                     intAttr("padding", padding)});
  return b.node(b.reluOp, prefix + ".r", {&c});
}

/// (param, dense units=64, relu) until the graph has `numNodes` nodes.
/// [B, 64] -> [B, 64]
Value &buildDenseChain(Builder &b, Value &x, size_t numNodes) {
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i) {
    std::string prefix = indexed("l", i);
    Value &w = b.param(prefix + ".w");
    Value &d =
        b.node(b.denseOp, prefix + ".d", {h, &w}, {intAttr("units", 64)});
    h = &b.node(b.reluOp, prefix + ".r", {&d});
  }
  return *h;
}

/// (param, conv2d 3x3 pad 1, relu) until the graph has `numNodes` nodes.
/// [N, 8, H, W] -> [N, 8, H, W]
Value &buildConvChain(Builder &b, Value &x, size_t numNodes) {
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i)
    h = &convBranch(b, indexed("l", i), *h, /*channels=*/8,
                    /*kernel=*/3, /*padding=*/1);
  return *h;
}

/// Residual-style blocks until the graph has `numNodes` nodes.
/// [N, C, 8, 8] -> [N, 16, 8, 8], or [N, 32, 8, 8] after a concat.
Value &buildBranchy(Builder &b, Value &x, size_t numNodes) {
  // The first branch fixes the input's channels backward:
  // weight [16, 3, 3, 3] => x [N, 3, 8, 8].
  Value *h = &x;
  for (size_t i = 0; b.size() < numNodes; ++i) {
    std::string prefix = indexed("b", i);
    std::optional<TensorType> firstWeight;
    if (i == 0)
      firstWeight = TensorType(DType::F32, {16, 3, 3, 3});
    Value &left = convBranch(b, prefix + ".a", *h, 16, 3, 1, firstWeight);
    Value &right = convBranch(b, prefix + ".b", *h, 16, 1, 0);
    Value &sum = b.node(b.addOp, prefix + ".add", {&left, &right});
    if (i % 4 != 3) {
      h = &sum;
      continue;
    }
    // [N, 16, 8, 8] ++ [N, 16, 8, 8] -> [N, 32, 8, 8]
    h = &b.node(b.concatOp, prefix + ".cat", {&sum, h}, {intAttr("axis", 1)});
  }
  return *h;
}

/// A graph of `family` with at least `numNodes` nodes (a few more when the
/// last layer or block overshoots).
std::unique_ptr<Graph> buildGraph(Family family, size_t numNodes) {
  auto graph = std::make_unique<Graph>(familyName(family));
  Builder b(*graph);
  Dim n = Dim::symbol("N");
  Value *out = nullptr;
  switch (family) {
  case Family::DenseChain:
    out = &buildDenseChain(
        b, graph->addInput("x", TensorType(DType::F32, {32, 64})), numNodes);
    break;
  case Family::DenseChainSym:
    out = &buildDenseChain(
        b, graph->addInput("x", TensorType(DType::F32, {n, 64})), numNodes);
    break;
  case Family::ConvChainSym: {
    TensorType type(DType::F32, {n, 8, Dim::symbol("H"), Dim::symbol("W")});
    out = &buildConvChain(b, graph->addInput("x", type), numNodes);
    break;
  }
  case Family::Branchy:
    out = &buildBranchy(
        b, graph->addInput("x", TensorType(DType::F32, {n, Dim(), 8, 8})),
        numNodes);
    break;
  }
  graph->addOutput(*out);
  return graph;
}

/// The type inference must give the graph's input: branchy's channels are
/// inferred backward from its first weight.
const char *expectedInput(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "f32[32, 64]";
  case Family::DenseChainSym:
    return "f32[N, 64]";
  case Family::ConvChainSym:
    return "f32[N, 8, H, W]";
  case Family::Branchy:
    return "f32[N, 3, 8, 8]";
  }
  return nullptr;
}

/// The type inference must give the graph's output, if it is fixed.
const char *expectedOutput(Family family) {
  switch (family) {
  case Family::DenseChain:
    return "f32[32, 64]";
  case Family::DenseChainSym:
    return "f32[N, 64]";
  case Family::ConvChainSym:
    return "f32[N, 8, H, W]";
  case Family::Branchy:
    return nullptr; // 16 or 32 channels, depending on where it stops
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

/// Thread CPU time, summed over the measured regions only. CPU time rather
/// than wall time, because the machines this runs on are shared.
class CpuStopwatch {
public:
  void start() { begin = now(); }
  void stop() { total += now() - begin; }
  double nanoseconds() const { return double(total); }

private:
  static int64_t now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }

  int64_t begin = 0, total = 0;
};

/// A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.
int64_t readStatusKiB(const char *field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  size_t length = std::strlen(field);
  while (std::getline(status, line))
    if (line.compare(0, length, field) == 0)
      return std::stoll(line.substr(length));
  return -1;
}

/// The peak resident set reached from construction on, above the resident
/// set at construction. Linux resets VmHWM when "5" is written to
/// /proc/self/clear_refs; where that fails, the peak is the process's, which
/// only grows, and the figure overstates.
class PeakMemory {
public:
  PeakMemory() {
    // Hand back what earlier benchmarks freed, so it is not counted again.
    malloc_trim(0);
    if (std::FILE *clear = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", clear);
      std::fclose(clear);
    }
    baseline = readStatusKiB("VmRSS:");
  }

  double growthMiB() const {
    return double(readStatusKiB("VmHWM:") - baseline) / 1024;
  }

private:
  int64_t baseline;
};

/// Sets `ns_per_node`, the counter to compare across sizes.
void setTimeCounters(benchmark::State &state, size_t numNodes,
                     const CpuStopwatch &watch) {
  state.counters["nodes"] = double(numNodes);
  state.counters["ns_per_node"] =
      watch.nanoseconds() / (double(state.iterations()) * double(numNodes));
}

/// A verified graph shared by the verify and infer benchmarks of one family
/// and size, which run one after the other, repetitions included. Only one
/// graph is kept, so 1M-node graphs are not built six times nor held at
/// once.
struct CachedGraph {
  Family family = Family::DenseChain;
  size_t size = 0;
  std::unique_ptr<Graph> graph;
  /// The inputs' types before inference refined them (branchy's channels);
  /// Graph::resetTypes() keeps inputs as they are.
  std::vector<TensorType> inputTypes;
  /// Resident set the graph added when it was built.
  double graphMiB = 0;
};

CachedGraph &cache() {
  static CachedGraph instance;
  return instance;
}

void dropCachedGraph() {
  cache().graph.reset();
  cache().size = 0;
}

/// The cached graph of `family` and `numNodes`, built and verified if it is
/// not the one cached; nullptr (and the benchmark skipped) if it fails to
/// verify.
CachedGraph *getVerifiedGraph(benchmark::State &state, Family family,
                              size_t numNodes) {
  CachedGraph &entry = cache();
  if (entry.graph && entry.family == family && entry.size == numNodes)
    return &entry;

  dropCachedGraph();
  malloc_trim(0);
  int64_t before = readStatusKiB("VmRSS:");
  entry.graph = buildGraph(family, numNodes);
  entry.graphMiB = double(readStatusKiB("VmRSS:") - before) / 1024;
  entry.inputTypes.clear();
  for (const std::unique_ptr<Value> &input : entry.graph->getInputs())
    entry.inputTypes.push_back(input->getType());
  if (llvm::Error err = verifyGraph(*entry.graph)) {
    std::string message = "verifier: " + llvm::toString(std::move(err));
    state.SkipWithError(message.c_str());
    dropCachedGraph();
    return nullptr;
  }
  entry.family = family;
  entry.size = numNodes;
  return &entry;
}

/// Undoes a previous inference: node types and input types as declared.
void resetGraphTypes(CachedGraph &entry) {
  entry.graph->resetTypes();
  for (size_t i = 0; i < entry.inputTypes.size(); ++i)
    entry.graph->getInputs()[i]->setType(entry.inputTypes[i]);
}

/// Checks what inference gave the input and the output, so that a broken
/// graph fails loudly instead of timing an early exit.
bool checkTypes(benchmark::State &state, const Graph &graph, Family family) {
  const TensorType &in = graph.getInputs().front()->getType();
  const TensorType &out = graph.getOutputs().front()->getType();
  const char *expected = expectedOutput(family);
  if (in.str() == expectedInput(family) &&
      (!expected || out.str() == expected) && out.isDetermined())
    return true;
  std::string message =
      "unexpected types: input " + in.str() + ", output " + out.str();
  state.SkipWithError(message.c_str());
  return false;
}

/// Graph construction through the API; destroying the graph is not timed.
void benchBuild(benchmark::State &state, Family family) {
  dropCachedGraph();
  PeakMemory memory;
  size_t numNodes = state.range(0), built = 0;
  CpuStopwatch watch;
  for (auto _ : state) {
    watch.start();
    std::unique_ptr<Graph> graph = buildGraph(family, numNodes);
    watch.stop();
    built = graph->getNodes().size();
    benchmark::DoNotOptimize(graph.get());

    state.PauseTiming();
    graph.reset();
    state.ResumeTiming();
  }
  setTimeCounters(state, built, watch);
  state.counters["peak_MiB"] = memory.growthMiB();
}

/// verifyGraph on an already verified graph: the same checks and sort.
void benchVerify(benchmark::State &state, Family family) {
  CachedGraph *entry = getVerifiedGraph(state, family, state.range(0));
  if (!entry)
    return;
  PeakMemory memory;
  CpuStopwatch watch;
  for (auto _ : state) {
    watch.start();
    llvm::Error err = verifyGraph(*entry->graph);
    watch.stop();
    if (err) {
      state.SkipWithError(llvm::toString(std::move(err)).c_str());
      return;
    }
  }
  setTimeCounters(state, entry->graph->getNodes().size(), watch);
  state.counters["graph_MiB"] = entry->graphMiB;
  state.counters["peak_MiB"] = memory.growthMiB();
}

/// inferShapes on a verified graph whose types are reset before each run.
/// `peak_MiB` is the solver's transient memory on top of the graph.
void benchInfer(benchmark::State &state, Family family) {
  CachedGraph *entry = getVerifiedGraph(state, family, state.range(0));
  if (!entry)
    return;
  ShapeInferenceOptions options;
  options.requireComplete = hasCompleteSignature(*entry->graph);
  PeakMemory memory;
  CpuStopwatch watch;
  for (auto _ : state) {
    state.PauseTiming();
    resetGraphTypes(*entry);
    state.ResumeTiming();

    watch.start();
    llvm::Error err = inferShapes(*entry->graph, options);
    watch.stop();
    if (err) {
      std::string message = "inference: " + llvm::toString(std::move(err));
      state.SkipWithError(message.c_str());
      return;
    }
  }
  if (!checkTypes(state, *entry->graph, family))
    return;
  setTimeCounters(state, entry->graph->getNodes().size(), watch);
  state.counters["graph_MiB"] = entry->graphMiB;
  state.counters["peak_MiB"] = memory.growthMiB();
}

using BenchFn = void (*)(benchmark::State &, Family);

/// Registers build, verify and infer for every family and size, so that
/// verify and infer of one graph run back to back and share it. 1M nodes
/// run one iteration per repetition; smaller sizes a short minimum time.
void registerAll() {
  const std::pair<const char *, BenchFn> steps[] = {
      {"build", benchBuild}, {"verify", benchVerify}, {"infer", benchInfer}};
  for (Family family : {Family::DenseChain, Family::DenseChainSym,
                        Family::ConvChainSym, Family::Branchy}) {
    for (int64_t size : {1000, 10000, 100000, 1000000}) {
      for (auto [step, fn] : steps) {
        std::string name = std::string(step) + "/" + familyName(family);
        benchmark::internal::Benchmark *b =
            benchmark::RegisterBenchmark(name.c_str(), fn, family)
                ->Arg(size)
                ->Unit(benchmark::kMillisecond);
        if (size >= 1000000)
          b->Iterations(1);
        else
          b->MinTime(0.2);
      }
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  registerAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
