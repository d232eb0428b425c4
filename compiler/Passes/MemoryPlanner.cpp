//===- MemoryPlanner.cpp - Arena layout by liveness -----------------------===//
//
// Each Temp buffer lives from the step that writes it to the last step that
// reads it, inclusive. Buffers joined by an in-place step share one
// allocation whose lifetime is the union of theirs. Allocations are placed
// largest first, each at the lowest offset that overlaps no placed
// allocation alive at the same time ("greedy by size"), which lands close
// to the lower bound on typical networks.
//
//===----------------------------------------------------------------------===//

#include "shapeflow/Passes/Lowering.h"

#include "llvm/ADT/Statistic.h"

#include <algorithm>
#include <numeric>

#define DEBUG_TYPE "memory-planner"

using namespace shapeflow;

ALWAYS_ENABLED_STATISTIC(NumInPlace, "Steps that write over their input");

namespace {

constexpr int64_t kAlign = 64;

int64_t alignUp(int64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

struct Allocation {
  int64_t bytes = 0;
  int first = 0, last = 0;
  int64_t offset = 0;
};

} // namespace

void shapeflow::planMemory(Plan &plan, const std::vector<bool> &mayReuseInput) {
  constexpr uint32_t kNone = ~0u;
  std::vector<int> lastUse(plan.buffers.size(), -1);
  for (size_t s = 0; s < plan.steps.size(); ++s)
    for (uint32_t in : plan.steps[s].inputs)
      lastUse[in] = s;

  // One allocation per Temp buffer, or per chain of in-place steps.
  std::vector<uint32_t> allocOf(plan.buffers.size(), kNone);
  std::vector<Allocation> allocs;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const PlanStep &step = plan.steps[s];
    const PlanBuffer &out = plan.buffers[step.output];
    if (out.kind != BufferKind::Temp)
      continue;
    int last = std::max<int>(s, lastUse[step.output]);

    // In place: take over the first input's allocation when this step is
    // its last reader, reads it once, and the sizes agree.
    uint32_t in0 = step.inputs.empty() ? kNone : step.inputs[0];
    if (mayReuseInput[s] && in0 != kNone && allocOf[in0] != kNone &&
        lastUse[in0] == int(s) && llvm::count(step.inputs, in0) == 1 &&
        plan.buffers[in0].shape == out.shape &&
        plan.buffers[in0].dtype == out.dtype) {
      ++NumInPlace;
      allocOf[step.output] = allocOf[in0];
      allocs[allocOf[in0]].last = last;
      continue;
    }
    allocOf[step.output] = allocs.size();
    allocs.push_back({alignUp(out.byteSize()), int(s), last, 0});
  }

  // Largest first; ties by start so the layout is deterministic.
  std::vector<uint32_t> order(allocs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return allocs[a].bytes > allocs[b].bytes;
  });
  std::vector<uint32_t> placed;
  int64_t arena = 0;
  for (uint32_t a : order) {
    Allocation &alloc = allocs[a];
    std::vector<std::pair<int64_t, int64_t>> busy; // [offset, end)
    for (uint32_t p : placed)
      if (allocs[p].first <= alloc.last && alloc.first <= allocs[p].last)
        busy.push_back({allocs[p].offset, allocs[p].offset + allocs[p].bytes});
    std::sort(busy.begin(), busy.end());
    // Best fit: the smallest gap that holds it, else the end.
    int64_t cursor = 0, best = -1, bestGap = INT64_MAX;
    for (auto [begin, end] : busy) {
      if (begin - cursor >= alloc.bytes && begin - cursor < bestGap) {
        best = cursor;
        bestGap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    alloc.offset = best >= 0 ? best : cursor;
    arena = std::max(arena, alloc.offset + alloc.bytes);
    placed.push_back(a);
  }

  // The three figures.
  plan.arenaBytes = arena;
  plan.naiveBytes = 0;
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    if (plan.buffers[b].kind != BufferKind::Temp)
      continue;
    plan.naiveBytes += alignUp(plan.buffers[b].byteSize());
    plan.buffers[b].offset =
        allocOf[b] == kNone ? 0 : allocs[allocOf[b]].offset;
  }
  std::vector<int64_t> live(plan.steps.size() + 1, 0);
  for (const Allocation &alloc : allocs) {
    live[alloc.first] += alloc.bytes;
    live[alloc.last + 1] -= alloc.bytes;
  }
  int64_t current = 0;
  plan.peakBytes = 0;
  for (int64_t delta : live)
    plan.peakBytes = std::max(plan.peakBytes, current += delta);
}
