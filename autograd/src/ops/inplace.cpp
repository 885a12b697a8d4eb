// The in-place operations of Tensor (add_, mul_, fill_, ...). Each is its out-of-place operation:
// without a tape, its result replaces the value (one pattern with the out-of-place checks and
// kernels) and the version grows; on the tape, the handle is rebound to the recorded result.
#include <string>
#include <utility>

#include <xtensor/xbroadcast.hpp>

#include "kernels/buffer.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/ops/elementwise.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

template <class T>
std::string describe(const Tensor<T>& t) {
  std::string s = t.is_leaf() ? "a leaf" : std::string("the result of '") + t.op_name() + "'";
  if (!t.name().empty()) s += " named '" + t.name() + "'";
  return s + " of shape " + shape_str(t.shape());
}

/// The checks every in-place operation makes; true if it must be recorded.
template <class T>
bool check_in_place(const char* op, const Tensor<T>& self, const Tensor<T>* other) {
  detail::require_defined(op, self);
  if (other != nullptr) {
    detail::require_defined(op, *other);
    const auto& s = self.value().shape();
    if (other->value().shape() != s &&
        detail::broadcast_shape(op, s, other->value().shape()) != s) {
      throw ShapeError(std::string(op) + ": the operand of shape " +
                       shape_str(other->value().shape()) +
                       " does not broadcast to the shape of the tensor written in place, " +
                       shape_str(s) + " (an in-place result keeps its tensor's shape)");
    }
  }
  if (!is_grad_enabled()) return false;
  if (self.requires_grad() && self.is_leaf()) {
    throw GraphError(std::string(op) + ": " + describe(self) +
                     " requires grad and cannot be written in place while grad mode is on; "
                     "write it under NoGradGuard (as optimizers do), or use the out-of-place "
                     "operation");
  }
  return self.requires_grad() || (other != nullptr && other->requires_grad());
}

/// Puts `result` (the out-of-place operation's, of self's shape) in place of self: into its
/// value when not recorded, else as the tensor self now names.
template <class T>
void replace(Tensor<T>& self, Tensor<T> result, bool recorded) {
  if (recorded) {
    if (!self.name().empty()) result.set_name(self.name());
    self = std::move(result);
  } else {
    auto* node = detail::NodeAccess<T>::get(result);
    self.mutable_value() = std::move(node->value);
  }
}

template <class T, class Op>
Tensor<T>& apply(const char* op, Tensor<T>& self, const Tensor<T>* other, Op&& out_of_place) {
  const bool recorded = check_in_place(op, self, other);
  if (recorded) {
    replace(self, out_of_place(), true);
  } else {
    NoGradGuard no_grad;
    replace(self, out_of_place(), false);
  }
  return self;
}

}  // namespace

XG_RULE_TEXT(fill_, "out = s (every element); da = 0");
XG_RULE_TEXT(copy_, "out = broadcast(src); da = 0, dsrc = sum_to(g, shape(src))");

template <class T>
Tensor<T>& Tensor<T>::add_(const Tensor& other) {
  return apply("add_", *this, &other, [&] { return add(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::add_(T s) {
  return apply("add_", *this, static_cast<const Tensor*>(nullptr), [&] { return add(*this, s); });
}
template <class T>
Tensor<T>& Tensor<T>::sub_(const Tensor& other) {
  return apply("sub_", *this, &other, [&] { return sub(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::sub_(T s) {
  return apply("sub_", *this, static_cast<const Tensor*>(nullptr), [&] { return add(*this, -s); });
}
template <class T>
Tensor<T>& Tensor<T>::mul_(const Tensor& other) {
  return apply("mul_", *this, &other, [&] { return mul(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::mul_(T s) {
  return apply("mul_", *this, static_cast<const Tensor*>(nullptr), [&] { return mul(*this, s); });
}
template <class T>
Tensor<T>& Tensor<T>::div_(const Tensor& other) {
  return apply("div_", *this, &other, [&] { return div(*this, other); });
}
template <class T>
Tensor<T>& Tensor<T>::div_(T s) {
  return apply("div_", *this, static_cast<const Tensor*>(nullptr), [&] { return div(*this, s); });
}
template <class T>
Tensor<T>& Tensor<T>::clamp_(T lo, T hi) {
  return apply("clamp_", *this, static_cast<const Tensor*>(nullptr),
               [&] { return clamp(*this, lo, hi); });
}

template <class T>
Tensor<T>& Tensor<T>::fill_(T s) {
  if (!check_in_place("fill_", *this, static_cast<const Tensor*>(nullptr))) {
    mutable_value().fill(s);
    return *this;
  }
  auto value = detail::uninitialized_array<T>("fill_", this->value().shape());
  value.fill(s);
  replace(*this,
          record<T>(
              "fill_", std::move(value), {*this},
              [](BackwardContext<T>& c) {
                c.input_grads[0] = Tensor<T>::zeros(c.inputs[0].shape());  // overwritten
              },
              Saves::nothing()),
          true);
  return *this;
}

template <class T>
Tensor<T>& Tensor<T>::zero_() {
  return fill_(T(0));
}

template <class T>
Tensor<T>& Tensor<T>::copy_(const Tensor& src) {
  const bool recorded = check_in_place("copy_", *this, &src);
  const auto& shape = this->value().shape();
  if (!recorded && &src.value() == &this->value()) return *this;
  auto copied = src.value().shape() == shape ? xt::xarray<T>(src.value())
                                             : xt::xarray<T>(xt::broadcast(src.value(), shape));
  if (!recorded) {
    mutable_value() = std::move(copied);
    return *this;
  }
  replace(*this,
          record<T>(
              "copy_", std::move(copied), {*this, src},
              [](BackwardContext<T>& c) {
                if (c.needs(0)) c.input_grads[0] = Tensor<T>::zeros(c.inputs[0].shape());
                if (c.needs(1)) c.input_grads[1] = c.grad;  // summed to src's shape by the engine
              },
              Saves::nothing()),
          true);
  return *this;
}

#define XG_INSTANTIATE(T)                                \
  template Tensor<T>& Tensor<T>::add_(const Tensor<T>&); \
  template Tensor<T>& Tensor<T>::add_(T);                \
  template Tensor<T>& Tensor<T>::sub_(const Tensor<T>&); \
  template Tensor<T>& Tensor<T>::sub_(T);                \
  template Tensor<T>& Tensor<T>::mul_(const Tensor<T>&); \
  template Tensor<T>& Tensor<T>::mul_(T);                \
  template Tensor<T>& Tensor<T>::div_(const Tensor<T>&); \
  template Tensor<T>& Tensor<T>::div_(T);                \
  template Tensor<T>& Tensor<T>::clamp_(T, T);           \
  template Tensor<T>& Tensor<T>::fill_(T);               \
  template Tensor<T>& Tensor<T>::zero_();                \
  template Tensor<T>& Tensor<T>::copy_(const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
