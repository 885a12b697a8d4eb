// Per-thread cache of small value buffers (see value_cache.hpp).
#include "tape/value_cache.hpp"
#include "xgrad/memory.hpp"

#include "xgrad/detail/checked_shape.hpp"

#include <algorithm>
#include <array>
#include <new>
#include <vector>

#include <xtensor/xstrides.hpp>

namespace xg::detail {

namespace {

constexpr std::size_t kMaxElements = kCachedValueElements;
constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;  // per thread

/// What glibc spends on a buffer of n bytes (its chunk), plus the cache's own slot.
template <class T>
std::size_t cost(std::size_t elements) {
  const std::size_t chunk = std::max<std::size_t>(32, (elements * sizeof(T) + 8 + 15) / 16 * 16);
  return chunk + sizeof(typename xt::xarray<T>::storage_type);
}

/// Bytes held by this thread's caches (both element types).
std::size_t& total_bytes() {
  thread_local std::size_t bytes = 0;
  return bytes;
}

template <class T>
class ValueCache {
 public:
  using storage_type = typename xt::xarray<T>::storage_type;

  ValueCache() = default;
  ValueCache(const ValueCache&) = delete;
  ValueCache& operator=(const ValueCache&) = delete;
  ~ValueCache() {
    release();
    destroyed_ = true;  // tensors destroyed after this thread's caches free their buffers as usual
  }

  /// Counts a buffer of `elements` handed out to an operation; true with `out` set when the
  /// cache had one.
  bool take(std::size_t elements, storage_type& out) {
    if (destroyed_ || elements == 0 || elements > kMaxElements) return false;
    ++owed_[elements - 1];
    std::vector<storage_type>& bin = bins_[elements - 1];
    if (bin.empty()) return false;
    out = std::move(bin.back());
    bin.pop_back();
    total_bytes() -= cost<T>(elements);
    return true;
  }

  void give(storage_type& s) noexcept {
    const std::size_t elements = s.size();
    if (destroyed_ || elements == 0 || elements > kMaxElements) return;
    // Only buffers owed to operations: a buffer made elsewhere (an xtensor expression, user
    // code) can only stand in for one an operation took and that was lost (moved out of a
    // tensor, freed on another thread), so the cache stays within the most buffers the
    // thread's operations ever had out at once, whatever else frees small arrays.
    if (owed_[elements - 1] == 0) return;
    if (total_bytes() + cost<T>(elements) > kMaxCachedBytes) return;
    std::vector<storage_type>& bin = bins_[elements - 1];
    try {
      bin.push_back(std::move(s));
    } catch (...) {  // no memory for the slot: s keeps its buffer and frees it
      return;
    }
    --owed_[elements - 1];
    total_bytes() += cost<T>(elements);
  }

  void release() noexcept {
    if (destroyed_) return;
    for (std::size_t i = 0; i < kMaxElements; ++i) {
      total_bytes() -= bins_[i].size() * cost<T>(i + 1);
      std::vector<storage_type>().swap(bins_[i]);
    }
    owed_.fill(0);  // buffers handed out before are simply freed when they die
  }

 private:
  std::array<std::vector<storage_type>, kMaxElements> bins_;
  /// Buffers handed out by take() and not given back yet, per element count.
  std::array<std::size_t, kMaxElements> owed_{};
  bool destroyed_ = false;
};

template <class T>
ValueCache<T>& cache() {
  thread_local ValueCache<T> c;
  return c;
}

}  // namespace

template <class T>
xt::xarray<T> uninitialized_array(const char* op, const typename xt::xarray<T>::shape_type& shape) {
  using array_type = xt::xarray<T>;
  const std::size_t elements = checked_element_count(op, shape, sizeof(T));
  typename array_type::storage_type storage;
  if (!cache<T>().take(elements, storage)) {
    try {
      return array_type::from_shape(shape);
    } catch (const std::bad_alloc&) {  // also std::bad_array_new_length
      throw_allocation_failed(op, shape_str(shape), elements * sizeof(T));
    }
  }
  typename array_type::inner_shape_type s(shape.begin(), shape.end());
  typename array_type::inner_strides_type strides(shape.size());
  xt::compute_strides(s, xt::layout_type::row_major, strides);
  return array_type(std::move(storage), std::move(s), std::move(strides));
}

template <class T>
void recycle_buffer(xt::xarray<T>& a) noexcept {
  cache<T>().give(a.storage());
}

void release_cached_values() noexcept {
  cache<float>().release();
  cache<double>().release();
}

template xt::xarray<float> uninitialized_array<float>(const char*,
                                                      const xt::xarray<float>::shape_type&);
template xt::xarray<double> uninitialized_array<double>(const char*,
                                                        const xt::xarray<double>::shape_type&);
template void recycle_buffer<float>(xt::xarray<float>&) noexcept;
template void recycle_buffer<double>(xt::xarray<double>&) noexcept;

}  // namespace xg::detail

namespace xg {

std::size_t cached_value_bytes() {
  return detail::total_bytes();
}

}  // namespace xg
