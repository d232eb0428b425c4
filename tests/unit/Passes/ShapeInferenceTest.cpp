//===- ShapeInferenceTest.cpp - The solver and its diagnostics ------------===//

#include "TestUtil.h"

#include "shapeflow/Support/Diag.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

TEST(ShapeInferenceTest, BindingFillsParametersBackward) {
  auto c = compile(kMlp, {"%x=f32[2,20]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("dense0.weight"), "f32[256, 20]");
  EXPECT_EQ(c->type("dense1.weight"), "f32[10, 256]");
  EXPECT_EQ(c->type("y"), "f32[2, 10]");
}

TEST(ShapeInferenceTest, UnboundInputLeavesUnknowns) {
  auto c = compile(kMlp);
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("dense0.weight"), "f32[256, ?]");
  EXPECT_EQ(c->type("y"), "f32[?, 10]");
}

TEST(ShapeInferenceTest, SymbolicBatchFlows) {
  auto c = compile(kMlp, {"%x=f32[N,20]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), "f32[N, 10]");
}

//===----------------------------------------------------------------------===//
// Helpers for the tests below
//===----------------------------------------------------------------------===//

/// Runs parse, verify, bind and infer like graph-dump, and returns the
/// diagnostics as it prints them (`test.sfg:L:C: error: ...`), or "".
std::string diagnose(llvm::StringRef text,
                     std::vector<std::string> bindings = {}) {
  auto c = std::make_unique<Compiled>();
  std::string out;
  llvm::raw_string_ostream os(out);
  auto print = [&](llvm::Error err) {
    printDiagnostics(std::move(err), &c->srcMgr, "test", os);
    return os.str();
  };
  auto module = parseModuleString(text, c->srcMgr, "test.sfg");
  if (!module)
    return print(module.takeError());
  Graph &g = *(*module)->graphs[0];
  if (llvm::Error err = verifyGraph(g))
    return print(std::move(err));
  std::vector<InputBinding> parsed;
  for (const std::string &b : bindings) {
    auto binding = parseInputBinding(b);
    if (!binding)
      return print(binding.takeError());
    parsed.push_back(*binding);
  }
  if (llvm::Error err = bindInputs(g, parsed))
    return print(std::move(err));
  ShapeInferenceOptions options;
  options.requireComplete = hasCompleteSignature(g);
  return print(inferShapes(g, options));
}

unsigned countOf(llvm::StringRef text, llvm::StringRef what) {
  return text.count(what);
}

/// Parses and verifies `text`, then binds graph 0 with `bindings`
/// (NAME=TYPE each) and returns bindInputs' error text, or "".
std::string bindErrors(llvm::StringRef text, std::vector<std::string> bindings,
                       std::unique_ptr<Compiled> *keep = nullptr) {
  auto c = compile(text, {}, /*infer=*/false);
  EXPECT_EQ(c->errors, "");
  if (!c->module)
    return "<no module>";
  std::vector<InputBinding> parsed;
  for (const std::string &b : bindings) {
    auto binding = parseInputBinding(b);
    EXPECT_TRUE(bool(binding)) << b;
    if (!binding)
      return llvm::toString(binding.takeError());
    parsed.push_back(*binding);
  }
  std::string errors = llvm::toString(bindInputs(c->graph(), parsed));
  if (keep)
    *keep = std::move(c);
  return errors;
}

//===----------------------------------------------------------------------===//
// Conflicts
//===----------------------------------------------------------------------===//

TEST(ShapeInferenceTest, ReportsEveryConflictInOneRun) {
  std::string errors = diagnose("graph g(%x: f32[2, 20]) {\n"
                                "  %w0 = param : f32[8, 30]\n"
                                "  %h = dense(%x, %w0, units=8)\n"
                                "  %a = relu(%h) : f32[2, 9]\n"
                                "  %m = matmul(%x, %x)\n"
                                "  return %a, %m\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:8: error: dense '%h': dim 1 of "
                                "weight '%w0' is 30 but dim 1 of x '%x' is "
                                "20; they must be equal"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:4:8: error: relu '%a': dim 1 of the "
                                "result '%a' is 9 but dim 1 of x '%h' is 8; "
                                "they must be equal"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:5:8: error: matmul '%m': dim 1 of a "
                                "'%x' is 20 but dim 0 of b '%x' is 2; they "
                                "must be equal"));
  EXPECT_EQ(countOf(errors, ": error: "), 3u) << errors;
}

TEST(ShapeInferenceTest, ConflictNamesWhereBothValuesCameFrom) {
  std::string errors = diagnose("graph g(%x: f32[2, 20]) {\n"
                                "  %w0 = param\n"
                                "  %h = dense(%x, %w0, units=256)\n"
                                "  %w1 = param : f32[10, 30]\n"
                                "  %y = dense(%h, %w1, units=10)\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:5:8: error: dense '%y': dim 1 of "
                                "weight '%w1' is 30 but dim 1 of x '%h' is "
                                "256; they must be equal"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:4:17: note: 30 comes from '%w1' "
                                "declared f32[10, 30] here"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:8: note: 256 was inferred by "
                                "dense '%h' here"));
}

TEST(ShapeInferenceTest, ConflictWithAnInputPointsAtTheSignature) {
  std::string errors = diagnose("graph g(%x: f32[2, 20]) {\n"
                                "  %y = relu(%x) : f32[2, 7]\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:8: error: relu '%y': dim 1 of the "
                                "result '%y' is 7 but dim 1 of x '%x' is 20"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:19: note: 7 comes from '%y' "
                                "declared f32[2, 7] here"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:1:9: note: 20 comes from '%x' "
                                "declared f32[2, 20] here"));
}

