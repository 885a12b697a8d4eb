// var and stddev, composed of recorded operations (mean, sub, mul, sum, sqrt): their gradients,
// and the gradients of those, follow from the rules of the parts.
#include <string>

#include "ops/util.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/reduction.hpp"

namespace xg {

namespace {

/// The divisor n - 1 (unbiased) or n of `count` values; DomainError for an unbiased variance of
/// a single value (PyTorch returns NaN), ShapeError for no values at all.
template <class T>
T divisor(const char* op, std::size_t count, bool unbiased, const Tensor<T>& a,
          const std::string& where) {
  if (count == 0) {
    throw ShapeError(std::string(op) + ": cannot reduce an empty tensor of shape " +
                     shape_str(a.value().shape()));
  }
  if (unbiased && count == 1) {
    throw DomainError(std::string(op) + ": the unbiased estimate needs at least 2 values " + where +
                      ", got 1 (shape " + shape_str(a.value().shape()) +
                      "); pass unbiased = false for the population variance");
  }
  return static_cast<T>(count - (unbiased ? 1 : 0));
}

template <class T>
Tensor<T> var_all(const char* op, const Tensor<T>& a, bool unbiased) {
  detail::require_defined(op, a);
  const T n = divisor(op, a.size(), unbiased, a, "in the tensor");
  const Tensor<T> d = sub(a, mean(a));
  return mul(sum(mul(d, d)), T(1) / n);
}

template <class T>
Tensor<T> var_axis(const char* op, const Tensor<T>& a, std::ptrdiff_t axis, bool unbiased,
                   bool keepdims) {
  detail::require_defined(op, a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis(op, axis, s.size(), s);
  const T n = divisor(op, s[ax], unbiased, a, "along axis " + std::to_string(axis));
  if (a.size() == 0) divisor(op, 0, unbiased, a, "");  // an empty other axis
  const Tensor<T> d = sub(a, mean(a, axis, true));
  return mul(sum(mul(d, d), axis, keepdims), T(1) / n);
}

}  // namespace

template <class T>
Tensor<T> var(const Tensor<T>& a, bool unbiased) {
  return var_all("var", a, unbiased);
}

template <class T>
Tensor<T> var(const Tensor<T>& a, std::ptrdiff_t axis, bool unbiased, bool keepdims) {
  return var_axis("var", a, axis, unbiased, keepdims);
}

template <class T>
Tensor<T> stddev(const Tensor<T>& a, bool unbiased) {
  return sqrt(var_all("stddev", a, unbiased));
}

template <class T>
Tensor<T> stddev(const Tensor<T>& a, std::ptrdiff_t axis, bool unbiased, bool keepdims) {
  return sqrt(var_axis("stddev", a, axis, unbiased, keepdims));
}

#define XG_INSTANTIATE(T)                                               \
  template Tensor<T> var(const Tensor<T>&, bool);                       \
  template Tensor<T> var(const Tensor<T>&, std::ptrdiff_t, bool, bool); \
  template Tensor<T> stddev(const Tensor<T>&, bool);                    \
  template Tensor<T> stddev(const Tensor<T>&, std::ptrdiff_t, bool, bool);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
