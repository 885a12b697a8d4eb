// Table lookup: rows of a weight matrix picked by integer ids (PyTorch's F.embedding).
#pragma once

#include <cstddef>
#include <optional>

#include <xtensor/xarray.hpp>

#include "xgrad/tensor.hpp"

namespace xg {

/// Row ids[...] of `weight` (V, D) for every id: the result has shape ids.shape + (D), so ids
/// (N, L) give (N, L, D) and a 0-d id gives (D). Gradient: g's rows added into a zero (V, D)
/// gradient at their ids (repeated ids add up), except that rows looked up at `padding_idx` get
/// nothing, as in PyTorch (the forward still returns that row of `weight` as it is). A negative
/// padding_idx counts from the end (V + padding_idx). The rule is recorded with index_select /
/// index_add, so gradients of any order are operations. ShapeError unless weight is 2-D;
/// IndexError naming the op, the id, its position and V for an id >= V or a padding_idx
/// outside [-V, V).
template <class T>
Tensor<T> embedding(const Tensor<T>& weight, const xt::xarray<std::size_t>& ids,
                    std::optional<std::ptrdiff_t> padding_idx = std::nullopt);

}  // namespace xg