TEST(ShapeInferenceTest, AssignmentConflictNamesTheRequirementAndTheOrigin) {
  std::string errors = diagnose("graph g(%x: f32[2, 20]) {\n"
                                "  %w = param\n"
                                "  %y = dense(%x, %w, units=10) : f32[2, 12]\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:8: error: dense '%y': dim 1 of "
                                "the result '%y' is 12, but units requires "
                                "10"));
  EXPECT_THAT(errors, HasSubstr("note: 12 comes from '%y' declared f32[2, 12] "
                                "here"));
}

TEST(ShapeInferenceTest, RankConflictNamesWhoSetTheRank) {
  std::string errors = diagnose("graph g(%x: f32[2, 3, 8, 8]) {\n"
                                "  %w = param\n"
                                "  %h = dense(%x, %w, units=4)\n"
                                "  %y = conv2d(%x, %w, channels=4, kernel=3)\n"
                                "  return %h, %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("conv2d '%y': weight '%w' must have rank 4, "
                                "but it has rank 2"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:8: note: its rank 2 was set by "
                                "dense '%h' here"));
}

TEST(ShapeInferenceTest, ReportsEachConflictOnce) {
  // The concat runs several times as its dims become known; the clash of
  // its parts' heights must still be reported once.
  std::string errors = diagnose("graph g(%a: f32[2, 3], %b: f32[4, 5]) {\n"
                                "  %y = concat(%a, %b)\n"
                                "  %z = relu(%y)\n"
                                "  return %z\n"
                                "}\n");
  EXPECT_EQ(countOf(errors, ": error: "), 1u) << errors;
}

TEST(ShapeInferenceTest, ElementTypeErrorsAreReportedBeforeShapes) {
  std::string errors = diagnose("graph g(%ids: f32[4], %x: i64[2, 3]) {\n"
                                "  %t = param\n"
                                "  %e = embedding(%ids, %t, input_dim=10, "
                                "output_dim=3)\n"
                                "  %y = relu(%x)\n"
                                "  return %e, %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("embedding '%e': ids '%ids' must be i64, got "
                                "f32"));
  EXPECT_THAT(errors, HasSubstr("relu '%y': x '%x' must be f32, got i64"));
}

TEST(ShapeInferenceTest, DeclaredElementTypeMustMatch) {
  std::string errors = diagnose("graph g(%x: f32[2]) {\n"
                                "  %y = relu(%x) : i64[2]\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("relu '%y': the result is f32, but its type "
                                "is declared i64[2]"));
}

