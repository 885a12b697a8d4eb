// Indexing along any axis, in adjoint pairs whose rules are each other: gather_axis <->
// scatter_add, index_select_axis <-> index_add. Gradients of any order are recorded operations.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/buffer.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;
using detail::span_count;
using Index = std::shared_ptr<const xt::xarray<std::size_t>>;
using Indices = std::shared_ptr<const std::vector<std::size_t>>;

/// Row-major strides of `s`, in elements.
std::vector<std::size_t> strides_of(const array_shape& s) {
  std::vector<std::size_t> st(s.size(), 1);
  for (std::size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}

/// f(i, a_base, src_at) for every element i (row-major) of an index of shape `is`: a_base is the
/// offset in an array of shape `as` of the element with i's coordinates, 0 along `axis`; src_at
/// the offset of i's coordinates in an array of shape `ss`.
template <class F>
void for_each_index(const array_shape& is, const array_shape& as, const array_shape& ss,
                    std::size_t axis, F f) {
  const std::size_t n = span_count(is, 0, is.size());
  if (n == 0) return;
  const auto a_st = strides_of(as);
  const auto s_st = strides_of(ss);
  std::vector<std::size_t> at(is.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t a_base = 0, src_at = 0;
    for (std::size_t d = 0; d < is.size(); ++d) {
      if (d != axis) a_base += at[d] * a_st[d];
      src_at += at[d] * s_st[d];
    }
    f(i, a_base, src_at);
    for (std::size_t d = is.size(); d-- > 0;) {
      if (++at[d] < is[d]) break;
      at[d] = 0;
    }
  }
}

/// gather's and scatter_add's checks of `index` against the indexed tensor of shape `s` (and the
/// source of shape `src`, for scatter_add).
void check_index_tensor(const char* op, const array_shape& s, std::size_t ax,
                        const xt::xarray<std::size_t>& index, const array_shape* src) {
  const auto& is = index.shape();
  if (is.size() != s.size() || (src != nullptr && src->size() != s.size())) {
    throw ShapeError(std::string(op) + ": index of shape " + shape_str(is) +
                     (src != nullptr ? " and source of shape " + shape_str(*src) : std::string()) +
                     " must have the rank of the tensor of shape " + shape_str(s));
  }
  for (std::size_t d = 0; d < s.size(); ++d) {
    if ((d != ax && is[d] > s[d]) || (src != nullptr && is[d] > (*src)[d])) {
      throw ShapeError(
          std::string(op) + ": index of shape " + shape_str(is) + " is bigger along axis " +
          std::to_string(d) + " than the tensor of shape " + shape_str(s) +
          (src != nullptr ? " or the source of shape " + shape_str(*src) : std::string()) +
          (src != nullptr ? std::string()
                          : std::string(" (outside axis ") + std::to_string(ax) + ")"));
    }
  }
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index.data()[i] >= s[ax]) {
      throw IndexError(std::string(op) + ": index " + std::to_string(index.data()[i]) + " at " +
                       detail::index_str(i, is) + " is out of range for size " +
                       std::to_string(s[ax]) + " along axis " + std::to_string(ax) +
                       " of the tensor of shape " + shape_str(s));
    }
  }
}

void check_index_list(const char* op, const array_shape& s, std::size_t ax,
                      const std::vector<std::size_t>& indices) {
  for (std::size_t p = 0; p < indices.size(); ++p) {
    if (indices[p] >= s[ax]) {
      throw IndexError(std::string(op) + ": index " + std::to_string(indices[p]) + " at position " +
                       std::to_string(p) + " is out of range for size " + std::to_string(s[ax]) +
                       " along axis " + std::to_string(ax) + " of the tensor of shape " +
                       shape_str(s));
    }
  }
}

template <class T>
Tensor<T> zeros_like(const Tensor<T>& t) {
  return Tensor<T>::zeros(t.shape());
}

/// `g` followed along axis `d` by zeros up to size `size` (a recorded concat).
template <class T>
Tensor<T> padded(const Tensor<T>& g, std::size_t d, std::size_t size) {
  Shape zs = g.shape();
  zs[d] = size - zs[d];
  return concat(std::vector<Tensor<T>>{g, Tensor<T>::zeros(zs)}, static_cast<std::ptrdiff_t>(d));
}

