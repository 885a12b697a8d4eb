// DataLoader, train_val_split, Standardizer and make_regression.
#include <gtest/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <ranges>
#include <set>
#include <type_traits>

#include "data/data_test_util.hpp"
#include "xgrad/data/loader.hpp"
#include "xgrad/errors.hpp"

namespace {

using xg::Tensor;
using xg::data::DataLoader;
using xg::data::LoaderOptions;

/// n rows: inputs row i = (i, 100 + i), targets row i = (1000 + i).
template <class T>
std::pair<Tensor<T>, Tensor<T>> numbered(std::size_t n) {
  std::vector<T> x, y;
  for (std::size_t i = 0; i < n; ++i) {
    x.push_back(static_cast<T>(i));
    x.push_back(static_cast<T>(100 + i));
    y.push_back(static_cast<T>(1000 + i));
  }
  return {Tensor<T>::from({n, 2}, x), Tensor<T>::from({n, 1}, y)};
}

std::vector<std::size_t> label_of_rows(std::size_t n) {
  std::vector<std::size_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = (i * 7) % 13;
  return labels;
}

/// Row ids of one epoch's batches, checking that every row's columns and targets belong together.
template <class Batches>
std::vector<std::size_t> row_ids(const Batches& batches) {
  using T = typename std::decay_t<decltype(batches.begin()->inputs)>::value_type;
  std::vector<std::size_t> ids;
  for (const auto& b : batches) {
    const auto& x = b.inputs.value();
    EXPECT_EQ(x.dimension(), 2u);
    EXPECT_EQ(x.shape()[1], 2u);
    for (std::size_t r = 0; r < b.size(); ++r) {
      const auto id = static_cast<std::size_t>(x(r, 0));
      EXPECT_EQ(x(r, 1), static_cast<T>(100 + id));
      if (b.targets.defined()) {
        EXPECT_EQ(b.targets.shape(), (xg::Shape{b.size(), 1}));
        EXPECT_EQ(b.targets.value()(r, 0), static_cast<T>(1000 + id));
      } else {
        EXPECT_EQ(b.labels.size(), b.size());
        EXPECT_EQ(b.labels[r], (id * 7) % 13);
      }
      ids.push_back(id);
    }
  }
  return ids;
}

std::vector<std::size_t> iota(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t(0));
  return v;
}

template <class T>
class DataLoaderTyped : public ::testing::Test {};
TYPED_TEST_SUITE(DataLoaderTyped, xg::test::FloatTypes);

TYPED_TEST(DataLoaderTyped, BatchCountsAndSizes) {
  using T = TypeParam;
  auto [x, y] = numbered<T>(10);
  struct Case {
    std::size_t batch;
    bool drop_last;
    std::vector<std::size_t> sizes;
  };
  const std::vector<Case> cases = {
      {0, false, {10}},         {0, true, {10}},     {1, false, std::vector<std::size_t>(10, 1)},
      {4, false, {4, 4, 2}},    {4, true, {4, 4}},   {5, true, {5, 5}},
      {10, false, {10}},        {20, false, {10}},   {20, true, {}},
      {3, false, {3, 3, 3, 1}}, {3, true, {3, 3, 3}}};
  for (const auto& c : cases) {
    DataLoader<T> loader(
        x, y, {.batch_size = c.batch, .shuffle = true, .seed = 3, .drop_last = c.drop_last});
    EXPECT_EQ(loader.num_samples(), 10u);
    EXPECT_EQ(loader.batches_per_epoch(), c.sizes.size()) << "batch " << c.batch;
    for (int epoch = 0; epoch < 2; ++epoch) {
      const auto batches = loader.epoch();
      std::vector<std::size_t> sizes;
      for (const auto& b : batches) sizes.push_back(b.size());
      EXPECT_EQ(sizes, c.sizes) << "batch " << c.batch << " drop_last " << c.drop_last;
      auto ids = row_ids(batches);
      // Every row at most once; exactly once unless rows were dropped.
      std::sort(ids.begin(), ids.end());
      EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
      if (!c.drop_last || c.batch == 0 || 10 % c.batch == 0) {
        EXPECT_EQ(ids, iota(10));
      }
    }
  }
}

