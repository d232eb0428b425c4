//===- Executor.cpp - Running a plan --------------------------------------===//

#include "shapeflow/Runtime/Executor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#define DEBUG_TYPE "executor"

using namespace shapeflow;

static llvm::Error runError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

llvm::Expected<std::byte *> Workspace::reserve(int64_t bytes) {
  if (bytes > size) {
    // i64 elements keep the arena 8-byte granular; the allocator aligns
    // it to 64 bytes.
    auto grown = Tensor::zeros(DType::I64, {(bytes + 7) / 8});
    if (!grown)
      return grown.takeError();
    arena = std::move(*grown);
    size = bytes;
  }
  return static_cast<std::byte *>(arena.raw());
}

llvm::Expected<Executor> Executor::create(std::shared_ptr<const Plan> plan) {
  std::vector<KernelInfo> kernels;
  for (const PlanStep &step : plan->steps) {
    KernelInfo info = lookupKernelInfo(step.kernel);
    if (!info.run)
      return runError(llvm::formatv("no kernel for '{0}' (step '%{1}')",
                                    step.kernel, step.node));
    kernels.push_back(info);
  }
  return Executor(std::move(plan), std::move(kernels));
}

llvm::Error Executor::checkInputs(llvm::ArrayRef<Tensor> inputs,
                                  llvm::ArrayRef<const Tensor *> params) const {
  if (inputs.size() != plan->inputs.size())
    return runError(llvm::formatv("the plan takes {0} inputs, got {1}",
                                  plan->inputs.size(), inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const PlanBuffer &want = plan->buffers[plan->inputs[i]];
    if (inputs[i].getDType() != want.dtype ||
        inputs[i].getShape() != llvm::ArrayRef<int64_t>(want.shape))
      return runError(
          llvm::formatv("input '%{0}' must be {1}{2}, got {3}{4}", want.name,
                        dtypeName(want.dtype), formatShape(want.shape),
                        dtypeName(inputs[i].getDType()), inputs[i].shapeStr()));
  }
  return checkParams(params);
}

llvm::Error Executor::checkParams(llvm::ArrayRef<const Tensor *> params) const {
  if (params.size() != plan->params.size())
    return runError(llvm::formatv("the plan takes {0} parameters, got {1}",
                                  plan->params.size(), params.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    const PlanParam &want = plan->params[i];
    if (!params[i] ||
        params[i]->getShape() != llvm::ArrayRef<int64_t>(want.shape))
      return runError(llvm::formatv(
          "parameter '{0}' must have shape {1}, got {2}", want.name,
          formatShape(want.shape),
          params[i] ? params[i]->shapeStr() : std::string("nothing")));
  }
  return llvm::Error::success();
}

llvm::Expected<std::shared_ptr<const PreparedParams>>
Executor::prepare(llvm::ArrayRef<const Tensor *> params) const {
  if (llvm::Error err = checkParams(params))
    return err;
  auto prepared = std::make_shared<PreparedParams>();
  prepared->plan = plan.get();
  for (const Tensor *param : params)
    prepared->sources.push_back(param->raw());

  prepared->steps.resize(plan->steps.size());
  std::vector<TensorView> stepInputs;
  for (size_t s = 0; s < plan->steps.size(); ++s) {
    if (!kernels[s].prepare)
      continue;
    const PlanStep &step = plan->steps[s];
    // Parameters carry their data; anything else only its type, since
    // nothing but parameters is known before a run.
    auto viewOf = [&](uint32_t b) {
      const PlanBuffer &buffer = plan->buffers[b];
      TensorView view{buffer.dtype, buffer.shape, nullptr};
      if (buffer.kind == BufferKind::Param)
        view.data = const_cast<void *>(params[buffer.index]->raw());
      return view;
    };
    stepInputs.clear();
    for (uint32_t in : step.inputs)
      stepInputs.push_back(viewOf(in));
    KernelContext ctx{stepInputs, viewOf(step.output), KernelAttrs(step.attrs)};
    prepared->steps[s] = kernels[s].prepare(ctx);
    if (prepared->steps[s])
      prepared->bytes += prepared->steps[s]->getBytes();
  }
  return std::shared_ptr<const PreparedParams>(std::move(prepared));
}

llvm::Expected<std::vector<Tensor>>
Executor::run(llvm::ArrayRef<Tensor> inputs,
              llvm::ArrayRef<const Tensor *> params, Workspace &workspace,
              const RunOptions &options) const {
  if (llvm::Error err = checkInputs(inputs, params))
    return err;
  auto arena = workspace.reserve(plan->arenaBytes);
  if (!arena)
    return arena.takeError();

  // Where every buffer lives for this run.
  std::vector<Tensor> outputs(plan->outputs.size());
  std::vector<TensorView> views(plan->buffers.size());
  for (size_t b = 0; b < plan->buffers.size(); ++b) {
    const PlanBuffer &buffer = plan->buffers[b];
    TensorView &view = views[b];
    view.dtype = buffer.dtype;
    view.shape = buffer.shape;
    switch (buffer.kind) {
    case BufferKind::Input:
      view.data = const_cast<void *>(inputs[buffer.index].raw());
      break;
    case BufferKind::Param:
      view.data = const_cast<void *>(params[buffer.index]->raw());
      break;
    case BufferKind::Temp:
      view.data = *arena + buffer.offset;
      break;
    case BufferKind::Output: {
      auto out = Tensor::zeros(buffer.dtype, buffer.shape);
      if (!out)
        return out.takeError();
      outputs[buffer.index] = std::move(*out);
      view.data = outputs[buffer.index].raw();
      break;
    }
    }
  }

  // Prepared state is used only by the plan it was made for, and only if
  // every parameter is the data it was prepared from.
  const PreparedParams *prepared = options.prepared;
  if (prepared && (prepared->plan != plan.get() ||
                   !llvm::equal(prepared->sources,
                                llvm::map_range(params, [](const Tensor *t) {
                                  return t->raw();
                                }))))
    prepared = nullptr;

  std::vector<TensorView> stepInputs;
  for (size_t s = 0; s < plan->steps.size(); ++s) {
    const PlanStep &step = plan->steps[s];
    stepInputs.clear();
    for (uint32_t in : step.inputs)
      stepInputs.push_back(views[in]);
    LLVM_DEBUG(llvm::dbgs()
               << "step " << s << ": " << step.kernel << " -> %"
               << plan->buffers[step.output].name << ' '
               << formatShape(plan->buffers[step.output].shape) << '\n');
    KernelContext ctx{stepInputs, views[step.output], KernelAttrs(step.attrs),
                      options.numThreads,
                      prepared ? prepared->steps[s].get() : nullptr};
    if (llvm::Error err = kernels[s].run(ctx))
      return runError("step '%" + step.node + "' (" + step.kernel +
                      "): " + llvm::toString(std::move(err)));
  }
  return outputs;
}
