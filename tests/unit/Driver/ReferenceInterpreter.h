//===- ReferenceInterpreter.h - Plain-loop evaluation of a graph -*- C++
//-*-===//
//
// A slow, obvious interpreter over the IR, used to check the runtime's
// kernels and lowering rewrites (folding, fused activations) end to end. It
// walks a verified, inferred graph in node order and computes each value
// with nested loops, accumulating in double. Result shapes come from shape
// inference (every type must be static); the arithmetic shares nothing with
// the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef SHAPEFLOW_TESTS_UNIT_DRIVER_REFERENCEINTERPRETER_H
#define SHAPEFLOW_TESTS_UNIT_DRIVER_REFERENCEINTERPRETER_H

#include "shapeflow/IR/Graph.h"
#include "shapeflow/Runtime/Tensor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace shapeflow::test {

/// A dense row-major tensor of doubles (i64 ids are stored exactly).
struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  int64_t size() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<>());
  }
  static RefTensor fromTensor(const Tensor &t) {
    RefTensor r;
    r.shape.assign(t.getShape().begin(), t.getShape().end());
    r.data.resize(r.size());
    for (int64_t i = 0; i < r.size(); ++i)
      r.data[i] =
          t.getDType() == DType::I64 ? double(t.i64()[i]) : double(t.f32()[i]);
    return r;
  }
};

namespace ref_detail {

inline llvm::Error fail(const Node &node, const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "reference: " + node.describe() + ": " + msg);
}

inline int64_t normAxis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + int64_t(rank) : axis;
}

/// Row-major strides of `shape`.
inline std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// The multi-index of flat index `i` in `shape`.
inline std::vector<int64_t> unravel(int64_t i,
                                    const std::vector<int64_t> &shape) {
  std::vector<int64_t> idx(shape.size());
  for (int d = int(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] ? i % shape[d] : 0;
    i = shape[d] ? i / shape[d] : 0;
  }
  return idx;
}

/// The flat index into `shape` (right-aligned, size-1 dims broadcast) of the
/// output multi-index `outIdx`.
inline int64_t broadcastIndex(const std::vector<int64_t> &outIdx,
                              const std::vector<int64_t> &shape) {
  size_t off = outIdx.size() - shape.size();
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[off + d]);
  return flat;
}

/// [outer, axis, inner] sizes around `axis`.
inline void splitAround(const std::vector<int64_t> &shape, int64_t axis,
                        int64_t &outer, int64_t &len, int64_t &inner) {
  outer = 1, inner = 1, len = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
}

} // namespace ref_detail

