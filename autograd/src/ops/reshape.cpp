// Operations that only change the shape: the values stay in row-major order.
#include <string>

#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {
template <class T>
Tensor<T> reshaped(const char* op, const Tensor<T>& a, const detail::array_shape& shape) {
  xt::xarray<T> out = a.value();
  out.reshape(shape);
  return record<T>(
      op, std::move(out), {a},
      [](BackwardContext<T>& c) {
        c.input_grads[0] = reshape(c.grad, [&] {
          std::vector<std::ptrdiff_t> s;
          for (auto d : c.inputs[0].value().shape()) s.push_back(static_cast<std::ptrdiff_t>(d));
          return s;
        }());
      },
      Saves::nothing());
}
}  // namespace

XG_RULE_TEXT(reshape, "same values, new shape; da = g reshaped to a's shape");
template <class T>
Tensor<T> reshape(const Tensor<T>& a, const std::vector<std::ptrdiff_t>& shape) {
  detail::require_defined("reshape", a);
  const std::size_t n = a.size();
  std::ptrdiff_t infer = -1;
  std::vector<std::ptrdiff_t> given;  // the target without its -1
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && infer < 0) {
      infer = static_cast<std::ptrdiff_t>(i);
    } else if (shape[i] < 0) {
      throw ShapeError("reshape: invalid target shape " + shape_str(shape) +
                       " (one -1 at most, no other negative sizes)");
    } else {
      given.push_back(shape[i]);
    }
  }
  const std::size_t known = detail::checked_element_count("reshape", given, sizeof(T));
  detail::array_shape target(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) target[i] = static_cast<std::size_t>(shape[i]);
  if (infer >= 0) {
    if (known == 0 || n % known != 0) {
      throw ShapeError("reshape: cannot reshape " + shape_str(a.value().shape()) + " (" +
                       std::to_string(n) + " elements) into " + shape_str(shape));
    }
    target[static_cast<std::size_t>(infer)] = n / known;
  } else if (known != n) {
    throw ShapeError("reshape: cannot reshape " + shape_str(a.value().shape()) + " (" +
                     std::to_string(n) + " elements) into " + shape_str(shape));
  }
  if (target == a.value().shape()) return a;
  return reshaped("reshape", a, target);
}

XG_RULE_TEXT(flatten, "same values, fewer axes; da = g reshaped to a's shape");
template <class T>
Tensor<T> flatten(const Tensor<T>& a, std::ptrdiff_t start_axis, std::ptrdiff_t end_axis) {
  detail::require_defined("flatten", a);
  const auto& s = a.value().shape();
  if (s.empty()) {  // torch.flatten of a 0-d tensor: axes 0 and -1 name its one element
    if (start_axis < -1 || start_axis > 0 || end_axis < -1 || end_axis > 0) {
      throw ShapeError("flatten: axes " + std::to_string(start_axis) + " and " +
                       std::to_string(end_axis) + " are out of range for a 0-d tensor");
    }
    return reshaped("flatten", a, detail::array_shape{1});
  }
  const std::size_t start = detail::normalize_axis("flatten", start_axis, s.size(), s);
  const std::size_t end = detail::normalize_axis("flatten", end_axis, s.size(), s);
  if (start > end) {
    throw ShapeError("flatten: start axis " + std::to_string(start_axis) +
                     " comes after end axis " + std::to_string(end_axis) +
                     " of the tensor of shape " + shape_str(s));
  }
  if (start == end) return a;
  detail::array_shape target(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(start));
  std::size_t rest = 1;
  for (std::size_t i = start; i <= end; ++i) rest *= s[i];
  target.push_back(rest);
  target.insert(target.end(), s.begin() + static_cast<std::ptrdiff_t>(end) + 1, s.end());
  return reshaped("flatten", a, target);
}

XG_RULE_TEXT(squeeze, "drops an axis of size 1; da = g reshaped to a's shape");
template <class T>
Tensor<T> squeeze(const Tensor<T>& a, std::ptrdiff_t axis) {
  detail::require_defined("squeeze", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("squeeze", axis, s.size(), s);
  if (s[ax] != 1) {
    throw ShapeError("squeeze: axis " + std::to_string(axis) + " of shape " + shape_str(s) +
                     " has size " + std::to_string(s[ax]) + ", not 1");
  }
  detail::array_shape target(s);
  target.erase(target.begin() + static_cast<std::ptrdiff_t>(ax));
  return reshaped("squeeze", a, target);
}

XG_RULE_TEXT(unsqueeze, "adds an axis of size 1; da = g reshaped to a's shape");
template <class T>
Tensor<T> unsqueeze(const Tensor<T>& a, std::ptrdiff_t axis) {
  detail::require_defined("unsqueeze", a);
  const auto& s = a.value().shape();
  const std::size_t ax = detail::normalize_axis("unsqueeze", axis, s.size() + 1, s);
  detail::array_shape target(s.size() + 1);
  for (std::size_t i = 0, j = 0; i < target.size(); ++i) target[i] = i == ax ? 1 : s[j++];
  return reshaped("unsqueeze", a, target);
}

#define XG_INSTANTIATE(T)                                                           \
  template Tensor<T> reshape(const Tensor<T>&, const std::vector<std::ptrdiff_t>&); \
  template Tensor<T> flatten(const Tensor<T>&, std::ptrdiff_t, std::ptrdiff_t);     \
  template Tensor<T> squeeze(const Tensor<T>&, std::ptrdiff_t);                     \
  template Tensor<T> unsqueeze(const Tensor<T>&, std::ptrdiff_t);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