TYPED_TEST(DataLoaderTyped, EachRowOncePerEpochWithLabelsAligned) {
  using T = TypeParam;
  auto [x, y] = numbered<T>(37);
  DataLoader<T> loader(x, label_of_rows(37), {.batch_size = 8, .shuffle = true, .seed = 11});
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto batches = loader.epoch();
    ASSERT_EQ(batches.size(), 5u);
    for (const auto& b : batches) EXPECT_FALSE(b.targets.defined());
    auto ids = row_ids(batches);  // checks labels against the row ids
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, iota(37));
  }
}

TEST(DataLoader, ShuffleDiffersBetweenEpochsAndIsReproducible) {
  auto [x, y] = numbered<float>(50);
  const LoaderOptions opts{.batch_size = 7, .shuffle = true, .seed = 42};
  DataLoader<float> a(x, y, opts), b(x, y, opts);
  DataLoader<float> other(x, y, {.batch_size = 7, .shuffle = true, .seed = 43});
  std::vector<std::vector<std::size_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto ia = row_ids(a.epoch());
    const auto ib = row_ids(b.epoch());
    const auto io = row_ids(other.epoch());
    EXPECT_EQ(ia, ib) << "same seed, same epoch: same order";
    EXPECT_NE(ia, io) << "another seed gives another order";
    EXPECT_NE(ia, iota(50)) << "shuffled";
    orders.push_back(ia);
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
}

TEST(DataLoader, NoShuffleKeepsOrder) {
  auto [x, y] = numbered<double>(9);
  DataLoader<double> loader(x, y, {.batch_size = 4, .shuffle = false});
  for (int epoch = 0; epoch < 2; ++epoch) EXPECT_EQ(row_ids(loader.epoch()), iota(9));
}

TEST(DataLoader, BatchesAreCopiesOffTheTape) {
  auto [x, y] = numbered<float>(6);
  x.requires_grad_();
  DataLoader<float> loader(x, y, {.batch_size = 0, .shuffle = false});
  auto batches = loader.epoch();
  ASSERT_EQ(batches.size(), 1u);
  auto first = *batches.begin();
  EXPECT_FALSE(first.inputs.requires_grad());
  EXPECT_TRUE(first.inputs.is_leaf());
  first.inputs.mutable_value()(0, 0) = -5;
  EXPECT_EQ(x.value()(0, 0), 0.0f) << "the batch must not alias the data";
  EXPECT_EQ((*loader.epoch().begin()).inputs.value()(0, 0), 0.0f);
}

TEST(DataLoader, HigherRankRowsAreCopiedWhole) {
  std::vector<double> v(5 * 2 * 3);
  std::iota(v.begin(), v.end(), 0.0);
  auto x = Tensor<double>::from({5, 2, 3}, v);
  DataLoader<double> loader(x, std::vector<std::size_t>{0, 1, 2, 3, 4},
                            {.batch_size = 2, .shuffle = true, .seed = 1});
  std::size_t seen = 0;
  for (const auto& b : loader.epoch()) {
    ASSERT_EQ(b.inputs.dim(), 3u);
    for (std::size_t r = 0; r < b.size(); ++r) {
      const std::size_t id = b.labels[r];
      for (std::size_t k = 0; k < 6; ++k) {
        EXPECT_EQ(b.inputs.value().data()[r * 6 + k], static_cast<double>(id * 6 + k));
      }
      ++seen;
    }
  }
  EXPECT_EQ(seen, 5u);
}

TEST(DataLoader, EmptyData) {
  auto x = Tensor<float>::zeros({0, 3});
  DataLoader<float> loader(x, std::vector<std::size_t>{}, {.batch_size = 0});
  EXPECT_EQ(loader.batches_per_epoch(), 0u);
  EXPECT_TRUE(loader.epoch().empty());
}

