// DataLoader, train_val_split, Standardizer and make_regression (see loader.hpp).
//
// Random numbers come straight from std::mt19937_64 through small portable helpers (index
// draws, uniform and Box-Muller normal variates) rather than std::shuffle and the std::
// distributions, whose outputs differ between standard libraries: the same seed gives the same
// batches and data sets everywhere.
#include "xgrad/data/loader.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "xgrad/detail/checked_shape.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::data {

namespace {

/// Uniform integer in [0, n) (Lemire's multiply-shift; bias below n / 2^64).
std::size_t draw_index(std::mt19937_64& rng, std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

/// Uniform double in [0, 1) with 53 random bits.
double draw_uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Standard normal variates by the Box-Muller transform, in pairs.
class NormalSource {
 public:
  explicit NormalSource(std::mt19937_64& rng) : rng_(rng) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - draw_uniform(rng_);  // (0, 1]: log is finite
    const double u2 = draw_uniform(rng_);
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double two_pi = 6.283185307179586476925286766559;
    spare_ = r * std::sin(two_pi * u2);
    has_spare_ = true;
    return r * std::cos(two_pi * u2);
  }

 private:
  std::mt19937_64& rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// Fisher-Yates shuffle.
void shuffle_in_place(std::vector<std::size_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[draw_index(rng, i)]);
  }
}

std::vector<std::size_t> iota_vector(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t(0));
  return v;
}

std::size_t product(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
}

/// The shape of an array's rows: its shape after the first axis.
template <class T>
Shape row_shape_of(const xt::xarray<T>& a) {
  return Shape(a.shape().begin() + 1, a.shape().end());
}

/// Rows `rows[first, last)` of a row-major array, copied into an array of shape
/// (count, row_shape...) (row_shape holds a row's elements); runs of consecutive row indices
/// are copied in one block.
template <class T>
xt::xarray<T> copy_rows(const xt::xarray<T>& src, const std::size_t* first, const std::size_t* last,
                        const Shape& row_shape) {
  const std::size_t row_len = product(row_shape);
  const std::size_t count = static_cast<std::size_t>(last - first);
  Shape shape{count};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  auto out = xt::xarray<T>::from_shape(shape);
  const T* in = src.data();
  T* dst = out.data();
  for (const std::size_t* p = first; p != last;) {
    const std::size_t start = *p;
    const std::size_t* q = p + 1;
    while (q != last && *q == *(q - 1) + 1) ++q;
    const std::size_t run = static_cast<std::size_t>(q - p);
    std::copy_n(in + start * row_len, run * row_len, dst);
    dst += run * row_len;
    p = q;
  }
  return out;
}

/// Rows `rows[first, last)` of `src` as (C, H, W) images, augmented into an array of shape
/// (count, augmented sample shape); the sample at `first + r` is sample `position + r` of epoch
/// `epoch` for the augmentation's draws.
template <class T>
xt::xarray<T> augment_rows(const xt::xarray<T>& src, const std::size_t* first,
                           const std::size_t* last, const Shape& image, const Shape& augmented,
                           const Augmentation& a, std::uint64_t epoch, std::size_t position) {
  const std::size_t count = static_cast<std::size_t>(last - first);
  const std::size_t in_len = product(image), out_len = product(augmented);
  Shape shape{count};
  shape.insert(shape.end(), augmented.begin(), augmented.end());
  auto out = xt::xarray<T>::from_shape(shape);
  const T* in = src.data();
  T* dst = out.data();
  for (std::size_t r = 0; r < count; ++r) {
    const AugmentDraw d = draw_augmentation(a, image[1], image[2], epoch, position + r);
    augment_image(in + first[r] * in_len, dst + r * out_len, image[0], image[1], image[2], a, d);
  }
  return out;
}

std::vector<std::size_t> pick(const std::vector<std::size_t>& labels, const std::size_t* first,
                              const std::size_t* last) {
  std::vector<std::size_t> out;
  out.reserve(static_cast<std::size_t>(last - first));
  for (const std::size_t* p = first; p != last; ++p) out.push_back(labels[*p]);
  return out;
}

template <class T>
std::size_t rows_of(const Tensor<T>& t, const char* op, const char* what) {
  if (!t.defined()) throw Error(std::string(op) + ": the " + what + " tensor is undefined");
  if (t.dim() == 0) {
    throw ShapeError(std::string(op) + ": the " + what +
                     " must have a first axis of rows, got a scalar of shape ()");
  }
  return t.shape()[0];
}

