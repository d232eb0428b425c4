//===- CompilerSuiteBench.cpp - Shape inference and plan compilation ------===//
//
// Two groups of rows:
//
// infer/<family>/<nodes>: inferShapes on the generated graphs of GraphGen.h
// at 10k, 100k and (unless --quick) 1M nodes; branchy stops at 100k. Every
// timed run starts from the declared types, restored untimed. The solver is
// meant to be linear, so `ns_per_node` should stay flat; `vs_10k` is the
// per-node cost relative to the 10k graph of the same family. Only one graph is
// alive at a time: a 1M-node graph and the solver's scratch take about 1 GiB.
//
// compile/<network>/<step>: what a Session does the first time it sees a
// signature (batch 1), for the bundled examples and for ResNet-50 built
// with the network API, timed in three pieces:
//   infer    bindInputs + inferShapes, from the state Session::compile
//            starts from (declared types restored, parameters pinned)
//   lower    lowerToPlan on the inferred graph, memory planning included
//   prepare  Session::prepare on a fresh Session: both steps above plus
//            parameter shapes and executor creation. The Session is
//            created untimed and not initialized, so no parameter data is
//            filled: what is timed is compilation only.
//
//===----------------------------------------------------------------------===//

#include "GraphGen.h"
#include "Sections.h"
#include "SuiteUtil.h"

#include "ModelZoo.h"

#include "shapeflow/Passes/Lowering.h"
#include "shapeflow/Passes/ShapeInference.h"
#include "shapeflow/Passes/Verifier.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <functional>
#include <map>

using namespace shapeflow;
using namespace shapeflow::bench;

