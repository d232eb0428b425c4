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
// The graph families are described in GraphGen.h.
//
// See bench/README.md for how to build and run, and the measured numbers.
//
//===----------------------------------------------------------------------===//

#include "GraphGen.h"

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"

#include <benchmark/benchmark.h>

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
using namespace shapeflow::bench;

namespace {

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
  entry.inputTypes = inputTypesOf(*entry.graph);
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

/// Checks what inference gave the input and the output (see
/// checkInferredTypes).
bool checkTypes(benchmark::State &state, const Graph &graph, Family family) {
  std::optional<std::string> problem = checkInferredTypes(graph, family);
  if (problem)
    state.SkipWithError(problem->c_str());
  return !problem;
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
    resetGraphTypes(*entry->graph, entry->inputTypes);
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
