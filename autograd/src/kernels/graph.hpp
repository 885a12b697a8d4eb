// Loops of the sparse (graph) operations over a CSR layout: a product row by row, edge dot
// products, and a segment's maximum and softmax. Rows (segments) go to the pool's threads, each
// computed whole by one of them in entry order: the same bits for any thread count.
#pragma once

#include <cstddef>

namespace xg::kernels {

/// The rows of a CSR layout: entries [offsets[i], offsets[i + 1]) belong to row i.
struct CsrRows {
  std::size_t rows;
  const std::size_t* offsets;  // rows + 1
};

/// out[i, :] = the sum over row i's entries p of w[p] x[at[p], :] (w null: weight 1), x and out
/// row-major with f columns. Rows without entries are 0.
template <class T>
void csr_rows_sum(CsrRows a, const std::size_t* at, const T* w, const T* x, std::size_t f, T* out);

/// out[e] = dot(a[rows_of[e], :], b[cols_of[e], :]) for e in [0, edges), f columns each.
template <class T>
void edge_dots(std::size_t edges, const std::size_t* rows_of, const std::size_t* cols_of,
               const T* a, const T* b, std::size_t f, T* out);

/// out[i, :] = the elementwise maximum of x[at[p], :] over row i's entries (0 for a row
/// without entries; NaN wins).
template <class T>
void csr_rows_max(CsrRows a, const std::size_t* at, const T* x, std::size_t f, T* out);

/// For each row i and column k: out[at[p], k] = softmax over row i's entries p of x[at[p], k],
/// shifted by the row's finite maximum.
template <class T>
void csr_rows_softmax(CsrRows a, const std::size_t* at, const T* x, std::size_t f, T* out);

}  // namespace xg::kernels