template <class T>
void check_targets(const Tensor<T>& inputs, const Tensor<T>& targets, const char* op) {
  if (rows_of(inputs, op, "inputs") != rows_of(targets, op, "targets")) {
    throw ShapeError(std::string(op) + ": inputs of shape " + shape_str(inputs.shape()) +
                     " and targets of shape " + shape_str(targets.shape()) +
                     " have different numbers of rows");
  }
}

template <class T>
void check_labels(const Tensor<T>& inputs, const std::vector<std::size_t>& labels, const char* op) {
  if (rows_of(inputs, op, "inputs") != labels.size()) {
    throw ShapeError(std::string(op) + ": inputs of shape " + shape_str(inputs.shape()) + " but " +
                     std::to_string(labels.size()) + " labels (one label per row is needed)");
  }
}

template <class T>
Split<T> split_rows(const Tensor<T>& inputs, const Tensor<T>* targets,
                    const std::vector<std::size_t>* labels, double val_fraction, std::uint64_t seed,
                    bool shuffle) {
  const char* op = "train_val_split";
  if (!(val_fraction >= 0.0 && val_fraction < 1.0)) {
    throw DomainError(std::string(op) + ": val_fraction must be in [0, 1), got " +
                      std::to_string(val_fraction));
  }
  const std::size_t n = inputs.shape()[0];
  // Keras' validation_split rule: the training part is the first floor(n * (1 - fraction)) rows
  // (with a little slack against rounding, so that 0.3 of 10 rows is 3, not 4).
  const auto n_train =
      static_cast<std::size_t>(std::floor(static_cast<double>(n) * (1.0 - val_fraction) + 1e-9));
  if (n > 0 && n_train == 0) {
    throw DomainError(std::string(op) + ": val_fraction " + std::to_string(val_fraction) + " of " +
                      std::to_string(n) + " rows leaves no training rows");
  }
  std::vector<std::size_t> order = iota_vector(n);
  if (shuffle) {
    std::mt19937_64 rng(seed);
    shuffle_in_place(order, rng);
  }
  const std::size_t* b = order.data();
  const std::size_t* mid = b + n_train;
  const std::size_t* e = b + n;
  Split<T> out;
  const Shape in_row = row_shape_of(inputs.value());
  out.train_inputs = Tensor<T>(copy_rows(inputs.value(), b, mid, in_row));
  out.val_inputs = Tensor<T>(copy_rows(inputs.value(), mid, e, in_row));
  if (targets != nullptr) {
    const Shape target_row = row_shape_of(targets->value());
    out.train_targets = Tensor<T>(copy_rows(targets->value(), b, mid, target_row));
    out.val_targets = Tensor<T>(copy_rows(targets->value(), mid, e, target_row));
  }
  if (labels != nullptr) {
    out.train_labels = pick(*labels, b, mid);
    out.val_labels = pick(*labels, mid, e);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// DataLoader

template <class T>
DataLoader<T>::DataLoader(Tensor<T> inputs, Tensor<T> targets, LoaderOptions options)
    : inputs_(std::move(inputs)),
      targets_(std::move(targets)),
      rows_(0),
      options_(std::move(options)),
      rng_(options_.seed) {
  check_targets(inputs_, targets_, "DataLoader");
  init("DataLoader");
}

template <class T>
DataLoader<T>::DataLoader(Tensor<T> inputs, std::vector<std::size_t> labels, LoaderOptions options)
    : inputs_(std::move(inputs)),
      labels_(std::move(labels)),
      rows_(0),
      options_(std::move(options)),
      rng_(options_.seed) {
  check_labels(inputs_, labels_, "DataLoader");
  init("DataLoader");
}

template <class T>
void DataLoader<T>::init(const char* who) {
  rows_ = inputs_.shape()[0];
  const Shape row = row_shape_of(inputs_.value());
  sample_shape_ = options_.sample_shape.empty() ? row : options_.sample_shape;
  if (product(sample_shape_) != product(row)) {
    throw ShapeError(std::string(who) + ": sample_shape " + shape_str(sample_shape_) + " holds " +
                     std::to_string(product(sample_shape_)) + " elements but the rows of inputs " +
                     shape_str(inputs_.shape()) + " hold " + std::to_string(product(row)));
  }
  check_augmentation(options_.augment, sample_shape_, who);
  batch_sample_shape_ =
      options_.augment.enabled() ? augmented_shape(options_.augment, sample_shape_) : sample_shape_;
  rng_before_ = rng_;
}

template <class T>
std::size_t DataLoader<T>::batches_per_epoch() const {
  if (rows_ == 0) return 0;
  const std::size_t bs = options_.batch_size == 0 ? rows_ : options_.batch_size;
  return options_.drop_last ? rows_ / bs : (rows_ + bs - 1) / bs;
}

template <class T>
typename DataLoader<T>::Epoch DataLoader<T>::epoch() {
  auto e = std::make_shared<EpochData>();
  rng_before_ = rng_;
  e->order = iota_vector(rows_);
  if (options_.shuffle) shuffle_in_place(e->order, rng_);
  e->number = next_epoch_++;
  e->serial = ++serial_;
  e->start = resume_from_;
  resume_from_ = 0;
  in_epoch_ = true;
  epoch_number_ = e->number;
  handed_ = e->start;
  return Epoch(this, std::move(e));
}

template <class T>
typename DataLoader<T>::Iterator DataLoader<T>::begin() {
  return epoch().begin();
}

template <class T>
Batch<T> DataLoader<T>::gather_batch(const EpochData& epoch, std::size_t index) const {
  const std::size_t bs = options_.batch_size == 0 ? rows_ : options_.batch_size;
  const std::size_t start = index * bs;
  const std::size_t* b = epoch.order.data() + start;
  const std::size_t* e = epoch.order.data() + std::min(rows_, start + bs);
  Batch<T> batch;
  if (options_.augment.enabled()) {
    batch.inputs = Tensor<T>(augment_rows(inputs_.value(), b, e, sample_shape_, batch_sample_shape_,
                                          options_.augment, epoch.number, start));
  } else {
    batch.inputs = Tensor<T>(copy_rows(inputs_.value(), b, e, sample_shape_));
  }
  if (targets_.defined()) {
    batch.targets = Tensor<T>(copy_rows(targets_.value(), b, e, row_shape_of(targets_.value())));
  }
  if (!labels_.empty()) batch.labels = pick(labels_, b, e);
  return batch;
}

// ---------------------------------------------------------------------------------------------
// train_val_split

template <class T>
Split<T> train_val_split(const Tensor<T>& inputs, const Tensor<T>& targets, double val_fraction,
                         std::uint64_t seed, bool shuffle) {
  check_targets(inputs, targets, "train_val_split");
  return split_rows<T>(inputs, &targets, nullptr, val_fraction, seed, shuffle);
}

template <class T>
Split<T> train_val_split(const Tensor<T>& inputs, const std::vector<std::size_t>& labels,
                         double val_fraction, std::uint64_t seed, bool shuffle) {
  check_labels(inputs, labels, "train_val_split");
  return split_rows<T>(inputs, nullptr, &labels, val_fraction, seed, shuffle);
}

// ---------------------------------------------------------------------------------------------
// Standardizer

template <class T>
void Standardizer<T>::fit(const Tensor<T>& x) {
  if (!x.defined()) throw Error("Standardizer::fit: the tensor is undefined");
  if (x.dim() != 2 || x.shape()[0] == 0) {
    throw ShapeError(
        "Standardizer::fit: expects a 2-D tensor (rows, columns) with at least one "
        "row, got shape " +
        shape_str(x.shape()));
  }
  const std::size_t rows = x.shape()[0], cols = x.shape()[1];
  const T* v = x.value().data();
  std::vector<double> mean(cols, 0.0), var(cols, 0.0);
  std::vector<bool> constant(cols, true);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      mean[j] += v[i * cols + j];
      if (v[i * cols + j] != v[j]) constant[j] = false;
    }
  }
  for (auto& m : mean) m /= static_cast<double>(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const double d = v[i * cols + j] - mean[j];
      var[j] += d * d;
    }
  }
  mean_ = xt::xarray<T>::from_shape({cols});
  std_ = xt::xarray<T>::from_shape({cols});
  for (std::size_t j = 0; j < cols; ++j) {
    // A column of equal values has std exactly 0 (not a rounding residue of the mean).
    mean_(j) = constant[j] ? v[j] : static_cast<T>(mean[j]);
    std_(j) = constant[j] ? T(0) : static_cast<T>(std::sqrt(var[j] / static_cast<double>(rows)));
  }
}

