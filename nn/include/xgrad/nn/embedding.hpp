// Embedding: a learned table of num_embeddings vectors of size embedding_dim, looked up by
// integer ids (PyTorch's nn.Embedding).
#pragma once

#include <cstddef>
#include <optional>

#include <xtensor/xarray.hpp>

#include "xgrad/nn/module.hpp"
#include "xgrad/nn/random.hpp"

namespace xg::nn {

template <class T = float>
class Embedding : public Module<T> {
 public:
  /// weight (num_embeddings, embedding_dim) drawn from N(0, 1) (PyTorch's init) from
  /// `generator` (nullptr: the default generator), with the row at padding_idx (negative:
  /// counted from the end) set to zero; that row gets no gradient (xg::embedding). DomainError
  /// for a zero size, IndexError for padding_idx outside [-num_embeddings, num_embeddings).
  Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
            std::optional<std::ptrdiff_t> padding_idx = std::nullopt,
            Generator* generator = nullptr);
  /// ids of any shape -> ids.shape + (embedding_dim). IndexError for an id >= num_embeddings.
  Tensor<T> forward(const xt::xarray<std::size_t>& ids);
  /// The same for ids held as the values of a tensor (so the layer can open a Sequential):
  /// each value must be a non-negative whole number (DomainError naming the layer, the value
  /// and its position otherwise). No gradient flows to `ids` (a lookup is flat in its index).
  Tensor<T> forward(const Tensor<T>& ids) override;
  /// Module's call operator for tensors (hooks, naming), and forward(ids) for index arrays
  /// (no forward hooks: they take tensors).
  using Module<T>::operator();
  Tensor<T> operator()(const xt::xarray<std::size_t>& ids) { return forward(ids); }
  std::string type_name() const override { return "Embedding"; }
  /// "10, 3" or "10, 3, padding_idx=0", as PyTorch prints it.
  std::string extra_repr() const override;

  /// The registered table itself (assigning through it replaces the parameter).
  Tensor<T>& weight() { return this->own_parameter(0); }
  const Tensor<T>& weight() const { return this->own_parameter(0); }
  std::size_t num_embeddings() const { return num_; }
  std::size_t embedding_dim() const { return dim_; }
  /// Normalised to [0, num_embeddings), or empty.
  std::optional<std::size_t> padding_idx() const { return padding_; }

 private:
  std::size_t num_, dim_;
  std::optional<std::size_t> padding_;
};

}  // namespace xg::nn
