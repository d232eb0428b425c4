//===- Diag.cpp - Printing DiagErrors -------------------------------------===//

#include "shapeflow/Support/Diag.h"

#include "llvm/Support/SourceMgr.h"

using namespace shapeflow;

char DiagError::ID = 0;

void DiagError::log(llvm::raw_ostream &os) const {
  os << message;
  for (const DiagNote &note : notes)
    os << "\nnote: " << note.message;
}

namespace {

void printOne(const llvm::SourceMgr *srcMgr, llvm::SMLoc loc,
              llvm::SourceMgr::DiagKind kind, const std::string &message,
              llvm::StringRef fallbackPrefix, llvm::raw_ostream &os) {
  if (srcMgr && loc.isValid() && srcMgr->FindBufferContainingLoc(loc)) {
    srcMgr->PrintMessage(os, loc, kind, message);
    return;
  }
  const char *word = kind == llvm::SourceMgr::DK_Note ? "note" : "error";
  os << fallbackPrefix << ": " << word << ": " << message << '\n';
}

} // namespace

unsigned shapeflow::printDiagnostics(llvm::Error err,
                                     const llvm::SourceMgr *srcMgr,
                                     llvm::StringRef fallbackPrefix,
                                     llvm::raw_ostream &os) {
  unsigned count = 0;
  llvm::handleAllErrors(
      std::move(err),
      [&](const DiagError &diag) {
        ++count;
        printOne(srcMgr, diag.getLoc(), llvm::SourceMgr::DK_Error,
                 diag.getMessage(), fallbackPrefix, os);
        for (const DiagNote &note : diag.getNotes())
          printOne(srcMgr, note.loc, llvm::SourceMgr::DK_Note, note.message,
                   fallbackPrefix, os);
      },
      [&](const llvm::ErrorInfoBase &other) {
        ++count;
        os << fallbackPrefix << ": error: " << other.message() << '\n';
      });
  return count;
}
