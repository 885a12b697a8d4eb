// Thin wrappers around OpenBLAS's CBLAS interface (not installed).
//
// They live in their own translation unit (blas.cpp) because <cblas.h> and xtensor-blas's
// headers cannot be included together (both declare enum CBLAS_ORDER). All matrices are
// row-major; `ld*` is the distance between consecutive rows of the matrix *as stored*.
// Degenerate sizes (m, n or k == 0) are handled here, so callers never pass BLAS an invalid
// leading dimension.
#pragma once

#include <cstddef>

namespace xg::blas {

/// C (m, n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T. op(A) is (m, k), op(B) is
/// (k, n): A is stored (m, k) or, with trans_a, (k, m); likewise B. With beta == 0, C need not
/// be initialised. One-row and one-column products go to gemv.
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
          std::size_t ldc);
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta,
          double* c, std::size_t ldc);

/// y = alpha * op(A) * x + beta * y for A stored (rows, cols); op(A) = A or, with trans, A^T.
/// With beta == 0, y need not be initialised.
void gemv(bool trans, std::size_t rows, std::size_t cols, float alpha, const float* a,
          std::size_t lda, const float* x, std::size_t incx, float beta, float* y,
          std::size_t incy);
void gemv(bool trans, std::size_t rows, std::size_t cols, double alpha, const double* a,
          std::size_t lda, const double* x, std::size_t incx, double beta, double* y,
          std::size_t incy);

/// dst (cols, rows) = src (rows, cols)^T, both contiguous row-major.
void transpose(std::size_t rows, std::size_t cols, const float* src, float* dst);
void transpose(std::size_t rows, std::size_t cols, const double* src, double* dst);

/// OpenBLAS's thread count for later products (xg::set_num_threads calls it).
void set_threads(int n);

}  // namespace xg::blas
