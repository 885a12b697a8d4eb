// Mini-batches over in-memory tensors: full batch, stochastic (batch 1) and mini-batch gradient
// descent, with seeded shuffling. T defaults to float: `DataLoader loader(x, labels, {...})`
// deduces it from the tensors, `Standardizer scale;` is a float one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::data {

struct LoaderOptions {
  /// Rows per batch; 0 means the full data set in one batch.
  std::size_t batch_size = 32;
  /// Reshuffle the row order at the start of every epoch.
  bool shuffle = true;
  std::uint64_t seed = 0;
  /// Drop a last batch smaller than batch_size.
  bool drop_last = false;
};

template <class T = float>
struct Batch {
  Tensor<T> inputs;                 ///< rows of the inputs
  Tensor<T> targets;                ///< rows of the targets (undefined with labels)
  std::vector<std::size_t> labels;  ///< labels of the rows (empty with targets)
  std::size_t size() const { return inputs.shape()[0]; }
};

template <class T = float>
class DataLoader {
 public:
  class Iterator;
  class Epoch;

  /// Inputs and targets with the same number of rows (ShapeError otherwise).
  DataLoader(Tensor<T> inputs, Tensor<T> targets, LoaderOptions options = {});
  /// Inputs and class labels, one per row (ShapeError otherwise).
  DataLoader(Tensor<T> inputs, std::vector<std::size_t> labels, LoaderOptions options = {});

  /// Starts an epoch: draws its row order now (a new one when shuffle is on) and returns the
  /// range of its batches, which are gathered one at a time as the iteration reaches them
  /// (copies, not on the tape). The order comes from rng_ (seeded with options.seed) by a
  /// Fisher-Yates shuffle that does not depend on the standard library, so a seed gives the
  /// same epochs everywhere. The last batch is smaller when batch_size does not divide the rows
  /// (dropped with drop_last). The loader must outlive the iteration.
  Epoch epoch();
  /// `for (const auto& batch : loader)` runs one epoch: begin() is epoch().begin().
  Iterator begin();
  Iterator end() const { return Iterator(); }
  /// Number of batches per epoch.
  std::size_t batches_per_epoch() const;
  std::size_t num_samples() const { return rows_; }
  const LoaderOptions& options() const { return options_; }

 private:
  using Order = std::shared_ptr<const std::vector<std::size_t>>;
  /// Batch `index` of an epoch with row order `order`.
  Batch<T> gather_batch(const std::vector<std::size_t>& order, std::size_t index) const;
  Tensor<T> inputs_, targets_;
  std::vector<std::size_t> labels_;
  std::size_t rows_;
  LoaderOptions options_;
  std::mt19937_64 rng_;
};

/// An input iterator over the batches of one epoch. It holds the current batch only (and
/// shares the epoch's row order); ++ replaces it by the next one. A default-constructed
/// iterator is the end.
template <class T>
class DataLoader<T>::Iterator {
 public:
  using iterator_concept = std::input_iterator_tag;
  using iterator_category = std::input_iterator_tag;
  using value_type = Batch<T>;
  using difference_type = std::ptrdiff_t;
  using reference = const Batch<T>&;
  using pointer = const Batch<T>*;

  Iterator() = default;
  reference operator*() const { return batch_; }
  pointer operator->() const { return &batch_; }
  Iterator& operator++() {
    if (++index_ < count_) {
      batch_ = loader_->gather_batch(*order_, index_);
    } else {
      batch_ = {};  // the end holds no batch
    }
    return *this;
  }
  void operator++(int) { ++*this; }
  /// Position in the epoch (0 for the first batch).
  std::size_t index() const { return index_; }
  friend bool operator==(const Iterator& a, const Iterator& b) {
    if (a.at_end() || b.at_end()) return a.at_end() == b.at_end();
    return a.order_ == b.order_ && a.index_ == b.index_;
  }

