// MultiheadAttention (see attention.hpp).
#include "xgrad/nn/attention.hpp"

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/attention.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/reduction.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

namespace {

std::vector<std::ptrdiff_t> signed_shape(std::initializer_list<std::size_t> dims) {
  std::vector<std::ptrdiff_t> out;
  for (std::size_t d : dims) out.push_back(static_cast<std::ptrdiff_t>(d));
  return out;
}

}  // namespace

template <class T>
MultiheadAttention<T>::MultiheadAttention(std::size_t embed_dim, std::size_t num_heads,
                                          MultiheadAttentionOptions options)
    : embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(options.kdim == 0 ? embed_dim : options.kdim),
      vdim_(options.vdim == 0 ? embed_dim : options.vdim),
      options_(options),
      packed_(kdim_ == embed_dim && vdim_ == embed_dim) {
  if (embed_dim == 0 || num_heads == 0) {
    throw DomainError(where() + ": embed_dim and num_heads must be positive");
  }
  if (embed_dim % num_heads != 0) {
    throw DomainError(where() + ": embed_dim " + std::to_string(embed_dim) +
                      " is not divisible by num_heads " + std::to_string(num_heads));
  }
  if (!(options.dropout >= 0.0 && options.dropout < 1.0)) {
    throw DomainError(where() + ": dropout must satisfy 0 <= p < 1, got " +
                      detail::num_str(options.dropout));
  }
  Generator& gen = options.generator ? *options.generator : default_generator();
  const std::size_t e = embed_dim;
  // Xavier-uniform with torch's fans: its (out, in) tensors have fan_in = in, fan_out = out.
  auto xavier = [&gen](std::size_t in, std::size_t out) {
    Tensor<T> w = Tensor<T>::zeros({in, out});
    initialize(w, Init::glorot_uniform, in, out, gen);
    return w;
  };
  if (packed_) {
    this->register_parameter("in_proj_weight", xavier(e, 3 * e));  // own_parameter(0)
  } else {
    this->register_parameter("q_proj_weight", xavier(e, e));      // own_parameter(0)
    this->register_parameter("k_proj_weight", xavier(kdim_, e));  // own_parameter(1)
    this->register_parameter("v_proj_weight", xavier(vdim_, e));  // own_parameter(2)
  }
  if (options.bias) this->register_parameter("in_proj_bias", Tensor<T>::zeros({3 * e}));
  out_proj_ = this->register_module("out_proj", Linear<T>(e, e,
                                                          {.bias = options.bias,
                                                           .weight_init = Init::torch_uniform,
                                                           .bias_init = Init::zeros,
                                                           .generator = &gen}));
}

template <class T>
std::string MultiheadAttention<T>::where() const {
  return "MultiheadAttention(embed_dim=" + std::to_string(embed_dim_) +
         ", num_heads=" + std::to_string(num_heads_) + ")";
}

template <class T>
Tensor<T> MultiheadAttention<T>::forward(const Tensor<T>& x) {
  if (!packed_) {
    throw ShapeError(where() + ": forward(x) is self-attention, which needs kdim = vdim = " +
                     "embed_dim (got kdim " + std::to_string(kdim_) + ", vdim " +
                     std::to_string(vdim_) + "); call attend(query, key, value)");
  }
  return attend(x, x, x, {}, {.need_weights = false}).output;
}

template <class T>
void MultiheadAttention<T>::project(const Tensor<T>& query, const Tensor<T>& key,
                                    const Tensor<T>& value, Tensor<T>& q, Tensor<T>& k,
                                    Tensor<T>& v) {
  const std::size_t e = embed_dim_;
  Tensor<T> wq, wk, wv, bq, bk, bv;
  if (packed_) {
    const Tensor<T>& w = this->own_parameter(0);
    wq = narrow(w, 1, 0, e);
    wk = narrow(w, 1, e, e);
    wv = narrow(w, 1, 2 * e, e);
  } else {
    wq = this->own_parameter(0);
    wk = this->own_parameter(1);
    wv = this->own_parameter(2);
  }
  if (options_.bias) {
    const Tensor<T>& b = in_proj_bias();
    bq = narrow(b, 0, 0, e);
    bk = narrow(b, 0, e, e);
    bv = narrow(b, 0, 2 * e, e);
  }
  q = linear(query, wq, bq);
  k = linear(key, wk, bk);
  v = linear(value, wv, bv);
}