//===----------------------------------------------------------------------===//
// Parameters and unresolved dims
//===----------------------------------------------------------------------===//

TEST(ShapeInferenceTest, ParameterDependingOnASymbolIsAnError) {
  std::string errors = diagnose("graph g(%x: f32[N, C, H]) {\n"
                                "  %w = param\n"
                                "  %y = dense(%x, %w, units=10)\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:8: error: parameter '%w' would "
                                "have shape [10, C * H], which depends on the "
                                "input symbols C, H; a parameter's shape must "
                                "not change with the input"));
}

// Symbol names that contain one another must all be listed: CH and H.
TEST(ShapeInferenceTest, ParameterErrorNamesEverySymbol) {
  std::string errors = diagnose("graph g(%x: f32[N, CH, H]) {\n"
                                "  %w = param\n"
                                "  %y = dense(%x, %w, units=10)\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("parameter '%w' would have shape "
                                "[10, CH * H], which depends on the input "
                                "symbols CH, H;"));
}

TEST(ShapeInferenceTest, BatchSymbolInValuesIsFine) {
  EXPECT_EQ(diagnose("graph g(%x: f32[N, 20]) {\n"
                     "  %w = param\n"
                     "  %y = dense(%x, %w, units=10)\n"
                     "  return %y\n"
                     "}\n"),
            "");
}

TEST(ShapeInferenceTest, ReportsUnusedParameterWhenSignatureIsComplete) {
  std::string errors = diagnose("graph g(%x: f32[2, 3]) {\n"
                                "  %u = param\n"
                                "  %y = relu(%x)\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:8: error: parameter '%u' has "
                                "shape [*] after inference: it is used by no "
                                "op, so nothing determines its shape"));
}

TEST(ShapeInferenceTest, ReportsUndeterminedDimsWithTheOpsThatCouldDecide) {
  std::string errors = diagnose("graph g(%x: f32[3]) {\n"
                                "  %p = param : f32[?]\n"
                                "  %y = add(%x, %p)\n"
                                "  return %y\n"
                                "}\n");
  EXPECT_THAT(errors, HasSubstr("error: parameter '%p' has shape [?] after "
                                "inference: not determined by add '%y'"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:8: note: '%p' is used by add "
                                "'%y' here"));
  EXPECT_THAT(errors, HasSubstr("error: value '%y' has shape [?] after "
                                "inference: not determined by add '%y'"));
}

TEST(ShapeInferenceTest, LeavesUnknownsAloneWhenSignatureIsIncomplete) {
  EXPECT_EQ(diagnose("graph g(%x: f32[?]) {\n"
                     "  %p = param : f32[?]\n"
                     "  %u = param\n"
                     "  %y = add(%x, %p)\n"
                     "  return %y\n"
                     "}\n"),
            "");
  auto c = compile("graph g(%x: f32[?]) {\n  %u = param\n  %y = relu(%x)\n"
                   "  return %y\n}\n");
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("u"), "f32[*]");
  EXPECT_EQ(c->type("y"), "f32[?]");
}

TEST(ShapeInferenceTest, ReportsNegativeAndOverflowingDims) {
  EXPECT_THAT(diagnose("graph g(%a: f32[2, ?], %b: f32[2, 5]) {\n"
                       "  %y = concat(%a, %b) : f32[2, 3]\n"
                       "  return %y\n"
                       "}\n"),
              HasSubstr("concat '%y': dim 1 of x1 '%a' would be -2 (the sum "
                        "along axis)"));
  EXPECT_THAT(diagnose("graph g(%x: f32[2, 4294967296, 4294967296]) {\n"
                       "  %y = flatten(%x)\n"
                       "  return %y\n"
                       "}\n"),
              HasSubstr("overflows 64-bit arithmetic"));
}