/// The epochs DataLoader gave when epoch() returned a vector: the row ids of every batch,
/// from a Fisher-Yates shuffle with Lemire's index draws on mt19937_64(seed), cut into
/// batch_size rows.
std::vector<std::vector<std::size_t>> eager_epoch(std::mt19937_64& rng, std::size_t rows,
                                                  const LoaderOptions& o) {
  std::vector<std::size_t> order = iota(rows);
  if (o.shuffle) {
    for (std::size_t i = order.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>((static_cast<unsigned __int128>(rng()) * i) >> 64);
      std::swap(order[i - 1], order[j]);
    }
  }
  const std::size_t bs = o.batch_size == 0 ? rows : o.batch_size;
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t start = 0; start < rows; start += bs) {
    const std::size_t end = std::min(rows, start + bs);
    if (o.drop_last && end - start < bs) break;
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  return batches;
}

TEST(DataLoaderLazy, SameBatchesAsTheEagerEpochs) {
  auto [x, y] = numbered<float>(23);
  for (const LoaderOptions& o :
       {LoaderOptions{.batch_size = 5, .shuffle = true, .seed = 42},
        LoaderOptions{.batch_size = 5, .shuffle = true, .seed = 42, .drop_last = true},
        LoaderOptions{.batch_size = 1, .shuffle = true, .seed = 7},
        LoaderOptions{.batch_size = 0, .shuffle = true, .seed = 3},
        LoaderOptions{.batch_size = 4, .shuffle = false}}) {
    DataLoader<float> loader(x, y, o);
    std::mt19937_64 reference(o.seed);
    for (int epoch = 0; epoch < 3; ++epoch) {
      const auto expected = eager_epoch(reference, 23, o);
      std::vector<std::vector<std::size_t>> got;
      // Alternate the two spellings: epoch() and a range-for over the loader itself.
      if (epoch == 1) {
        for (const auto& b : loader) got.push_back(row_ids(std::vector{b}));
      } else {
        for (const auto& b : loader.epoch()) got.push_back(row_ids(std::vector{b}));
      }
      EXPECT_EQ(got, expected) << "batch " << o.batch_size << " epoch " << epoch;
    }
  }
}

TEST(DataLoaderLazy, AnEpochCanBeWalkedTwiceAndCountsItsBatches) {
  auto [x, y] = numbered<double>(10);
  DataLoader<double> loader(x, y, {.batch_size = 4, .shuffle = true, .seed = 5});
  const auto epoch = loader.epoch();
  EXPECT_EQ(epoch.size(), 3u);
  EXPECT_FALSE(epoch.empty());
  EXPECT_EQ(row_ids(epoch), row_ids(epoch)) << "the order is drawn once, by epoch()";
  EXPECT_NE(row_ids(epoch), row_ids(loader.epoch())) << "the next epoch reshuffles";
  std::size_t n = 0;
  for (auto it = epoch.begin(); it != epoch.end(); it++) EXPECT_EQ(it.index(), n++);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(std::ranges::distance(epoch), 3);
}

TEST(DataLoaderLazy, IsAnInputRangeOfBatches) {
  using Loader = DataLoader<float>;
  static_assert(std::input_iterator<Loader::Iterator>);
  static_assert(std::ranges::input_range<Loader::Epoch>);
  static_assert(std::ranges::input_range<Loader>);
  static_assert(std::is_same_v<std::ranges::range_value_t<Loader>, xg::data::Batch<float>>);
  // T defaults to float and is deduced from the tensors.
  static_assert(std::is_same_v<DataLoader<>, DataLoader<float>>);
  auto [x, y] = numbered<float>(4);
  DataLoader deduced(x, y, {.batch_size = 2});
  static_assert(std::is_same_v<decltype(deduced), DataLoader<float>>);
  EXPECT_EQ(deduced.batches_per_epoch(), 2u);
}

