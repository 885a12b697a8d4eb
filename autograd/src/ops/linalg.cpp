// matmul with NumPy's rules on top of one recorded core operation that calls sgemm / dgemm on
// the contiguous buffers.
//
// Core: C = op(A) op(B), op(X) = X or X^T as a BLAS flag (never a transposed copy), for 2-D
// operands or a batch of 3-D ones; a 2-D operand next to a 3-D one is reused for every batch
// entry (stride 0), and the engine's central sum_to adds its per-batch gradients up. The
// backward rules are the same core with other flags:
//   dop(A) = G op(B)^T,  dop(B) = op(A)^T G,
// so without create_graph they are plain gemm calls, and with create_graph they are recorded
// (second derivatives for free). 1-D operands, 3-D x 2-D and broadcast batches are composed
// from reshape / broadcast_to around the core, so their gradients come for free as well.
#include "xgrad/ops/linalg.hpp"

#include <string>

#include "kernels/blas.hpp"
#include "kernels/buffer.hpp"
#include "kernels/rows.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// op(a) op(b), operands of rank 2 or 3 (equal batch when both are 3-D), inner dimensions
/// already checked. Recorded as "matmul".
XG_RULE_TEXT(matmul, "out = a @ b; da = g @ b^T, db = a^T @ g");
template <class T>
Tensor<T> mm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
  const auto& av = a.value();
  const auto& bv = b.value();
  const auto& as = av.shape();
  const auto& bs = bv.shape();
  const std::size_t ra = as.size(), rb = bs.size();
  const std::size_t a_rows = as[ra - 2], a_cols = as[ra - 1];
  const std::size_t b_rows = bs[rb - 2], b_cols = bs[rb - 1];
  const std::size_t m = ta ? a_cols : a_rows;
  const std::size_t k = ta ? a_rows : a_cols;
  const std::size_t n = tb ? b_rows : b_cols;
  const bool batched = ra == 3 || rb == 3;
  const std::size_t batch = ra == 3 ? as[0] : (rb == 3 ? bs[0] : 1);
  xt::xarray<T> out = detail::uninitialized_array<T>(
      "matmul", batched ? array_shape{batch, m, n} : array_shape{m, n});
  const std::size_t a_step = ra == 3 ? a_rows * a_cols : 0;
  const std::size_t b_step = rb == 3 ? b_rows * b_cols : 0;
  for (std::size_t i = 0; i < batch; ++i) {
    blas::gemm(ta, tb, m, n, k, T(1), av.data() + i * a_step, a_cols, bv.data() + i * b_step,
               b_cols, T(0), out.data() + i * m * n, n);
  }
  return record<T>("matmul", std::move(out), {a, b}, [ta, tb](BackwardContext<T>& c) {
    const auto& g = c.grad;
    const auto& a = c.inputs[0];
    const auto& b = c.inputs[1];
    if (c.needs(0)) c.input_grads[0] = ta ? mm(b, g, tb, true) : mm(g, b, false, !tb);
    if (c.needs(1)) c.input_grads[1] = tb ? mm(g, a, true, ta) : mm(a, g, !ta, false);
  });
}

std::vector<std::ptrdiff_t> signed_shape(const array_shape& s) {
  return std::vector<std::ptrdiff_t>(s.begin(), s.end());
}

std::size_t numel(const array_shape& s) {
  std::size_t p = 1;
  for (auto d : s) p *= d;
  return p;
}

