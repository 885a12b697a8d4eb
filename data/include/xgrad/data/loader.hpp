// Mini-batches over in-memory tensors: full batch, stochastic (batch 1) and mini-batch gradient
// descent, with seeded shuffling, image batches (N, C, H, W), per-sample augmentation and a
// saved position for bit-identical resume. T defaults to float: `DataLoader loader(x, labels,
// {...})` deduces it from the tensors, `Standardizer scale;` is a float one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "xgrad/data/augment.hpp"
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
  /// The shape of one sample in a batch: batch inputs are (rows, sample_shape...), gathered
  /// straight into that shape (one copy). Empty: the inputs' own shape after the first axis.
  /// {1, 28, 28} turns Fashion-MNIST's rows of 784 pixels into (N, 1, 28, 28) images; its element
  /// count must be the row's (ShapeError otherwise).
  Shape sample_shape = {};
  /// Per-sample augmentation of the inputs (none unless set; see augment.hpp): needs (C, H, W)
  /// samples and changes them to augmented_shape(). Targets and labels are not touched. Give it
  /// to the training loader only: a loader built without it (for evaluation) gathers the rows as
  /// they are.
  Augmentation augment = {};
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

  /// Inputs and targets with the same number of rows (ShapeError otherwise). The options are
  /// checked here: a sample_shape that does not hold a row's elements and an augmentation that
  /// does not fit the samples throw as check_augmentation() documents.
  DataLoader(Tensor<T> inputs, Tensor<T> targets, LoaderOptions options = {});
  /// Inputs and class labels, one per row (ShapeError otherwise).
  DataLoader(Tensor<T> inputs, std::vector<std::size_t> labels, LoaderOptions options = {});

  /// Starts an epoch: draws its row order now (a new one when shuffle is on) and returns the
  /// range of its batches, which are gathered one at a time as the iteration reaches them
  /// (copies, not on the tape). The order comes from rng_ (seeded with options.seed) by a
  /// Fisher-Yates shuffle that does not depend on the standard library, so a seed gives the
  /// same epochs everywhere. The last batch is smaller when batch_size does not divide the rows
  /// (dropped with drop_last). With an augmentation, each sample is augmented as it is gathered.
  /// After set_state(), the epoch continues the saved one from its saved position. The loader
  /// must outlive the iteration.
  Epoch epoch();
  /// `for (const auto& batch : loader)` runs one epoch: begin() is epoch().begin().
  Iterator begin();
  Iterator end() const { return Iterator(); }
  /// Number of batches per epoch.
  std::size_t batches_per_epoch() const;
  std::size_t num_samples() const { return rows_; }
  const LoaderOptions& options() const { return options_; }
  /// The shape of one sample of batch.inputs (after sample_shape and augmentation).
  const Shape& batch_sample_shape() const { return batch_sample_shape_; }

  /// Where the loader stands, as text (a few kB): the epoch in progress and how many of its
  /// batches were handed out (an iterator hands out a batch when it reaches it: begin() the
  /// first, each ++ the next), the shuffle generator's state before that epoch's order was drawn,
  /// and the options. Once every batch of the epoch was handed out, or before the first epoch,
  /// it is the start of the next epoch. Only the latest epoch() is tracked. Augmentation needs no
  /// state of its own: it is a function of its seed, the epoch and the position.
  std::string get_state() const;
  /// Restores a get_state() of a loader built with the same inputs and options: the next
  /// epoch() (or begin()) continues where the saved one stood, with the remaining batches of the
  /// interrupted epoch, bit-identical to the uninterrupted run, augmentation included; the epochs
  /// after it follow as in that run. xg::Error, changing nothing, for text that is not a loader
  /// state, a state of a loader with other options or another number of samples (both named),
  /// or a position past the end of an epoch.
  void set_state(const std::string& state);

 private:
  /// One epoch's row order; `number` counts epochs (the augmentation's key), `serial` counts
  /// epoch() calls (the latest one's progress is tracked), `start` is its first batch.
  struct EpochData {
    std::vector<std::size_t> order;
    std::uint64_t number = 0, serial = 0;
    std::size_t start = 0;
  };
  using Order = std::shared_ptr<const EpochData>;
  /// Batch `index` of epoch `e`.
  Batch<T> gather_batch(const EpochData& e, std::size_t index) const;
  void handed_out(const EpochData& e, std::size_t index) {
    if (e.serial == serial_) handed_ = index + 1;
  }
  void init(const char* who);
  /// The options and sample count, as written into and compared by the state.
  std::string config_text() const;

  Tensor<T> inputs_, targets_;
  std::vector<std::size_t> labels_;
  std::size_t rows_;
  LoaderOptions options_;
  Shape sample_shape_, batch_sample_shape_;
  std::mt19937_64 rng_;
  // Resume bookkeeping: the epoch the next epoch() draws and its first batch; the latest epoch's
  // generator state before its shuffle, its number, serial and batches handed out.
  std::uint64_t next_epoch_ = 0;
  std::size_t resume_from_ = 0;
  std::mt19937_64 rng_before_;
  bool in_epoch_ = false;
  std::uint64_t epoch_number_ = 0, serial_ = 0;
  std::size_t handed_ = 0;
};

/// An input iterator over the batches of one epoch. It holds the current batch only (and
/// shares the epoch's row order); ++ replaces it by the next one. A default-constructed
/// iterator is the end. Reaching a batch counts it as handed out for get_state() (a write to
/// the loader: walk one loader's epochs from one thread at a time).
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
      batch_ = loader_->gather_batch(*epoch_, index_);
      loader_->handed_out(*epoch_, index_);
    } else {
      batch_ = {};  // the end holds no batch
    }
    return *this;
  }
  void operator++(int) { ++*this; }
  /// Position in the epoch (0 for the first batch; a resumed epoch starts further on).
  std::size_t index() const { return index_; }
  friend bool operator==(const Iterator& a, const Iterator& b) {
    if (a.at_end() || b.at_end()) return a.at_end() == b.at_end();
    return a.epoch_ == b.epoch_ && a.index_ == b.index_;
  }

 private:
  friend class DataLoader;
  Iterator(DataLoader* loader, Order epoch, std::size_t count)
      : loader_(loader), epoch_(std::move(epoch)), index_(epoch_->start), count_(count) {
    if (index_ < count_) {
      batch_ = loader_->gather_batch(*epoch_, index_);
      loader_->handed_out(*epoch_, index_);
    }
  }
  bool at_end() const { return index_ >= count_; }

  DataLoader* loader_ = nullptr;
  Order epoch_;
  std::size_t index_ = 0, count_ = 0;
  Batch<T> batch_;
};

/// The batches of one epoch, in the order drawn by DataLoader::epoch(). Iterating it again
/// gives the same batches again (augmented the same way).
template <class T>
class DataLoader<T>::Epoch {
 public:
  Iterator begin() const { return Iterator(loader_, epoch_, loader_->batches_per_epoch()); }
  Iterator end() const { return Iterator(); }
  /// Number of batches the range yields (those left after start()).
  std::size_t size() const { return loader_->batches_per_epoch() - epoch_->start; }
  bool empty() const { return size() == 0; }
  /// The epoch's index in the loader's sequence of epochs (0 for the first).
  std::size_t number() const { return static_cast<std::size_t>(epoch_->number); }
  /// Index of its first batch: 0, or where an epoch resumed by set_state() continues.
  std::size_t start() const { return epoch_->start; }

 private:
  friend class DataLoader;
  Epoch(DataLoader* loader, Order epoch) : loader_(loader), epoch_(std::move(epoch)) {}
  DataLoader* loader_;
  Order epoch_;
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
