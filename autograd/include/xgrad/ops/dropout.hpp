// Random zeroing on the tape. nn::Dropout (element dropout) lives in nn; dropout2d is here so that
// models written with functions reach it too.
#pragma once

#include "xgrad/random.hpp"
#include "xgrad/tensor.hpp"

namespace xg {

/// PyTorch's dropout2d (channel dropout) on x of shape (N, C, H, W): when `training`, each of
/// the N C channels is zeroed with probability p (one draw per channel from `generator`, or the
/// default generator) and the kept ones are scaled by 1 / (1 - p), as a constant (N, C, 1, 1)
/// mask that x is multiplied by (recorded as mul, so gradients flow through kept channels
/// only). Not training, p = 0 or an empty x: x itself. p = 1: x * 0 (zeros; NaN stays NaN).
/// DomainError for p outside [0, 1], ShapeError unless x is 4-D.
template <class T>
Tensor<T> dropout2d(const Tensor<T>& x, double p, bool training = true,
                    Generator* generator = nullptr);

}  // namespace xg