TEST(ShapeInferenceTest, InformationFlowsBackwardThroughAChain) {
  // Only the last op's declared type says how wide %x is.
  auto c = compile("graph g(%x: f32[?, ?]) {\n"
                   "  %a = relu(%x)\n"
                   "  %b = tanh(%a)\n"
                   "  %c = transpose(%b)\n"
                   "  %y = sigmoid(%c) : f32[7, 3]\n"
                   "  return %y\n"
                   "}\n");
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("x"), "f32[3, 7]");
  EXPECT_EQ(c->type("a"), "f32[3, 7]");
}

TEST(ShapeInferenceTest, InferenceIsIdempotent) {
  auto c = compile(kMlp, {"%x=f32[N,20]"});
  ASSERT_EQ(c->errors, "");
  std::string once = print(*c->module);
  ASSERT_FALSE(bool(inferShapes(c->graph())));
  EXPECT_EQ(print(*c->module), once);
}

TEST(ShapeInferenceTest, HasCompleteSignatureNeedsEveryDimDetermined) {
  auto c = compile("graph g(%x: f32[N, 3], %y: f32[?]) {\n  return %x\n}\n", {},
                   /*infer=*/false);
  ASSERT_EQ(c->errors, "");
  EXPECT_FALSE(hasCompleteSignature(c->graph()));
  auto d = compile("graph g(%x: f32[N, 3], %y: f32[]) {\n  return %x\n}\n", {},
                   /*infer=*/false);
  ASSERT_EQ(d->errors, "");
  EXPECT_TRUE(hasCompleteSignature(d->graph()));
}

//===----------------------------------------------------------------------===//
// Binding inputs
//===----------------------------------------------------------------------===//

constexpr const char *kTwoInputs = "graph g(%x: f32[?, 20], %y: f32[N, 5], "
                                   "%z: f32[N, M]) {\n"
                                   "  %h = relu(%x)\n"
                                   "  return %h\n"
                                   "}\n";

TEST(BindInputsTest, RejectsDifferentElementType) {
  EXPECT_EQ(bindErrors(kTwoInputs, {"%x=i64[2,20]"}),
            "cannot bind input '%x' of graph 'g' to i64[2, 20]: it is "
            "declared f32[?, 20]");
}

TEST(BindInputsTest, RejectsDifferentRank) {
  EXPECT_EQ(bindErrors(kTwoInputs, {"%x=f32[2]"}),
            "cannot bind input '%x' of graph 'g' to f32[2]: it is declared "
            "f32[?, 20] (the ranks differ)");
  EXPECT_THAT(bindErrors(kTwoInputs, {"%x=f32[*]"}),
              HasSubstr("(the ranks differ)"));
}

TEST(BindInputsTest, RejectsDifferentDeclaredSize) {
  EXPECT_EQ(bindErrors(kTwoInputs, {"%x=f32[2,30]"}),
            "cannot bind input '%x' of graph 'g' to f32[2, 30]: it is "
            "declared f32[?, 20] (dim 1 differs)");
}

TEST(BindInputsTest, RejectsNamesThatAreNotInputs) {
  EXPECT_EQ(bindErrors(kTwoInputs, {"%q=f32[2]"}),
            "graph 'g' has no input '%q'");
  EXPECT_EQ(bindErrors(kTwoInputs, {"%h=f32[2, 20]"}),
            "graph 'g' has no input '%h' (it is a value defined by an op)");
}

TEST(BindInputsTest, RejectsSymbolBoundToTwoValues) {
  EXPECT_THAT(bindErrors(kTwoInputs, {"%y=f32[2,5]", "%z=f32[3,4]"}),
              HasSubstr("symbol N of graph 'g' is bound to both 2 and 3"));
}

TEST(BindInputsTest, RejectsInputBoundToTwoTypes) {
  EXPECT_EQ(bindErrors(kTwoInputs, {"%x=f32[2,20]", "%x=f32[3,20]"}),
            "input '%x' of graph 'g' is bound to both f32[2, 20] and "
            "f32[3, 20]");
  // Saying the same thing twice is fine.
  EXPECT_EQ(bindErrors(kTwoInputs, {"%x=f32[2,20]", "x=f32[2, 20]"}), "");
}

