//===- Lexer.h - Tokens of the .sfg text format -----------------*- C++ -*-===//
//
// Private to the parser. Tokens point into the source buffer, which the
// SourceMgr owns, so their locations stay valid for diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_COMPILER_IR_LEXER_H
#define SHAPEFLOW_COMPILER_IR_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace shapeflow {

struct Token {
  enum class Kind {
    Eof,
    Error, ///< text is the message
    Ident, ///< graph, relu, N, f32, true ...
    Value, ///< %name (text excludes the %)
    Int,
    Float,
    String, ///< text includes the quotes
    LParen,
    RParen,
    LSquare,
    RSquare,
    LBrace,
    RBrace,
    Comma,
    Equal,
    Colon,
    Question,
    Star,
    Plus,
    Minus,
    SlashSlash,
    Percent,
  };

  Kind kind = Kind::Eof;
  llvm::StringRef text;
  llvm::SMLoc loc;

  bool is(Kind k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const {
    return kind == Kind::Ident && text == word;
  }
};

/// Splits a buffer into tokens; `#` starts a comment to the end of line.
class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer)
      : buffer(buffer), cur(buffer.begin()) {}

  Token next();

  /// A printable description of a token kind: "')'", "an identifier".
  static const char *describe(Token::Kind kind);

private:
  Token make(Token::Kind kind, const char *start) {
    return Token{kind, llvm::StringRef(start, cur - start),
                 llvm::SMLoc::getFromPointer(start)};
  }
  Token error(const char *at, llvm::StringRef message) {
    return Token{Token::Kind::Error, message, llvm::SMLoc::getFromPointer(at)};
  }
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cur;
};

} // namespace shapeflow

#endif // SHAPEFLOW_COMPILER_IR_LEXER_H
