//===- VerifierTest.cpp - Structural checks of a graph --------------------===//
//
// Every fault the verifier knows, by its message, and that one run reports
// them all. Cycles must name the nodes on the cycle only.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "shapeflow/Support/Diag.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

/// Parses `text` (which must parse) and verifies its first graph. Returns
/// the diagnostics as a tool prints them, with `test.sfg:L:C:` locations,
/// or "" when the graph verifies.
std::string verify(llvm::StringRef text) {
  llvm::SourceMgr srcMgr;
  auto module = parseModuleString(text, srcMgr, "test.sfg");
  if (!module) {
    ADD_FAILURE() << "parse error: " << llvm::toString(module.takeError());
    return "<parse error>";
  }
  llvm::Error err = verifyGraph(*(*module)->graphs[0]);
  if (!err)
    return "";
  std::string out;
  llvm::raw_string_ostream os(out);
  printDiagnostics(std::move(err), &srcMgr, "test", os);
  return os.str();
}

/// A graph with input %x: f32[2, 3] and the given body, returning %y.
std::string graph(llvm::StringRef body) {
  return "graph g(%x: f32[2, 3]) {\n" + body.str() + "\n  return %y\n}\n";
}

TEST(VerifierTest, AcceptsAWellFormedGraph) {
  EXPECT_EQ(verify(graph("  %w = param(init=xavier(magnitude=2))\n"
                         "  %y = dense(%x, %w, units=4, flatten=false)")),
            "");
}

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

