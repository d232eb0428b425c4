//===- PlannerTest.cpp - Lowering and the arena layout --------------------===//
//
// The layout is checked against lifetimes computed here from the steps, not
// from the planner's own bookkeeping: a Temp buffer lives from the step that
// writes it to the last step that reads it. Two Temp buffers may share bytes
// only if their lifetimes are disjoint, or if one is written in place over
// the other by the step that reads it last.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "shapeflow/Passes/Lowering.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <map>

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::HasSubstr;

namespace {

constexpr int64_t kAlign = 64;

int64_t roundUp(int64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

/// Compiles `text` with `bindings` and lowers graph 0.
Plan lower(llvm::StringRef text, std::vector<std::string> bindings,
           const LoweringOptions &options = {}) {
  auto c = compile(text, std::move(bindings));
  if (!c->errors.empty()) {
    ADD_FAILURE() << c->errors;
    return Plan();
  }
  auto plan = lowerToPlan(c->graph(), options);
  if (!plan) {
    ADD_FAILURE() << llvm::toString(plan.takeError());
    return Plan();
  }
  return std::move(*plan);
}

std::string lowerError(llvm::StringRef text,
                       std::vector<std::string> bindings = {}) {
  auto c = compile(text, std::move(bindings));
  if (!c->errors.empty())
    return "<front end: " + c->errors + ">";
  auto plan = lowerToPlan(c->graph());
  if (plan)
    return "<lowered>";
  return llvm::toString(plan.takeError());
}

/// The buffer index of the value named `name`, or -1.
int bufferNamed(const Plan &plan, llvm::StringRef name) {
  for (size_t b = 0; b < plan.buffers.size(); ++b)
    if (plan.buffers[b].name == name)
      return b;
  return -1;
}

const PlanBuffer &buffer(const Plan &plan, llvm::StringRef name) {
  int b = bufferNamed(plan, name);
  EXPECT_GE(b, 0) << "no buffer %" << name.str();
  static PlanBuffer none;
  return b < 0 ? none : plan.buffers[b];
}

const PlanAttr *findAttr(const PlanStep &step, llvm::StringRef name) {
  for (const PlanAttr &attr : step.attrs)
    if (attr.name == name)
      return &attr;
  return nullptr;
}

std::string activationOf(const PlanStep &step) {
  const PlanAttr *attr = findAttr(step, "activation");
  if (!attr)
    return "";
  return std::get<std::string>(attr->value);
}

/// [first, last] step of every Temp buffer, from the steps alone.
std::map<uint32_t, std::pair<int, int>> lifetimes(const Plan &plan) {
  std::map<uint32_t, std::pair<int, int>> life;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    uint32_t out = plan.steps[s].output;
    if (plan.buffers[out].kind == BufferKind::Temp)
      life.try_emplace(out, int(s), int(s));
    for (uint32_t in : plan.steps[s].inputs)
      if (plan.buffers[in].kind == BufferKind::Temp)
        life[in].second = std::max(life[in].second, int(s));
  }
  return life;
}

/// True when step `s` writes `out` over `in`: `in` is its first operand,
/// read nowhere else in the step, and this is its last reader.
bool isInPlace(const Plan &plan, int s, uint32_t in, uint32_t out,
               const std::map<uint32_t, std::pair<int, int>> &life) {
  const PlanStep &step = plan.steps[s];
  return step.output == out && !step.inputs.empty() && step.inputs[0] == in &&
         llvm::count(step.inputs, in) == 1 && life.at(in).second == s;
}

/// Every way the layout breaks the planner's promises, one line each.
std::vector<std::string> layoutProblems(const Plan &plan) {
  std::vector<std::string> problems;
  auto report = [&](const llvm::Twine &what) {
    problems.push_back(what.str());
  };
  auto life = lifetimes(plan);
  for (const auto &[b, span] : life) {
    const PlanBuffer &buf = plan.buffers[b];
    if (buf.offset < 0 || buf.offset % kAlign != 0)
      report("%" + buf.name + " has offset " + llvm::Twine(buf.offset));
    if (buf.offset + roundUp(buf.byteSize()) > plan.arenaBytes)
      report("%" + buf.name + " does not fit in the arena");
  }

  for (const auto &[a, lifeA] : life) {
    for (const auto &[b, lifeB] : life) {
      if (a >= b)
        continue;
      const PlanBuffer &bufA = plan.buffers[a], &bufB = plan.buffers[b];
      bool timeOverlap =
          lifeA.first <= lifeB.second && lifeB.first <= lifeA.second;
      bool byteOverlap = bufA.offset < bufB.offset + bufB.byteSize() &&
                         bufB.offset < bufA.offset + bufA.byteSize();
      if (!timeOverlap || !byteOverlap || bufA.byteSize() == 0 ||
          bufB.byteSize() == 0)
        continue;
      bool handOver = (lifeA.second == lifeB.first &&
                       isInPlace(plan, lifeB.first, a, b, life)) ||
                      (lifeB.second == lifeA.first &&
                       isInPlace(plan, lifeA.first, b, a, life));
      if (!handOver)
        report(llvm::formatv("%{0} [steps {1}-{2}, bytes {3}+{4}) and %{5} "
                             "[steps {6}-{7}, bytes {8}+{9}) share memory",
                             bufA.name, lifeA.first, lifeA.second, bufA.offset,
                             bufA.byteSize(), bufB.name, lifeB.first,
                             lifeB.second, bufB.offset, bufB.byteSize()));
    }
  }

  if (plan.arenaBytes < plan.peakBytes)
    report(llvm::formatv("arena {0} is below the lower bound {1}",
                         plan.arenaBytes, plan.peakBytes));
  if (plan.naiveBytes < plan.arenaBytes)
    report(llvm::formatv("naive {0} is below the arena {1}", plan.naiveBytes,
                         plan.arenaBytes));
  int64_t naive = 0;
  for (const PlanBuffer &buf : plan.buffers)
    if (buf.kind == BufferKind::Temp)
      naive += roundUp(buf.byteSize());
  if (plan.naiveBytes != naive)
    report(llvm::formatv("naive is {0}, the Temps sum to {1}", plan.naiveBytes,
                         naive));
  return problems;
}

void expectSoundLayout(const Plan &plan) {
  EXPECT_THAT(layoutProblems(plan), ::testing::IsEmpty());
}

/// Inputs and outputs live outside the arena.
void expectEndsOutsideArena(const Plan &plan) {
  for (uint32_t b : plan.inputs)
    EXPECT_EQ(plan.buffers[b].kind, BufferKind::Input) << plan.buffers[b].name;
  for (uint32_t b : plan.outputs)
    EXPECT_EQ(plan.buffers[b].kind, BufferKind::Output) << plan.buffers[b].name;
  for (const PlanParam &p : plan.params)
    EXPECT_EQ(plan.buffers[p.buffer].kind, BufferKind::Param) << p.name;
}

std::string describeSteps(const Plan &plan) {
  std::string text;
  llvm::raw_string_ostream os(text);
  plan.print(os);
  return os.str();
}

constexpr const char *kReluChain = R"(
graph chain(%x: f32[?, ?]) {
  %a = relu(%x)
  %b = relu(%a)
  %c = relu(%b)
  %d = relu(%c)
  return %d
}
)";

