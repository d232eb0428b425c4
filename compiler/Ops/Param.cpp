//===- Param.cpp - The param op --------------------------------------------===//
//
// A parameter has no operands and no shape rule of its own: its shape comes
// from its declared type and from the ops that use it. `init` names its
// initializer (`zeros`, `xavier(magnitude=2.24)`); the runtime reads it.
//
//===----------------------------------------------------------------------===//

#include "OpFamilies.h"

using namespace shapeflow;

static void inferParam(ShapeRuleContext &) {}

void shapeflow::registerParamOps(std::vector<OpInfo> &ops) {
  OpInfo param;
  param.name = "param";
  param.attrs = {optionalAttr("init", AttrType::Init, std::nullopt)};
  param.resultDType = ResultDType::Declared;
  param.inferShape = inferParam;
  ops.push_back(std::move(param));
}