TEST(BindInputsTest, UnknownInABindingKeepsTheDeclaredDim) {
  std::unique_ptr<Compiled> c;
  ASSERT_EQ(bindErrors(kTwoInputs, {"%y=f32[?,5]", "%x=f32[3,?]"}, &c), "");
  EXPECT_EQ(c->type("y"), "f32[N, 5]");
  EXPECT_EQ(c->type("z"), "f32[N, M]");
  EXPECT_EQ(c->type("x"), "f32[3, 20]");
}

TEST(BindInputsTest, ReportsEveryBindingErrorTogether) {
  std::string errors =
      bindErrors(kTwoInputs, {"%x=i64[2,20]", "%q=f32[1]", "%y=f32[2]"});
  EXPECT_THAT(errors, HasSubstr("cannot bind input '%x'"));
  EXPECT_THAT(errors, HasSubstr("graph 'g' has no input '%q'"));
  EXPECT_THAT(errors, HasSubstr("cannot bind input '%y' of graph 'g' to "
                                "f32[2]: it is declared f32[N, 5] (the ranks "
                                "differ)"));
}

TEST(BindInputsTest, FillsUnknownsAndKeepsDeclaredSizes) {
  std::unique_ptr<Compiled> c;
  ASSERT_EQ(bindErrors(kTwoInputs, {"%x=f32[B,20]"}, &c), "");
  EXPECT_EQ(c->type("x"), "f32[B, 20]");
  EXPECT_EQ(c->type("y"), "f32[N, 5]");
}

TEST(BindInputsTest, SubstitutesABoundSymbolInEveryInput) {
  std::unique_ptr<Compiled> c;
  ASSERT_EQ(bindErrors(kTwoInputs, {"%y=f32[2,5]"}, &c), "");
  EXPECT_EQ(c->type("y"), "f32[2, 5]");
  EXPECT_EQ(c->type("z"), "f32[2, M]");
  EXPECT_EQ(c->type("x"), "f32[?, 20]");

  std::unique_ptr<Compiled> e;
  ASSERT_EQ(bindErrors(kTwoInputs, {"%y=f32[2 * K, 5]"}, &e), "");
  EXPECT_EQ(e->type("z"), "f32[2 * K, M]");
}

TEST(BindInputsTest, BoundSymbolFlowsThroughInference) {
  auto c = compile("graph g(%x: f32[N, 20], %y: f32[N, 5]) {\n"
                   "  %c = concat(%x, %y)\n"
                   "  %w = param\n"
                   "  %d = dense(%c, %w, units=3)\n"
                   "  return %d\n"
                   "}\n",
                   {"%x=f32[2,20]"});
  ASSERT_EQ(c->errors, "");
  EXPECT_EQ(c->type("y"), "f32[2, 5]");
  EXPECT_EQ(c->type("c"), "f32[2, 25]");
  EXPECT_EQ(c->type("d"), "f32[2, 3]");
  EXPECT_EQ(c->type("w"), "f32[3, 25]");
}

// A symbol bound to a value takes that value everywhere, including in the
// types declared on ops (as a printed, inferred graph has them).
TEST(BindInputsTest, BoundSymbolReplacesItInDeclaredTypesToo) {
  auto c = compile("graph g(%x: f32[N, 20]) {\n"
                   "  %h = relu(%x) : f32[N, 20]\n"
                   "  return %h\n"
                   "}\n",
                   {"%x=f32[2,20]"});
  EXPECT_EQ(c->errors, "");
  EXPECT_EQ(c->type("h"), "f32[2, 20]");
}

TEST(BindInputsTest, BindingAPrintedGraphGivesTheSameShapesAsBindingTheSource) {
  auto source = compile(kMlp, {"%x=f32[N,20]"});
  ASSERT_EQ(source->errors, "");
  auto bound = compile(print(*source->module), {"%x=f32[2,20]"});
  EXPECT_EQ(bound->errors, "");
  auto direct = compile(kMlp, {"%x=f32[2,20]"});
  ASSERT_EQ(direct->errors, "");
  if (bound->module) {
    EXPECT_EQ(print(*bound->module), print(*direct->module));
  }
}

} // namespace