TEST(VerifierTest, ReportsDuplicateNamesWithNote) {
  std::string errors = verify(graph("  %h = relu(%x)\n"
                                    "  %h = tanh(%x)\n"
                                    "  %y = relu(%h)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:3: error: '%h' is defined more "
                                "than once in graph 'g'"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:3: note: first defined here"));
}

TEST(VerifierTest, ReportsNodeRedefiningAnInput) {
  std::string errors = verify(graph("  %x = relu(%x)\n"
                                    "  %y = relu(%x)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:3: error: '%x' is defined more "
                                "than once in graph 'g'"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:1:9: note: first defined here"));
}

TEST(VerifierTest, ReportsDuplicateInputs) {
  std::string errors =
      verify("graph g(%x: f32[2], %x: f32[3]) {\n  return %x\n}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:1:21: error: '%x' is defined more "
                                "than once in graph 'g'"));
}

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

TEST(VerifierTest, ReportsWrongOperandCounts) {
  EXPECT_THAT(verify(graph("  %y = relu(%x, %x)")),
              HasSubstr("test.sfg:2:8: error: relu '%y' takes 1 operand (x), "
                        "got 2"));
  EXPECT_THAT(verify(graph("  %y = add(%x)")),
              HasSubstr("add '%y' takes 2 operands (a, b), got 1"));
  EXPECT_THAT(verify(graph("  %y = dense(%x, units=3)")),
              HasSubstr("dense '%y' takes 2 to 3 operands (x, weight, bias), "
                        "got 1"));
  EXPECT_THAT(verify(graph("  %w = param\n"
                           "  %y = dense(%x, %w, %w, %w, units=3)")),
              HasSubstr("dense '%y' takes 2 to 3 operands (x, weight, bias), "
                        "got 4"));
  EXPECT_THAT(verify(graph("  %y = concat()")),
              HasSubstr("concat '%y' takes 1 or more operands (x, ...), got "
                        "0"));
  EXPECT_THAT(verify(graph("  %y = batch_norm(%x, %x)")),
              HasSubstr("batch_norm '%y' takes 5 operands (x, gamma, beta, "
                        "running_mean, running_var), got 2"));
  EXPECT_THAT(verify("graph g(%x: f32[2]) {\n  %y = param(%x)\n"
                     "  return %y\n}\n"),
              HasSubstr("test.sfg:2:8: error: param '%y' takes no operands, "
                        "got 1"));
}

TEST(VerifierTest, AcceptsManyOperandsForVariadicOps) {
  EXPECT_EQ(verify(graph("  %y = concat(%x, %x, %x, %x, %x, axis=0)")), "");
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

TEST(VerifierTest, ReportsUnknownAttributeWithSuggestion) {
  std::string errors = verify(graph("  %w = param\n"
                                    "  %y = dense(%x, %w, unit=10)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:22: error: dense '%y' has no "
                                "attribute 'unit' (did you mean 'units'?)"));
  EXPECT_THAT(errors, HasSubstr("dense '%y' needs attribute 'units' (an "
                                "integer)"));

  EXPECT_THAT(verify(graph("  %y = conv2d(%x, %x, channels=3, kernel=3, "
                           "stirde=2)")),
              HasSubstr("has no attribute 'stirde' (did you mean "
                        "'stride'?)"));
}

TEST(VerifierTest, ReportsUnknownAttributeWithoutSuggestionWhenNothingIsClose) {
  std::string errors = verify(graph("  %y = relu(%x, alpha=0.1)"));
  EXPECT_THAT(errors, HasSubstr("relu '%y' has no attribute 'alpha'"));
  EXPECT_THAT(errors, Not(HasSubstr("did you mean")));
  std::string far = verify(graph("  %w = param\n"
                                 "  %y = dense(%x, %w, units=3, "
                                 "bananas=1)"));
  EXPECT_THAT(far, HasSubstr("dense '%y' has no attribute 'bananas'"));
  EXPECT_THAT(far, Not(HasSubstr("did you mean")));
}

TEST(VerifierTest, ReportsAttributeOfTheWrongKind) {
  struct Case {
    const char *body, *message;
  } cases[] = {
      {"  %w = param\n  %y = dense(%x, %w, units=2.5)",
       "dense '%y': attribute 'units' must be an integer, got 2.5"},
      {"  %w = param\n  %y = dense(%x, %w, units=3, flatten=1)",
       "dense '%y': attribute 'flatten' must be true or false, got 1"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=[3])",
       "conv2d '%y': attribute 'kernel' must be an integer or a list of two "
       "integers, got [3]"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=[3, 3, 3])",
       "attribute 'kernel' must be an integer or a list of two integers, got "
       "[3, 3, 3]"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=[3, 2.0])",
       "attribute 'kernel' must be an integer or a list of two integers, got "
       "[3, 2.0]"},
      {"  %y = dropout(%x, rate=\"high\")",
       "dropout '%y': attribute 'rate' must be a number, got \"high\""},
      {"  %y = reshape(%x, shape=6)",
       "reshape '%y': attribute 'shape' must be a list of integers, got 6"},
      {"  %w = param(init=3)\n  %y = relu(%w)",
       "param '%w': attribute 'init' must be an initializer (a name or a call "
       "such as xavier(magnitude=2)), got 3"},
      {"  %y = softmax(%x, axis=last)",
       "softmax '%y': attribute 'axis' must be an integer, got last"},
  };
  for (const Case &c : cases)
    EXPECT_THAT(verify(graph(c.body)), HasSubstr(c.message)) << c.body;
}

TEST(VerifierTest, ReportsNameOutsideItsChoices) {
  EXPECT_THAT(verify(graph("  %w = param(role=wieght)\n"
                           "  %y = relu(%w)")),
              HasSubstr("param '%w': attribute 'role' must be one of weight, "
                        "bias, gamma, beta, running_mean, running_var, got "
                        "wieght"));
  EXPECT_EQ(verify(graph("  %w = param(role=bias, init=zeros)\n"
                         "  %y = add(%x, %w)")),
            "");
}

TEST(VerifierTest, AcceptsIntegerWhereANumberIsExpected) {
  EXPECT_EQ(verify(graph("  %y = dropout(%x, rate=0)")), "");
  EXPECT_EQ(verify(graph("  %y = conv2d(%x, %x, channels=3, kernel=3, "
                         "stride=[1, 2])")),
            "");
}

TEST(VerifierTest, ReportsAttributeBelowItsMinimum) {
  struct Case {
    const char *body, *message;
  } cases[] = {
      {"  %w = param\n  %y = dense(%x, %w, units=0)",
       "dense '%y': attribute 'units' must be at least 1, got 0"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=[3, 0])",
       "conv2d '%y': attribute 'kernel' must be at least 1, got [3, 0]"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=3, padding=-1)",
       "attribute 'padding' must be at least 0, got -1"},
      {"  %y = conv2d(%x, %x, channels=3, kernel=3, groups=0)",
       "attribute 'groups' must be at least 1, got 0"},
      {"  %y = max_pool2d(%x, kernel=2, stride=[1, 0])",
       "max_pool2d '%y': attribute 'stride' must be at least 1, got [1, 0]"},
      {"  %y = reshape(%x, shape=[-2, 3])",
       "reshape '%y': attribute 'shape' must be at least -1, got [-2, 3]"},
      {"  %y = transpose(%x, perm=[-1, 0])",
       "transpose '%y': attribute 'perm' must be at least 0, got [-1, 0]"},
      {"  %t = param\n  %y = embedding(%x, %t, input_dim=0, output_dim=4)",
       "embedding '%y': attribute 'input_dim' must be at least 1, got 0"},
  };
  for (const Case &c : cases)
    EXPECT_THAT(verify(graph(c.body)), HasSubstr(c.message)) << c.body;
}