/// `batch` with the two matrix dimensions appended.
array_shape with_matrix(array_shape batch, std::size_t rows, std::size_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

/// True when `b`, padded with leading ones, equals `full`.
bool same_batch(const array_shape& b, const array_shape& full) {
  if (b.size() > full.size()) return false;
  const std::size_t lead = full.size() - b.size();
  for (std::size_t i = 0; i < full.size(); ++i) {
    if ((i < lead ? 1 : b[i - lead]) != full[i]) return false;
  }
  return true;
}

/// x (rank >= 2) as a 2-D matrix when its batch is all ones (the core reuses it for every batch
/// entry), else as a (P, rows, cols) batch over `batch` (broadcast first if its batch differs).
template <class T>
Tensor<T> as_core_operand(const Tensor<T>& x, const array_shape& batch) {
  const auto& s = x.value().shape();
  const std::size_t r = s.size();
  const std::size_t rows = s[r - 2], cols = s[r - 1];
  const array_shape own(s.begin(), s.end() - 2);
  if (numel(own) == 1) {
    return r == 2
               ? x
               : reshape(x, {static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)});
  }
  Tensor<T> full = same_batch(own, batch)
                       ? x
                       : broadcast_to(x, detail::to_shape(with_matrix(batch, rows, cols)));
  return reshape(full, {static_cast<std::ptrdiff_t>(numel(batch)),
                        static_cast<std::ptrdiff_t>(rows), static_cast<std::ptrdiff_t>(cols)});
}

}  // namespace

template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  return matmul(a, b, MatmulOptions{});
}

template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b, MatmulOptions options) {
  detail::require_defined("matmul", a);
  detail::require_defined("matmul", b);
  const auto& as = a.value().shape();
  const auto& bs = b.value().shape();
  const bool ta = options.transpose_a, tb = options.transpose_b;
  auto flags = [&] {
    std::string f;
    if (ta) f += " with the first transposed";
    if (tb) f += ta ? " and the second transposed" : " with the second transposed";
    return f;
  };
  if (as.empty() || bs.empty()) {
    throw ShapeError("matmul: shapes " + shape_str(as) + " and " + shape_str(bs) +
                     ": a 0-d operand has no matrix product (use mul)");
  }
  if ((ta && as.size() < 2) || (tb && bs.size() < 2)) {
    throw ShapeError("matmul: shapes " + shape_str(as) + " and " + shape_str(bs) + flags() +
                     ": only operands of rank 2 or more can be transposed");
  }
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  // The matrix dimensions of op(a) (m, ka) and op(b) (kb, n).
  const std::size_t ka = a_vec ? as[0] : (ta ? as[as.size() - 2] : as.back());
  const std::size_t kb = b_vec ? bs[0] : (tb ? bs.back() : bs[bs.size() - 2]);
  if (ka != kb) {
    throw ShapeError("matmul: shapes " + shape_str(as) + " and " + shape_str(bs) + flags() +
                     " are not aligned: inner dimensions " + std::to_string(ka) + " (" +
                     (a_vec ? "the only axis" : (ta ? "second-to-last axis" : "last axis")) +
                     " of the first) and " + std::to_string(kb) + " (" +
                     (b_vec ? "the only axis" : (tb ? "last axis" : "second-to-last axis")) +
                     " of the second) differ");
  }
  const array_shape batch_a(as.begin(), as.end() - (a_vec ? 1 : 2));
  const array_shape batch_b(bs.begin(), bs.end() - (b_vec ? 1 : 2));
  array_shape batch;
  try {
    batch = detail::broadcast_shape("matmul", batch_a, batch_b);
  } catch (const ShapeError&) {
    throw ShapeError("matmul: shapes " + shape_str(as) + " and " + shape_str(bs) +
                     ": batch dimensions " + shape_str(batch_a) + " and " + shape_str(batch_b) +
                     " cannot be broadcast together");
  }
  const std::size_t m = a_vec ? 1 : (ta ? as.back() : as[as.size() - 2]);
  const std::size_t n = b_vec ? 1 : (tb ? bs[bs.size() - 2] : bs.back());
  array_shape out_shape(batch);
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);

  // The common case: plain 2-D product, no reshapes at all.
  if (as.size() == 2 && bs.size() == 2) return mm(a, b, ta, tb);

  const auto k = static_cast<std::ptrdiff_t>(ka);
  Tensor<T> A = a_vec ? reshape(a, {1, k}) : a;
  Tensor<T> B = b_vec ? reshape(b, {k, 1}) : b;
  Tensor<T> r;
  if (numel(batch_b) == 1 && !ta) {
    // B is one matrix (its batch, if any, is all ones), so batch == batch_a padded with ones:
    // every row of every batch entry of A times B is a single (P*m, k) x (k, n) product.
    if (B.dim() != 2) {
      const auto& s = B.value().shape();
      B = reshape(
          B, {static_cast<std::ptrdiff_t>(s[s.size() - 2]), static_cast<std::ptrdiff_t>(s.back())});
    }
    if (A.dim() != 2) A = reshape(A, {static_cast<std::ptrdiff_t>(numel(batch) * m), k});
    r = mm(A, B, false, tb);
  } else {
    r = mm(as_core_operand(A, batch), as_core_operand(B, batch), ta, tb);
  }
  return reshape(r, signed_shape(out_shape));
}