// Two branches off %h1 that meet again; %w1..%w3 take their shapes from
// the binding.
constexpr const char *kDiamond = R"(
graph diamond(%x: f32[?, ?]) {
  %w1 = param
  %w2 = param
  %w3 = param
  %h1 = dense(%x, %w1, units=30)
  %h2 = dense(%h1, %w2, units=50)
  %h3 = dense(%h1, %w3, units=50)
  %s = add(%h2, %h3)
  %t = relu(%s)
  return %t
}
)";

//===----------------------------------------------------------------------===//
// Memory figures on hand-computed graphs
//===----------------------------------------------------------------------===//

TEST(PlannerTest, ReluChainInPlaceNeedsOneBuffer) {
  // [3, 5] f32 is 60 bytes, 64 once rounded. %a, %b, %c are Temps; %d is
  // the output. In place, %b and %c overwrite %a's slot.
  Plan plan = lower(kReluChain, {"%x=f32[3,5]"});
  ASSERT_EQ(plan.steps.size(), 4u) << describeSteps(plan);
  EXPECT_EQ(plan.arenaBytes, 64);
  EXPECT_EQ(plan.peakBytes, 64);
  EXPECT_EQ(plan.naiveBytes, 3 * 64);
  EXPECT_EQ(buffer(plan, "a").offset, buffer(plan, "b").offset);
  EXPECT_EQ(buffer(plan, "b").offset, buffer(plan, "c").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, ReluChainWithoutInPlaceAlternatesTwoBuffers) {
  // %a [0,1], %b [1,2], %c [2,3]: at most two alive, and %c reuses %a.
  LoweringOptions options;
  options.inPlace = false;
  Plan plan = lower(kReluChain, {"%x=f32[4,16]"}, options);
  EXPECT_EQ(plan.arenaBytes, 2 * 256);
  EXPECT_EQ(plan.peakBytes, 2 * 256);
  EXPECT_EQ(plan.naiveBytes, 3 * 256);
  EXPECT_NE(buffer(plan, "a").offset, buffer(plan, "b").offset);
  EXPECT_EQ(buffer(plan, "a").offset, buffer(plan, "c").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, DiamondMeetsItsHandComputedLowerBound) {
  // Sizes (x is [2, 8]): %h1 [2,30] 240 -> 256; %h2, %h3, %s [2,50] 400 ->
  // 448. Steps: 0 h1, 1 h2, 2 h3, 3 s = add(h2, h3) in place over h2,
  // 4 t (output). Live: h1 0-2, h2+s 1-4, h3 2-3. At step 2 all three are
  // alive: 256 + 448 + 448 = 1152, the lower bound; the arena reaches it.
  Plan plan = lower(kDiamond, {"%x=f32[2,8]"});
  ASSERT_EQ(plan.steps.size(), 5u) << describeSteps(plan);
  EXPECT_EQ(plan.peakBytes, 1152);
  EXPECT_EQ(plan.arenaBytes, 1152);
  EXPECT_EQ(plan.naiveBytes, 256 + 3 * 448);
  EXPECT_EQ(buffer(plan, "s").offset, buffer(plan, "h2").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, DiamondWithoutInPlaceNeedsAFourthSlot) {
  // %s gets its own slot (3-4): at step 3, h2, h3 and s are alive, 1344.
  LoweringOptions options;
  options.inPlace = false;
  Plan plan = lower(kDiamond, {"%x=f32[2,8]"}, options);
  EXPECT_EQ(plan.peakBytes, 3 * 448);
  EXPECT_EQ(plan.naiveBytes, 256 + 3 * 448);
  EXPECT_NE(buffer(plan, "s").offset, buffer(plan, "h2").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, GraphWithoutIntermediatesHasAnEmptyArena) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 3]) {
  %y = relu(%x)
  return %y
}
)",
                    {});
  EXPECT_EQ(plan.arenaBytes, 0);
  EXPECT_EQ(plan.naiveBytes, 0);
  EXPECT_EQ(plan.peakBytes, 0);
}

