// A custom operation written by a user: the Huber loss, recorded on the tape like a built-in.
// Used by examples/custom_op.cpp, its test, and chapter 4 of docs/course.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include <xtensor/xarray.hpp>

#include "xgrad/autograd.hpp"

namespace huber {

// snippet-begin: huber
/// Mean Huber loss: 0.5 d² where |d| <= delta, delta (|d| - delta/2) beyond (d = pred - target).
/// Quadratic near zero, linear for outliers; its derivative is d clipped to [-delta, delta].
template <class T>
xg::Tensor<T> huber_loss(const xg::Tensor<T>& pred, const xg::Tensor<T>& target, T delta) {
  if (pred.shape() != target.shape()) {
    throw xg::ShapeError("huber_loss: prediction of shape " + xg::shape_str(pred.shape()) +
                         " and target of shape " + xg::shape_str(target.shape()) + " differ");
  }
  // Forward: plain xtensor on the values (nothing is recorded here).
  xt::xarray<T> d = pred.value() - target.value();
  xt::xarray<T> a = xt::abs(d);
  xt::xarray<T> l = xt::where(a <= delta, T(0.5) * d * d, delta * (a - T(0.5) * delta));
  xt::xarray<T> out = xt::mean(l);
  // Backward: g = dLoss/dOut (a scalar); dOut/dpred = clip(d, -delta, delta) / N and
  // dOut/dtarget is its negative. Written with xg operations, so it can be differentiated again.
  const T n = static_cast<T>(pred.size());
  return xg::record<T>(
      "huber_loss", std::move(out), {pred, target}, [delta, n](xg::BackwardContext<T>& c) {
        const auto slope = xg::clamp(c.inputs[0] - c.inputs[1], -delta, delta) * (c.grad / n);
        if (c.needs(0)) c.input_grads[0] = slope;
        if (c.needs(1)) c.input_grads[1] = -slope;
      });
}
// snippet-end: huber

}  // namespace huber
