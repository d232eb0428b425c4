//===- Suite.cpp - shapeflow-bench: the benchmark suite -------------------===//
//
// Runs the sections in order (machine, kernels, networks, compiler),
// printing each row as it is measured, and writes every row as JSON. The
// machine section comes first because the others report fractions of what
// it measures. See bench/README.md.
//
//===----------------------------------------------------------------------===//

#include "Sections.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Host.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/WithColor.h"

#include <ctime>

using namespace shapeflow::bench;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("shapeflow-bench options");

cl::list<std::string>
    sections("section",
             cl::desc("Run only these sections (machine, kernels, networks, "
                      "compiler); the machine section always runs"),
             cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> jsonPath("json", cl::desc("Write the rows as JSON here"),
                              cl::value_desc("path"), cl::cat(category));
cl::opt<unsigned> repetitions("repetitions",
                              cl::desc("Timed samples per case (median)"),
                              cl::init(9), cl::cat(category));
cl::opt<double> minSample("min-sample",
                          cl::desc("Seconds each sample runs at least"),
                          cl::init(0.02), cl::cat(category));
cl::list<int> threadCounts("threads",
                           cl::desc("Thread counts to run (default 1,2)"),
                           cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> examplesDir("examples",
                                 cl::desc("The bundled example graphs"),
                                 cl::init("examples"), cl::cat(category));
cl::opt<bool> quick("quick",
                    cl::desc("Skip the largest cases (1M-node graphs, "
                             "2048^3 matmul)"),
                    cl::cat(category));

cl::opt<std::string> filter("filter",
                            cl::desc("Run only the cases whose name matches "
                                     "this regular expression"),
                            cl::value_desc("regex"), cl::cat(category));

const char *const kSections[] = {"machine", "kernels", "networks", "compiler"};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv, "shapeflow-bench: the shapeflow benchmark suite\n");

  llvm::StringSet<> wanted;
  for (const std::string &s : sections) {
    if (!llvm::is_contained(kSections, llvm::StringRef(s))) {
      llvm::WithColor::error(llvm::errs(), "shapeflow-bench")
          << "unknown section '" << s
          << "' (expected machine, kernels, networks or compiler)\n";
      return 1;
    }
    wanted.insert(s);
  }
  auto runs = [&](llvm::StringRef s) {
    return s == "machine" || wanted.empty() || wanted.contains(s);
  };

  SuiteContext ctx;
  ctx.timing.repetitions = repetitions;
  ctx.timing.minSampleSeconds = minSample;
  ctx.examplesDir = examplesDir;
  ctx.quick = quick;
  ctx.filter = filter;
  // An empty pattern means "everything"; llvm::Regex rejects it as empty.
  if (std::string why; !filter.empty() && !llvm::Regex(filter).isValid(why)) {
    llvm::WithColor::error(llvm::errs(), "shapeflow-bench")
        << "--filter: " << why << '\n';
    return 1;
  }
  if (!threadCounts.empty()) {
    ctx.threadCounts.assign(threadCounts.begin(), threadCounts.end());
    for (int t : ctx.threadCounts)
      if (t < 1 || t > 256) {
        llvm::WithColor::error(llvm::errs(), "shapeflow-bench")
            << "--threads takes counts from 1 to 256, got " << t << '\n';
        return 1;
      }
  }

  Report report(llvm::outs());
  llvm::outs() << llvm::formatv(
      "shapeflow-bench: {0} samples per case, median reported; cpu {1}\n",
      ctx.timing.repetitions, llvm::sys::getHostCPUName());
  runMachineSection(report, ctx);
  if (runs("kernels"))
    runKernelSection(report, ctx);
  if (runs("networks"))
    runNetworkSection(report, ctx);
  if (runs("compiler"))
    runCompilerSection(report, ctx);

  if (!jsonPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(jsonPath, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      llvm::WithColor::error(llvm::errs(), "shapeflow-bench")
          << "cannot write " << jsonPath << ": " << ec.message() << '\n';
      return 1;
    }
    std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    llvm::json::Object machine{
        {"cpu", llvm::sys::getHostCPUName()},
        {"date", date},
        {"repetitions", int64_t(ctx.timing.repetitions)}};
    os << llvm::formatv("{0:2}", report.toJSON(std::move(machine))) << '\n';
    llvm::outs() << "\nwrote " << jsonPath << '\n';
  }
  return 0;
}
