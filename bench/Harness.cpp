//===- Harness.cpp - Timing and reporting for the benchmark suite ---------===//

#include "Harness.h"
#include "Sections.h"

#include "llvm/Support/Regex.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow::bench;

namespace {

/// A duration with a unit that keeps 3-4 significant digits.
std::string formatSeconds(double s) {
  if (s == 0)
    return "-";
  if (s < 1e-6)
    return llvm::formatv("{0:f1} ns", s * 1e9);
  if (s < 1e-3)
    return llvm::formatv("{0:f2} us", s * 1e6);
  if (s < 1)
    return llvm::formatv("{0:f3} ms", s * 1e3);
  return llvm::formatv("{0:f3} s", s);
}

std::string formatMetric(const Metric &m) {
  if (m.format == "pct")
    return llvm::formatv("{0} {1:f0}%", m.name, m.value * 100);
  if (m.format == "bytes")
    return llvm::formatv("{0} {1}", m.name, int64_t(m.value));
  if (m.format == "ratio")
    return llvm::formatv("{0} {1:f2}x", m.name, m.value);
  if (m.format == "f3")
    return llvm::formatv("{0} {1:f3}", m.name, m.value);
  return llvm::formatv("{0} {1:f1}", m.name, m.value);
}

} // namespace

void Report::add(Row row) {
  if (row.section != lastSection) {
    os << "\n== " << row.section << '\n';
    lastSection = row.section;
  }
  os << llvm::formatv("  {0,-46} {1,11}", row.name,
                      formatSeconds(row.timing.median));
  for (const Metric &m : row.metrics)
    os << "  " << formatMetric(m);
  if (!row.note.empty())
    os << "  (" << row.note << ')';
  os << '\n';
  os.flush();
  rows.push_back(std::move(row));
}

double Report::medianOf(llvm::StringRef section, llvm::StringRef name) const {
  for (const Row &row : rows)
    if (row.section == section && row.name == name)
      return row.timing.median;
  return 0;
}

llvm::json::Value Report::toJSON(llvm::json::Object machine) const {
  llvm::json::Array out;
  for (const Row &row : rows) {
    llvm::json::Object metrics;
    for (const Metric &m : row.metrics)
      metrics[m.name] = m.value;
    llvm::json::Object o{
        {"section", row.section},
        {"name", row.name},
        {"median_s", row.timing.median},
        {"min_s", row.timing.min},
        {"max_s", row.timing.max},
        {"samples", int64_t(row.timing.samples)},
        {"calls_per_sample", int64_t(row.timing.callsPerSample)},
        {"metrics", std::move(metrics)},
    };
    if (!row.note.empty())
      o["note"] = row.note;
    out.push_back(std::move(o));
  }
  return llvm::json::Object{{"machine", std::move(machine)},
                            {"rows", std::move(out)}};
}

bool SuiteContext::selected(llvm::StringRef name) const {
  return filter.empty() || llvm::Regex(filter).match(name);
}
