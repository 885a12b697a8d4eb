// scaled_dot_product_attention, composed of recorded operations (see attention.hpp): the
// checks, the combined boolean mask, and the refusal of a query row with nothing to attend.
#include "xgrad/ops/attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ops/util.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/linalg.hpp"

namespace xg {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

using detail::array_shape;

std::string shapes_str(const array_shape& q, const array_shape& k, const array_shape& v) {
  return "q " + shape_str(q) + ", k " + shape_str(k) + ", v " + shape_str(v);
}

/// The leading (batch) axes of a shape of rank >= 2.
array_shape batch_of(const array_shape& s) {
  return array_shape(s.begin(), s.end() - 2);
}

/// The broadcast of two batch shapes, or ShapeError naming the op and all three operands.
array_shape broadcast_batch(const array_shape& a, const array_shape& b, const array_shape& q,
                            const array_shape& k, const array_shape& v) {
  try {
    return detail::broadcast_shape(kOp, a, b);
  } catch (const ShapeError&) {
    throw ShapeError(std::string(kOp) + ": the batch axes of " + shapes_str(q, k, v) +
                     " do not broadcast together");
  }
}

/// ShapeError unless a mask of shape `m` broadcasts to the scores' shape `s` without enlarging
/// it (a mask may not add batch axes the product q k^T does not have).
void require_broadcasts_to(const char* what, const array_shape& m, const array_shape& s,
                           const std::string& operands) {
  bool ok = m.size() <= s.size();
  for (std::size_t i = 0; ok && i < m.size(); ++i) {
    const std::size_t d = m[m.size() - 1 - i];
    ok = d == 1 || d == s[s.size() - 1 - i];
  }
  if (!ok) {
    throw ShapeError(std::string(kOp) + ": the " + what + " of shape " + shape_str(m) +
                     " does not broadcast to the scores' shape " + shape_str(s) + " (" + operands +
                     ")");
  }
}

/// `mask` broadcast to the scores' shape `s` (which it fits, require_broadcasts_to), a row of
/// the last axis at a time: a copy, or one value repeated.
xt::xarray<bool> broadcast_mask(const xt::xarray<bool>& mask, const array_shape& s) {
  xt::xarray<bool> out = xt::xarray<bool>::from_shape(s);
  const std::size_t rank = s.size(), keys = s.back(), rows = out.size() / keys;
  const auto& ms = mask.shape();
  // The mask's stride along each axis of s (0 where it broadcasts or is missing).
  std::vector<std::size_t> stride(rank, 0);
  std::size_t step = 1;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const std::size_t axis = rank - 1 - i, d = ms[ms.size() - 1 - i];
    stride[axis] = d == 1 ? 0 : step;
    step *= d;
  }
  const bool* m = mask.data();
  bool* o = out.data();
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t at = 0;
    for (std::size_t axis = rank - 1, rest = r; axis-- > 0;) {
      at += (rest % s[axis]) * stride[axis];
      rest /= s[axis];
    }
    bool* row = o + r * keys;
    if (stride[rank - 1] == 0) {
      std::fill(row, row + keys, m[at]);
    } else {
      std::copy(m + at, m + at + keys, row);
    }
  }
  return out;
}

/// The boolean mask of the scores' shape: `mask` broadcast (or all true), and j > i cleared in
/// every (L, S) block when causal.
xt::xarray<bool> keep_mask(const std::optional<xt::xarray<bool>>& mask, bool causal,
                           const array_shape& s) {
  xt::xarray<bool> keep;
  if (mask) {
    keep = mask->shape() == s ? *mask : broadcast_mask(*mask, s);
  } else {
    keep = xt::xarray<bool>::from_shape(s);
    std::fill(keep.begin(), keep.end(), true);
  }
  if (causal) {
    const std::size_t len = s[s.size() - 2], keys = s.back();
    const std::size_t blocks = detail::span_count(s, 0, s.size() - 2);
    bool* p = keep.data();
    for (std::size_t b = 0; b < blocks; ++b) {
      for (std::size_t i = 0; i < len; ++i) {
        bool* row = p + (b * len + i) * keys;
        for (std::size_t j = i + 1; j < keys; ++j) row[j] = false;
      }
    }
  }
  return keep;
}

/// DomainError naming the first query row whose scores are all -inf (every key masked).
template <class T>
void require_a_key_per_row(const xt::xarray<T>& scores) {
  const auto& s = scores.shape();
  const std::size_t keys = s.back();
  const std::size_t rows = scores.size() / keys;
  const T* p = scores.data();
  const T minus_inf = -std::numeric_limits<T>::infinity();
  for (std::size_t r = 0; r < rows; ++r) {
    const T* row = p + r * keys;
    std::size_t j = 0;
    while (j < keys && row[j] == minus_inf) ++j;
    if (j == keys) {
      const array_shape rows_shape(s.begin(), s.end() - 1);
      throw DomainError(std::string(kOp) + ": query row " + detail::index_str(r, rows_shape) +
                        " of the scores of shape " + shape_str(s) +
                        " has every key masked (by the mask, causal or -inf in the bias), so its "
                        "softmax is 0 / 0 (PyTorch returns NaN there)");
    }
  }
}

