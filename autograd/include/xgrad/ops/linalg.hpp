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

}  // namespace xg
