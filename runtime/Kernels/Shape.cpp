//===- Shape.cpp - Kernels that move elements without arithmetic ----------===//
//
// reshape, flatten  x -> out with the same element count: the bytes, copied
// transpose  perm [p0, ..., pr-1]: out.shape[i] = x.shape[p_i] and
//     out[i0, ..., ir-1] = x at index i_k along axis p_k
// concat  x0, x1, ... -> out along `axis` (non-negative): every other dim
//     agrees, and out's `axis` is the sum of the inputs'.
//
// None of them looks at the values, so they work for every dtype.
//
//===----------------------------------------------------------------------===//

#include "KernelFamilies.h"
#include "KernelUtil.h"

#include <cstring>

using namespace shapeflow;
using namespace shapeflow::kernels;

namespace {

llvm::Error runReshape(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  assert(x.numElements() == ctx.output.numElements() &&
         "reshape keeps the element count");
  if (ctx.output.data != x.data && x.numElements() > 0)
    std::memcpy(ctx.output.data, x.data, x.numElements() * dtypeSize(x.dtype));
  return llvm::Error::success();
}

/// Copies x to out, whose position i reads x at offsetOf(i, out.shape,
/// strides); elements are `T`-sized.
template <typename T>
void gatherStrided(const TensorView &x, const TensorView &out,
                   llvm::ArrayRef<int64_t> strides, int numThreads) {
  const T *in = static_cast<const T *>(x.data);
  T *dst = static_cast<T *>(out.data);
  if (out.rank() == 0) {
    dst[0] = in[0];
    return;
  }

  // out [rows, last]: one offset computation per row.
  llvm::ArrayRef<int64_t> rowShape = out.shape.drop_back();
  int64_t last = out.shape.back(), step = strides.back();
  parallelFor(product(rowShape), last, numThreads, [&](int64_t row) {
    const T *src = in + offsetOf(row, rowShape, strides);
    for (int64_t j = 0; j < last; ++j)
      dst[row * last + j] = src[j * step];
  });
}

llvm::Error runTranspose(const KernelContext &ctx) {
  const TensorView &x = ctx.inputs[0];
  const std::vector<int64_t> &perm = ctx.attrs.getInts("perm");
  assert(perm.size() == x.rank() && perm.size() == ctx.output.rank() &&
         "perm names every axis once");

  // Out axis i walks x's axis perm[i].
  llvm::SmallVector<int64_t, 6> xStrides = rowMajorStrides(x.shape);
  llvm::SmallVector<int64_t, 6> strides;
  for (int64_t axis : perm)
    strides.push_back(xStrides[axis]);

  if (ctx.output.numElements() == 0)
    return llvm::Error::success();
  if (dtypeSize(x.dtype) == 8)
    gatherStrided<int64_t>(x, ctx.output, strides, ctx.numThreads);
  else
    gatherStrided<float>(x, ctx.output, strides, ctx.numThreads);
  return llvm::Error::success();
}

// Each input is [outer, L_k * inner] bytes-wise, and out [outer, L * inner]
// is their rows side by side.
llvm::Error runConcat(const KernelContext &ctx) {
  const TensorView &out = ctx.output;
  int64_t axis = ctx.attrs.getInt("axis");
  AxisSplit split = splitAtAxis(out.shape, axis);
  int64_t elementSize = dtypeSize(out.dtype);
  int64_t outRow = split.size * split.inner * elementSize;

  parallelFor(
      split.outer, split.size * split.inner, ctx.numThreads, [&](int64_t o) {
        char *dst = static_cast<char *>(out.data) + o * outRow;
        for (const TensorView &x : ctx.inputs) {
          int64_t row = x.dim(axis) * split.inner * elementSize;
          if (row > 0)
            std::memcpy(dst, static_cast<const char *>(x.data) + o * row, row);
          dst += row;
        }
      });
  return llvm::Error::success();
}

} // namespace

void shapeflow::registerShapeKernels(KernelTable &table) {
  table["reshape"] = runReshape;
  table["flatten"] = runReshape;
  table["transpose"] = runTranspose;
  table["concat"] = runConcat;
}