TEST(PlannerTest, ExampleNetworksGetSoundLayouts) {
  struct Case {
    const char *file, *binding;
  };
  for (Case c :
       {Case{"mlp.sfg", "%x=f32[4,20]"}, Case{"lenet.sfg", "%x=f32[2,1,28,28]"},
        Case{"resnet18.sfg", "%x=f32[1,3,64,64]"},
        Case{"mobilenet_v1.sfg", "%x=f32[1,3,64,64]"},
        Case{"conv_chain100.sfg", "%x=f32[1,3,8,8]"},
        Case{"transformer_encoder.sfg", "%ids=i64[2,8]"}}) {
    SCOPED_TRACE(c.file);
    auto text = llvm::MemoryBuffer::getFile(
        std::string(SHAPEFLOW_EXAMPLES_DIR) + "/" + c.file);
    ASSERT_TRUE(bool(text)) << c.file;
    Plan plan = lower((*text)->getBuffer(), {c.binding});
    ASSERT_FALSE(plan.steps.empty());
    expectSoundLayout(plan);
    expectEndsOutsideArena(plan);
    // The MLP has a single intermediate; every other network reuses memory.
    if (llvm::StringRef(c.file) != "mlp.sfg") {
      EXPECT_LT(plan.arenaBytes, plan.naiveBytes);
    }
  }
}

