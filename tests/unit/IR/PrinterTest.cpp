//===- PrinterTest.cpp - Writing graphs as text, JSON and DOT -------------===//
//
// The text form must round-trip: printing a parsed graph and parsing the
// result gives a graph that prints identically, with every attribute equal,
// before and after shape inference. The JSON and DOT forms are checked for
// the fields and edges their readers rely on.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "llvm/Support/JSON.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>

using namespace shapeflow;
using namespace shapeflow::test;
using ::testing::HasSubstr;

namespace {

/// Parses `text` without verifying it: the printer must round-trip any
/// graph the parser accepts.
std::unique_ptr<Compiled> parseOnly(llvm::StringRef text) {
  auto c = std::make_unique<Compiled>();
  auto module = parseModuleString(text, c->srcMgr, "test.sfg");
  if (!module) {
    c->errors = llvm::toString(module.takeError());
    return c;
  }
  c->module = std::move(*module);
  return c;
}

/// Checks that two modules have the same graphs, nodes and attributes.
void expectSameStructure(const Module &a, const Module &b) {
  ASSERT_EQ(a.graphs.size(), b.graphs.size());
  for (size_t g = 0; g < a.graphs.size(); ++g) {
    const Graph &ga = *a.graphs[g], &gb = *b.graphs[g];
    EXPECT_EQ(ga.getName(), gb.getName());
    ASSERT_EQ(ga.getInputs().size(), gb.getInputs().size());
    for (size_t i = 0; i < ga.getInputs().size(); ++i)
      EXPECT_EQ(ga.getInputs()[i]->getType(), gb.getInputs()[i]->getType());
    ASSERT_EQ(ga.getNodes().size(), gb.getNodes().size());
    for (size_t n = 0; n < ga.getNodes().size(); ++n) {
      const Node &na = *ga.getNodes()[n], &nb = *gb.getNodes()[n];
      EXPECT_EQ(na.getName(), nb.getName());
      EXPECT_EQ(na.getOpName(), nb.getOpName());
      EXPECT_EQ(na.getNumOperands(), nb.getNumOperands());
      // Attribute equality compares floats exactly.
      EXPECT_TRUE(na.getAttrs() == nb.getAttrs()) << na.describe();
      EXPECT_EQ(na.getResult().getType(), nb.getResult().getType())
          << na.describe();
    }
  }
}

constexpr const char *kEveryAttributeKind = R"(
graph kinds(%x: f32[N, 3, H, W], %ids: i64[N, ?], %s: f32[]) {
  %w = param(init=xavier(magnitude=2.24, rnd_type="gaussian", factor_type=avg)) : f32[*]
  %b = param(init=zeros)
  %u = param
  %i = relu(%x, small=-9223372036854775808, big=9223372036854775807, zero=0, neg=-3)
  %f = relu(%i, a=1e-5, b=2.24, c=0.1, d=1.0, e=-0.0, g=1e20, h=2.5e-7, k=0.30000000000000004, l=123456789.125, m=5e-324, n=1.7976931348623157e308, o=-100.0)
  %t = relu(%f, yes=true, no=false, name=uniform)
  %q = relu(%t, plain="abc", quoted="say \"hi\"", slash="a\\b", ws="tab\there\nnewline", empty="", hash="#not a comment")
  %l = relu(%q, ints=[1, -2, 3], nested=[1, [2, [3, []]], "s", 0.5, name, true], empty=[])
  %c = relu(%l, init=outer(inner=f(), v=[1.5, -2], s="x", deep=a(b=c(d=1))))
  %z = relu(%c) : f32[N, 3, (H + 1) // 2, 2 * W + 1]
  %m = relu(%z) : f32[H % 4, -H + 10, ?, N * H, (H // 2) * W]
  return %m, %u
}

graph second(%x: f32[2]) {
  %y = relu(%x)
  return %y
}
)";

TEST(PrinterTest, RoundTripsEveryAttributeKindAndType) {
  auto first = parseOnly(kEveryAttributeKind);
  ASSERT_EQ(first->errors, "");
  std::string text = print(*first->module);

  auto second = parseOnly(text);
  ASSERT_EQ(second->errors, "") << text;
  EXPECT_EQ(print(*second->module), text);
  expectSameStructure(*first->module, *second->module);
}

TEST(PrinterTest, PrintsFloatsWithFewestDigitsThatReadBack) {
  auto c = parseOnly(kEveryAttributeKind);
  ASSERT_EQ(c->errors, "");
  std::string text = print(*c->module);
  for (const char *expected :
       {"a=1e-05", "b=2.24", "c=0.1", "d=1.0", "e=-0.0", "g=1e+20", "h=2.5e-07",
        "k=0.30000000000000004", "l=123456789.125", "o=-1e+02",
        "magnitude=2.24", "v=[1.5, -2]"})
    EXPECT_THAT(text, HasSubstr(expected));
}

TEST(PrinterTest, PrintsStringsWithEscapes) {
  auto c = parseOnly(kEveryAttributeKind);
  ASSERT_EQ(c->errors, "");
  std::string text = print(*c->module);
  EXPECT_THAT(text, HasSubstr(R"(quoted="say \"hi\"")"));
  EXPECT_THAT(text, HasSubstr(R"(slash="a\\b")"));
  EXPECT_THAT(text, HasSubstr(R"(ws="tab\there\nnewline")"));
  EXPECT_THAT(text, HasSubstr(R"(empty="")"));
  EXPECT_THAT(text, HasSubstr(R"(hash="#not a comment")"));
}

TEST(PrinterTest, PrintsOtherAttributeKindsAsWritten) {
  auto c = parseOnly(kEveryAttributeKind);
  ASSERT_EQ(c->errors, "");
  std::string text = print(*c->module);
  EXPECT_THAT(text, HasSubstr("small=-9223372036854775808, "
                              "big=9223372036854775807, zero=0, neg=-3"));
  EXPECT_THAT(text, HasSubstr("yes=true, no=false, name=uniform"));
  EXPECT_THAT(text, HasSubstr("nested=[1, [2, [3, []]], \"s\", 0.5, name, "
                              "true], empty=[]"));
  EXPECT_THAT(text, HasSubstr("init=outer(inner=f(), v=[1.5, -2], s=\"x\", "
                              "deep=a(b=c(d=1)))"));
}

TEST(PrinterTest, PrintsSignatureTypesAndBareParams) {
  auto c = parseOnly(kEveryAttributeKind);
  ASSERT_EQ(c->errors, "");
  std::string text = print(*c->module);
  EXPECT_THAT(text, HasSubstr("graph kinds(%x: f32[N, 3, H, W], "
                              "%ids: i64[N, ?], %s: f32[]) {\n"));
  EXPECT_THAT(text, HasSubstr("  %u = param : f32[*]\n"));
  EXPECT_THAT(text, HasSubstr("  %b = param(init=zeros) : f32[*]\n"));
  EXPECT_THAT(text, HasSubstr(": f32[N, 3, (H + 1) // 2, 2 * W + 1]\n"));
  EXPECT_THAT(text, HasSubstr(": f32[H % 4, -H + 10, ?, H * N, (H // 2) * W]"
                              "\n"));
  EXPECT_THAT(text, HasSubstr("  return %m, %u\n}\n\ngraph second("));
}

constexpr const char *kCnn = R"(
graph cnn(%x: f32[N, 3, H, W]) {
  %c1.weight = param(init=xavier(magnitude=2.24))
  %c1.bias = param(init=zeros)
  %c1 = conv2d(%x, %c1.weight, %c1.bias, channels=8, kernel=[3, 3], stride=[2, 2], padding=[1, 1])
  %bn.gamma = param(init=ones)
  %bn.beta = param(init=zeros)
  %bn.mean = param(init=zeros)
  %bn.var = param(init=ones)
  %bn = batch_norm(%c1, %bn.gamma, %bn.beta, %bn.mean, %bn.var, eps=1e-5)
  %r = relu(%bn)
  %p = max_pool2d(%r, kernel=3, stride=2, ceil_mode=true)
  %dw.weight = param
  %dw = conv2d(%p, %dw.weight, channels=8, kernel=3, padding=1, groups=8)
  %g = global_avg_pool2d(%dw)
  %f = flatten(%g)
  %d = dropout(%f, rate=0.1)
  %fc.weight = param
  %fc.bias = param(init=zeros)
  %y = dense(%d, %fc.weight, %fc.bias, units=10)
  %s = softmax(%y)
  return %s
}
)";

/// Prints a compiled module, compiles the text again and checks that it
/// prints the same.
void expectInferredRoundTrip(llvm::StringRef text,
                             std::vector<std::string> bindings) {
  auto first = compile(text, bindings);
  ASSERT_EQ(first->errors, "");
  std::string printed = print(*first->module);

  auto second = compile(printed);
  ASSERT_EQ(second->errors, "") << printed;
  EXPECT_EQ(print(*second->module), printed);
  expectSameStructure(*first->module, *second->module);
}

TEST(PrinterTest, RoundTripsSymbolicShapesAfterInference) {
  expectInferredRoundTrip(kCnn, {});
  auto c = compile(kCnn);
  ASSERT_EQ(c->errors, "");
  std::string text = print(*c->module);
  EXPECT_THAT(text, HasSubstr("padding=[1, 1]) : f32[N, 8, (H + 1) // 2, "
                              "(W + 1) // 2]\n"));
  EXPECT_THAT(text, HasSubstr("ceil_mode=true) : f32[N, 8, (H + 1) // 4, "
                              "(W + 1) // 4]\n"));
  EXPECT_THAT(text, HasSubstr("%dw.weight = param : f32[8, 1, 3, 3]\n"));
  EXPECT_THAT(text, HasSubstr("%fc.weight = param : f32[10, 8]\n"));
}

TEST(PrinterTest, RoundTripsBoundShapesAfterInference) {
  expectInferredRoundTrip(kCnn, {"%x=f32[2,3,32,32]"});
  expectInferredRoundTrip(kCnn, {"%x=f32[N,3,224,W]"});
}

TEST(PrinterTest, RoundTripsUnresolvedShapesAfterInference) {
  // Without a complete signature unknown dims stay `?` and unranked
  // parameters stay `[*]`; both read back as the same constraints.
  expectInferredRoundTrip(R"(
graph open(%x: f32[?, ?]) {
  %w = param
  %h = dense(%x, %w, units=4)
  %u = param
  return %h, %u
}
)",
                          {});
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

constexpr const char *kJsonGraphs = R"(
graph g(%x: f32[N, ?], %ids: i64[3]) {
  %w = param
  %b = param(init=zeros)
  %h = dense(%x, %w, %b, units=4)
  %u = param
  %a = relu(%h)
  return %a, %h
}

graph k(%v: f32[2, 5]) {
  %y = relu(%v)
  return %y
}
)";

std::string toJSON(const Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printModuleJSON(module, os);
  return os.str();
}

/// The names of the entries of a JSON array of values.
std::vector<std::string> namesOf(const llvm::json::Array *entries) {
  std::vector<std::string> names;
  if (!entries)
    return names;
  for (const llvm::json::Value &e : *entries)
    if (const llvm::json::Object *o = e.getAsObject())
      if (auto name = o->getString("name"))
        names.push_back(name->str());
  return names;
}

/// A JSON value as compact text: `4`, `"N"`, `null`.
std::string jsonText(const llvm::json::Value *v) {
  if (!v)
    return "<missing>";
  std::string text;
  llvm::raw_string_ostream os(text);
  os << *v;
  return os.str();
}

const llvm::json::Object *findEntry(const llvm::json::Array *entries,
                                    llvm::StringRef name) {
  if (!entries)
    return nullptr;
  for (const llvm::json::Value &e : *entries)
    if (const llvm::json::Object *o = e.getAsObject())
      if (o->getString("name") == name)
        return o;
  return nullptr;
}

TEST(PrinterTest, JSONListsGraphsWithTheirValues) {
  auto c = compile(kJsonGraphs);
  ASSERT_EQ(c->errors, "");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(toJSON(*c->module));
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  ASSERT_NE(root, nullptr);
  const llvm::json::Array *graphs = root->getArray("graphs");
  ASSERT_NE(graphs, nullptr);
  ASSERT_EQ(graphs->size(), 2u);

  const llvm::json::Object *g = (*graphs)[0].getAsObject();
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->getString("name"), llvm::StringRef("g"));
  EXPECT_EQ(namesOf(g->getArray("inputs")),
            (std::vector<std::string>{"x", "ids"}));
  EXPECT_EQ(namesOf(g->getArray("params")),
            (std::vector<std::string>{"w", "b", "u"}));
  // Parameters are listed once, under params.
  EXPECT_EQ(namesOf(g->getArray("values")),
            (std::vector<std::string>{"h", "a"}));
  EXPECT_EQ(namesOf(g->getArray("outputs")),
            (std::vector<std::string>{"a", "h"}));
  EXPECT_EQ((*graphs)[1].getAsObject()->getString("name"),
            llvm::StringRef("k"));
}

TEST(PrinterTest, JSONObjectsHaveExactlyTheDocumentedMembersInOrder) {
  auto c = compile(kJsonGraphs);
  ASSERT_EQ(c->errors, "");
  std::string text = toJSON(*c->module);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  EXPECT_EQ(root->size(), 1u);
  const llvm::json::Object *g = (*root->getArray("graphs"))[0].getAsObject();
  EXPECT_EQ(g->size(), 5u);
  for (const char *key : {"inputs", "params", "values", "outputs"})
    for (const llvm::json::Value &v : *g->getArray(key))
      EXPECT_EQ(v.getAsObject()->size(), 3u) << key;

  // The members come in the documented order.
  size_t name = text.find("\"name\""), inputs = text.find("\"inputs\""),
         params = text.find("\"params\""), values = text.find("\"values\""),
         outputs = text.find("\"outputs\"");
  EXPECT_LT(name, inputs);
  EXPECT_LT(inputs, params);
  EXPECT_LT(params, values);
  EXPECT_LT(values, outputs);
  size_t dtype = text.find("\"dtype\"", inputs),
         shape = text.find("\"shape\"", inputs),
         entryName = text.find("\"name\"", inputs);
  EXPECT_LT(entryName, dtype);
  EXPECT_LT(dtype, shape);
  EXPECT_EQ(text.back(), '\n');
}

TEST(PrinterTest, JSONScalarShapeIsAnEmptyArray) {
  auto c = compile("graph s(%x: f32[]) {\n  %y = relu(%x)\n  return %y\n}\n");
  ASSERT_EQ(c->errors, "");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(toJSON(*c->module));
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *g =
      (*json->getAsObject()->getArray("graphs"))[0].getAsObject();
  EXPECT_EQ(jsonText(findEntry(g->getArray("values"), "y")->get("shape")),
            "[]");
}

TEST(PrinterTest, JSONShapesAreIntegersWhenKnownAndStringsOtherwise) {
  auto c = compile(kJsonGraphs);
  ASSERT_EQ(c->errors, "");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(toJSON(*c->module));
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *g =
      (*json->getAsObject()->getArray("graphs"))[0].getAsObject();

  const llvm::json::Object *x = findEntry(g->getArray("inputs"), "x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->getString("dtype"), llvm::StringRef("f32"));
  const llvm::json::Array *xs = x->getArray("shape");
  ASSERT_NE(xs, nullptr);
  ASSERT_EQ(xs->size(), 2u);
  EXPECT_EQ(jsonText(&(*xs)[0]), "\"N\"");
  EXPECT_EQ(jsonText(&(*xs)[1]), "\"?\"");

  const llvm::json::Object *ids = findEntry(g->getArray("inputs"), "ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->getString("dtype"), llvm::StringRef("i64"));
  EXPECT_EQ(jsonText(ids->get("shape")), "[3]");

  const llvm::json::Object *w = findEntry(g->getArray("params"), "w");
  ASSERT_NE(w, nullptr);
  const llvm::json::Array *ws = w->getArray("shape");
  ASSERT_NE(ws, nullptr);
  ASSERT_EQ(ws->size(), 2u);
  EXPECT_EQ(jsonText(&(*ws)[0]), "4");
  EXPECT_EQ(jsonText(&(*ws)[1]), "\"?\"");

  const llvm::json::Object *h = findEntry(g->getArray("values"), "h");
  ASSERT_NE(h, nullptr);
  const llvm::json::Array *hs = h->getArray("shape");
  ASSERT_NE(hs, nullptr);
  EXPECT_EQ(jsonText(&(*hs)[0]), "\"N\"");
  EXPECT_EQ(jsonText(&(*hs)[1]), "4");

  // A parameter nothing uses has no rank: its shape is null.
  const llvm::json::Object *u = findEntry(g->getArray("params"), "u");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(jsonText(u->get("shape")), "null");
}

TEST(PrinterTest, JSONPrintsSymbolicExpressionsAsPythonText) {
  auto c = compile(kCnn);
  ASSERT_EQ(c->errors, "");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse(toJSON(*c->module));
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *g =
      (*json->getAsObject()->getArray("graphs"))[0].getAsObject();
  const llvm::json::Object *c1 = findEntry(g->getArray("values"), "c1");
  ASSERT_NE(c1, nullptr);
  const llvm::json::Array *shape = c1->getArray("shape");
  ASSERT_NE(shape, nullptr);
  ASSERT_EQ(shape->size(), 4u);
  EXPECT_EQ(jsonText(&(*shape)[1]), "8");
  EXPECT_EQ(jsonText(&(*shape)[2]), "\"(H + 1) // 2\"");
}

//===----------------------------------------------------------------------===//
// DOT
//===----------------------------------------------------------------------===//

TEST(PrinterTest, DotLabelsEdgesWithTypes) {
  auto c = compile(R"(
graph g(%x: f32[N, ?]) {
  %w = param
  %b = param(init=zeros)
  %h = dense(%x, %w, %b, units=4)
  %a = relu(%h)
  return %a
}

graph k(%v: f32[2, 5]) {
  %y = relu(%v)
  return %y
}
)",
                   {"%x=f32[N,20]"});
  ASSERT_EQ(c->errors, "");
  std::string dot;
  llvm::raw_string_ostream os(dot);
  printModuleDot(*c->module, os);
  os.flush();
  EXPECT_THAT(dot, HasSubstr("digraph \"g\" {"));
  EXPECT_THAT(dot, HasSubstr("digraph \"k\" {"));
  EXPECT_THAT(dot, HasSubstr("\"%x\" -> \"%h\" [label=\"f32[N, 20]\"];"));
  EXPECT_THAT(dot, HasSubstr("\"%w\" -> \"%h\" [label=\"f32[4, 20]\"];"));
  EXPECT_THAT(dot, HasSubstr("\"%b\" -> \"%h\" [label=\"f32[4]\"];"));
  EXPECT_THAT(dot, HasSubstr("\"%h\" -> \"%a\" [label=\"f32[N, 4]\"];"));
  EXPECT_THAT(dot, HasSubstr("\"%a\" -> \"return\" [label=\"f32[N, 4]\"];"));
  EXPECT_THAT(dot, HasSubstr("\"%x\" [shape=ellipse];"));
}

// In a DOT label, `\n` is a line break and `\\` a backslash: the label
// must break between the value's name and its op.
TEST(PrinterTest, DotNodeLabelsBreakLineBetweenNameAndOp) {
  auto c = compile(R"(
graph g(%x: f32[2]) {
  %w = param : f32[2]
  %y = add(%x, %w)
  return %y
}
)");
  ASSERT_EQ(c->errors, "");
  std::string dot;
  llvm::raw_string_ostream os(dot);
  printModuleDot(*c->module, os);
  os.flush();
  EXPECT_THAT(dot, HasSubstr(R"("%w" [label="%w\nparam", style=dashed];)"));
  EXPECT_THAT(dot, HasSubstr(R"("%y" [label="%y\nadd"];)"));
}

TEST(PrinterTest, ParamTableListsEveryParameter) {
  auto open = compile(kJsonGraphs);
  ASSERT_EQ(open->errors, "");
  std::string table;
  llvm::raw_string_ostream os(table);
  printParamTable(*open->module, os);
  os.flush();
  EXPECT_THAT(table, HasSubstr("graph  name  shape   dtype  init\n"));
  EXPECT_THAT(table, HasSubstr("g      %w    [4, ?]  f32    (default)\n"));
  EXPECT_THAT(table, HasSubstr("g      %b    [4]     f32    zeros\n"));
  EXPECT_THAT(table, HasSubstr("g      %u    [*]     f32    (default)\n"));
}

} // namespace