TEST(VerifierTest, ReportsMissingRequiredAttributes) {
  std::string errors = verify(graph("  %y = conv2d(%x, %x)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:8: error: conv2d '%y' needs "
                                "attribute 'channels' (an integer)"));
  EXPECT_THAT(errors, HasSubstr("conv2d '%y' needs attribute 'kernel' (an "
                                "integer or a list of two integers)"));
  EXPECT_THAT(verify(graph("  %y = reshape(%x)")),
              HasSubstr("reshape '%y' needs attribute 'shape' (a list of "
                        "integers)"));
  EXPECT_THAT(verify(graph("  %t = param\n"
                           "  %y = embedding(%x, %t, input_dim=3)")),
              HasSubstr("embedding '%y' needs attribute 'output_dim'"));
}

TEST(VerifierTest, ReportsRepeatedAttribute) {
  std::string errors = verify(graph("  %w = param\n"
                                    "  %y = dense(%x, %w, units=3, units=4)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:3:31: error: dense '%y' has "
                                "attribute 'units' more than once"));
}

//===----------------------------------------------------------------------===//
// Inputs, outputs and cycles
//===----------------------------------------------------------------------===//

TEST(VerifierTest, ReportsInputWithoutRank) {
  std::string errors =
      verify("graph g(%x: f32[*], %i: i64[*]) {\n  return %x\n}\n");
  EXPECT_THAT(errors, HasSubstr("test.sfg:1:9: error: input '%x' needs a "
                                "rank; write f32[?, ?] for two unknown dims "
                                "rather than f32[*]"));
  EXPECT_THAT(errors, HasSubstr("input '%i' needs a rank; write i64[?, ?] for "
                                "two unknown dims rather than i64[*]"));
}

TEST(VerifierTest, ReportsGraphThatReturnsNothing) {
  // The parser insists on a return; a graph built in code may lack one.
  Graph g("built");
  g.addInput("x", TensorType(DType::F32, {Dim(2)}));
  llvm::Error err = verifyGraph(g);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("graph 'built' returns nothing"));
}

TEST(VerifierTest, OrdersNodesTopologically) {
  auto c = compile(graph("  %y = relu(%h)\n"
                         "  %h = sigmoid(%g)\n"
                         "  %g = tanh(%x)"),
                   {}, /*infer=*/false);
  ASSERT_EQ(c->errors, "");
  auto nodes = c->graph().getNodes();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0]->getName(), "g");
  EXPECT_EQ(nodes[1]->getName(), "h");
  EXPECT_EQ(nodes[2]->getName(), "y");
}