TEST(DataLoaderLazy, TheIteratorHoldsOneBatchNotAnEpoch) {
  // 20,000 rows of 250 floats: an epoch of copies would be 20 MB, one batch of 100 rows 100 kB.
  const std::size_t rows = 20000, cols = 250, batch = 100;
  auto x = Tensor<float>::zeros({rows, cols});
  for (std::size_t r = 0; r < rows; ++r) x.mutable_value()(r, 0) = static_cast<float>(r);
  DataLoader<float> loader(x, std::vector<std::size_t>(rows, 0),
                           {.batch_size = batch, .shuffle = true, .seed = 9});
  auto heap_in_use = [] {
    const auto m = mallinfo2();
    return m.uordblks + m.hblkhd;  // small chunks and mmap'd ones
  };
  const std::size_t before = heap_in_use();
  auto it = loader.begin();
  const std::size_t held = heap_in_use() - before;
  // The order (8 bytes a row) and one batch; an epoch of copies would be rows * cols * 4.
  EXPECT_LT(held, rows * sizeof(std::size_t) + 4 * batch * cols * sizeof(float) + 65536)
      << "bytes held after begin()";
  // One batch slot, refilled in place: the batch of the previous step is gone from it.
  const xg::data::Batch<float>* slot = &*it;
  const float first_row = it->inputs.value()(0, 0);
  std::set<std::size_t> seen;
  std::size_t steps = 0;
  for (; it != loader.end(); ++it, ++steps) {
    EXPECT_EQ(&*it, slot);
    ASSERT_EQ(it->size(), batch);
    for (std::size_t r = 0; r < batch; ++r) seen.insert(std::size_t(it->inputs.value()(r, 0)));
    if (steps == 1) {
      EXPECT_NE(it->inputs.value()(0, 0), first_row) << "the slot holds the next batch";
    }
  }
  EXPECT_EQ(steps, rows / batch);
  EXPECT_EQ(seen.size(), rows);
  EXPECT_FALSE(it->inputs.defined()) << "the end holds no batch";
}

TEST(DataLoader, MismatchedRowsThrow) {
  auto [x, y] = numbered<float>(10);
  auto [x9, y9] = numbered<float>(9);
  EXPECT_THROW_WITH(DataLoader<float>(x, y9), xg::ShapeError, "DataLoader", "(10, 2)", "(9, 1)");
  EXPECT_THROW_WITH(DataLoader<float>(x, label_of_rows(11)), xg::ShapeError, "DataLoader",
                    "(10, 2)", "11 labels");
  EXPECT_THROW_WITH(DataLoader<float>(Tensor<float>::scalar(1), std::vector<std::size_t>{1}),
                    xg::ShapeError, "DataLoader", "()");
  EXPECT_THROW_WITH(DataLoader<float>(x, Tensor<float>()), xg::Error, "DataLoader", "undefined");
}

// ---------------------------------------------------------------------------------------------
// train_val_split

TEST(DataSplit, SizesAndDisjointnessWithTargets) {
  auto [x, y] = numbered<float>(10);
  for (auto [fraction, n_val] : {std::pair{0.2, 2u}, {0.3, 3u}, {0.25, 3u}, {0.0, 0u}, {0.9, 9u}}) {
    const auto s = xg::data::train_val_split(x, y, fraction, 5);
    ASSERT_EQ(s.train_inputs.shape(), (xg::Shape{10 - n_val, 2})) << fraction;
    ASSERT_EQ(s.val_inputs.shape(), (xg::Shape{n_val, 2})) << fraction;
    ASSERT_EQ(s.train_targets.shape(), (xg::Shape{10 - n_val, 1}));
    ASSERT_EQ(s.val_targets.shape(), (xg::Shape{n_val, 1}));
    EXPECT_TRUE(s.train_labels.empty());
    std::set<std::size_t> train, val;
    for (std::size_t r = 0; r < 10 - n_val; ++r) {
      const auto id = static_cast<std::size_t>(s.train_inputs.value()(r, 0));
      EXPECT_EQ(s.train_targets.value()(r, 0), 1000.0f + id);
      train.insert(id);
    }
    for (std::size_t r = 0; r < n_val; ++r) {
      const auto id = static_cast<std::size_t>(s.val_inputs.value()(r, 0));
      EXPECT_EQ(s.val_targets.value()(r, 0), 1000.0f + id);
      EXPECT_EQ(train.count(id), 0u) << "row " << id << " in both parts";
      val.insert(id);
    }
    EXPECT_EQ(train.size() + val.size(), 10u);
  }
}