namespace {

const char *const kSection = "compiler";

void checkOk(llvm::Error err, const llvm::Twine &what) {
  if (err)
    fatal(what + ": " + llvm::toString(std::move(err)));
}

/// measure() for a case that needs untimed work before each call (state to
/// restore, an object to rebuild): only `fn` is timed. A case of a second
/// or more runs once to warm up and once per sample.
Timing measureWithSetup(const std::function<void()> &setup,
                        const std::function<void()> &fn,
                        const TimingOptions &options) {
  auto timedCall = [&] {
    setup();
    auto start = std::chrono::steady_clock::now();
    fn();
    return secondsSince(start);
  };

  double warmup = 0;
  unsigned warmupCalls = 0;
  do {
    warmup += timedCall();
    ++warmupCalls;
  } while (warmup < options.warmupSeconds);
  double perCall = warmup / warmupCalls;
  unsigned calls = std::max(1u, unsigned(std::ceil(options.minSampleSeconds /
                                                   std::max(perCall, 1e-9))));

  std::vector<double> samples;
  for (unsigned r = 0; r < std::max(1u, options.repetitions); ++r) {
    double total = 0;
    for (unsigned c = 0; c < calls; ++c)
      total += timedCall();
    samples.push_back(total / calls);
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples.front(), samples.back(),
          unsigned(samples.size()), calls};
}

/// A count printed as an integer (the "bytes" format prints any integer).
Metric countMetric(const char *name, size_t value) {
  return {name, double(value), "bytes"};
}

//===----------------------------------------------------------------------===//
// Shape inference on generated graphs
//===----------------------------------------------------------------------===//

std::string inferRowName(Family family, size_t size) {
  return llvm::formatv("infer/{0}/{1}", familyName(family), size);
}

/// Builds and verifies one graph, times inferShapes on it, checks the
/// types it gave, and returns the median nanoseconds per node.
double runInferCase(Report &report, SuiteContext &ctx, Family family,
                    size_t size, double nsPerNodeAt10k) {
  std::string name = inferRowName(family, size);
  std::unique_ptr<Graph> graph = buildGraph(family, size);
  checkOk(verifyGraph(*graph), name);
  std::vector<TensorType> inputTypes = inputTypesOf(*graph);
  ShapeInferenceOptions options;
  options.requireComplete = hasCompleteSignature(*graph);

  Timing t = measureWithSetup(
      [&] { resetGraphTypes(*graph, inputTypes); },
      [&] { checkOk(inferShapes(*graph, options), name); }, ctx.timing);
  if (std::optional<std::string> problem = checkInferredTypes(*graph, family))
    fatal(name + ": " + *problem);

  size_t nodes = graph->getNodes().size();
  double nsPerNode = t.median * 1e9 / double(nodes);
  Row row{kSection, name, t};
  row.metrics = {countMetric("nodes", nodes), {"ns_per_node", nsPerNode}};
  if (nsPerNodeAt10k > 0 && size > 10000)
    row.metrics.push_back({"vs_10k", nsPerNode / nsPerNodeAt10k, "ratio"});
  report.add(std::move(row));
  return nsPerNode;
}

void runInferRows(Report &report, SuiteContext &ctx) {
  // branchy stops at 100k: at 1M it would add about 8 s to the section
  // and tell little the two chains do not.
  const std::pair<Family, size_t> families[] = {
      {Family::DenseChainSym, 1000000},
      {Family::ConvChainSym, 1000000},
      {Family::Branchy, 100000}};
  for (auto [family, maxSize] : families) {
    // Each graph is freed before the next is built.
    double at10k = 0;
    for (size_t size : {10000, 100000, 1000000}) {
      if (size > maxSize || (ctx.quick && size >= 1000000) ||
          !ctx.selected(inferRowName(family, size)))
        continue;
      double nsPerNode = runInferCase(report, ctx, family, size, at10k);
      if (size == 10000)
        at10k = nsPerNode;
    }
  }
}

//===----------------------------------------------------------------------===//
// Plan compilation of whole networks
//===----------------------------------------------------------------------===//

/// A network to compile, and the batch-1 signature to compile it for.
struct NetworkCase {
  std::string name;
  /// A fresh, verified copy of the graph on each call.
  std::function<std::unique_ptr<Graph>()> makeGraph;
  std::vector<TensorType> signature;
};

/// A case whose graph is the first of the file `examplesDir/<name>.sfg`,
/// read once and parsed on each call.
NetworkCase exampleCase(const SuiteContext &ctx, const std::string &name,
                        TensorType input) {
  std::string path = ctx.examplesDir + "/" + name + ".sfg";
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    fatal("cannot read " + path + ": " + buffer.getError().message());
  auto text = std::make_shared<std::string>((*buffer)->getBuffer().str());
  return {name,
          [text, path] { return parseGraphText(*text, path); },
          {std::move(input)}};
}

/// ResNet-50 from the model zoo, traced as the network API traces it on
/// its first call: an input of rank 4 with every dimension unknown.
NetworkCase resnet50Case() {
  auto net = std::make_shared<nn::Sequential>(zoo::resnet50());
  auto makeGraph = [net] {
    Dim any = Dim::unknown();
    std::unique_ptr<Graph> graph =
        net->exportGraph(TensorType(DType::F32, {any, any, any, any}));
    checkOk(verifyGraph(*graph), "resnet50");
    return graph;
  };
  return {"resnet50", makeGraph, {TensorType(DType::F32, {1, 3, 224, 224})}};
}

std::vector<NetworkCase> networkCases(const SuiteContext &ctx) {
  TensorType image(DType::F32, {1, 3, 224, 224});
  // mlp.sfg leaves its input width open; 20 is the width its
  // documentation binds.
  return {
      exampleCase(ctx, "mlp", TensorType(DType::F32, {1, 20})),
      exampleCase(ctx, "lenet", TensorType(DType::F32, {1, 1, 28, 28})),
      exampleCase(ctx, "resnet18", image),
      exampleCase(ctx, "mobilenet_v1", image),
      exampleCase(ctx, "transformer_encoder", TensorType(DType::I64, {1, 128})),
      exampleCase(ctx, "vgg11", image),
      resnet50Case()};
}

/// A graph in the state Session::compile starts each compilation from,
/// with what it needs to get back to that state after one.
class CompileState {
public:
  /// Does what Session::create and the start of Session::compile do to
  /// `graph`: infers it unbound, and pins each parameter to the shape that
  /// gave (constants kept, anything else unknown).
  CompileState(std::unique_ptr<Graph> g, llvm::ArrayRef<TensorType> signature)
      : graph(std::move(g)) {
    checkOk(inferShapes(*graph), graph->getName());
    pinParams();
    for (const auto &node : graph->getNodes())
      declaredNodeTypes.push_back(node->getDeclaredType());
    declaredInputs = inputTypesOf(*graph);
    for (size_t i = 0; i < signature.size(); ++i)
      bindings.push_back(
          {graph->getInputs()[i]->getName().str(), signature[i], ""});
  }

  /// Undoes a bind and an inference. Binding writes into declared types,
  /// so those are restored too.
  void restore() {
    for (size_t i = 0; i < declaredNodeTypes.size(); ++i)
      graph->getNodes()[i]->setDeclaredType(declaredNodeTypes[i]);
    resetGraphTypes(*graph, declaredInputs);
  }