TEST(VerifierTest, KeepsWrittenOrderWhereDependencesAllow) {
  auto c = compile(graph("  %b = relu(%x)\n"
                         "  %a = tanh(%x)\n"
                         "  %y = add(%a, %b)"),
                   {}, /*infer=*/false);
  ASSERT_EQ(c->errors, "");
  auto nodes = c->graph().getNodes();
  EXPECT_EQ(nodes[0]->getName(), "b");
  EXPECT_EQ(nodes[1]->getName(), "a");
  EXPECT_EQ(nodes[2]->getName(), "y");
}

TEST(VerifierTest, ReportsCycleThroughItsNodesOnly) {
  std::string errors = verify(graph("  %a = add(%x, %c)\n"
                                    "  %b = relu(%a)\n"
                                    "  %c = relu(%b)\n"
                                    "  %d = relu(%c)\n"
                                    "  %y = relu(%d)"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:2:8: error: graph 'g' has a cycle "
                                "through '%a', '%b', '%c'\n"));
  EXPECT_THAT(errors, HasSubstr("note: add '%a' is part of the cycle"));
  EXPECT_THAT(errors, HasSubstr("test.sfg:4:8: note: relu '%c' is part of the "
                                "cycle"));
  // %d and %y only depend on the cycle.
  EXPECT_THAT(errors, Not(HasSubstr("'%d'")));
  EXPECT_THAT(errors, Not(HasSubstr("'%y'")));
}

TEST(VerifierTest, ReportsSelfLoop) {
  std::string errors = verify(graph("  %a = relu(%a)\n"
                                    "  %y = relu(%x)"));
  EXPECT_THAT(errors, HasSubstr("graph 'g' has a cycle through '%a'\n"));
  EXPECT_THAT(errors, Not(HasSubstr("'%y'")));
}

// A node that merely connects two cycles is downstream of the first and
// upstream of the second, but on neither.
TEST(VerifierTest, DoesNotNameNodesBetweenTwoCycles) {
  std::string errors = verify(graph("  %a = add(%x, %b)\n"
                                    "  %b = relu(%a)\n"
                                    "  %m = relu(%b)\n"
                                    "  %c = add(%m, %d)\n"
                                    "  %d = relu(%c)\n"
                                    "  %y = relu(%d)"));
  EXPECT_THAT(errors, HasSubstr("'%a'"));
  EXPECT_THAT(errors, HasSubstr("'%d'"));
  EXPECT_THAT(errors, Not(HasSubstr("'%m'")));
  EXPECT_THAT(errors, Not(HasSubstr("relu '%m' is part of the cycle")));
}

TEST(VerifierTest, ReportsEveryFaultInOneRun) {
  std::string errors = verify("graph g(%x: f32[2, 3], %u: f32[*]) {\n"
                              "  %h = relu(%x, %x)\n"
                              "  %h = tanh(%x)\n"
                              "  %w = param(init=7)\n"
                              "  %d = dense(%h, %w, unit=4)\n"
                              "  %c = conv2d(%x, %w, channels=0, kernel=3, "
                              "kernel=3)\n"
                              "  %y = dropout(%c, rate=true)\n"
                              "  return %y\n"
                              "}\n");
  for (const char *message : {
           "'%h' is defined more than once in graph 'g'",
           "input '%u' needs a rank",
           "relu '%h' takes 1 operand (x), got 2",
           "param '%w': attribute 'init' must be an initializer",
           "dense '%d' has no attribute 'unit' (did you mean 'units'?)",
           "dense '%d' needs attribute 'units'",
           "conv2d '%c': attribute 'channels' must be at least 1, got 0",
           "conv2d '%c' has attribute 'kernel' more than once",
           "dropout '%y': attribute 'rate' must be a number, got true",
       })
    EXPECT_THAT(errors, HasSubstr(message));
}

} // namespace
