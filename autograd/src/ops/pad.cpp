// Constant padding (torch.nn.functional.pad's "constant" mode) and its adjoint: the gradient of
// padding by `before` / `after` along each axis is the cotangent padded by -before / -after (a
// crop) with 0, and that crop's gradient is padding with 0 again. Both are one loop.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/buffer.hpp"
#include "kernels/pad.hpp"
#include "ops/rule_text.hpp"
#include "ops/util.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

namespace {

using detail::array_shape;

/// Signed pads per axis of a tensor of some rank: before[d], after[d].
struct AxisPads {
  std::vector<std::ptrdiff_t> before, after;
};

/// `a` padded by p with `value`; recorded as `op` ("pad" or "pad_backward"), whose rule is the
/// other one with the pads negated.
template <class T>
Tensor<T> pad_impl(const char* op, const Tensor<T>& a, const AxisPads& p, T value) {
  const auto& s = a.value().shape();
  array_shape os(s.size());
  for (std::size_t d = 0; d < s.size(); ++d) {
    os[d] = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(s[d]) + p.before[d] + p.after[d]);
  }
  xt::xarray<T> out = detail::uninitialized_array<T>(op, os);
  kernels::pad_constant(a.value().data(), std::vector<std::size_t>(s.begin(), s.end()), p.before,
                        std::vector<std::size_t>(os.begin(), os.end()), value, out.data());
  const bool forward = std::string(op) == "pad";
  return record<T>(
      op, std::move(out), {a},
      [p, forward](BackwardContext<T>& c) {
        AxisPads undo{p.before, p.after};
        for (auto& v : undo.before) v = -v;
        for (auto& v : undo.after) v = -v;
        c.input_grads[0] = pad_impl(forward ? "pad_backward" : "pad", c.grad, undo, T(0));
      },
      Saves::nothing());
}

}  // namespace

XG_RULE_TEXT(pad,
             "out = a with `value` added before and after each padded axis (negative pads crop); "
             "da = pad_backward(g) = g with the pads undone");
XG_RULE_TEXT(pad_backward,
             "out = a with the pads of a pad undone (a crop; linear); da = pad(g) with 0");
template <class T>
Tensor<T> pad(const Tensor<T>& a, const std::vector<std::ptrdiff_t>& pads,
              std::type_identity_t<T> value) {
  detail::require_defined("pad", a);
  const auto& s = a.value().shape();
  if (pads.size() % 2 != 0 || pads.size() > 2 * s.size()) {
    throw ShapeError("pad: " + std::to_string(pads.size()) + " pads " + shape_str(pads) +
                     " for a tensor of shape " + shape_str(s) +
                     ": give an even number, two (before, after) per axis from the last, at most " +
                     std::to_string(2 * s.size()));
  }
  AxisPads p{std::vector<std::ptrdiff_t>(s.size(), 0), std::vector<std::ptrdiff_t>(s.size(), 0)};
  bool any = false;
  for (std::size_t k = 0; k < pads.size() / 2; ++k) {
    const std::size_t d = s.size() - 1 - k;
    p.before[d] = pads[2 * k];
    p.after[d] = pads[2 * k + 1];
    any = any || pads[2 * k] != 0 || pads[2 * k + 1] != 0;
    const auto n = static_cast<std::ptrdiff_t>(s[d]);
    const std::ptrdiff_t cropped =
        n + std::min<std::ptrdiff_t>(p.before[d], 0) + std::min<std::ptrdiff_t>(p.after[d], 0);
    if (cropped < 0) {
      throw ShapeError("pad: pads (" + std::to_string(p.before[d]) + ", " +
                       std::to_string(p.after[d]) + ") crop more than the size " +
                       std::to_string(n) + " of axis " + std::to_string(d) +
                       " of the tensor of shape " + shape_str(s));
    }
  }
  if (!any) return a;
  return pad_impl("pad", a, p, static_cast<T>(value));
}

#define XG_INSTANTIATE(T)                                                      \
  template Tensor<T> pad(const Tensor<T>&, const std::vector<std::ptrdiff_t>&, \
                         std::type_identity_t<T>);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