TEST(DataSplit, SeededShuffleIsReproducible) {
  auto [x, y] = numbered<double>(100);
  const auto a = xg::data::train_val_split(x, label_of_rows(100), 0.2, 9);
  const auto b = xg::data::train_val_split(x, label_of_rows(100), 0.2, 9);
  const auto c = xg::data::train_val_split(x, label_of_rows(100), 0.2, 10);
  EXPECT_EQ(a.val_inputs.value(), b.val_inputs.value());
  EXPECT_EQ(a.val_labels, b.val_labels);
  EXPECT_NE(a.val_inputs.value(), c.val_inputs.value());
  // Labels stay with their rows.
  ASSERT_EQ(a.train_labels.size(), 80u);
  ASSERT_EQ(a.val_labels.size(), 20u);
  EXPECT_FALSE(a.train_targets.defined());
  for (std::size_t r = 0; r < 80; ++r) {
    const auto id = static_cast<std::size_t>(a.train_inputs.value()(r, 0));
    EXPECT_EQ(a.train_labels[r], (id * 7) % 13);
  }
  // Shuffled: the validation part is not just the last rows.
  std::vector<std::size_t> val_ids;
  for (std::size_t r = 0; r < 20; ++r) {
    val_ids.push_back(static_cast<std::size_t>(a.val_inputs.value()(r, 0)));
  }
  EXPECT_LT(*std::min_element(val_ids.begin(), val_ids.end()), 80u);
}

TEST(DataSplit, NoShuffleTakesTheLastFractionLikeKeras) {
  auto [x, y] = numbered<float>(10);
  const auto s = xg::data::train_val_split(x, label_of_rows(10), 0.3, 0, false);
  ASSERT_EQ(s.val_labels.size(), 3u);
  for (std::size_t r = 0; r < 7; ++r) EXPECT_EQ(s.train_inputs.value()(r, 0), float(r));
  for (std::size_t r = 0; r < 3; ++r) EXPECT_EQ(s.val_inputs.value()(r, 0), float(7 + r));
  EXPECT_EQ(s.val_labels, (std::vector<std::size_t>{(7 * 7) % 13, (8 * 7) % 13, (9 * 7) % 13}));
}

TEST(DataSplit, BadArgumentsThrow) {
  auto [x, y] = numbered<float>(10);
  EXPECT_THROW_WITH(xg::data::train_val_split(x, y, 1.0), xg::DomainError, "val_fraction",
                    "[0, 1)");
  EXPECT_THROW_WITH(xg::data::train_val_split(x, y, -0.1), xg::DomainError, "val_fraction");
  EXPECT_THROW_WITH(xg::data::train_val_split(x, y, std::nan("")), xg::DomainError, "val_fraction");
  EXPECT_THROW_WITH(xg::data::train_val_split(x, y, 0.95), xg::DomainError, "no training rows");
  auto [x9, y9] = numbered<float>(9);
  EXPECT_THROW_WITH(xg::data::train_val_split(x, y9, 0.2), xg::ShapeError, "train_val_split",
                    "(10, 2)", "(9, 1)");
  EXPECT_THROW_WITH(xg::data::train_val_split(x, label_of_rows(3), 0.2), xg::ShapeError,
                    "train_val_split", "3 labels");
}

// ---------------------------------------------------------------------------------------------
// Standardizer

template <class T>
class DataStandardizer : public ::testing::Test {};
TYPED_TEST_SUITE(DataStandardizer, xg::test::FloatTypes);

