// Matrix products through OpenBLAS (sgemm / dgemm with transpose flags, no copies of
// transposed operands).
#pragma once

#include "xgrad/tensor.hpp"

namespace xg {

/// NumPy matmul rules: (m,k)x(k,n) -> (m,n); (m,k)x(k) -> (m); (k)x(k,n) -> (n); (k)x(k) -> ();
/// batched (b,m,k)x(b,k,n) -> (b,m,n), a batch of 1 or a 2-D operand broadcasting over b.
/// Leading batch axes of any number broadcast NumPy-style. ShapeError names both shapes and the
/// mismatched inner (or batch) dimensions; 0-d operands are rejected.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b);

/// Which operands of matmul enter transposed (their last two axes swapped). The transpose is a
/// BLAS flag: no transposed copy is made, in forward or backward. Both operands need rank >= 2.
struct MatmulOptions {
  bool transpose_a = false;
  bool transpose_b = false;
};

/// matmul(op(a), op(b)) with op given by `options`, e.g. the scores of attention,
/// `matmul(q, k, {.transpose_b = true})` = q k^T. The rules are matmul's, applied to the
/// transposed shapes; ShapeError names the shapes and the flags.
template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b, MatmulOptions options);

/// x W + b, the affine map of a dense layer, recorded as ONE operation ("linear", PyTorch's
/// addmm): x (N, in) or (in), W (in, out), b (out) or undefined for no bias. Backward:
/// dx = g W^T, dW = x^T g, db = g summed over the rows. One node instead of matmul + add: no
/// broadcast of b in forward, no reduction of a broadcast gradient in backward. Inputs of
/// higher rank are computed as matmul + add. ShapeError names the op and all shapes.
template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b = Tensor<T>());

}  // namespace xg
