//===- Diag.h - The one error type of shapeflow -----------------*- C++ -*-===//
//
// Every error that input can cause (a bad file, an unknown op, a shape
// conflict) is a DiagError inside an llvm::Error. It carries a source
// location when the graph came from text, and notes that point at the other
// places that matter (where a conflicting shape was declared, say). Several
// errors travel together through llvm::joinErrors, so a tool reports all of
// them in one run.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_SUPPORT_DIAG_H
#define SHAPEFLOW_SUPPORT_DIAG_H

#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SMLoc.h"

#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace shapeflow {

/// A secondary location attached to an error.
struct DiagNote {
  llvm::SMLoc loc;
  std::string message;
};

/// An error with an optional source location and notes.
class DiagError : public llvm::ErrorInfo<DiagError> {
public:
  static char ID;

  DiagError(llvm::SMLoc loc, std::string message,
            std::vector<DiagNote> notes = {})
      : loc(loc), message(std::move(message)), notes(std::move(notes)) {}

  llvm::SMLoc getLoc() const { return loc; }
  const std::string &getMessage() const { return message; }
  const std::vector<DiagNote> &getNotes() const { return notes; }

  /// Writes the message followed by its notes, one per line, without
  /// locations: this is what llvm::toString() returns.
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  llvm::SMLoc loc;
  std::string message;
  std::vector<DiagNote> notes;
};

/// Makes a DiagError whose message is formatted by llvm::formatv.
template <typename... Ts>
llvm::Error makeError(llvm::SMLoc loc, const char *fmt, Ts &&...args) {
  return llvm::make_error<DiagError>(
      loc, llvm::formatv(fmt, std::forward<Ts>(args)...).str());
}

/// Collects errors and hands them back as one llvm::Error.
class DiagCollector {
public:
  /// Keeps `err` if it is a failure; a success is dropped.
  void add(llvm::Error err) {
    if (!err)
      return;
    ++count;
    errors = llvm::joinErrors(std::move(errors), std::move(err));
  }
  template <typename... Ts>
  void error(llvm::SMLoc loc, const char *fmt, Ts &&...args) {
    add(makeError(loc, fmt, std::forward<Ts>(args)...));
  }
  void error(llvm::SMLoc loc, std::string message,
             std::vector<DiagNote> notes) {
    add(llvm::make_error<DiagError>(loc, std::move(message), std::move(notes)));
  }
  unsigned getCount() const { return count; }
  /// Returns every collected error (or success) and resets the collector.
  llvm::Error take() {
    count = 0;
    return std::move(errors);
  }

private:
  llvm::Error errors = llvm::Error::success();
  unsigned count = 0;
};

/// Prints every error in `err` to `os`. Errors with a location go through
/// `srcMgr` (file:line:col, source line, caret); others are printed as
/// `<fallbackPrefix>: error: <message>`. Non-DiagError errors are printed the
/// same way. Returns the number of errors printed.
unsigned printDiagnostics(llvm::Error err, const llvm::SourceMgr *srcMgr,
                          llvm::StringRef fallbackPrefix,
                          llvm::raw_ostream &os);

} // namespace shapeflow

#endif // SHAPEFLOW_SUPPORT_DIAG_H
