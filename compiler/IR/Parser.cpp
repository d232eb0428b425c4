//===- Parser.cpp - Reading the .sfg text format --------------------------===//
//
// A recursive-descent parser over the Lexer's tokens. Statements are first
// collected with their operand names; values are resolved when the graph's
// closing brace is reached, so every undefined name in a graph is reported
// in one go (and a use before its definition is allowed: the verifier orders
// the nodes and reports cycles).
//
//===----------------------------------------------------------------------===//

#include "shapeflow/IR/Parser.h"
#include "shapeflow/Support/Diag.h"

#include "Lexer.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdlib>

using namespace shapeflow;
using Kind = Token::Kind;

namespace {

/// An operand as written, before names are resolved.
struct OperandRef {
  llvm::StringRef name;
  llvm::SMLoc loc;
};

struct PendingNode {
  NodeSpec spec;
  std::vector<OperandRef> operandRefs;
};

class Parser {
public:
  explicit Parser(llvm::StringRef buffer) : lexer(buffer) { consume(); }

  llvm::Expected<std::unique_ptr<Module>> parseModule();
  llvm::Expected<TensorType> parseType();
  llvm::Error expectEnd();

private:
  // Tokens.
  void consume() { tok = lexer.next(); }
  llvm::Error errorHere(const llvm::Twine &message) const;
  llvm::Error expected(const char *what) const;
  llvm::Error expect(Kind kind);
  bool consumeIf(Kind kind) {
    if (!tok.is(kind))
      return false;
    consume();
    return true;
  }

  // Graphs and statements.
  llvm::Expected<std::unique_ptr<Graph>> parseGraph();
  llvm::Error parseInputs(Graph &graph);
  llvm::Error parseStatement(std::vector<PendingNode> &pending);
  llvm::Error parseReturn();
  llvm::Error parseArguments(PendingNode &node);
  llvm::Error resolve(Graph &graph, std::vector<PendingNode> &pending);

  // Attributes.
  llvm::Expected<Attribute> parseAttrValue();
  llvm::Expected<Attribute> parseNumber(bool negative);
  llvm::Expected<std::vector<NamedAttribute>> parseCallArgs();
  /// `key=value`; `what` describes what was expected, for the error.
  llvm::Expected<NamedAttribute> parseNamedAttr(const char *what);

  // Dimensions.
  llvm::Expected<Dim> parseDim();
  llvm::Expected<Dim> parseDimSum();
  llvm::Expected<Dim> parseDimProduct();
  llvm::Expected<Dim> parseDimUnary();
  llvm::Expected<Dim> parseDimPrimary();

  /// Counts nesting (parentheses, lists, unary minus) so that hostile
  /// input cannot exhaust the stack through recursion.
  class DepthGuard {
  public:
    explicit DepthGuard(Parser &p) : p(p) { ++p.depth; }
    ~DepthGuard() { --p.depth; }
    bool tooDeep() const { return p.depth > kMaxDepth; }

  private:
    Parser &p;
  };
  static constexpr unsigned kMaxDepth = 200;
  llvm::Error tooDeep() const {
    return errorHere("nesting is deeper than " + llvm::Twine(kMaxDepth) +
                     " levels");
  }

