// The loops of the pooling operations over contiguous planes (the H x W of one sample and
// channel of an NCHW array, laid out row-major). Planes go to the pool's threads, each computed
// whole by one thread in a fixed order, so results are the same bits for any thread count.
// Backward loops write each plane's zeros themselves (first touch by the thread that adds into
// it); forward loops write every output element once and need no fill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xg::kernels {

/// A max-pool's windows: input plane h x w, output plane oh x ow; the window of output (i, j)
/// covers rows i sh - ph + a dh (a < kh) and columns j sw - pw + b dw (b < kw) that lie inside
/// the plane.
struct MaxPoolPlan {
  std::size_t h, w, oh, ow;
  std::size_t kh, kw, sh, sw, ph, pw, dh, dw;
};

/// For each of `planes` planes: out = the maximum of each window, indices = its flat position in
/// the input plane. The first maximum in row-major scan order wins; a NaN always replaces the
/// running maximum (so a window holding NaN gives NaN at its last NaN), as PyTorch's CPU kernel.
/// An empty window (dilation stepping over the whole plane) gives -inf and index h w.
template <class T>
void max_pool_forward(const T* x, std::size_t planes, const MaxPoolPlan& plan, T* out,
                      std::size_t* indices);

/// For each plane: zeros of in_plane elements with g[o] added at indices[o] (indices >= in_plane
/// get nothing). The adjoint of max_pool_gather.
template <class T>
void max_pool_scatter(const T* g, const std::size_t* indices, std::size_t planes,
                      std::size_t in_plane, std::size_t out_plane, T* out);

/// For each plane: out[o] = a[indices[o]] (0 for indices >= in_plane).
template <class T>
void max_pool_gather(const T* a, const std::size_t* indices, std::size_t planes,
                     std::size_t in_plane, std::size_t out_plane, T* out);

/// An average pool's windows, axis by axis: output row i covers input rows [r0[i], r1[i]) and
/// output column j columns [c0[j], c1[j]) (empty when begin >= end: the output is 0). Its
/// divisor is rd[i] cd[j], divided in one step, or, with `per_axis`, in two (sum / rd / cd, as
/// PyTorch's adaptive pool).
struct BoxPoolPlan {
  std::size_t h, w, oh, ow;
  std::vector<std::size_t> r0, r1, c0, c1;
  std::vector<std::int64_t> rd, cd;
  bool per_axis = false;
};

/// For each plane: out[i, j] = the sum of the window of (i, j), divided by its divisor.
template <class T>
void box_pool_forward(const T* x, std::size_t planes, const BoxPoolPlan& plan, T* out);

/// For each plane: zeros of h w elements with g[i, j] / divisor added to each position of the
/// window of (i, j). The adjoint of box_pool_forward.
template <class T>
void box_pool_backward(const T* g, std::size_t planes, const BoxPoolPlan& plan, T* out);

}  // namespace xg::kernels
