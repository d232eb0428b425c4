//===- Sections.h - The sections of the benchmark suite ---------*- C++ -*-===//
//
// Each section adds its rows to the report. Later sections read what the
// machine section measured (peak FLOP/s, memory bandwidth) to report their
// figures as a fraction of it.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_BENCH_SECTIONS_H
#define SHAPEFLOW_BENCH_SECTIONS_H

#include "Harness.h"

#include "llvm/ADT/StringRef.h"

#include <map>
#include <string>
#include <vector>

namespace shapeflow::bench {

struct SuiteContext {
  TimingOptions timing;
  /// The thread counts each kernel and network runs with.
  std::vector<int> threadCounts{1, 2};
  /// Where the bundled example graphs are.
  std::string examplesDir = "examples";
  /// Skips the 1M-node compiler cases and the largest kernels.
  bool quick = false;
  /// Runs only the cases whose name matches (all when empty).
  std::string filter;
  bool selected(llvm::StringRef name) const;
  /// Set by the machine section, keyed by thread count: f32 FLOP/s with
  /// fused multiply-adds, and bytes per second read+written by a copy.
  std::map<int, double> peakFlops, copyBandwidth;
};

void runMachineSection(Report &report, SuiteContext &ctx);
void runKernelSection(Report &report, SuiteContext &ctx);
void runNetworkSection(Report &report, SuiteContext &ctx);
void runCompilerSection(Report &report, SuiteContext &ctx);

} // namespace shapeflow::bench

#endif // SHAPEFLOW_BENCH_SECTIONS_H