template <class T>
Tensor<T> scatter_add_impl(const Tensor<T>& self, std::size_t ax, const Index& index,
                           const Tensor<T>& src);

XG_RULE_TEXT(gather_axis,
             "out[i][j] = a[index[i][j]][j] (axis 0; likewise along any axis); da = "
             "scatter_add(0, index, g)");
template <class T>
Tensor<T> gather_impl(const Tensor<T>& a, std::size_t ax, const Index& index) {
  const auto& s = a.value().shape();
  const auto& is = index->shape();
  xt::xarray<T> out = detail::uninitialized_array<T>("gather", is);
  const T* x = a.value().data();
  const std::size_t* ix = index->data();
  const std::size_t stride = span_count(s, ax + 1, s.size());
  T* o = out.data();
  for_each_index(is, s, is, ax, [&](std::size_t i, std::size_t base, std::size_t) {
    o[i] = x[base + ix[i] * stride];
  });
  return record<T>(
      "gather_axis", std::move(out), {a},
      [ax, index](BackwardContext<T>& c) {
        c.input_grads[0] = scatter_add_impl(zeros_like(c.inputs[0]), ax, index, c.grad);
      },
      Saves::nothing());
}

XG_RULE_TEXT(scatter_add,
             "out = self with src[i][j] added at [index[i][j]][j] (axis 0; likewise along any "
             "axis); dself = g, dsrc = gather(g, index)");
template <class T>
Tensor<T> scatter_add_impl(const Tensor<T>& self, std::size_t ax, const Index& index,
                           const Tensor<T>& src) {
  const auto& s = self.value().shape();
  xt::xarray<T> out = self.value();
  const T* from = src.value().data();
  const std::size_t* ix = index->data();
  const std::size_t stride = span_count(s, ax + 1, s.size());
  T* o = out.data();
  for_each_index(index->shape(), s, src.value().shape(), ax,
                 [&](std::size_t i, std::size_t base, std::size_t at) {
                   o[base + ix[i] * stride] += from[at];
                 });
  return record<T>(
      "scatter_add", std::move(out), {self, src},
      [ax, index](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = c.grad;
        if (c.needs(1)) {
          // gather of index's shape, placed at the front of src's (bigger) shape.
          Tensor<T> g = gather_impl(c.grad, ax, index);
          const auto& ss = c.inputs[1].value().shape();
          for (std::size_t d = 0; d < ss.size(); ++d) {
            if (g.value().shape()[d] != ss[d]) {
              g = padded(g, d, ss[d]);
            }
          }
          c.input_grads[1] = g;
        }
      },
      Saves::nothing());
}

template <class T>
Tensor<T> index_add_impl(const Tensor<T>& self, std::size_t ax, const Indices& indices,
                         const Tensor<T>& source);

XG_RULE_TEXT(index_select_axis,
             "out = slices of a at the indices along an axis; da = index_add(0, indices, g)");
template <class T>
Tensor<T> index_select_impl(const Tensor<T>& a, std::size_t ax, const Indices& indices) {
  const auto& s = a.value().shape();
  const std::size_t outer = span_count(s, 0, ax);
  const std::size_t len = s[ax];
  const std::size_t inner = span_count(s, ax + 1, s.size());
  const std::size_t m = indices->size();
  array_shape os(s);
  os[ax] = m;
  xt::xarray<T> out = detail::uninitialized_array<T>("index_select", os);
  const T* x = a.value().data();
  T* o = out.data();
  for (std::size_t b = 0; b < outer; ++b) {
    for (std::size_t p = 0; p < m; ++p) {
      std::copy_n(x + (b * len + (*indices)[p]) * inner, inner, o + (b * m + p) * inner);
    }
  }
  return record<T>(
      "index_select_axis", std::move(out), {a},
      [ax, indices](BackwardContext<T>& c) {
        c.input_grads[0] = index_add_impl(zeros_like(c.inputs[0]), ax, indices, c.grad);
      },
      Saves::nothing());
}

XG_RULE_TEXT(index_add,
             "out = self with slice p of source added at slice indices[p] along an axis; dself = "
             "g, dsource = index_select(g, indices)");
