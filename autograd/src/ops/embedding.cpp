// embedding: a row lookup whose rule is an index_add of g's rows (less the padding rows) into a
// zero table, written with index_select / index_add so that it is differentiable again.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/buffer.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/embedding.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

/// What the rule needs: the flat ids that receive gradient and the positions (rows of g viewed
/// as (ids.size(), D)) they come from. Without padding both are every id, in order.
struct Routing {
  std::vector<std::size_t> ids;
  std::vector<std::size_t> positions;
  bool all = true;  // positions == 0..n-1: no index_select of g needed
};

}  // namespace

XG_RULE_TEXT(
    embedding,
    "out[..., :] = weight[ids[...], :]; dweight = index_add(zeros (V, D), 0, ids, g rows), "
    "rows at padding_idx left out");
template <class T>
Tensor<T> embedding(const Tensor<T>& weight, const xt::xarray<std::size_t>& ids,
                    std::optional<std::ptrdiff_t> padding_idx) {
  detail::require_defined("embedding", weight);
  const auto& ws = weight.value().shape();
  if (ws.size() != 2) {
    throw ShapeError("embedding: weight of shape " + shape_str(ws) +
                     " must be 2-D (num_embeddings, embedding_dim)");
  }
  const std::size_t v = ws[0];
  const std::size_t d = ws[1];
  std::optional<std::size_t> pad;
  if (padding_idx) {
    const auto sv = static_cast<std::ptrdiff_t>(v);
    if (*padding_idx < -sv || *padding_idx >= sv) {
      throw IndexError("embedding: padding_idx " + std::to_string(*padding_idx) +
                       " is out of range for " + std::to_string(v) +
                       " embeddings (weight of shape " + shape_str(ws) + ")");
    }
    pad = static_cast<std::size_t>(*padding_idx < 0 ? *padding_idx + sv : *padding_idx);
  }
  const std::size_t n = ids.size();
  const std::size_t* id = ids.data();
  for (std::size_t i = 0; i < n; ++i) {
    if (id[i] >= v) {
      throw IndexError("embedding: id " + std::to_string(id[i]) + " at " +
                       detail::index_str(i, ids.shape()) + " is out of range for " +
                       std::to_string(v) + " embeddings (weight of shape " + shape_str(ws) + ")");
    }
  }

  detail::array_shape os(ids.shape().begin(), ids.shape().end());
  os.push_back(d);
  xt::xarray<T> out = detail::uninitialized_array<T>("embedding", os);
  const T* w = weight.value().data();
  T* o = out.data();
  for (std::size_t i = 0; i < n; ++i) std::copy_n(w + id[i] * d, d, o + i * d);

  auto routing = std::make_shared<Routing>();
  routing->ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (pad && id[i] == *pad) {
      routing->all = false;
      continue;
    }
    routing->ids.push_back(id[i]);
    routing->positions.push_back(i);
  }
  if (routing->all) routing->positions.clear();
  std::shared_ptr<const Routing> route = std::move(routing);
  return record<T>(
      "embedding", std::move(out), {weight},
      [route, n, d](BackwardContext<T>& c) {
        const Tensor<T> rows =
            reshape(c.grad, {static_cast<std::ptrdiff_t>(n), static_cast<std::ptrdiff_t>(d)});
        const Tensor<T> kept = route->all ? rows : index_select(rows, 0, route->positions);
        c.input_grads[0] = index_add(Tensor<T>::zeros(c.inputs[0].shape()), 0, route->ids, kept);
      },
      Saves::nothing());
}

#define XG_INSTANTIATE(T)                                                        \
  template Tensor<T> embedding(const Tensor<T>&, const xt::xarray<std::size_t>&, \
                               std::optional<std::ptrdiff_t>);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