template <class T>
MultiheadAttentionOutput<T> MultiheadAttention<T>::attend(const Tensor<T>& query,
                                                          const Tensor<T>& key,
                                                          const Tensor<T>& value,
                                                          const AttentionMasks<T>& masks,
                                                          AttentionWeightsOptions weights) {
  if (!query.defined() || !key.defined() || !value.defined()) {
    throw GraphError(where() + ": query, key or value is undefined");
  }
  const Shape qs0 = query.shape(), ks0 = key.shape(), vs0 = value.shape();
  const std::string shapes =
      "query " + shape_str(qs0) + ", key " + shape_str(ks0) + ", value " + shape_str(vs0);
  const bool batched = qs0.size() == 3;
  if (!(qs0.size() == 2 || qs0.size() == 3) || ks0.size() != qs0.size() ||
      vs0.size() != qs0.size()) {
    throw ShapeError(where() + ": query, key and value must all be 3-D " +
                     std::string(options_.batch_first ? "(N, L, E)" : "(L, N, E)") +
                     " or all 2-D (L, E) (unbatched); got " + shapes);
  }
  // Unbatched inputs run as a batch of one, batch-first.
  const bool bf = options_.batch_first || !batched;
  const Tensor<T> qx = batched ? query : unsqueeze(query, 0);
  const Tensor<T> kx = batched ? key : unsqueeze(key, 0);
  const Tensor<T> vx = batched ? value : unsqueeze(value, 0);
  const Shape qs = qx.shape(), ks = kx.shape(), vs = vx.shape();
  const std::size_t b_ax = bf ? 0 : 1, s_ax = bf ? 1 : 0;
  const std::size_t n = qs[b_ax], l = qs[s_ax], s = ks[s_ax], e = embed_dim_, h = num_heads_,
                    d = e / h;
  if (qs[2] != e || ks[2] != kdim_ || vs[2] != vdim_ || ks[b_ax] != n || vs[b_ax] != n ||
      vs[s_ax] != s) {
    const std::string lay = bf ? (batched ? "(N, L, " : "(L, ") : "(L, N, ";
    const std::string kl = bf ? (batched ? "(N, S, " : "(S, ") : "(S, N, ";
    throw ShapeError(where() + ": expected query " + lay + std::to_string(e) + "), key " + kl +
                     std::to_string(kdim_) + ") and value " + kl + std::to_string(vdim_) +
                     ") with one N and one S; got " + shapes);
  }

  Tensor<T> q, k, v;
  project(qx, kx, vx, q, k, v);
  // (A, B, E) -> (A, B, H, D) -> (N, H, L, D).
  const std::vector<std::size_t> to_heads =
      bf ? std::vector<std::size_t>{0, 2, 1, 3} : std::vector<std::size_t>{1, 2, 0, 3};
  auto heads = [&](const Tensor<T>& t, std::size_t len) {
    const auto split = bf ? signed_shape({n, len, h, d}) : signed_shape({len, n, h, d});
    return permute(reshape(t, split), to_heads);
  };

  AttentionOptions<T> o;
  const std::string mask_where = where() + ": ";
  std::optional<xt::xarray<bool>> blocked;
  if (masks.key_padding_mask) {
    const auto& m = *masks.key_padding_mask;
    const Shape want = batched ? Shape{n, s} : Shape{s};
    if (Shape(m.shape().begin(), m.shape().end()) != want) {
      throw ShapeError(mask_where + "key_padding_mask of shape " + shape_str(m.shape()) +
                       " should be " + shape_str(want) + " for " + shapes);
    }
    xt::xarray<bool> kpm = m;
    kpm.reshape({n, 1, 1, s});
    blocked = std::move(kpm);
  }
  auto per_head = [&](const Shape& ms, const char* what) {
    const Shape two{l, s}, three{n * h, l, s};
    if (ms != two && ms != three) {
      throw ShapeError(mask_where + what + " of shape " + shape_str(ms) + " should be " +
                       shape_str(two) + " or " + shape_str(three) + " (N * num_heads, L, S) for " +
                       shapes);
    }
    return ms == three;
  };
  if (masks.attn_mask) {
    xt::xarray<bool> am = *masks.attn_mask;
    if (per_head(Shape(am.shape().begin(), am.shape().end()), "attn_mask"))
      am.reshape({n, h, l, s});
    if (blocked) {
      blocked = xt::xarray<bool>(*blocked || am);
    } else {
      blocked = std::move(am);
    }
  }
  if (blocked) o.mask = xt::xarray<bool>(!*blocked);
  if (masks.attn_bias.defined()) {
    o.bias = per_head(masks.attn_bias.shape(), "attn_bias")
                 ? reshape(masks.attn_bias, signed_shape({n, h, l, s}))
                 : masks.attn_bias;
  }
  o.causal = masks.is_causal;
  o.dropout_p = this->is_training() ? options_.dropout : 0.0;
  o.generator = options_.generator;

  const AttentionResult<T> r =
      scaled_dot_product_attention_with_weights(heads(q, l), heads(k, s), heads(v, s), o);
  // (N, H, L, D) -> (A, B, H, D) -> (A, B, E).
  const std::vector<std::size_t> from_heads =
      bf ? std::vector<std::size_t>{0, 2, 1, 3} : std::vector<std::size_t>{2, 0, 1, 3};
  const auto merged = bf ? signed_shape({n, l, e}) : signed_shape({l, n, e});
  Tensor<T> out = out_proj_->forward(reshape(permute(r.output, from_heads), merged));
  MultiheadAttentionOutput<T> result;
  result.output = batched ? out : squeeze(out, 0);
  if (weights.need_weights) {
    Tensor<T> w = weights.average_attn_weights ? mean(r.weights, 1) : r.weights;
    result.weights = batched ? w : squeeze(w, 0);
  }
  return result;
}

template <class T>
std::string MultiheadAttention<T>::extra_repr() const {
  std::string s = "embed_dim=" + std::to_string(embed_dim_) +
                  ", num_heads=" + std::to_string(num_heads_) +
                  ", dropout=" + detail::num_str(options_.dropout) +
                  ", bias=" + detail::bool_str(options_.bias) +
                  ", batch_first=" + detail::bool_str(options_.batch_first);
  if (!packed_) s += ", kdim=" + std::to_string(kdim_) + ", vdim=" + std::to_string(vdim_);
  return s;
}

#define XG_INSTANTIATE(T) template class MultiheadAttention<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