/// Evaluates `graph` on `inputs` (one per graph input, in order). `param`
/// returns a parameter's data by name (without '%'). Returns every value by
/// name.
inline llvm::Expected<llvm::StringMap<RefTensor>> runReference(
    const Graph &graph, const std::vector<RefTensor> &inputs,
    const std::function<llvm::Expected<RefTensor>(llvm::StringRef)> &param) {
  using namespace ref_detail;
  llvm::StringMap<RefTensor> env;
  if (inputs.size() != graph.getInputs().size())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "reference: wrong number of inputs");
  for (size_t i = 0; i < inputs.size(); ++i)
    env[graph.getInputs()[i]->getName()] = inputs[i];

  for (const auto &nodePtr : graph.getNodes()) {
    const Node &node = *nodePtr;
    llvm::StringRef op = node.getOpName();
    auto in = [&](unsigned i) -> const RefTensor & {
      return env.find(node.getOperand(i).getName())->second;
    };
    auto has = [&](unsigned i) { return node.getNumOperands() > i; };

    if (op == "param") {
      auto data = param(node.getName());
      if (!data)
        return data.takeError();
      env[node.getName()] = std::move(*data);
      continue;
    }

    RefTensor out;
    const TensorType &type = node.getResult().getType();
    if (!type.hasRank() || !type.isStatic())
      return fail(node, "result type is not static: " + type.str());
    for (const Dim &d : type.getDims())
      out.shape.push_back(d.getConstant());
    out.data.assign(out.size(), 0.0);
    const auto &os = out.shape;

    if (op == "dense") {
      const RefTensor &x = in(0), &w = in(1);
      int64_t units = node.getInt("units");
      int64_t rows, k;
      if (node.getBool("flatten")) {
        rows = x.shape[0];
        k = x.size() / rows;
      } else {
        k = x.shape.back();
        rows = x.size() / k;
      }
      if (w.shape != std::vector<int64_t>{units, k} ||
          out.size() != rows * units)
        return fail(node, "unexpected dense shapes");
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t u = 0; u < units; ++u) {
          double acc = has(2) ? in(2).data[u] : 0.0;
          for (int64_t j = 0; j < k; ++j)
            acc += x.data[r * k + j] * w.data[u * k + j];
          out.data[r * units + u] = acc;
        }
    } else if (op == "conv2d") {
      const RefTensor &x = in(0), &w = in(1);
      auto [sh, sw] = node.getIntPair("stride");
      auto [ph, pw] = node.getIntPair("padding");
      auto [dh, dw] = node.getIntPair("dilation");
      int64_t groups = node.getInt("groups");
      int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
      int64_t oc = w.shape[0], icg = w.shape[1], kh = w.shape[2],
              kw = w.shape[3];
      int64_t oh = os[2], ow = os[3], ocg = oc / groups;
      if (icg * groups != c || os[1] != oc)
        return fail(node, "unexpected conv2d shapes");
      for (int64_t b = 0; b < n; ++b)
        for (int64_t o = 0; o < oc; ++o) {
          int64_t g = o / ocg;
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t xo = 0; xo < ow; ++xo) {
              double acc = has(2) ? in(2).data[o] : 0.0;
              for (int64_t ic = 0; ic < icg; ++ic) {
                int64_t cin = g * icg + ic;
                for (int64_t i = 0; i < kh; ++i) {
                  int64_t iy = y * sh - ph + i * dh;
                  if (iy < 0 || iy >= h)
                    continue;
                  for (int64_t j = 0; j < kw; ++j) {
                    int64_t ix = xo * sw - pw + j * dw;
                    if (ix < 0 || ix >= wd)
                      continue;
                    acc += x.data[((b * c + cin) * h + iy) * wd + ix] *
                           w.data[((o * icg + ic) * kh + i) * kw + j];
                  }
                }
              }
              out.data[((b * oc + o) * oh + y) * ow + xo] = acc;
            }
        }
    } else if (op == "max_pool2d" || op == "avg_pool2d") {
      const RefTensor &x = in(0);
      auto [kh, kw] = node.getIntPair("kernel");
      auto [sh, sw] = node.getAttr("stride") ? node.getIntPair("stride")
                                             : node.getIntPair("kernel");
      auto [ph, pw] = node.getIntPair("padding");
      bool ceil = node.getBool("ceil_mode");
      bool isMax = op == "max_pool2d";
      bool includePad = !isMax && node.getBool("count_include_pad");
      int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
      auto outSize = [&](int64_t size, int64_t k, int64_t s, int64_t p) {
        return ceil ? (size + 2 * p - k + s - 1) / s + 1
                    : (size + 2 * p - k) / s + 1;
      };
      int64_t oh = outSize(h, kh, sh, ph), ow = outSize(wd, kw, sw, pw);
      if (os != std::vector<int64_t>{n, c, oh, ow})
        return fail(node, "pool output shape differs from inference");
      for (int64_t bc = 0; bc < n * c; ++bc)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xo = 0; xo < ow; ++xo) {
            double acc = isMax ? -std::numeric_limits<double>::infinity() : 0;
            int64_t count = 0;
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = y * sh - ph + i, ix = xo * sw - pw + j;
                bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
                bool inPadded =
                    iy >= -ph && iy < h + ph && ix >= -pw && ix < wd + pw;
                if (includePad ? inPadded : inside)
                  ++count;
                if (!inside)
                  continue;
                double v = x.data[(bc * h + iy) * wd + ix];
                acc = isMax ? std::max(acc, v) : acc + v;
              }
            out.data[(bc * oh + y) * ow + xo] =
                isMax ? acc : (count ? acc / double(count) : 0.0);
          }
    } else if (op == "global_avg_pool2d") {
      const RefTensor &x = in(0);
      int64_t nc = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3];
      if (out.size() != nc)
        return fail(node, "unexpected global pool shape");
      for (int64_t i = 0; i < nc; ++i) {
        double acc = 0;
        for (int64_t j = 0; j < hw; ++j)
          acc += x.data[i * hw + j];
        out.data[i] = acc / double(hw);
      }
    } else if (op == "batch_norm" || op == "layer_norm") {
      const RefTensor &x = in(0);
      int64_t axis = normAxis(node.getInt("axis"), x.shape.size());
      double eps = node.getFloat("eps");
      int64_t outer, len, inner;
      splitAround(x.shape, axis, outer, len, inner);
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t k = 0; k < inner; ++k) {
          auto at = [&](int64_t i) { return (a * len + i) * inner + k; };
          double mean = 0, var = 0;
          if (op == "layer_norm") {
            for (int64_t i = 0; i < len; ++i)
              mean += x.data[at(i)];
            mean /= double(len);
            for (int64_t i = 0; i < len; ++i)
              var += (x.data[at(i)] - mean) * (x.data[at(i)] - mean);
            var /= double(len);
          }
          for (int64_t i = 0; i < len; ++i) {
            double m = mean, v = var;
            if (op == "batch_norm")
              m = in(3).data[i], v = in(4).data[i];
            out.data[at(i)] =
                (x.data[at(i)] - m) / std::sqrt(v + eps) * in(1).data[i] +
                in(2).data[i];
          }
        }
    } else if (op == "relu" || op == "sigmoid" || op == "tanh" ||
               op == "gelu" || op == "identity" || op == "dropout") {
      const RefTensor &x = in(0);
      for (int64_t i = 0; i < x.size(); ++i) {
        double v = x.data[i];
        if (op == "relu")
          v = v > 0 ? v : 0;
        else if (op == "sigmoid")
          v = 1 / (1 + std::exp(-v));
        else if (op == "tanh")
          v = std::tanh(v);
        else if (op == "gelu")
          v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
        out.data[i] = v;
      }
    } else if (op == "softmax" || op == "log_softmax") {
      const RefTensor &x = in(0);
      int64_t axis = normAxis(node.getInt("axis"), x.shape.size());
      int64_t outer, len, inner;
      splitAround(x.shape, axis, outer, len, inner);
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t k = 0; k < inner; ++k) {
          auto at = [&](int64_t i) { return (a * len + i) * inner + k; };
          double mx = -std::numeric_limits<double>::infinity(), sum = 0;
          for (int64_t i = 0; i < len; ++i)
            mx = std::max(mx, x.data[at(i)]);
          for (int64_t i = 0; i < len; ++i)
            sum += std::exp(x.data[at(i)] - mx);
          for (int64_t i = 0; i < len; ++i)
            out.data[at(i)] = op == "softmax"
                                  ? std::exp(x.data[at(i)] - mx) / sum
                                  : x.data[at(i)] - mx - std::log(sum);
        }
    } else if (op == "add" || op == "sub" || op == "mul" || op == "div") {
      const RefTensor &a = in(0), &b = in(1);
      for (int64_t i = 0; i < out.size(); ++i) {
        std::vector<int64_t> idx = unravel(i, os);
        double u = a.data[broadcastIndex(idx, a.shape)];
        double v = b.data[broadcastIndex(idx, b.shape)];
        out.data[i] = op == "add"   ? u + v
                      : op == "sub" ? u - v
                      : op == "mul" ? u * v
                                    : u / v;
      }
    } else if (op == "matmul") {
      // NumPy: 1-D operands are promoted (and the added dim dropped, which
      // the inferred result shape already reflects).
      std::vector<int64_t> as = in(0).shape, bs = in(1).shape;
      if (as.size() == 1)
        as.insert(as.begin(), 1);
      if (bs.size() == 1)
        bs.push_back(1);
      int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
      if (bs[bs.size() - 2] != k)
        return fail(node, "matmul inner dims differ");
      std::vector<int64_t> abatch(as.begin(), as.end() - 2),
          bbatch(bs.begin(), bs.end() - 2), batch;
      size_t rank = std::max(abatch.size(), bbatch.size());
      for (size_t d = 0; d < rank; ++d) {
        int64_t x =
            d + abatch.size() >= rank ? abatch[d + abatch.size() - rank] : 1;
        int64_t y =
            d + bbatch.size() >= rank ? bbatch[d + bbatch.size() - rank] : 1;
        batch.push_back(std::max(x, y));
      }
      int64_t nb = std::accumulate(batch.begin(), batch.end(), int64_t(1),
                                   std::multiplies<>());
      if (out.size() != nb * m * n)
        return fail(node, "unexpected matmul output size");
      for (int64_t bi = 0; bi < nb; ++bi) {
        std::vector<int64_t> idx = unravel(bi, batch);
        int64_t ao = broadcastIndex(idx, abatch) * m * k;
        int64_t bo = broadcastIndex(idx, bbatch) * k * n;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double acc = 0;
            for (int64_t l = 0; l < k; ++l)
              acc += in(0).data[ao + i * k + l] * in(1).data[bo + l * n + j];
            out.data[(bi * m + i) * n + j] = acc;
          }
      }
    } else if (op == "flatten" || op == "reshape") {
      if (out.size() != in(0).size())
        return fail(node, "element count changes");
      out.data = in(0).data;
    } else if (op == "transpose") {
      const RefTensor &x = in(0);
      std::vector<int64_t> perm;
      if (node.getAttr("perm"))
        perm = node.getIntList("perm");
      else
        for (int64_t d = int64_t(x.shape.size()) - 1; d >= 0; --d)
          perm.push_back(d);
      std::vector<int64_t> xs = stridesOf(x.shape);
      for (size_t d = 0; d < perm.size(); ++d)
        if (os[d] != x.shape[perm[d]])
          return fail(node, "transpose shape differs from inference");
      for (int64_t i = 0; i < out.size(); ++i) {
        std::vector<int64_t> idx = unravel(i, os);
        int64_t src = 0;
        for (size_t d = 0; d < perm.size(); ++d)
          src += idx[d] * xs[perm[d]];
        out.data[i] = x.data[src];
      }
    } else if (op == "concat") {
      int64_t axis = normAxis(node.getInt("axis"), os.size());
      int64_t outer, len, inner;
      splitAround(os, axis, outer, len, inner);
      int64_t start = 0;
      for (unsigned p = 0; p < node.getNumOperands(); ++p) {
        const RefTensor &x = in(p);
        int64_t xl = x.shape[axis];
        for (int64_t a = 0; a < outer; ++a)
          for (int64_t i = 0; i < xl; ++i)
            for (int64_t k = 0; k < inner; ++k)
              out.data[(a * len + start + i) * inner + k] =
                  x.data[(a * xl + i) * inner + k];
        start += xl;
      }
    } else if (op == "embedding") {
      const RefTensor &ids = in(0), &w = in(1);
      int64_t dim = w.shape[1];
      for (int64_t i = 0; i < ids.size(); ++i) {
        int64_t id = int64_t(ids.data[i]);
        if (id < 0 || id >= w.shape[0])
          return fail(node, "id out of range");
        for (int64_t d = 0; d < dim; ++d)
          out.data[i * dim + d] = w.data[id * dim + d];
      }
    } else {
      return fail(node, "no reference for op '" + op + "'");
    }
    env[node.getName()] = std::move(out);
  }
  return env;
}

} // namespace shapeflow::test

#endif // SHAPEFLOW_TESTS_UNIT_DRIVER_REFERENCEINTERPRETER_H
