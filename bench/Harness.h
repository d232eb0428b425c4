//===- Harness.h - Timing and reporting for the benchmark suite -*- C++ -*-===//
//
// The suite runs on shared, noisy machines, so every figure is a median:
// a case is warmed up, then timed in `repetitions` samples, each long
// enough (at least `minSampleSeconds`) that the clock's resolution and one
// stray interrupt do not matter. A sample may call the case several times;
// its time is divided by the calls.
//
// Results are rows of one table: a section ("kernels"), a name, the median
// seconds per call and named metrics (GFLOP/s, a fraction of peak, bytes).
// The table is printed as text and written as JSON for later comparison.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_BENCH_HARNESS_H
#define SHAPEFLOW_BENCH_HARNESS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace shapeflow::bench {

struct TimingOptions {
  unsigned repetitions = 9;
  double minSampleSeconds = 0.02;
  double warmupSeconds = 0.05;
};

/// The median, minimum and spread of one case's samples, in seconds per
/// call.
struct Timing {
  double median = 0, min = 0, max = 0;
  unsigned samples = 0, callsPerSample = 0;
};

inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Times `fn` as the file comment says.
inline Timing measure(const std::function<void()> &fn,
                      const TimingOptions &options) {
  using Clock = std::chrono::steady_clock;
  // Warm up (caches, page faults, thread pools), and learn how long one
  // call takes so a sample can be sized.
  unsigned warmupCalls = 0;
  Clock::time_point start = Clock::now();
  do {
    fn();
    ++warmupCalls;
  } while (secondsSince(start) < options.warmupSeconds);
  double perCall = secondsSince(start) / warmupCalls;
  unsigned calls = std::max(1u, unsigned(std::ceil(options.minSampleSeconds /
                                                   std::max(perCall, 1e-9))));

  std::vector<double> samples;
  for (unsigned r = 0; r < std::max(1u, options.repetitions); ++r) {
    Clock::time_point sampleStart = Clock::now();
    for (unsigned c = 0; c < calls; ++c)
      fn();
    samples.push_back(secondsSince(sampleStart) / calls);
  }
  std::sort(samples.begin(), samples.end());
  Timing t;
  t.median = samples[samples.size() / 2];
  t.min = samples.front();
  t.max = samples.back();
  t.samples = samples.size();
  t.callsPerSample = calls;
  return t;
}

/// One named figure of a row, with the format it prints in.
struct Metric {
  std::string name;
  double value = 0;
  /// How the text table shows it: "f1" (one decimal), "pct" (a fraction
  /// as a percentage), "bytes" (an integer), "ratio" ("1.23x").
  std::string format = "f1";
};

struct Row {
  std::string section, name;
  Timing timing;
  std::vector<Metric> metrics;
  std::string note;
};

/// Collects rows and prints them as they arrive, so a long run shows
/// progress.
class Report {
public:
  explicit Report(llvm::raw_ostream &os) : os(os) {}

  void add(Row row);
  const std::vector<Row> &getRows() const { return rows; }
  /// The median of a row added earlier, or 0 when there is none.
  double medianOf(llvm::StringRef section, llvm::StringRef name) const;
  llvm::json::Value toJSON(llvm::json::Object machine) const;

private:
  llvm::raw_ostream &os;
  std::vector<Row> rows;
  std::string lastSection;
};

} // namespace shapeflow::bench

#endif // SHAPEFLOW_BENCH_HARNESS_H