/// Inverted dropout on the weights: a constant mask of 0 and 1 / (1 - p), one raw 64-bit draw
/// per element (as nn::Dropout).
template <class T>
Tensor<T> dropout_weights(const Tensor<T>& w, double p, Generator* generator) {
  Generator& gen = generator ? *generator : default_generator();
  const auto cut = static_cast<std::uint64_t>(p * 18446744073709551616.0);  // p * 2^64 < 2^64
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  xt::xarray<T> mask = xt::xarray<T>::from_shape(w.value().shape());
  for (auto& m : mask) m = gen() >= cut ? scale : T(0);
  return mul(w, detail::constant<T>(std::move(mask)));
}

}  // namespace

template <class T>
AttentionResult<T> scaled_dot_product_attention_with_weights(const Tensor<T>& q, const Tensor<T>& k,
                                                             const Tensor<T>& v,
                                                             const AttentionOptions<T>& options) {
  detail::require_defined(kOp, q);
  detail::require_defined(kOp, k);
  detail::require_defined(kOp, v);
  const auto& qs = q.value().shape();
  const auto& ks = k.value().shape();
  const auto& vs = v.value().shape();
  const std::string operands = shapes_str(qs, ks, vs);
  if (qs.size() < 2 || ks.size() < 2 || vs.size() < 2) {
    throw ShapeError(std::string(kOp) + ": q (..., L, E), k (..., S, E) and v (..., S, Ev) need " +
                     "at least 2 axes each; got " + operands);
  }
  if (qs.back() != ks.back()) {
    throw ShapeError(std::string(kOp) +
                     ": q and k must have the same feature size E (last axis); " + "got " +
                     operands);
  }
  if (ks[ks.size() - 2] != vs[vs.size() - 2]) {
    throw ShapeError(std::string(kOp) + ": k and v must have the same length S (second-to-last " +
                     "axis); got " + operands);
  }
  if (ks[ks.size() - 2] == 0) {
    throw ShapeError(std::string(kOp) + ": no keys to attend (S = 0); got " + operands);
  }
  const array_shape qk_batch = broadcast_batch(batch_of(qs), batch_of(ks), qs, ks, vs);
  broadcast_batch(qk_batch, batch_of(vs), qs, ks, vs);
  array_shape scores_shape = qk_batch;
  scores_shape.push_back(qs[qs.size() - 2]);
  scores_shape.push_back(ks[ks.size() - 2]);
  if (options.mask) require_broadcasts_to("mask", options.mask->shape(), scores_shape, operands);
  if (options.bias.defined()) {
    require_broadcasts_to("bias", options.bias.value().shape(), scores_shape, operands);
  }
  if (!options.scale && qs.back() == 0) {
    throw ShapeError(std::string(kOp) + ": the feature size E is 0, so the default scale " +
                     "1 / sqrt(E) is infinite; got " + operands);
  }
  if (!(options.dropout_p >= 0.0 && options.dropout_p < 1.0)) {
    throw DomainError(std::string(kOp) + ": dropout_p must satisfy 0 <= p < 1, got " +
                      detail::num_str(options.dropout_p));
  }

  const T scale =
      options.scale ? static_cast<T>(*options.scale) : T(1) / std::sqrt(static_cast<T>(qs.back()));
  Tensor<T> scores = matmul(mul(q, scale), k, MatmulOptions{.transpose_b = true});
  if (options.bias.defined()) scores = add(scores, options.bias);
  if (options.mask || options.causal) {
    scores = xg::where(keep_mask(options.mask, options.causal, scores_shape), scores,
                       Tensor<T>::scalar(-std::numeric_limits<T>::infinity()));
  }
  if (options.mask || options.causal || options.bias.defined()) {
    require_a_key_per_row(scores.value());
  }
  Tensor<T> weights = softmax(scores, -1);
  if (options.dropout_p > 0.0)
    weights = dropout_weights(weights, options.dropout_p, options.generator);
  Tensor<T> output = matmul(weights, v);
  return {std::move(output), std::move(weights)};
}

template <class T>
Tensor<T> scaled_dot_product_attention(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v,
                                       const AttentionOptions<T>& options) {
  return scaled_dot_product_attention_with_weights(q, k, v, options).output;
}

#define XG_INSTANTIATE(T)                                                                \
  template AttentionResult<T> scaled_dot_product_attention_with_weights(                 \
      const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const AttentionOptions<T>&); \
  template Tensor<T> scaled_dot_product_attention(const Tensor<T>&, const Tensor<T>&,    \
                                                  const Tensor<T>&, const AttentionOptions<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