  Lexer lexer;
  Token tok;
  unsigned depth = 0;
  DiagCollector diags; // errors that do not stop the parse
  std::vector<OperandRef> returns;
};

llvm::Error Parser::errorHere(const llvm::Twine &message) const {
  if (tok.is(Kind::Error))
    return llvm::make_error<DiagError>(tok.loc, tok.text.str());
  return llvm::make_error<DiagError>(tok.loc, message.str());
}

llvm::Error Parser::expected(const char *what) const {
  std::string found = tok.is(Kind::Eof) ? std::string("end of file")
                                        : ("'" + tok.text + "'").str();
  if (tok.is(Kind::Value))
    found = ("'%" + tok.text + "'").str();
  return errorHere(llvm::Twine("expected ") + what + ", found " + found);
}

llvm::Error Parser::expect(Kind kind) {
  if (!tok.is(kind))
    return expected(Lexer::describe(kind));
  consume();
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<Module>> Parser::parseModule() {
  auto module = std::make_unique<Module>();
  llvm::StringMap<llvm::SMLoc> graphNames;
  while (!tok.is(Kind::Eof)) {
    // A syntax error ends the parse; errors found before it still count.
    if (!tok.isKeyword("graph"))
      return llvm::joinErrors(diags.take(), expected("'graph'"));
    auto graph = parseGraph();
    if (!graph)
      return llvm::joinErrors(diags.take(), graph.takeError());
    auto [it, inserted] =
        graphNames.try_emplace((*graph)->getName(), (*graph)->getLoc());
    if (!inserted)
      diags.error((*graph)->getLoc(),
                  "graph '" + (*graph)->getName().str() +
                      "' is defined more than once",
                  {{it->second, "first defined here"}});
    module->graphs.push_back(std::move(*graph));
  }
  if (llvm::Error err = diags.take())
    return err;
  return module;
}

llvm::Expected<std::unique_ptr<Graph>> Parser::parseGraph() {
  consume(); // 'graph'
  if (!tok.is(Kind::Ident))
    return expected("a graph name");
  auto graph = std::make_unique<Graph>(tok.text.str(), tok.loc);
  consume();

  if (llvm::Error err = parseInputs(*graph))
    return err;
  if (llvm::Error err = expect(Kind::LBrace))
    return err;

  std::vector<PendingNode> pending;
  returns.clear();
  bool sawReturn = false;
  while (!tok.is(Kind::RBrace)) {
    if (sawReturn)
      return errorHere("return must be the last statement of a graph");
    if (tok.isKeyword("return")) {
      sawReturn = true;
      if (llvm::Error err = parseReturn())
        return err;
      continue;
    }
    if (llvm::Error err = parseStatement(pending))
      return err;
  }
  consume(); // '}'

  if (llvm::Error err = resolve(*graph, pending))
    return err;
  return graph;
}

llvm::Error Parser::parseInputs(Graph &graph) {
  if (llvm::Error err = expect(Kind::LParen))
    return err;
  if (consumeIf(Kind::RParen))
    return llvm::Error::success();
  do {
    if (!tok.is(Kind::Value))
      return expected("an input such as %x");
    Token name = tok;
    consume();
    if (llvm::Error err = expect(Kind::Colon))
      return err;
    auto type = parseType();
    if (!type)
      return type.takeError();
    graph.addInput(name.text, std::move(*type), name.loc);
  } while (consumeIf(Kind::Comma));
  return expect(Kind::RParen);
}

llvm::Error Parser::parseReturn() {
  consume(); // 'return'
  do {
    if (!tok.is(Kind::Value))
      return expected("a value to return");
    returns.push_back({tok.text, tok.loc});
    consume();
  } while (consumeIf(Kind::Comma));
  return llvm::Error::success();
}

llvm::Error Parser::parseStatement(std::vector<PendingNode> &pending) {
  if (!tok.is(Kind::Value))
    return expected("a statement such as '%y = relu(%x)' or 'return'");
  PendingNode node;
  node.spec.name = tok.text.str();
  node.spec.nameLoc = tok.loc;
  consume();
  if (llvm::Error err = expect(Kind::Equal))
    return err;

  if (!tok.is(Kind::Ident))
    return expected("an op name");
  node.spec.loc = tok.loc;
  node.spec.op = lookupOp(tok.text);
  if (!node.spec.op)
    diags.error(tok.loc, "unknown op '{0}'", tok.text);
  consume();

  if (tok.is(Kind::LParen)) {
    if (llvm::Error err = parseArguments(node))
      return err;
  }
  if (consumeIf(Kind::Colon)) {
    node.spec.typeLoc = tok.loc;
    auto type = parseType();
    if (!type)
      return type.takeError();
    node.spec.declaredType = std::move(*type);
  }
  pending.push_back(std::move(node));
  return llvm::Error::success();
}

llvm::Error Parser::parseArguments(PendingNode &node) {
  consume(); // '('
  if (consumeIf(Kind::RParen))
    return llvm::Error::success();
  do {
    if (tok.is(Kind::Value)) {
      if (!node.spec.attrs.empty())
        return errorHere("operands must come before attributes");
      node.operandRefs.push_back({tok.text, tok.loc});
      consume();
      continue;
    }
    auto attr = parseNamedAttr("an operand or an attribute such as units=10");
    if (!attr)
      return attr.takeError();
    node.spec.attrs.push_back(std::move(*attr));
  } while (consumeIf(Kind::Comma));
  return expect(Kind::RParen);
}

llvm::Error Parser::resolve(Graph &graph, std::vector<PendingNode> &pending) {
  // Names are known once the whole body is read.
  llvm::StringSet<> defined;
  for (const std::unique_ptr<Value> &input : graph.getInputs())
    defined.insert(input->getName());
  for (const PendingNode &node : pending)
    defined.insert(node.spec.name);
  auto check = [&](const OperandRef &ref) {
    if (defined.contains(ref.name))
      return true;
    diags.error(ref.loc, "use of undefined value '%{0}' in graph '{1}'",
                ref.name, graph.getName());
    return false;
  };
  bool ok = true;
  for (const PendingNode &node : pending)
    for (const OperandRef &ref : node.operandRefs)
      ok &= check(ref);
  for (const OperandRef &ref : returns)
    ok &= check(ref);
  if (returns.empty())
    diags.error(graph.getLoc(), "graph '{0}' has no return statement",
                graph.getName());
  if (!ok || returns.empty() ||
      llvm::any_of(pending, [](const PendingNode &n) { return !n.spec.op; }))
    return llvm::Error::success(); // errors are in `diags`

  // Create every node first, then fill in operands, so that a use before
  // its definition resolves too.
  std::vector<Node *> nodes;
  for (PendingNode &node : pending)
    nodes.push_back(&graph.addNode(node.spec));
  for (size_t n = 0; n < pending.size(); ++n) {
    std::vector<Value *> operands;
    for (const OperandRef &ref : pending[n].operandRefs)
      operands.push_back(graph.lookup(ref.name));
    nodes[n]->setOperands(operands);
  }
  for (const OperandRef &ref : returns)
    graph.addOutput(*graph.lookup(ref.name), ref.loc);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

llvm::Expected<Attribute> Parser::parseNumber(bool negative) {
  Token number = tok;
  consume();
  if (number.is(Kind::Int)) {
    // Parse the magnitude as unsigned so that -9223372036854775808 fits.
    uint64_t magnitude;
    if (number.text.getAsInteger(10, magnitude) ||
        magnitude > uint64_t(INT64_MAX) + (negative ? 1 : 0))
      return llvm::make_error<DiagError>(number.loc,
                                         "integer does not fit in 64 bits");
    return Attribute::integer(negative ? int64_t(0 - magnitude)
                                       : int64_t(magnitude));
  }
  double value = std::strtod(number.text.str().c_str(), nullptr);
  if (!std::isfinite(value))
    return llvm::make_error<DiagError>(number.loc,
                                       "number is too large for a double");
  return Attribute::floating(negative ? -value : value);
}

llvm::Expected<Attribute> Parser::parseAttrValue() {
  DepthGuard guard(*this);
  if (guard.tooDeep())
    return tooDeep();
  if (consumeIf(Kind::Minus)) {
    if (!tok.is(Kind::Int) && !tok.is(Kind::Float))
      return expected("a number after '-'");
    return parseNumber(/*negative=*/true);
  }
  if (tok.is(Kind::Int) || tok.is(Kind::Float))
    return parseNumber(/*negative=*/false);

  if (tok.is(Kind::String)) {
    std::string text;
    llvm::StringRef body = tok.text.drop_front().drop_back();
    for (size_t i = 0; i < body.size(); ++i) {
      char c = body[i];
      if (c == '\\' && i + 1 < body.size()) {
        c = body[++i];
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
      }
      text += c;
    }
    consume();
    return Attribute::string(text);
  }

  if (consumeIf(Kind::LSquare)) {
    std::vector<Attribute> items;
    if (consumeIf(Kind::RSquare))
      return Attribute::list(std::move(items));
    do {
      auto item = parseAttrValue();
      if (!item)
        return item.takeError();
      items.push_back(std::move(*item));
    } while (consumeIf(Kind::Comma));
    if (llvm::Error err = expect(Kind::RSquare))
      return err;
    return Attribute::list(std::move(items));
  }

  if (!tok.is(Kind::Ident))
    return expected("an attribute value");
  llvm::StringRef word = tok.text;
  consume();
  if (word == "true" || word == "false")
    return Attribute::boolean(word == "true");
  if (!tok.is(Kind::LParen))
    return Attribute::name(word);
  auto args = parseCallArgs();
  if (!args)
    return args.takeError();
  return Attribute::call(word, std::move(*args));
}

llvm::Expected<NamedAttribute> Parser::parseNamedAttr(const char *what) {
  if (!tok.is(Kind::Ident))
    return expected(what);
  NamedAttribute attr{tok.text.str(), {}, tok.loc};
  consume();
  if (llvm::Error err = expect(Kind::Equal))
    return err;
  auto value = parseAttrValue();
  if (!value)
    return value.takeError();
  attr.value = std::move(*value);
  return attr;
}

llvm::Expected<std::vector<NamedAttribute>> Parser::parseCallArgs() {
  consume(); // '('
  std::vector<NamedAttribute> args;
  if (consumeIf(Kind::RParen))
    return args;
  do {
    auto arg = parseNamedAttr("an argument such as magnitude=2");
    if (!arg)
      return arg.takeError();
    args.push_back(std::move(*arg));
  } while (consumeIf(Kind::Comma));
  if (llvm::Error err = expect(Kind::RParen))
    return err;
  return args;
}

//===----------------------------------------------------------------------===//
// Types and dimensions
//===----------------------------------------------------------------------===//

llvm::Expected<TensorType> Parser::parseType() {
  if (!tok.is(Kind::Ident))
    return expected("a type such as f32[2, 20]");
  std::optional<DType> dtype = parseDType(tok.text);
  if (!dtype)
    return errorHere("unknown element type '" + tok.text +
                     "' (expected f32 or i64)");
  consume();
  if (llvm::Error err = expect(Kind::LSquare))
    return err;

  if (consumeIf(Kind::Star)) {
    if (llvm::Error err = expect(Kind::RSquare))
      return err;
    return TensorType::unranked(*dtype);
  }
  llvm::SmallVector<Dim, 4> dims;
  if (!tok.is(Kind::RSquare)) {
    do {
      auto dim = parseDim();
      if (!dim)
        return dim.takeError();
      dims.push_back(*dim);
    } while (consumeIf(Kind::Comma));
  }
  if (llvm::Error err = expect(Kind::RSquare))
    return err;
  return TensorType(*dtype, dims);
}

llvm::Expected<Dim> Parser::parseDim() {
  if (consumeIf(Kind::Question))
    return Dim::unknown();
  llvm::SMLoc start = tok.loc;
  auto dim = parseDimSum();
  if (!dim)
    return dim.takeError();
  if (dim->isInvalid())
    return llvm::make_error<DiagError>(
        start, "dimension overflows 64 bits or divides by zero");
  if (dim->isConstant() && dim->getConstant() < 0)
    return llvm::make_error<DiagError>(start, "dimension is negative (" +
                                                  dim->str() + ")");
  return dim;
}

llvm::Expected<Dim> Parser::parseDimSum() {
  auto lhs = parseDimProduct();
  if (!lhs)
    return lhs;
  while (tok.is(Kind::Plus) || tok.is(Kind::Minus)) {
    bool plus = tok.is(Kind::Plus);
    consume();
    auto rhs = parseDimProduct();
    if (!rhs)
      return rhs;
    *lhs = plus ? *lhs + *rhs : *lhs - *rhs;
  }
  return lhs;
}

llvm::Expected<Dim> Parser::parseDimProduct() {
  auto lhs = parseDimUnary();
  if (!lhs)
    return lhs;
  while (true) {
    // `H%2` lexes as the value name `%2`: read it as `H % 2`.
    if (tok.is(Kind::Value)) {
      Lexer inner(tok.text);
      Token operand = inner.next();
      Dim rhs = operand.is(Kind::Ident) ? Dim::symbol(operand.text) : Dim();
      uint64_t value;
      if (operand.is(Kind::Int) && !operand.text.getAsInteger(10, value) &&
          value <= uint64_t(INT64_MAX))
        rhs = Dim(int64_t(value));
      if (rhs.isUnknown() || !inner.next().is(Kind::Eof))
        return expected("a dimension operator");
      consume();
      *lhs = mod(*lhs, rhs);
      continue;
    }
    Kind op = tok.kind;
    if (op != Kind::Star && op != Kind::SlashSlash && op != Kind::Percent)
      return lhs;
    consume();
    auto rhs = parseDimUnary();
    if (!rhs)
      return rhs;
    if (op == Kind::Star)
      *lhs = *lhs * *rhs;
    else if (op == Kind::SlashSlash)
      *lhs = floorDiv(*lhs, *rhs);
    else
      *lhs = mod(*lhs, *rhs);
  }
}

llvm::Expected<Dim> Parser::parseDimUnary() {
  DepthGuard guard(*this);
  if (guard.tooDeep())
    return tooDeep();
  if (consumeIf(Kind::Minus)) {
    auto operand = parseDimUnary();
    if (!operand)
      return operand;
    return Dim(int64_t(0)) - *operand;
  }
  return parseDimPrimary();
}

llvm::Expected<Dim> Parser::parseDimPrimary() {
  if (tok.is(Kind::Int)) {
    uint64_t value;
    if (tok.text.getAsInteger(10, value) || value > uint64_t(INT64_MAX))
      return errorHere("dimension does not fit in 64 bits");
    consume();
    return Dim(int64_t(value));
  }
  if (tok.is(Kind::Ident)) {
    Dim d = Dim::symbol(tok.text);
    consume();
    return d;
  }
  if (consumeIf(Kind::LParen)) {
    auto inner = parseDimSum();
    if (!inner)
      return inner;
    if (llvm::Error err = expect(Kind::RParen))
      return err;
    return inner;
  }
  if (tok.is(Kind::Question))
    return errorHere("'?' must stand alone as a whole dimension");
  return expected("a dimension (an integer, a symbol such as N, or '?')");
}

llvm::Error Parser::expectEnd() {
  if (tok.is(Kind::Eof))
    return llvm::Error::success();
  return expected("the end of the type");
}

/// Turns an error located in `text` into one whose message says where.
llvm::Error withColumn(llvm::Error err, llvm::StringRef text,
                       llvm::StringRef what) {
  return llvm::handleErrors(std::move(err), [&](const DiagError &diag) {
    size_t column = diag.getLoc().getPointer() - text.data() + 1;
    return llvm::make_error<DiagError>(
        llvm::SMLoc(), llvm::formatv("invalid {0} '{1}' at column {2}: {3}",
                                     what, text, column, diag.getMessage())
                           .str());
  });
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<Module>>
shapeflow::parseModule(llvm::SourceMgr &srcMgr, unsigned bufferId) {
  Parser parser(srcMgr.getMemoryBuffer(bufferId)->getBuffer());
  return parser.parseModule();
}

llvm::Expected<std::unique_ptr<Module>>
shapeflow::parseModuleString(llvm::StringRef text, llvm::SourceMgr &srcMgr,
                             llvm::StringRef name) {
  unsigned id = srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
  return parseModule(srcMgr, id);
}

llvm::Expected<TensorType> shapeflow::parseType(llvm::StringRef text) {
  Parser parser(text);
  auto type = parser.parseType();
  if (!type)
    return withColumn(type.takeError(), text, "type");
  if (llvm::Error err = parser.expectEnd())
    return withColumn(std::move(err), text, "type");
  return type;
}

llvm::Expected<InputBinding>
shapeflow::parseInputBinding(llvm::StringRef text) {
  auto [name, typeText] = text.split('=');
  name = name.trim();
  name.consume_front("%");
  if (name.empty() || typeText.empty())
    return makeError({},
                     "invalid binding '{0}': expected NAME=TYPE, as in "
                     "%x=f32[2,20]",
                     text);
  auto type = parseType(typeText.trim());
  if (!type)
    return type.takeError();
  return InputBinding{name.str(), std::move(*type), text.str()};
}
