//===- KernelBench.cpp - Single kernels against the machine's peak --------===//
//
// Each case is a one-op graph in the text format. It is compiled through
// a Session like any network, so the step's attributes are exactly those
// lowering writes, and then the step's kernel is called directly on
// buffers allocated once: the figure is the kernel alone, without the
// executor around it.
//
// Compute-bound kernels (dense, matmul, conv2d) report GFLOP/s and the
// fraction of the measured FMA peak for the same thread count;
// memory-bound ones (pooling, softmax, layer_norm, depthwise conv) report
// GB/s, bytes read plus written once each, and the fraction of the
// measured copy bandwidth. Small cases fit in cache, so their fraction of
// memory bandwidth can exceed 100%.
//
//===----------------------------------------------------------------------===//

#include "Sections.h"
#include "SuiteUtil.h"

#include "shapeflow/Runtime/Kernel.h"

#include "llvm/Support/FormatVariadic.h"

using namespace shapeflow;
using namespace shapeflow::bench;

namespace {

struct KernelCase {
  std::string name;
  /// One graph whose single op is the kernel under test.
  std::string graph;
  /// Multiply-adds count 2 flops; 0 for a memory-bound case.
  double flops = 0;
  /// Bytes a memory-bound case must move at least once.
  double bytes = 0;
};

std::string denseGraph(int64_t m, int64_t k, int64_t n) {
  return llvm::formatv("graph k(%x: f32[{0}, {1}]) {{\n"
                       "  %w = param : f32[{2}, {1}]\n"
                       "  %b = param : f32[{2}]\n"
                       "  %y = dense(%x, %w, %b, units={2})\n"
                       "  return %y\n}\n",
                       m, k, n);
}

std::string matmulGraph(int64_t n) {
  return llvm::formatv("graph k(%a: f32[{0}, {0}], %b: f32[{0}, {0}]) {{\n"
                       "  %y = matmul(%a, %b)\n  return %y\n}\n",
                       n);
}

struct ConvSpec {
  const char *label;
  int64_t channels, outChannels, size, kernel, stride, padding, groups;
};

int64_t convOut(const ConvSpec &c) {
  return (c.size + 2 * c.padding - c.kernel) / c.stride + 1;
}

std::string convGraph(const ConvSpec &c) {
  return llvm::formatv(
      "graph k(%x: f32[1, {0}, {2}, {2}]) {{\n"
      "  %w = param : f32[{1}, {7}, {3}, {3}]\n"
      "  %y = conv2d(%x, %w, channels={1}, kernel={3}, stride={4}, "
      "padding={5}, groups={6})\n"
      "  return %y\n}\n",
      c.channels, c.outChannels, c.size, c.kernel, c.stride, c.padding,
      c.groups, c.channels / c.groups);
}

std::vector<KernelCase> buildCases(bool quick) {
  std::vector<KernelCase> cases;
  // The MLP's first layer at three batch sizes.
  for (int64_t m : {1, 32, 256})
    cases.push_back({llvm::formatv("dense/{0}x784x256", m),
                     denseGraph(m, 784, 256), 2.0 * m * 784 * 256});
  for (int64_t n : {256, 512, 1024, 2048}) {
    if (quick && n > 1024)
      continue;
    cases.push_back(
        {llvm::formatv("matmul/{0}", n), matmulGraph(n), 2.0 * n * n * n});
  }

  // Every distinct convolution of ResNet-18 at 224x224, batch 1.
  static const ConvSpec resnet[] = {
      {"conv1", 3, 64, 224, 7, 2, 3, 1},
      {"layer1", 64, 64, 56, 3, 1, 1, 1},
      {"layer2.0.conv1", 64, 128, 56, 3, 2, 1, 1},
      {"layer2.0.downsample", 64, 128, 56, 1, 2, 0, 1},
      {"layer2", 128, 128, 28, 3, 1, 1, 1},
      {"layer3.0.conv1", 128, 256, 28, 3, 2, 1, 1},
      {"layer3.0.downsample", 128, 256, 28, 1, 2, 0, 1},
      {"layer3", 256, 256, 14, 3, 1, 1, 1},
      {"layer4.0.conv1", 256, 512, 14, 3, 2, 1, 1},
      {"layer4.0.downsample", 256, 512, 14, 1, 2, 0, 1},
      {"layer4", 512, 512, 7, 3, 1, 1, 1},
  };
  for (const ConvSpec &c : resnet) {
    int64_t out = convOut(c);
    cases.push_back(
        {llvm::formatv("conv2d/resnet18.{0}/{1}x{2}x{3}k{4}s{5}", c.label,
                       c.channels, c.outChannels, c.size, c.kernel, c.stride),
         convGraph(c),
         2.0 * c.outChannels * out * out * c.channels * c.kernel * c.kernel});
  }

  // MobileNet-v1's depthwise 3x3 convolutions: memory-bound, one input
  // plane read and one output plane written per channel.
  static const ConvSpec depthwise[] = {
      {"blocks.0", 32, 32, 112, 3, 1, 1, 32},
      {"blocks.1", 64, 64, 112, 3, 2, 1, 64},
      {"blocks.2", 128, 128, 56, 3, 1, 1, 128},
      {"blocks.6", 512, 512, 14, 3, 1, 1, 512},
  };
  for (const ConvSpec &c : depthwise) {
    int64_t out = convOut(c);
    cases.push_back({llvm::formatv("depthwise/mobilenet.{0}/{1}x{2}s{3}",
                                   c.label, c.channels, c.size, c.stride),
                     convGraph(c), 0,
                     4.0 * c.channels * (c.size * c.size + out * out)});
  }

  cases.push_back({"max_pool2d/64x112k3s2",
                   "graph k(%x: f32[1, 64, 112, 112]) {\n"
                   "  %y = max_pool2d(%x, kernel=3, stride=2, padding=1)\n"
                   "  return %y\n}\n",
                   0, 4.0 * 64 * (112 * 112 + 56 * 56)});
  cases.push_back({"global_avg_pool2d/512x7",
                   "graph k(%x: f32[1, 512, 7, 7]) {\n"
                   "  %y = global_avg_pool2d(%x)\n  return %y\n}\n",
                   0, 4.0 * 512 * (49 + 1)});

  // Softmax over attention scores ([batch 1, 8 heads, 128, 128]) and over
  // rows too big for the cache.
  auto softmax = [](int64_t rows, int64_t cols) {
    return llvm::formatv("graph k(%x: f32[{0}, {1}]) {{\n"
                         "  %y = softmax(%x, axis=-1)\n  return %y\n}\n",
                         rows, cols)
        .str();
  };
  cases.push_back(
      {"softmax/1024x128", softmax(1024, 128), 0, 2 * 4.0 * 1024 * 128});
  cases.push_back(
      {"softmax/4096x4096", softmax(4096, 4096), 0, 2 * 4.0 * 4096 * 4096});
  auto layerNorm = [](int64_t rows, int64_t cols) {
    return llvm::formatv("graph k(%x: f32[{0}, {1}]) {{\n"
                         "  %g = param : f32[{1}]\n  %b = param : f32[{1}]\n"
                         "  %y = layer_norm(%x, %g, %b)\n  return %y\n}\n",
                         rows, cols)
        .str();
  };
  cases.push_back(
      {"layer_norm/128x512", layerNorm(128, 512), 0, 2 * 4.0 * 128 * 512});
  cases.push_back({"layer_norm/16384x1024", layerNorm(16384, 1024), 0,
                   2 * 4.0 * 16384 * 1024});
  return cases;
}

void runCase(Report &report, SuiteContext &ctx, const KernelCase &kc) {
  CompiledGraph compiled = compileGraphText(kc.graph);
  const Plan &plan = compiled.executor->getPlan();
  if (plan.steps.size() != 1)
    fatal(llvm::formatv("kernel case '{0}' lowered to {1} steps, not one",
                        kc.name, plan.steps.size()));
  const PlanStep &step = plan.steps.front();
  KernelInfo kernel = lookupKernelInfo(step.kernel);
  if (!kernel.run)
    fatal(llvm::formatv("no kernel '{0}'", step.kernel));

  // Every buffer in its own allocation, filled with small random values.
  std::vector<Tensor> storage;
  std::vector<TensorView> views(plan.buffers.size());
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const PlanBuffer &buffer = plan.buffers[b];
    storage.push_back(Tensor::uniform(buffer.shape, /*seed=*/b + 1, -1, 1));
    views[b] = {DType::F32, buffer.shape, storage.back().raw()};
  }
  std::vector<TensorView> inputs;
  for (uint32_t in : step.inputs)
    inputs.push_back(views[in]);