  /// Binds the signature and infers every shape, as Session::compile does.
  void bindAndInfer() {
    checkOk(bindInputs(*graph, bindings), graph->getName());
    ShapeInferenceOptions options;
    options.requireComplete = true;
    checkOk(inferShapes(*graph, options), graph->getName());
  }

  Graph &getGraph() { return *graph; }

private:
  void pinParams() {
    for (Node *node : graph->getParams()) {
      const TensorType &type = node->getResult().getType();
      if (!type.hasRank())
        continue;
      llvm::SmallVector<Dim, 4> dims;
      for (const Dim &d : type.getDims())
        dims.push_back(d.isConstant() ? d : Dim::unknown());
      node->setDeclaredType(TensorType(type.getDType(), dims));
    }
  }

  std::unique_ptr<Graph> graph;
  std::vector<std::optional<TensorType>> declaredNodeTypes;
  std::vector<TensorType> declaredInputs;
  std::vector<InputBinding> bindings;
};

/// compile/<network>/infer, then compile/<network>/lower on the graph it
/// inferred.
void runInferAndLower(Report &report, SuiteContext &ctx,
                      const NetworkCase &nc) {
  std::string prefix = "compile/" + nc.name + "/";
  CompileState state(nc.makeGraph(), nc.signature);
  size_t nodes = state.getGraph().getNodes().size();
  if (ctx.selected(prefix + "infer")) {
    Timing t = measureWithSetup([&] { state.restore(); },
                                [&] { state.bindAndInfer(); }, ctx.timing);
    report.add({kSection, prefix + "infer", t, {countMetric("nodes", nodes)}});
  } else {
    state.bindAndInfer();
  }
  if (!ctx.selected(prefix + "lower"))
    return;

  size_t steps = 0;
  Timing lowerTime = measure(
      [&] {
        Plan plan = check(lowerToPlan(state.getGraph()));
        steps = plan.steps.size();
      },
      ctx.timing);
  report.add({kSection,
              prefix + "lower",
              lowerTime,
              {countMetric("nodes", nodes), countMetric("steps", steps)}});
}

/// compile/<network>/prepare: a fresh Session for every call.
void runPrepare(Report &report, SuiteContext &ctx, const NetworkCase &nc) {
  std::unique_ptr<Session> session;
  size_t nodes = 0;
  Timing t = measureWithSetup(
      [&] {
        session.reset();
        std::unique_ptr<Graph> graph = nc.makeGraph();
        nodes = graph->getNodes().size();
        session = check(Session::create(std::move(graph)));
      },
      [&] { check(session->prepare(nc.signature)); }, ctx.timing);
  report.add({kSection,
              "compile/" + nc.name + "/prepare",
              t,
              {countMetric("nodes", nodes)}});
}

/// compile/<network>/pack_weights: Executor::prepare on random weights of
/// the plan's shapes, the work the first run after a change of weights
/// adds (packing every dense and conv2d weight for the gemm).
void runPackWeights(Report &report, SuiteContext &ctx, const NetworkCase &nc) {
  std::unique_ptr<Session> session = check(Session::create(nc.makeGraph()));
  std::shared_ptr<const Executor> executor =
      check(session->prepare(nc.signature));
  const Plan &plan = executor->getPlan();
  std::vector<Tensor> params;
  for (size_t i = 0; i < plan.params.size(); ++i)
    params.push_back(Tensor::uniform(plan.params[i].shape, /*seed=*/i + 1));
  std::vector<const Tensor *> pointers;
  for (const Tensor &t : params)
    pointers.push_back(&t);
  int64_t bytes = 0;
  Timing t =
      measure([&] { bytes = check(executor->prepare(pointers))->getBytes(); },
              ctx.timing);
  report.add({kSection,
              "compile/" + nc.name + "/pack_weights",
              t,
              {{"packed", double(bytes), "bytes"}}});
}

void runCompileRows(Report &report, SuiteContext &ctx) {
  for (const NetworkCase &nc : networkCases(ctx)) {
    std::string prefix = "compile/" + nc.name + "/";
    if (ctx.selected(prefix + "infer") || ctx.selected(prefix + "lower"))
      runInferAndLower(report, ctx, nc);
    if (ctx.selected(prefix + "prepare"))
      runPrepare(report, ctx, nc);
    if (ctx.selected(prefix + "pack_weights"))
      runPackWeights(report, ctx, nc);
  }
}

} // namespace

void shapeflow::bench::runCompilerSection(Report &report, SuiteContext &ctx) {
  runInferRows(report, ctx);
  runCompileRows(report, ctx);
}
