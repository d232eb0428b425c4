//===- Lexer.cpp - Tokens of the .sfg text format -------------------------===//

#include "Lexer.h"

#include <cctype>

using namespace shapeflow;
using Kind = Token::Kind;

static bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

static bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

static bool isDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c));
}

void Lexer::skipSpaceAndComments() {
  while (cur != buffer.end()) {
    if (*cur == '#') {
      while (cur != buffer.end() && *cur != '\n')
        ++cur;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(*cur)))
      return;
    ++cur;
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  const char *start = cur;
  if (cur == buffer.end())
    return make(Kind::Eof, start);

  char c = *cur++;
  switch (c) {
  case '(':
    return make(Kind::LParen, start);
  case ')':
    return make(Kind::RParen, start);
  case '[':
    return make(Kind::LSquare, start);
  case ']':
    return make(Kind::RSquare, start);
  case '{':
    return make(Kind::LBrace, start);
  case '}':
    return make(Kind::RBrace, start);
  case ',':
    return make(Kind::Comma, start);
  case '=':
    return make(Kind::Equal, start);
  case ':':
    return make(Kind::Colon, start);
  case '?':
    return make(Kind::Question, start);
  case '*':
    return make(Kind::Star, start);
  case '+':
    return make(Kind::Plus, start);
  case '-':
    return make(Kind::Minus, start);
  case '%':
    // `%name` is a value; a lone `%` is modulo in a dimension expression.
    if (cur != buffer.end() && (isIdentChar(*cur) || *cur == '.')) {
      while (cur != buffer.end() && (isIdentChar(*cur) || *cur == '.'))
        ++cur;
      Token t = make(Kind::Value, start);
      t.text = t.text.drop_front();
      return t;
    }
    return make(Kind::Percent, start);
  case '/':
    if (cur != buffer.end() && *cur == '/') {
      ++cur;
      return make(Kind::SlashSlash, start);
    }
    return error(start, "expected '//' (floor division); '/' alone is not "
                        "an operator in dimension expressions");
  case '"':
    return lexString(start);
  default:
    break;
  }

  if (isDigit(c))
    return lexNumber(start);
  if (isIdentStart(c)) {
    while (cur != buffer.end() && isIdentChar(*cur))
      ++cur;
    return make(Kind::Ident, start);
  }
  return error(start, "unexpected character");
}

Token Lexer::lexNumber(const char *start) {
  while (cur != buffer.end() && isDigit(*cur))
    ++cur;
  bool isFloat = false;
  if (cur != buffer.end() && *cur == '.' && cur + 1 != buffer.end() &&
      isDigit(cur[1])) {
    isFloat = true;
    ++cur;
    while (cur != buffer.end() && isDigit(*cur))
      ++cur;
  }
  if (cur != buffer.end() && (*cur == 'e' || *cur == 'E')) {
    const char *mark = cur++;
    if (cur != buffer.end() && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur == buffer.end() || !isDigit(*cur)) {
      cur = mark; // `2e` is the number 2 followed by an identifier
    } else {
      isFloat = true;
      while (cur != buffer.end() && isDigit(*cur))
        ++cur;
    }
  }
  if (cur != buffer.end() && isIdentStart(*cur))
    return error(start, "a number must not run into a name");
  return make(isFloat ? Kind::Float : Kind::Int, start);
}

Token Lexer::lexString(const char *start) {
  while (cur != buffer.end() && *cur != '"' && *cur != '\n') {
    if (*cur == '\\' && cur + 1 != buffer.end())
      ++cur;
    ++cur;
  }
  if (cur == buffer.end() || *cur != '"')
    return error(start, "unterminated string");
  ++cur;
  return make(Kind::String, start);
}

const char *Lexer::describe(Kind kind) {
  switch (kind) {
  case Kind::Eof:
    return "end of file";
  case Kind::Error:
    return "an invalid token";
  case Kind::Ident:
    return "a name";
  case Kind::Value:
    return "a value name such as %x";
  case Kind::Int:
    return "an integer";
  case Kind::Float:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::LParen:
    return "'('";
  case Kind::RParen:
    return "')'";
  case Kind::LSquare:
    return "'['";
  case Kind::RSquare:
    return "']'";
  case Kind::LBrace:
    return "'{'";
  case Kind::RBrace:
    return "'}'";
  case Kind::Comma:
    return "','";
  case Kind::Equal:
    return "'='";
  case Kind::Colon:
    return "':'";
  case Kind::Question:
    return "'?'";
  case Kind::Star:
    return "'*'";
  case Kind::Plus:
    return "'+'";
  case Kind::Minus:
    return "'-'";
  case Kind::SlashSlash:
    return "'//'";
  case Kind::Percent:
    return "'%'";
  }
  return "a token";
}