template <class T>
Tensor<T> index_add_impl(const Tensor<T>& self, std::size_t ax, const Indices& indices,
                         const Tensor<T>& source) {
  const auto& s = self.value().shape();
  const std::size_t outer = span_count(s, 0, ax);
  const std::size_t len = s[ax];
  const std::size_t inner = span_count(s, ax + 1, s.size());
  const std::size_t m = indices->size();
  xt::xarray<T> out = self.value();
  const T* from = source.value().data();
  T* o = out.data();
  for (std::size_t b = 0; b < outer; ++b) {
    for (std::size_t p = 0; p < m; ++p) {
      T* to = o + (b * len + (*indices)[p]) * inner;
      const T* row = from + (b * m + p) * inner;
      for (std::size_t j = 0; j < inner; ++j) to[j] += row[j];
    }
  }
  return record<T>(
      "index_add", std::move(out), {self, source},
      [ax, indices](BackwardContext<T>& c) {
        if (c.needs(0)) c.input_grads[0] = c.grad;
        if (c.needs(1)) c.input_grads[1] = index_select_impl(c.grad, ax, indices);
      },
      Saves::nothing());
}

}  // namespace

template <class T>
Tensor<T> gather(const Tensor<T>& a, std::ptrdiff_t axis, const xt::xarray<std::size_t>& index) {
  detail::require_defined("gather", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("gather", axis, s.size(), s);
  check_index_tensor("gather", s, ax, index, nullptr);
  return gather_impl(a, ax, std::make_shared<const xt::xarray<std::size_t>>(index));
}

template <class T>
Tensor<T> scatter_add(const Tensor<T>& self, std::ptrdiff_t axis,
                      const xt::xarray<std::size_t>& index, const Tensor<T>& src) {
  detail::require_defined("scatter_add", self);
  detail::require_defined("scatter_add", src);
  const auto& s = self.value().shape();
  const std::size_t ax = detail::normalize_axis("scatter_add", axis, s.size(), s);
  check_index_tensor("scatter_add", s, ax, index, &src.value().shape());
  return scatter_add_impl(self, ax, std::make_shared<const xt::xarray<std::size_t>>(index), src);
}

template <class T>
Tensor<T> index_select(const Tensor<T>& a, std::ptrdiff_t axis,
                       const std::vector<std::size_t>& indices) {
  detail::require_defined("index_select", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("index_select", axis, s.size(), s);
  check_index_list("index_select", s, ax, indices);
  return index_select_impl(a, ax, std::make_shared<const std::vector<std::size_t>>(indices));
}

template <class T>
Tensor<T> index_add(const Tensor<T>& self, std::ptrdiff_t axis,
                    const std::vector<std::size_t>& indices, const Tensor<T>& source) {
  detail::require_defined("index_add", self);
  detail::require_defined("index_add", source);
  const auto& s = self.value().shape();
  const auto& ss = source.value().shape();
  const std::size_t ax = detail::normalize_axis("index_add", axis, s.size(), s);
  bool ok = ss.size() == s.size();
  for (std::size_t d = 0; ok && d < s.size(); ++d) ok = ss[d] == (d == ax ? indices.size() : s[d]);
  if (!ok) {
    throw ShapeError("index_add: source of shape " + shape_str(ss) + " must have the shape " +
                     "of self " + shape_str(s) + " except " + std::to_string(indices.size()) +
                     " (the number of indices) along axis " + std::to_string(axis));
  }
  check_index_list("index_add", s, ax, indices);
  return index_add_impl(self, ax, std::make_shared<const std::vector<std::size_t>>(indices),
                        source);
}

#define XG_INSTANTIATE(T)                                                                          \
  template Tensor<T> gather(const Tensor<T>&, std::ptrdiff_t, const xt::xarray<std::size_t>&);     \
  template Tensor<T> scatter_add(const Tensor<T>&, std::ptrdiff_t, const xt::xarray<std::size_t>&, \
                                 const Tensor<T>&);                                                \
  template Tensor<T> index_select(const Tensor<T>&, std::ptrdiff_t,                                \
                                  const std::vector<std::size_t>&);                                \
  template Tensor<T> index_add(const Tensor<T>&, std::ptrdiff_t, const std::vector<std::size_t>&,  \
                               const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