TEST(PlannerTest, LayoutCheckCatchesLiveBuffersSharingBytes) {
  // The checks above must be able to fail: move %h3 onto %h2, which is
  // alive at the same time, then past the arena's end.
  Plan plan = lower(kDiamond, {"%x=f32[2,8]"});
  int h2 = bufferNamed(plan, "h2"), h3 = bufferNamed(plan, "h3");
  ASSERT_GE(h2, 0);
  ASSERT_GE(h3, 0);
  ASSERT_THAT(layoutProblems(plan), ::testing::IsEmpty());

  Plan shared = plan;
  shared.buffers[h3].offset = shared.buffers[h2].offset;
  EXPECT_THAT(layoutProblems(shared),
              ::testing::Contains(HasSubstr("%h2 [steps 1-3")));
  Plan outside = plan;
  outside.buffers[h3].offset = outside.arenaBytes;
  EXPECT_THAT(layoutProblems(outside),
              ::testing::Contains("%h3 does not fit in the arena"));
}

//===----------------------------------------------------------------------===//
// Activation fusion
//===----------------------------------------------------------------------===//

TEST(PlannerTest, DenseThenReluBecomesOneStep) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 8]) {
  %w = param
  %b = param
  %h = dense(%x, %w, %b, units=4)
  %y = relu(%h)
  return %y
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 1u) << describeSteps(plan);
  EXPECT_EQ(plan.steps[0].kernel, "dense");
  EXPECT_EQ(activationOf(plan.steps[0]), "relu");
  EXPECT_EQ(plan.buffers[plan.steps[0].output].name, "y");
  EXPECT_EQ(bufferNamed(plan, "h"), -1);
}

TEST(PlannerTest, ConvThenSigmoidFuses) {
  Plan plan = lower(R"(
graph g(%x: f32[1, 2, 5, 5]) {
  %w = param
  %c = conv2d(%x, %w, channels=3, kernel=3)
  %y = sigmoid(%c)
  return %y
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 1u) << describeSteps(plan);
  EXPECT_EQ(plan.steps[0].kernel, "conv2d");
  EXPECT_EQ(activationOf(plan.steps[0]), "sigmoid");
}

TEST(PlannerTest, DenseUsedElsewhereKeepsItsActivationSeparate) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 8]) {
  %w = param
  %h = dense(%x, %w, units=4)
  %y = relu(%h)
  %z = add(%h, %y)
  return %z
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 3u) << describeSteps(plan);
  EXPECT_EQ(plan.steps[0].kernel, "dense");
  EXPECT_EQ(activationOf(plan.steps[0]), "");
  EXPECT_EQ(plan.steps[1].kernel, "relu");
}

TEST(PlannerTest, ReturnedDenseResultIsNotFused) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 8]) {
  %w = param
  %h = dense(%x, %w, units=4)
  %y = relu(%h)
  return %y, %h
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 2u) << describeSteps(plan);
  EXPECT_EQ(activationOf(plan.steps[0]), "");
  EXPECT_EQ(buffer(plan, "h").kind, BufferKind::Output);
  EXPECT_EQ(buffer(plan, "y").kind, BufferKind::Output);
}

