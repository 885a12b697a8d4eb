// TransformerEncoderLayer and TransformerEncoder (see transformer.hpp).
#include "xgrad/nn/transformer.hpp"

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/ops/activation.hpp"
#include "xgrad/ops/elementwise.hpp"

namespace xg::nn {

namespace {

const char* activation_str(TransformerActivation a) {
  return a == TransformerActivation::relu ? "relu" : "gelu";
}

}  // namespace

template <class T>
TransformerEncoderLayer<T>::TransformerEncoderLayer(std::size_t d_model, std::size_t nhead,
                                                    TransformerEncoderLayerOptions options)
    : d_model_(d_model), nhead_(nhead), options_(options) {
  const std::string where = "TransformerEncoderLayer(d_model=" + std::to_string(d_model) +
                            ", nhead=" + std::to_string(nhead) + ")";
  if (options.dim_feedforward == 0) throw DomainError(where + ": dim_feedforward must be positive");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0)) {
    throw DomainError(where + ": dropout must satisfy 0 <= p < 1, got " +
                      detail::num_str(options.dropout));
  }
  Generator* gen = options.generator;
  // PyTorch's registration order, hence its parameter order.
  self_attn_ = this->register_module(
      "self_attn",
      MultiheadAttention<T>(
          d_model, nhead,
          {.dropout = options.dropout, .batch_first = options.batch_first, .generator = gen}));
  const LinearOptions lin{
      .weight_init = Init::torch_uniform, .bias_init = Init::torch_uniform, .generator = gen};
  linear1_ = this->register_module("linear1", Linear<T>(d_model, options.dim_feedforward, lin));
  dropout_ = this->register_module("dropout", Dropout<T>(options.dropout, gen));
  linear2_ = this->register_module("linear2", Linear<T>(options.dim_feedforward, d_model, lin));
  norm1_ = this->register_module("norm1", LayerNorm<T>({d_model}, options.layer_norm_eps));
  norm2_ = this->register_module("norm2", LayerNorm<T>({d_model}, options.layer_norm_eps));
  dropout1_ = this->register_module("dropout1", Dropout<T>(options.dropout, gen));
  dropout2_ = this->register_module("dropout2", Dropout<T>(options.dropout, gen));
}

template <class T>
Tensor<T> TransformerEncoderLayer<T>::forward(const Tensor<T>& src) {
  return encode(src);
}

template <class T>
Tensor<T> TransformerEncoderLayer<T>::self_attention_block(const Tensor<T>& x,
                                                           const AttentionMasks<T>& masks) {
  return (*dropout1_)(self_attn_->attend(x, x, x, masks, {.need_weights = false}).output);
}

template <class T>
Tensor<T> TransformerEncoderLayer<T>::feed_forward_block(const Tensor<T>& x) {
  const Tensor<T> h = (*linear1_)(x);
  const Tensor<T> a = options_.activation == TransformerActivation::relu ? relu(h) : gelu(h);
  return (*dropout2_)((*linear2_)((*dropout_)(a)));
}

template <class T>
Tensor<T> TransformerEncoderLayer<T>::encode(const Tensor<T>& src, const AttentionMasks<T>& masks) {
  if (!src.defined()) throw GraphError("TransformerEncoderLayer: the input is undefined");
  Tensor<T> x = src;
  if (options_.norm_first) {
    x = add(x, self_attention_block((*norm1_)(x), masks));
    return add(x, feed_forward_block((*norm2_)(x)));
  }
  x = (*norm1_)(add(x, self_attention_block(x, masks)));
  return (*norm2_)(add(x, feed_forward_block(x)));
}

template <class T>
std::string TransformerEncoderLayer<T>::extra_repr() const {
  return "d_model=" + std::to_string(d_model_) + ", nhead=" + std::to_string(nhead_) +
         ", dim_feedforward=" + std::to_string(options_.dim_feedforward) +
         ", dropout=" + detail::num_str(options_.dropout) +
         ", activation=" + activation_str(options_.activation) +
         ", layer_norm_eps=" + detail::num_str(options_.layer_norm_eps) +
         ", batch_first=" + detail::bool_str(options_.batch_first) +
         ", norm_first=" + detail::bool_str(options_.norm_first);
}

template <class T>
TransformerEncoder<T>::TransformerEncoder(const TransformerEncoderLayer<T>& layer,
                                          std::size_t num_layers, std::shared_ptr<Module<T>> norm)
    : norm_(std::move(norm)) {
  if (num_layers == 0) throw DomainError("TransformerEncoder: num_layers must be positive");
  auto list = this->register_module("layers", std::make_shared<Sequential<T>>());
  const auto source = layer.named_parameters();
  for (std::size_t i = 0; i < num_layers; ++i) {
    // A deep copy, as PyTorch's _get_clones: a new layer of the same configuration, given the
    // source's values (its own initial draws are overwritten).
    auto copy = std::make_shared<TransformerEncoderLayer<T>>(layer.d_model(), layer.nhead(),
                                                             layer.options());
    const auto target = copy->named_parameters();
    for (std::size_t p = 0; p < target.size(); ++p) {
      Tensor<T> t = target[p].second;
      t.mutable_value() = source.at(p).second.value();
    }
    copy->train(layer.is_training());
    list->add(copy);
    layers_.push_back(std::move(copy));
  }
  if (norm_) this->register_module("norm", norm_);
}

template <class T>
Tensor<T> TransformerEncoder<T>::forward(const Tensor<T>& src) {
  return encode(src);
}

template <class T>
Tensor<T> TransformerEncoder<T>::encode(const Tensor<T>& src, const AttentionMasks<T>& masks) {
  Tensor<T> x = src;
  for (auto& layer : layers_) x = layer->encode(x, masks);
  return norm_ ? (*norm_)(x) : x;
}

template <class T>
std::string TransformerEncoder<T>::extra_repr() const {
  return "num_layers=" + std::to_string(layers_.size());
}

#define XG_INSTANTIATE(T)                    \
  template class TransformerEncoderLayer<T>; \
  template class TransformerEncoder<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
