// Sparse (graph) loops (see graph.hpp).
#include "kernels/graph.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/parallel.hpp"
#include "kernels/rows.hpp"

namespace xg::kernels {

namespace {

/// body(begin, end) over rows [0, a.rows), split so that a task holds about
/// kParallelMinElements multiply-adds (rows of the average length).
template <class Body>
void over_rows(CsrRows a, std::size_t f, Body&& body) {
  const std::size_t nnz = a.rows == 0 ? 0 : a.offsets[a.rows];
  const std::size_t per_row = std::max<std::size_t>(1, nnz / std::max<std::size_t>(a.rows, 1)) *
                              std::max<std::size_t>(f, 1);
  parallel_for(a.rows, body, rows_per_task(per_row));
}

}  // namespace

template <class T>
void csr_rows_sum(CsrRows a, const std::size_t* at, const T* w, const T* x, std::size_t f, T* out) {
  over_rows(a, f, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      T* o = out + i * f;
      std::fill(o, o + f, T(0));
      for (std::size_t p = a.offsets[i]; p < a.offsets[i + 1]; ++p) {
        const T* xr = x + at[p] * f;
        if (w == nullptr) {
          for (std::size_t k = 0; k < f; ++k) o[k] += xr[k];
        } else {
          const T wp = w[p];
          for (std::size_t k = 0; k < f; ++k) o[k] += wp * xr[k];
        }
      }
    }
  });
}

template <class T>
void edge_dots(std::size_t edges, const std::size_t* rows_of, const std::size_t* cols_of,
               const T* a, const T* b, std::size_t f, T* out) {
  parallel_for(
      edges,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t e = begin; e < end; ++e) {
          const T* ar = a + rows_of[e] * f;
          const T* br = b + cols_of[e] * f;
          T s = 0;
          for (std::size_t k = 0; k < f; ++k) s += ar[k] * br[k];
          out[e] = s;
        }
      },
      rows_per_task(f));
}

template <class T>
void csr_rows_max(CsrRows a, const std::size_t* at, const T* x, std::size_t f, T* out) {
  over_rows(a, f, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      T* o = out + i * f;
      const std::size_t p0 = a.offsets[i], p1 = a.offsets[i + 1];
      if (p0 == p1) {
        std::fill(o, o + f, T(0));
        continue;
      }
      std::copy_n(x + at[p0] * f, f, o);
      for (std::size_t p = p0 + 1; p < p1; ++p) {
        const T* xr = x + at[p] * f;
        for (std::size_t k = 0; k < f; ++k) {
          // NaN wins: a NaN already in o stays, a new one replaces.
          if (xr[k] > o[k] || std::isnan(xr[k])) o[k] = std::isnan(o[k]) ? o[k] : xr[k];
        }
      }
    }
  });
}

template <class T>
void csr_rows_softmax(CsrRows a, const std::size_t* at, const T* x, std::size_t f, T* out) {
  over_rows(a, f, [&](std::size_t begin, std::size_t end) {
    std::vector<T> m(f), s(f);
    for (std::size_t i = begin; i < end; ++i) {
      const std::size_t p0 = a.offsets[i], p1 = a.offsets[i + 1];
      if (p0 == p1) continue;
      std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
      for (std::size_t p = p0; p < p1; ++p) {
        const T* xr = x + at[p] * f;
        for (std::size_t k = 0; k < f; ++k) m[k] = std::max(m[k], xr[k]);
      }
      // A non-finite maximum (all -inf, or a +inf) is not subtracted, as in softmax.
      for (std::size_t k = 0; k < f; ++k) m[k] = std::isfinite(m[k]) ? m[k] : T(0);
      std::fill(s.begin(), s.end(), T(0));
      for (std::size_t p = p0; p < p1; ++p) {
        const T* xr = x + at[p] * f;
        T* o = out + at[p] * f;
        for (std::size_t k = 0; k < f; ++k) {
          o[k] = std::exp(xr[k] - m[k]);
          s[k] += o[k];
        }
      }
      for (std::size_t k = 0; k < f; ++k) s[k] = T(1) / s[k];
      for (std::size_t p = p0; p < p1; ++p) {
        T* o = out + at[p] * f;
        for (std::size_t k = 0; k < f; ++k) o[k] *= s[k];
      }
    }
  });
}

#define XG_INSTANTIATE(T)                                                                          \
  template void csr_rows_sum<T>(CsrRows, const std::size_t*, const T*, const T*, std::size_t, T*); \
  template void edge_dots<T>(std::size_t, const std::size_t*, const std::size_t*, const T*,        \
                             const T*, std::size_t, T*);                                           \
  template void csr_rows_max<T>(CsrRows, const std::size_t*, const T*, std::size_t, T*);           \
  template void csr_rows_softmax<T>(CsrRows, const std::size_t*, const T*, std::size_t, T*);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::kernels