XG_RULE_TEXT(linear, "out = x W + b; dx = g W^T, dW = x^T g, db = g summed over the rows");
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
  detail::require_defined("linear", x);
  detail::require_defined("linear", w);
  const auto& xs = x.value().shape();
  const auto& ws = w.value().shape();
  auto fail = [&](const std::string& why) {
    std::string shapes = "linear: input " + shape_str(xs) + ", weight " + shape_str(ws);
    if (b.defined()) shapes += ", bias " + shape_str(b.value().shape());
    throw ShapeError(shapes + ": " + why);
  };
  if (ws.size() != 2) fail("the weight must be 2-D (in, out)");
  const std::size_t in = ws[0], out = ws[1];
  if (xs.empty() || xs.back() != in) {
    fail("the input must end in " + std::to_string(in) + " features (the weight's first axis)");
  }
  if (b.defined() && (b.value().dimension() != 1 || b.value().shape()[0] != out)) {
    fail("the bias must have shape (" + std::to_string(out) + ")");
  }
  if (xs.size() > 2) return b.defined() ? add(matmul(x, w), b) : matmul(x, w);

  const std::size_t rows = xs.size() == 2 ? xs[0] : 1;
  auto y = xs.size() == 2 ? detail::uninitialized_array<T>("linear", {rows, out})
                          : detail::uninitialized_array<T>("linear", {out});
  // y = x W, then + b row by row: the same rounding as matmul followed by add.
  blas::gemm(false, false, rows, out, in, T(1), x.value().data(), in, w.value().data(), out, T(0),
             y.data(), out);
  if (b.defined()) kernels::add_row_to_rows(b.value().data(), out, rows, y.data());
  // dx = g W^T, dW = x^T g, db = g summed over the rows: the matmul core with transposed
  // operands (a BLAS flag, never a copy).
  auto rule = [](BackwardContext<T>& c) {
    const auto& x = c.inputs[0];
    const auto& w = c.inputs[1];
    const bool vec = x.dim() == 1;
    const auto in = static_cast<std::ptrdiff_t>(w.value().shape()[0]);
    const auto out = static_cast<std::ptrdiff_t>(w.value().shape()[1]);
    const Tensor<T> g = vec ? reshape(c.grad, {1, out}) : c.grad;
    if (c.needs(0)) {
      Tensor<T> dx = mm(g, w, false, true);
      c.input_grads[0] = vec ? reshape(dx, {in}) : dx;
    }
    if (c.needs(1)) c.input_grads[1] = mm(vec ? reshape(x, {1, in}) : x, g, true, false);
    if (c.inputs.size() == 3 && c.needs(2)) c.input_grads[2] = sum(g, 0);
  };
  if (b.defined()) return record<T>("linear", std::move(y), {x, w, b}, std::move(rule));
  return record<T>("linear", std::move(y), {x, w}, std::move(rule));
}

#define XG_INSTANTIATE(T)                                                       \
  template Tensor<T> matmul(const Tensor<T>&, const Tensor<T>&);                \
  template Tensor<T> matmul(const Tensor<T>&, const Tensor<T>&, MatmulOptions); \
  template Tensor<T> linear(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