TEST(PlannerTest, NonActivationAfterDenseIsNotFused) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 8]) {
  %w = param
  %h = dense(%x, %w, units=4)
  %y = softmax(%h)
  return %y
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 2u) << describeSteps(plan);
  EXPECT_EQ(activationOf(plan.steps[0]), "");
}

TEST(PlannerTest, FusionCanBeTurnedOff) {
  LoweringOptions options;
  options.fuseActivations = false;
  Plan plan = lower(R"(
graph g(%x: f32[2, 8]) {
  %w = param
  %h = dense(%x, %w, units=4)
  %y = relu(%h)
  return %y
}
)",
                    {}, options);
  ASSERT_EQ(plan.steps.size(), 2u) << describeSteps(plan);
  EXPECT_EQ(activationOf(plan.steps[0]), "");
}

//===----------------------------------------------------------------------===//
// In place
//===----------------------------------------------------------------------===//

TEST(PlannerTest, InPlaceOnlyWhenTheInputDies) {
  // %b = relu(%a) cannot overwrite %a, which %c still reads; %c may
  // overwrite %a (its first operand, dying there).
  Plan plan = lower(R"(
graph g(%x: f32[4, 16]) {
  %a = sigmoid(%x)
  %b = relu(%a)
  %c = add(%a, %b)
  %d = tanh(%c)
  return %d
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 4u) << describeSteps(plan);
  EXPECT_NE(buffer(plan, "b").offset, buffer(plan, "a").offset);
  EXPECT_EQ(buffer(plan, "c").offset, buffer(plan, "a").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, InPlaceNeverOverwritesInputsOrParams) {
  Plan plan = lower(R"(
graph g(%x: f32[4, 16]) {
  %p = param : f32[4, 16]
  %a = relu(%x)
  %b = add(%p, %a)
  %c = tanh(%b)
  return %c
}
)",
                    {});
  EXPECT_EQ(buffer(plan, "x").kind, BufferKind::Input);
  EXPECT_EQ(buffer(plan, "p").kind, BufferKind::Param);
  EXPECT_EQ(buffer(plan, "a").kind, BufferKind::Temp);
  EXPECT_EQ(buffer(plan, "b").kind, BufferKind::Temp);
  // %b's first operand is the parameter, so %b needs a slot of its own.
  EXPECT_NE(buffer(plan, "b").offset, buffer(plan, "a").offset);
  expectSoundLayout(plan);
}

TEST(PlannerTest, InPlaceNeedsAnInPlaceKernel) {
  // matmul has no in-place trait: its output never takes %a's slot, even
  // though %a dies there and the shapes agree.
  Plan plan = lower(R"(
graph g(%x: f32[4, 4]) {
  %a = relu(%x)
  %m = matmul(%a, %x)
  %y = relu(%m)
  return %y
}
)",
                    {});
  EXPECT_NE(buffer(plan, "m").offset, buffer(plan, "a").offset);
  expectSoundLayout(plan);
}

//===----------------------------------------------------------------------===//
// Inputs, outputs and copies
//===----------------------------------------------------------------------===//

TEST(PlannerTest, InputsAndOutputsAreNeverInTheArena) {
  Plan plan = lower(kDiamond, {"%x=f32[2,8]"});
  expectEndsOutsideArena(plan);
  EXPECT_EQ(buffer(plan, "x").offset, -1);
  EXPECT_EQ(buffer(plan, "t").offset, -1);
  ASSERT_EQ(plan.outputs.size(), 1u);
  EXPECT_EQ(plan.buffers[plan.outputs[0]].name, "t");
}