 private:
  friend class DataLoader;
  Iterator(const DataLoader* loader, Order order, std::size_t count)
      : loader_(loader), order_(std::move(order)), count_(count) {
    if (count_ > 0) batch_ = loader_->gather_batch(*order_, 0);
  }
  bool at_end() const { return index_ >= count_; }

  const DataLoader* loader_ = nullptr;
  Order order_;
  std::size_t index_ = 0, count_ = 0;
  Batch<T> batch_;
};

/// The batches of one epoch, in the order drawn by DataLoader::epoch(). Iterating it again
/// gives the same batches again.
template <class T>
class DataLoader<T>::Epoch {
 public:
  Iterator begin() const { return Iterator(loader_, order_, size()); }
  Iterator end() const { return Iterator(); }
  /// Number of batches.
  std::size_t size() const { return loader_->batches_per_epoch(); }
  bool empty() const { return size() == 0; }

 private:
  friend class DataLoader;
  Epoch(const DataLoader* loader, Order order) : loader_(loader), order_(std::move(order)) {}
  const DataLoader* loader_;
  Order order_;
};

/// A seeded random split of rows into training and validation parts.
template <class T = float>
struct Split {
  Tensor<T> train_inputs, val_inputs;
  Tensor<T> train_targets, val_targets;               ///< when split with targets
  std::vector<std::size_t> train_labels, val_labels;  ///< when split with labels
};

/// The validation part holds n - floor(n * (1 - val_fraction)) rows (Keras' validation_split
/// rule): with shuffle, rows picked by a permutation seeded with `seed`; without, the last rows,
/// in order. DomainError unless 0 <= val_fraction < 1 or when no training row would remain;
/// ShapeError when the row counts of inputs and targets / labels differ.
template <class T>
Split<T> train_val_split(const Tensor<T>& inputs, const Tensor<T>& targets, double val_fraction,
                         std::uint64_t seed = 0, bool shuffle = true);
template <class T>
Split<T> train_val_split(const Tensor<T>& inputs, const std::vector<std::size_t>& labels,
                         double val_fraction, std::uint64_t seed = 0, bool shuffle = true);

/// Per-column standardisation: fit on training data, apply to any data: (x - mean) / std
/// (a column with std 0 is only centred). std is the population standard deviation (divided by
/// the row count, as scikit-learn's StandardScaler); stddev() is exactly 0 for a column whose
/// values are all equal. fit needs a 2-D tensor with at least one row (ShapeError otherwise);
/// transform needs a fitted scaler (Error) and the same number of columns (ShapeError). The
/// results are new leaves, not on the tape.
template <class T = float>
class Standardizer {
 public:
  void fit(const Tensor<T>& x);
  Tensor<T> transform(const Tensor<T>& x) const;
  Tensor<T> fit_transform(const Tensor<T>& x) {
    fit(x);
    return transform(x);
  }
  const xt::xarray<T>& mean() const { return mean_; }
  const xt::xarray<T>& stddev() const { return std_; }

 private:
  xt::xarray<T> mean_, std_;
};

/// scikit-learn's make_regression: x ~ N(0, 1) of shape (n_samples, n_features), a random
/// linear model with `n_informative` non-zero coefficients in U(0, 100), y = x coef + bias +
/// noise * N(0, 1), y of shape (n_samples, 1). n_informative 0 means all features; otherwise
/// the informative features sit at random positions (like scikit-learn's default shuffle of the
/// columns) and coef is 0 elsewhere. Draws come from std::mt19937_64(seed) by portable
/// transforms, so a seed gives the same data everywhere (and for float and double). DomainError
/// for zero samples or features, n_informative > n_features, or a negative or non-finite noise.
template <class T = float>
struct Regression {
  Tensor<T> inputs, targets;
  xt::xarray<T> coef;
};
template <class T = float>
Regression<T> make_regression(std::size_t n_samples, std::size_t n_features, double noise = 0,
                              std::uint64_t seed = 0, std::size_t n_informative = 0,
                              double bias = 0);

}  // namespace xg::data
