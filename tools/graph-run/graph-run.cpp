//===- graph-run.cpp - Run a graph end to end -----------------------------===//
//
// Binds the signature, infers shapes, initializes (or loads) parameters,
// compiles a plan and runs it, then prints or saves the outputs. With
// --bench it times repeated runs instead.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Driver/Session.h"
#include "shapeflow/IR/Parser.h"
#include "shapeflow/Passes/Verifier.h"
#include "shapeflow/Runtime/Random.h"
#include "shapeflow/Runtime/SafeTensors.h"
#include "shapeflow/Support/Diag.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <chrono>

using namespace shapeflow;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("graph-run options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<graph file>"),
                               cl::init("-"), cl::cat(category));
cl::list<std::string> bindings("bind",
                               cl::desc("The type of a graph input, as "
                                        "%x=f32[2,20]; every input needs one "
                                        "unless the file fixes its type"),
                               cl::value_desc("NAME=TYPE"), cl::cat(category));
cl::opt<std::string> graphName("graph",
                               cl::desc("Which graph of the file to run "
                                        "(default: the first)"),
                               cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> paramsPath("params",
                                cl::desc("Load parameters from a "
                                         "safetensors file"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> inputsPath("inputs",
                                cl::desc("Load inputs from a safetensors "
                                         "file (keyed by input name)"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> outputsPath("outputs",
                                 cl::desc("Save outputs to a safetensors "
                                          "file"),
                                 cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> saveParamsPath("save-params",
                                    cl::desc("Save parameters after the run"),
                                    cl::value_desc("file"), cl::cat(category));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed for initializers and random inputs"),
                       cl::init(0), cl::cat(category));
cl::opt<std::string> initSpec("init",
                              cl::desc("Initializer for weights without an "
                                       "init= of their own"),
                              cl::init("uniform"), cl::value_desc("spec"),
                              cl::cat(category));
cl::opt<unsigned> benchRuns("bench",
                            cl::desc("Time N runs after a warm-up and print "
                                     "the median and minimum"),
                            cl::init(0), cl::value_desc("N"),
                            cl::cat(category));
cl::opt<unsigned> threads("threads", cl::desc("Threads per kernel"),
                          cl::init(1), cl::cat(category));
cl::opt<int64_t> idBound("id-bound",
                         cl::desc("Random i64 inputs are drawn from "
                                  "[0, N)"),
                         cl::init(2), cl::value_desc("N"), cl::cat(category));
cl::opt<bool> verbose("verbose",
                      cl::desc("Say which parameters were initialized"),
                      cl::cat(category));
cl::opt<bool> printPlan("print-plan", cl::desc("Print the compiled plan"),
                        cl::cat(category));

llvm::ExitOnError exitOnError;

/// Parses the file and picks the graph to run.
std::unique_ptr<Graph> loadGraph(llvm::SourceMgr &srcMgr) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputPath);
  if (!buffer) {
    llvm::WithColor::error(llvm::errs(), "graph-run")
        << "cannot open '" << inputPath << "': " << buffer.getError().message()
        << '\n';
    std::exit(1);
  }
  unsigned id = srcMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  auto fail = [&](llvm::Error err) {
    printDiagnostics(std::move(err), &srcMgr, "graph-run", llvm::errs());
    std::exit(1);
  };
  auto module = parseModule(srcMgr, id);
  if (!module)
    fail(module.takeError());
  auto &graphs = (*module)->graphs;
  auto it = graphs.begin();
  if (!graphName.empty())
    it = llvm::find_if(graphs,
                       [](const auto &g) { return g->getName() == graphName; });
  if (graphs.empty())
    fail(makeError({}, "the file has no graph"));
  if (it == graphs.end())
    fail(makeError({}, "the file has no graph named '{0}'", graphName));
  std::unique_ptr<Graph> graph = std::move(*it);
  if (llvm::Error err = verifyGraph(*graph))
    fail(std::move(err));
  return graph;
}

/// The input tensors: loaded, or random from the seed for the signature.
llvm::Expected<std::vector<Tensor>> makeInputs(const Graph &graph) {
  std::vector<NamedTensor> loaded;
  if (!inputsPath.empty()) {
    auto file = loadSafeTensors(inputsPath);
    if (!file)
      return file.takeError();
    loaded = std::move(*file);
  }
  std::vector<InputBinding> bound;
  for (const std::string &text : bindings) {
    auto b = parseInputBinding(text);
    if (!b)
      return b.takeError();
    bound.push_back(std::move(*b));
  }

  for (const InputBinding &b : bound) {
    Value *v = graph.lookup(b.name);
    if (!v || !v->isInput())
      return makeError({},
                       "--bind {0}: graph '{1}' has no input named "
                       "'%{2}'",
                       b.origin, graph.getName(), b.name);
  }

  std::vector<Tensor> inputs;
  for (const auto &input : graph.getInputs()) {
    auto named = llvm::find_if(loaded, [&](const NamedTensor &t) {
      return t.first == input->getName();
    });
    if (named != loaded.end()) {
      inputs.push_back(named->second);
      continue;
    }
    TensorType type = input->getType();
    for (const InputBinding &b : bound)
      if (b.name == input->getName())
        type = b.type;
    if (!type.isStatic())
      return makeError({},
                       "input '%{0}' has type {1}: give it a concrete "
                       "type with --bind %{0}=... or load it with --inputs",
                       input->getName(), type);
    std::vector<int64_t> shape;
    for (const Dim &d : type.getDims())
      shape.push_back(d.getConstant());
    uint64_t inputSeed = seed + inputs.size() + 1;
    if (type.getDType() == DType::F32) {
      inputs.push_back(Tensor::uniform(shape, inputSeed));
      continue;
    }
    auto ids = Tensor::zeros(DType::I64, shape);
    if (!ids)
      return ids.takeError();
    RandomStream rng(inputSeed, input->getName());
    for (int64_t i = 0; i < ids->getNumElements(); ++i)
      ids->i64()[i] =
          int64_t(rng.nextU64() % uint64_t(std::max<int64_t>(idBound, 1)));
    inputs.push_back(std::move(*ids));
  }
  return inputs;
}

void benchmark(Session &session, llvm::ArrayRef<Tensor> inputs,
               const RunOptions &options) {
  exitOnError(session.run(inputs, options).takeError()); // warm-up
  std::vector<double> ms;
  for (unsigned i = 0; i < benchRuns; ++i) {
    auto start = std::chrono::steady_clock::now();
    exitOnError(session.run(inputs, options).takeError());
    auto end = std::chrono::steady_clock::now();
    ms.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const Plan &plan =
      exitOnError(session.prepare(signatureOf(inputs)))->getPlan();
  llvm::outs() << llvm::formatv(
      "runs {0}  median {1:f3} ms  min {2:f3} ms  threads {3}\n"
      "arena {4} bytes  naive {5} bytes  lower bound {6} bytes\n",
      benchRuns, ms[ms.size() / 2], ms.front(), options.numThreads,
      plan.arenaBytes, plan.naiveBytes, plan.peakBytes);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << "graph-run (shapeflow) 0.1\n"; });
  cl::ParseCommandLineOptions(argc, argv,
                              "graph-run: run a shapeflow graph end to end\n");
  exitOnError.setBanner("graph-run: error: ");

  llvm::SourceMgr srcMgr;
  std::unique_ptr<Graph> graph = loadGraph(srcMgr);
  std::vector<Tensor> inputs = exitOnError(makeInputs(*graph));
  auto session = Session::create(std::move(graph));
  if (!session) {
    printDiagnostics(session.takeError(), &srcMgr, "graph-run", llvm::errs());
    return 1;
  }

  // Parameters are filled either by initialize() (shape already known) or
  // when the first plan is compiled (deferred); --verbose reports both, in
  // graph order.
  if (!paramsPath.empty()) {
    llvm::Error err =
        (*session)->loadParams(exitOnError(loadSafeTensors(paramsPath)));
    if (printDiagnostics(std::move(err), &srcMgr, "graph-run", llvm::errs()))
      return 1;
  } else {
    InitPtr fallback = exitOnError(init::parse(initSpec));
    InitOptions options;
    options.seed = seed;
    exitOnError((*session)->initialize(fallback, options).takeError());
  }
  RunOptions runOptions;
  runOptions.numThreads = std::max(1u, unsigned(threads));
  auto prepared = (*session)->prepare(signatureOf(inputs));
  if (!prepared) {
    printDiagnostics(prepared.takeError(), &srcMgr, "graph-run", llvm::errs());
    return 1;
  }
  if (printPlan)
    (*prepared)->getPlan().print(llvm::outs());
  if (verbose)
    for (const auto &param : (*session)->getParams())
      if (param->getInitCount())
        llvm::outs() << "initialized %" << param->getName() << ' '
                     << dtypeName(param->getDType()) << param->shapeStr()
                     << " with " << param->getChosenInit()->describe() << '\n';

  if (benchRuns) {
    benchmark(**session, inputs, runOptions);
    return 0;
  }
  std::vector<Tensor> outputs =
      exitOnError((*session)->run(inputs, runOptions));
  const Graph &g = (*session)->getGraph();
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < outputs.size(); ++i) {
    llvm::outs() << '%' << g.getOutputs()[i]->getName() << ' ';
    outputs[i].printSummary(llvm::outs());
    llvm::outs() << '\n';
    named.emplace_back(g.getOutputs()[i]->getName().str(), outputs[i]);
  }
  if (!outputsPath.empty())
    exitOnError(saveSafeTensors(outputsPath, named));
  if (!saveParamsPath.empty())
    exitOnError(
        saveSafeTensors(saveParamsPath, exitOnError((*session)->saveParams())));
  return 0;
}
