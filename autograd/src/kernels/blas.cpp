// Direct calls into OpenBLAS and oneDNN's sgemm (see blas.hpp), and their thread count
// (threads.hpp).
//
// Float products of some size go to oneDNN's sgemm, which compiles its kernel for the CPU it
// runs on. OpenBLAS picks a prebuilt kernel by CPU model, and a release that does not know the
// model falls back to its baseline SSE3 kernel, several times slower (docs/performance.md,
// "Matrix products"). oneDNN runs single-threaded inside tasks of xgrad's pool: a product is
// split into blocks of rows (or columns) of C, one call each.
#include "kernels/blas.hpp"

#include <cblas.h>
#include <dnnl.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <string>
#include <type_traits>

#include "kernels/omp_single_thread.hpp"
#include "kernels/parallel.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/threads.hpp"

namespace xg::blas {

namespace {

/// BLAS takes 32-bit integers (blasint); refuse sizes that would be truncated.
blasint to_blasint(std::size_t v) {
  if (v > static_cast<std::size_t>(std::numeric_limits<blasint>::max())) {
    throw ShapeError("matmul: dimension " + std::to_string(v) +
                     " exceeds the integer range of the BLAS library");
  }
  return static_cast<blasint>(v);
}

CBLAS_TRANSPOSE flag(bool trans) {
  return trans ? CblasTrans : CblasNoTrans;
}

// Type dispatch onto the s/d routines.
void gemm_call(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, float alpha,
               const float* a, blasint lda, const float* b, blasint ldb, float beta, float* c,
               blasint ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm_call(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
               double alpha, const double* a, blasint lda, const double* b, blasint ldb,
               double beta, double* c, blasint ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemv_call(CBLAS_TRANSPOSE t, blasint rows, blasint cols, float alpha, const float* a,
               blasint lda, const float* x, blasint incx, float beta, float* y, blasint incy) {
  cblas_sgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
void gemv_call(CBLAS_TRANSPOSE t, blasint rows, blasint cols, double alpha, const double* a,
               blasint lda, const double* x, blasint incx, double beta, double* y, blasint incy) {
  cblas_dgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}

/// y *= beta over a strided vector; beta == 0 writes exact zeros (y may be uninitialised).
template <class T>
void scale(std::size_t n, T beta, T* y, std::size_t inc) {
  if (beta == T(1)) return;
  for (std::size_t i = 0; i < n; ++i) y[i * inc] = beta == T(0) ? T(0) : y[i * inc] * beta;
}

template <class T>
void gemv_impl(bool trans, std::size_t rows, std::size_t cols, T alpha, const T* a, std::size_t lda,
               const T* x, std::size_t incx, T beta, T* y, std::size_t incy) {
  const std::size_t len_y = trans ? cols : rows;
  const std::size_t len_x = trans ? rows : cols;
  if (len_y == 0) return;
  // beta == 0 means "ignore y"; OpenBLAS releases differ on whether NaNs already in y survive
  // a scaling by 0, so write the zeros here.
  if (beta == T(0) || len_x == 0) {
    scale(len_y, beta, y, incy);
    if (len_x == 0) return;
    beta = T(1);
  }
  gemv_call(flag(trans), to_blasint(rows), to_blasint(cols), alpha, a, to_blasint(lda), x,
            to_blasint(incx), beta, y, to_blasint(incy));
}

/// C = alpha op(A) op(B) + beta C as plain dot products: for tiny products the call into
/// OpenBLAS (argument checks, buffer set-up) costs more than the arithmetic. Each element is
/// summed in a local, so the compiler needs no aliasing checks between A, B and C.
template <class T>
void gemm_small(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  // Element strides of op(A) along its rows (i) and columns (p), and of op(B).
  const std::size_t a_i = ta ? 1 : lda, a_p = ta ? lda : 1;
  const std::size_t b_p = tb ? 1 : ldb, b_j = tb ? ldb : 1;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      T sum = 0;
      for (std::size_t p = 0; p < k; ++p) sum += a[i * a_i + p * a_p] * b[p * b_p + j * b_j];
      T& out = c[i * ldc + j];
      out = beta == T(0) ? alpha * sum : alpha * sum + beta * out;
    }
  }
}

/// Products up to this many multiply-adds skip OpenBLAS (see gemm_small): below it OpenBLAS's
/// call overhead outweighs the arithmetic, above it its kernels win (docs/performance.md).
constexpr std::size_t kSmallGemm = 64;

/// Float products from this many multiply-adds go to oneDNN; below it its call costs more than
/// OpenBLAS's (docs/performance.md).
constexpr std::size_t kDnnlGemm = 4096;

/// Multiply-adds per task of a product split over the pool: below it a woken worker costs more
/// than the share of the product it takes.
constexpr std::size_t kGemmWorkPerTask = std::size_t{1} << 20;

/// The thread count of products (set_threads); the pool's count when larger.
std::atomic<int> product_threads{std::numeric_limits<int>::max()};

/// C = alpha op(A) op(B) + beta C through oneDNN, in blocks of rows of C (or of columns when C
/// has fewer rows than columns), each block one single-threaded call on a task of the pool.
void dnnl_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
               const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
               float* c, std::size_t ldc) {
  const bool by_rows = m >= n;
  const std::size_t extent = by_rows ? m : n;
  const auto threads = static_cast<std::size_t>(
      std::min(product_threads.load(std::memory_order_relaxed), kernels::pool_threads()));
  const std::size_t parts =
      std::min({threads, std::max<std::size_t>(1, m * n * k / kGemmWorkPerTask),
                std::max<std::size_t>(1, extent / 16)});
  struct Product {
    bool ta, tb, by_rows;
    std::size_t m, n, k, lda, ldb, ldc, extent, parts;
    float alpha, beta;
    const float* a;
    const float* b;
    float* c;
  } p{ta, tb, by_rows, m, n, k, lda, ldb, ldc, extent, parts, alpha, beta, a, b, c};
  auto block = [](void* ctx, std::size_t i) {
    const auto& q = *static_cast<const Product*>(ctx);
    const std::size_t lo = q.extent * i / q.parts, hi = q.extent * (i + 1) / q.parts;
    // Rows [lo, hi) of op(A) and C, or columns [lo, hi) of op(B) and C.
    const float* a = q.a;
    const float* b = q.b;
    float* c = q.c;
    std::size_t rows = q.m, cols = q.n;
    if (q.by_rows) {
      a += q.ta ? lo : lo * q.lda;
      c += lo * q.ldc;
      rows = hi - lo;
    } else {
      b += q.tb ? lo * q.ldb : lo;
      c += lo;
      cols = hi - lo;
    }
    const kernels::SingleThreaded single;
    const auto dim = [](std::size_t v) { return static_cast<dnnl_dim_t>(v); };
    const dnnl_status_t status =
        dnnl_sgemm(q.ta ? 'T' : 'N', q.tb ? 'T' : 'N', dim(rows), dim(cols), dim(q.k), q.alpha, a,
                   dim(q.lda), b, dim(q.ldb), q.beta, c, dim(q.ldc));
    if (status != dnnl_success) {
      gemm_call(flag(q.ta), flag(q.tb), to_blasint(rows), to_blasint(cols), to_blasint(q.k),
                q.alpha, a, to_blasint(q.lda), b, to_blasint(q.ldb), q.beta, c, to_blasint(q.ldc));
    }
  };
  kernels::run_tasks(parts, block, &p);
}

template <class T>
void gemm_impl(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // empty sum: C = beta * C
    for (std::size_t i = 0; i < m; ++i) scale(n, beta, c + i * ldc, 1);
    return;
  }
  if (m * n * k <= kSmallGemm) {
    gemm_small(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (n == 1) {
    // C[:, 0] = op(A) x with x = op(B)[:, 0]: B stored (k, 1) (stride ldb) or (1, k) (stride 1).
    gemv_impl(ta, ta ? k : m, ta ? m : k, alpha, a, lda, b, tb ? 1 : ldb, beta, c, ldc);
    return;
  }
  if (m == 1) {
    // C[0, :] = op(B)^T x with x = op(A)[0, :]: A stored (1, k) (stride 1) or (k, 1) (stride lda).
    gemv_impl(!tb, tb ? n : k, tb ? k : n, alpha, b, ldb, a, ta ? lda : 1, beta, c, 1);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (m * n * k >= kDnnlGemm) {
      dnnl_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
  }
  gemm_call(flag(ta), flag(tb), to_blasint(m), to_blasint(n), to_blasint(k), alpha, a,
            to_blasint(lda), b, to_blasint(ldb), beta, c, to_blasint(ldc));
}

/// Transpose in 8 x 8 tiles, writing contiguously: robust against the cache-set aliasing of
/// power-of-two row lengths.
template <class T>
void transpose_tiled(std::size_t rows, std::size_t cols, const T* src, T* dst) {
  constexpr std::size_t tile = 8;
  for (std::size_t i0 = 0; i0 < rows; i0 += tile) {
    const std::size_t i1 = std::min(rows, i0 + tile);
    for (std::size_t j0 = 0; j0 < cols; j0 += tile) {
      const std::size_t j1 = std::min(cols, j0 + tile);
      for (std::size_t j = j0; j < j1; ++j) {
        for (std::size_t i = i0; i < i1; ++i) dst[j * rows + i] = src[i * cols + j];
      }
    }
  }
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
          const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
          std::size_t ldc) {
  gemm_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
          const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta,
          double* c, std::size_t ldc) {
  gemm_impl(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemv(bool trans, std::size_t rows, std::size_t cols, float alpha, const float* a,
          std::size_t lda, const float* x, std::size_t incx, float beta, float* y,
          std::size_t incy) {
  gemv_impl(trans, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
void gemv(bool trans, std::size_t rows, std::size_t cols, double alpha, const double* a,
          std::size_t lda, const double* x, std::size_t incx, double beta, double* y,
          std::size_t incy) {
  gemv_impl(trans, rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}

// OpenBLAS's somatcopy beats the tiled loop for float; domatcopy is slower than the loop for
// double, so double keeps the loop (docs/performance.md).
void transpose(std::size_t rows, std::size_t cols, const float* src, float* dst) {
  if (rows == 0 || cols == 0) return;
  cblas_somatcopy(CblasRowMajor, CblasTrans, to_blasint(rows), to_blasint(cols), 1.0f, src,
                  to_blasint(cols), dst, to_blasint(rows));
}
void transpose(std::size_t rows, std::size_t cols, const double* src, double* dst) {
  transpose_tiled(rows, cols, src, dst);
}

}  // namespace xg::blas

namespace xg::blas {

void set_threads(int n) {
  openblas_set_num_threads(n);
  product_threads.store(n, std::memory_order_relaxed);
}

}  // namespace xg::blas
