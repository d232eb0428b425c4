//===- Embedding.cpp - Table lookup of token ids --------------------------===//
//
// embedding  ids [...] (i64), weight [V, D] (f32) -> out [..., D], where
//     out[p, :] = weight[ids[p], :]. An id outside [0, V) is an error that
//     names the id, its position in ids (row-major) and the range; the
//     output is left untouched then.
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <cstring>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

/// Fails on the first id outside [0, vocab).
llvm::Error checkIds(const int64_t *ids, int64_t count, int64_t vocab) {
  for (int64_t p = 0; p < count; ++p)
    if (ids[p] < 0 || ids[p] >= vocab)
      return makeKernelError(
          "embedding: id {0} at position {1} is out of range [0, {2})", ids[p],
          p, vocab);
  return llvm::Error::success();
}

llvm::Error runEmbedding(const KernelContext &ctx) {
  const TensorView &ids = ctx.inputs[0], &weight = ctx.inputs[1];
  assert(ids.dtype == DType::I64 && weight.dtype == DType::F32 &&
         "embedding reads i64 ids and an f32 table");
  int64_t vocab = weight.dim(0), width = weight.dim(1);
  int64_t count = ids.numElements();
  assert(ctx.output.numElements() == count * width && "output is not [..., D]");

  // Check every id before writing anything.
  if (llvm::Error err = checkIds(ids.i64(), count, vocab))
    return err;
  if (width == 0)
    return llvm::Error::success();

  // out [count, D]: row p is row ids[p] of weight [V, D].
  const int64_t *idData = ids.i64();
  const float *table = weight.f32();
  float *out = ctx.output.f32();
  parallelFor(count, width, ctx.numThreads, [&](int64_t p) {
    std::memcpy(out + p * width, table + idData[p] * width,
                width * sizeof(float));
  });
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerEmbeddingKernels(KernelTable &table) {
  table["embedding"] = runEmbedding;
}
