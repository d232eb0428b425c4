//===- Derive.cpp - Parameters computed from other parameters -------------===//

#include "shapeflow/Runtime/Derive.h"
#include "shapeflow/Runtime/Kernel.h"

#include <cmath>

using namespace shapeflow;

namespace {

/// gamma[o] / sqrt(var[o] + eps), in double for accuracy.
std::vector<double> channelScale(const Tensor &gamma, const Tensor &var,
                                 double eps) {
  std::vector<double> scale(gamma.getNumElements());
  for (size_t o = 0; o < scale.size(); ++o)
    scale[o] = gamma.f32()[o] / std::sqrt(double(var.f32()[o]) + eps);
  return scale;
}

Tensor foldWeight(const Tensor &w, const std::vector<double> &scale) {
  // [O, ...]: every element of row o is scaled by scale[o].
  Tensor out = w.clone();
  int64_t perChannel = scale.empty() ? 0 : w.getNumElements() / scale.size();
  for (size_t o = 0; o < scale.size(); ++o)
    for (int64_t i = 0; i < perChannel; ++i)
      out.f32()[o * perChannel + i] =
          float(w.f32()[o * perChannel + i] * scale[o]);
  return out;
}

Tensor foldBias(llvm::ArrayRef<const Tensor *> s,
                const std::vector<double> &scale) {
  const Tensor &beta = *s[1], &mean = *s[2];
  const Tensor *bias = s.size() > 4 ? s[4] : nullptr;
  Tensor out = beta.clone();
  for (size_t o = 0; o < scale.size(); ++o) {
    double b = bias ? bias->f32()[o] : 0.0;
    out.f32()[o] = float((b - mean.f32()[o]) * scale[o] + beta.f32()[o]);
  }
  return out;
}

} // namespace

llvm::Expected<Tensor>
shapeflow::deriveParam(const PlanParam &param,
                       llvm::ArrayRef<const Tensor *> sources) {
  KernelAttrs attrs(param.deriveAttrs);
  if (param.derive == "fold_norm_weight" && sources.size() == 3)
    return foldWeight(*sources[0], channelScale(*sources[1], *sources[2],
                                                attrs.getFloat("eps")));
  if (param.derive == "fold_norm_bias" &&
      (sources.size() == 4 || sources.size() == 5))
    return foldBias(
        sources, channelScale(*sources[0], *sources[3], attrs.getFloat("eps")));
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot derive parameter '%s': unknown "
                                 "derivation '%s' with %zu sources",
                                 param.name.c_str(), param.derive.c_str(),
                                 sources.size());
}