TYPED_TEST(DataStandardizer, MeanZeroStdOnePerColumn) {
  using T = TypeParam;
  std::vector<T> v;
  for (std::size_t i = 0; i < 200; ++i) {
    v.push_back(static_cast<T>(1000.0 + 50.0 * std::sin(double(i))));  // large offset
    v.push_back(static_cast<T>(0.001 * std::cos(3.0 * double(i))));    // tiny scale
    v.push_back(static_cast<T>(i % 7) - T(3));
  }
  const auto x = Tensor<T>::from({200, 3}, v);
  xg::data::Standardizer<T> s;
  const auto z = s.fit_transform(x);
  ASSERT_EQ(z.shape(), (xg::Shape{200, 3}));
  ASSERT_EQ(s.mean().size(), 3u);
  for (std::size_t j = 0; j < 3; ++j) {
    double mean = 0, sq = 0;
    for (std::size_t i = 0; i < 200; ++i) mean += z.value()(i, j);
    mean /= 200;
    for (std::size_t i = 0; i < 200; ++i) sq += std::pow(z.value()(i, j) - mean, 2);
    EXPECT_NEAR(mean, 0.0, 1e-4) << "column " << j;
    EXPECT_NEAR(std::sqrt(sq / 200), 1.0, 1e-4) << "column " << j;
  }
  // The fitted statistics are the columns' own (population std, as scikit-learn).
  double m0 = 0;
  for (std::size_t i = 0; i < 200; ++i) m0 += v[3 * i];
  EXPECT_NEAR(s.mean()(0), m0 / 200, 1e-3);
  // transform applies the training statistics to other data.
  const auto other =
      s.transform(Tensor<T>::from({1, 3}, {s.mean()(0) + s.stddev()(0), s.mean()(1), T(0)}));
  EXPECT_NEAR(other.value()(0, 0), 1.0, 1e-4);
  EXPECT_NEAR(other.value()(0, 1), 0.0, 1e-4);
  EXPECT_NEAR(other.value()(0, 2), (0 - s.mean()(2)) / s.stddev()(2), 1e-5);
}

TEST(DataStandardizer, ConstantColumnIsOnlyCentred) {
  const auto x = Tensor<double>::from({4, 2}, {0.1, 1, 0.1, 2, 0.1, 3, 0.1, 4});
  xg::data::Standardizer<double> s;
  const auto z = s.fit_transform(x);
  EXPECT_EQ(s.stddev()(0), 0.0);
  EXPECT_EQ(s.mean()(0), 0.1);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(z.value()(i, 0), 0.0);
  EXPECT_NEAR(z.value()(0, 1), (1 - 2.5) / std::sqrt(1.25), 1e-12);
  const auto shifted = s.transform(Tensor<double>::from({1, 2}, {2.1, 2.5}));
  EXPECT_NEAR(shifted.value()(0, 0), 2.0, 1e-12);  // centred, not divided by 0
  EXPECT_NEAR(shifted.value()(0, 1), 0.0, 1e-12);
}

TEST(DataStandardizer, Errors) {
  xg::data::Standardizer<float> s;
  EXPECT_THROW_WITH(s.transform(Tensor<float>::zeros({2, 2})), xg::Error, "fit");
  EXPECT_THROW_WITH(s.fit(Tensor<float>::zeros({4})), xg::ShapeError, "Standardizer::fit", "(4)");
  EXPECT_THROW_WITH(s.fit(Tensor<float>::zeros({0, 3})), xg::ShapeError, "(0, 3)");
  s.fit(Tensor<float>::ones({3, 2}));
  EXPECT_THROW_WITH(s.transform(Tensor<float>::zeros({2, 3})), xg::ShapeError,
                    "Standardizer::transform", "2 columns", "(2, 3)");
  EXPECT_THROW_WITH(s.transform(Tensor<float>::zeros({6})), xg::ShapeError, "(6)");
}

// ---------------------------------------------------------------------------------------------
// make_regression