TEST(PlannerTest, ReturnedInputGetsACopyStep) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 3]) {
  return %x
}
)",
                    {});
  ASSERT_EQ(plan.steps.size(), 1u) << describeSteps(plan);
  const PlanStep &copy = plan.steps[0];
  EXPECT_EQ(copy.kernel, "identity");
  ASSERT_EQ(copy.inputs.size(), 1u);
  EXPECT_EQ(plan.buffers[copy.inputs[0]].kind, BufferKind::Input);
  EXPECT_EQ(plan.buffers[copy.output].kind, BufferKind::Output);
  ASSERT_EQ(plan.outputs.size(), 1u);
  EXPECT_EQ(plan.outputs[0], copy.output);
  EXPECT_EQ(plan.buffers[copy.output].shape, (std::vector<int64_t>{2, 3}));
}

TEST(PlannerTest, ReturnedParameterGetsACopyStep) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 3]) {
  %w = param : f32[3, 3]
  %y = matmul(%x, %w)
  return %y, %w
}
)",
                    {});
  ASSERT_EQ(plan.outputs.size(), 2u);
  const PlanBuffer &second = plan.buffers[plan.outputs[1]];
  EXPECT_EQ(second.kind, BufferKind::Output);
  EXPECT_EQ(second.index, 1u);
  const PlanStep &last = plan.steps.back();
  EXPECT_EQ(last.kernel, "identity");
  EXPECT_EQ(plan.buffers[last.inputs[0]].kind, BufferKind::Param);
  EXPECT_EQ(last.output, plan.outputs[1]);
}

TEST(PlannerTest, ValueReturnedTwiceGetsTwoOutputBuffers) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 3]) {
  %y = relu(%x)
  return %y, %y
}
)",
                    {});
  ASSERT_EQ(plan.outputs.size(), 2u);
  EXPECT_NE(plan.outputs[0], plan.outputs[1]);
  EXPECT_EQ(plan.buffers[plan.outputs[0]].kind, BufferKind::Output);
  EXPECT_EQ(plan.buffers[plan.outputs[1]].kind, BufferKind::Output);
  EXPECT_EQ(plan.steps.back().kernel, "identity");
}

TEST(PlannerTest, ParamsKeepTheirGraphInitializer) {
  Plan plan = lower(R"(
graph g(%x: f32[2, 3]) {
  %w = param(init=xavier(magnitude=2.24))
  %b = param
  %y = dense(%x, %w, %b, units=4)
  return %y
}
)",
                    {});
  ASSERT_EQ(plan.params.size(), 2u);
  EXPECT_EQ(plan.params[0].name, "w");
  EXPECT_EQ(plan.params[0].shape, (std::vector<int64_t>{4, 3}));
  EXPECT_THAT(plan.params[0].init, HasSubstr("xavier"));
  EXPECT_THAT(plan.params[0].init, HasSubstr("2.24"));
  EXPECT_EQ(plan.params[1].init, "");
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(PlannerTest, UnknownDimIsAnErrorNamingTheValue) {
  std::string err = lowerError(kReluChain);
  EXPECT_THAT(err, HasSubstr("cannot compile graph 'chain'"));
  EXPECT_THAT(err, HasSubstr("'%x' has type f32[?, ?]"));
  EXPECT_THAT(err, HasSubstr("bind a concrete input signature"));
}

TEST(PlannerTest, SymbolicDimIsAnErrorNamingTheValue) {
  std::string err = lowerError(kDiamond, {"%x=f32[N,8]"});
  EXPECT_THAT(err, HasSubstr("'%x' has type f32[N, 8]"));
  EXPECT_THAT(err, HasSubstr("'%t' has type f32[N, 50]"));
}

TEST(PlannerTest, UnknownDimOfAParameterIsNamed) {
  std::string err = lowerError(R"(
graph g(%x: f32[2, 3]) {
  %w = param
  return %x
}
)");
  EXPECT_THAT(err, HasSubstr("'%w'"));
}

} // namespace
