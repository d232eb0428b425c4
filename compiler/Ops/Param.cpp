//===- Param.cpp - The param op
//--------------------------------------------===//
//
// A parameter has no operands and no shape rule of its own: its shape comes
// from its declared type and from the ops that use it. `init` names its
// initializer (`zeros`, `xavier(magnitude=2.24)`) and `role` states what it
// is for (which decides its default initializer); the runtime reads both.
//
//===----------------------------------------------------------------------===//

#include "OpFamilies.h"

using namespace shapeflow;

static void inferParam(ShapeRuleContext &) {}

void shapeflow::registerParamOps(std::vector<OpInfo> &ops) {
  OpInfo param;
  param.name = "param";
  AttrSpec role = optionalAttr("role", AttrType::Name, std::nullopt);
  role.choices = {"weight", "bias",         "gamma",
                  "beta",   "running_mean", "running_var"};
  param.attrs = {optionalAttr("init", AttrType::Init, std::nullopt),
                 std::move(role)};
  param.resultDType = ResultDType::Declared;
  param.inferShape = inferParam;
  ops.push_back(std::move(param));
}