template <class T>
Tensor<T> Standardizer<T>::transform(const Tensor<T>& x) const {
  if (mean_.dimension() != 1) {  // a default xarray is a 0-D scalar, not empty
    throw Error("Standardizer::transform: call fit() first");
  }
  if (!x.defined()) throw Error("Standardizer::transform: the tensor is undefined");
  const std::size_t cols = mean_.size();
  if (x.dim() != 2 || x.shape()[1] != cols) {
    throw ShapeError("Standardizer::transform: fitted on " + std::to_string(cols) +
                     " columns, got shape " + shape_str(x.shape()));
  }
  const std::size_t rows = x.shape()[0];
  std::vector<T> scale(cols);
  for (std::size_t j = 0; j < cols; ++j) scale[j] = std_(j) > T(0) ? T(1) / std_(j) : T(1);
  auto out = xt::xarray<T>::from_shape({rows, cols});
  const T* in = x.value().data();
  T* dst = out.data();
  const T* mean = mean_.data();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      dst[i * cols + j] = (in[i * cols + j] - mean[j]) * scale[j];
    }
  }
  return Tensor<T>(std::move(out));
}

// ---------------------------------------------------------------------------------------------
// make_regression

template <class T>
Regression<T> make_regression(std::size_t n_samples, std::size_t n_features, double noise,
                              std::uint64_t seed, std::size_t n_informative, double bias) {
  const std::string op = "make_regression";
  if (n_samples == 0 || n_features == 0) {
    throw DomainError(op + ": needs at least one sample and one feature, got n_samples " +
                      std::to_string(n_samples) + ", n_features " + std::to_string(n_features));
  }
  if (n_informative > n_features) {
    throw DomainError(op + ": n_informative " + std::to_string(n_informative) +
                      " exceeds n_features " + std::to_string(n_features));
  }
  if (!(noise >= 0) || !std::isfinite(noise) || !std::isfinite(bias)) {
    throw DomainError(op + ": noise must be finite and >= 0 and bias finite, got noise " +
                      std::to_string(noise) + ", bias " + std::to_string(bias));
  }
  const std::size_t k = n_informative == 0 ? n_features : n_informative;
  std::mt19937_64 rng(seed);
  NormalSource normal(rng);

  std::vector<double> x(n_samples * n_features);
  for (auto& v : x) v = normal();
  // The informative features sit at random positions, as after scikit-learn's default
  // shuffling of the feature columns.
  std::vector<std::size_t> features = iota_vector(n_features);
  if (k < n_features) shuffle_in_place(features, rng);
  std::vector<double> coef(n_features, 0.0);
  for (std::size_t i = 0; i < k; ++i) coef[features[i]] = 100.0 * draw_uniform(rng);

  Regression<T> out;
  xg::detail::checked_element_count("make_regression",
                                    std::vector<std::size_t>{n_samples, n_features}, sizeof(T));
  auto inputs = xt::xarray<T>::from_shape({n_samples, n_features});
  auto targets = xt::xarray<T>::from_shape({n_samples, std::size_t(1)});
  T* in = inputs.data();
  T* tg = targets.data();
  for (std::size_t i = 0; i < n_samples; ++i) {
    double y = bias;
    for (std::size_t j = 0; j < n_features; ++j) {
      y += x[i * n_features + j] * coef[j];
      in[i * n_features + j] = static_cast<T>(x[i * n_features + j]);
    }
    if (noise > 0) y += noise * normal();
    tg[i] = static_cast<T>(y);
  }
  out.coef = xt::xarray<T>::from_shape({n_features});
  std::copy(coef.begin(), coef.end(), out.coef.data());
  out.inputs = Tensor<T>(std::move(inputs));
  out.targets = Tensor<T>(std::move(targets));
  return out;
}

#define XG_INSTANTIATE(T)                                                                      \
  template class DataLoader<T>;                                                                \
  template class Standardizer<T>;                                                              \
  template Split<T> train_val_split(const Tensor<T>&, const Tensor<T>&, double, std::uint64_t, \
                                    bool);                                                     \
  template Split<T> train_val_split(const Tensor<T>&, const std::vector<std::size_t>&, double, \
                                    std::uint64_t, bool);                                      \
  template Regression<T> make_regression<T>(std::size_t, std::size_t, double, std::uint64_t,   \
                                            std::size_t, double);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::data