  // Weights packed by Executor::prepare(), outside the timing, as they are
  // once for a network's runs.
  std::vector<const Tensor *> params(plan.params.size());
  for (size_t b = 0; b < plan.buffers.size(); ++b)
    if (plan.buffers[b].kind == BufferKind::Param)
      params[plan.buffers[b].index] = &storage[b];
  std::shared_ptr<const PreparedParams> prepared =
      check(compiled.executor->prepare(params));

  for (int threads : ctx.threadCounts) {
    KernelContext kctx{inputs, views[step.output], KernelAttrs(step.attrs),
                       threads, prepared->getStep(0)};
    Timing t = measure(
        [&] {
          if (llvm::Error err = kernel.run(kctx))
            fatal(llvm::toString(std::move(err)));
        },
        ctx.timing);
    Row row{"kernels", llvm::formatv("{0}/threads:{1}", kc.name, threads), t};
    if (kc.flops > 0) {
      double flops = kc.flops / t.median;
      row.metrics = {{"GFLOP/s", flops / 1e9},
                     {"of_peak", flops / ctx.peakFlops[threads], "pct"}};
    } else {
      double bytes = kc.bytes / t.median;
      row.metrics = {{"GB/s", bytes / 1e9},
                     {"of_copy_bw", bytes / ctx.copyBandwidth[threads], "pct"}};
    }
    report.add(std::move(row));
  }
}

} // namespace

void shapeflow::bench::runKernelSection(Report &report, SuiteContext &ctx) {
  for (const KernelCase &kc : buildCases(ctx.quick))
    if (ctx.selected(kc.name))
      runCase(report, ctx, kc);
}