TEST(DataMakeRegression, ShapesAndReproducibility) {
  const auto a = xg::data::make_regression<float>(500, 6, 0.5, 3);
  const auto b = xg::data::make_regression<float>(500, 6, 0.5, 3);
  const auto c = xg::data::make_regression<float>(500, 6, 0.5, 4);
  ASSERT_EQ(a.inputs.shape(), (xg::Shape{500, 6}));
  ASSERT_EQ(a.targets.shape(), (xg::Shape{500, 1}));
  ASSERT_EQ(a.coef.dimension(), 1u);
  ASSERT_EQ(a.coef.size(), 6u);
  EXPECT_EQ(a.inputs.value(), b.inputs.value());
  EXPECT_EQ(a.targets.value(), b.targets.value());
  EXPECT_EQ(a.coef, b.coef);
  EXPECT_NE(a.inputs.value(), c.inputs.value());
  EXPECT_NE(a.coef, c.coef);
  for (std::size_t j = 0; j < 6; ++j) {
    EXPECT_GT(a.coef(j), 0.0f) << "n_informative 0 means every feature";
    EXPECT_LT(a.coef(j), 100.0f);
  }
  // float and double draw the same numbers.
  const auto d = xg::data::make_regression<double>(500, 6, 0.5, 3);
  EXPECT_NEAR(d.inputs.value()(7, 2), a.inputs.value()(7, 2), 1e-6);
  EXPECT_NEAR(d.targets.value()(9, 0), a.targets.value()(9, 0), 1e-3);
}

TEST(DataMakeRegression, InputsAreStandardNormal) {
  const auto r = xg::data::make_regression<double>(20000, 3, 0, 8);
  const auto& x = r.inputs.value();
  for (std::size_t j = 0; j < 3; ++j) {
    double mean = 0, sq = 0;
    for (std::size_t i = 0; i < 20000; ++i) mean += x(i, j);
    mean /= 20000;
    for (std::size_t i = 0; i < 20000; ++i) sq += (x(i, j) - mean) * (x(i, j) - mean);
    EXPECT_NEAR(mean, 0.0, 0.03);
    EXPECT_NEAR(std::sqrt(sq / 20000), 1.0, 0.03);
  }
}

TEST(DataMakeRegression, TargetsFollowTheLinearModelWithinTheNoise) {
  for (double noise : {0.0, 2.0}) {
    const double bias = 3.5;
    const auto r = xg::data::make_regression<double>(4000, 8, noise, 12, 3, bias);
    std::size_t informative = 0;
    for (std::size_t j = 0; j < 8; ++j) {
      if (r.coef(j) != 0) {
        ++informative;
        EXPECT_GT(r.coef(j), 0.0);
        EXPECT_LT(r.coef(j), 100.0);
      }
    }
    EXPECT_EQ(informative, 3u);
    const auto& x = r.inputs.value();
    double sum = 0, sq = 0;
    for (std::size_t i = 0; i < 4000; ++i) {
      double pred = bias;
      for (std::size_t j = 0; j < 8; ++j) pred += x(i, j) * r.coef(j);
      const double e = r.targets.value()(i, 0) - pred;
      sum += e;
      sq += e * e;
    }
    const double mean = sum / 4000, sd = std::sqrt(sq / 4000 - mean * mean);
    if (noise == 0) {
      EXPECT_LT(std::sqrt(sq / 4000), 1e-10);
    } else {
      EXPECT_NEAR(mean, 0.0, 0.15);
      EXPECT_NEAR(sd, noise, 0.1);
    }
  }
}

TEST(DataMakeRegression, BadArgumentsThrow) {
  EXPECT_THROW_WITH(xg::data::make_regression<float>(10, 3, 0, 0, 4), xg::DomainError,
                    "n_informative 4", "n_features 3");
  EXPECT_THROW_WITH(xg::data::make_regression<float>(10, 3, -1), xg::DomainError, "noise");
  EXPECT_THROW_WITH(xg::data::make_regression<float>(0, 3), xg::DomainError, "n_samples 0");
  EXPECT_THROW_WITH(xg::data::make_regression<float>(10, 0), xg::DomainError, "n_features 0");
}

}  // namespace
