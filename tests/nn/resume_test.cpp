// Resume: N epochs, save (model + optimizer + RNG state + epoch), reload into fresh objects and
// train to 2N gives bit-identical parameters to 2N uninterrupted epochs, dropout included.
#include <gtest/gtest.h>

#include <fstream>

#include "nn/nn_test_util.hpp"
#include "xgrad/optim.hpp"

namespace {

using namespace xg;
using nn::make;

struct Training {
  std::shared_ptr<nn::Sequential<float>> model;
  std::unique_ptr<optim::SGD<float>> opt;
};

Training fresh(std::uint64_t seed) {
  nn::manual_seed(seed);
  Training r;
  r.model = std::make_shared<nn::Sequential<float>>(
      std::initializer_list<std::shared_ptr<nn::Module<float>>>{
          make<nn::Linear<float>>(4, 16), make<nn::Tanh<float>>(), make<nn::Dropout<float>>(0.3),
          make<nn::Linear<float>>(16, 3)});
  r.opt = std::make_unique<optim::SGD<float>>(
      r.model->parameters(),
      optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true, .decay = 1e-3});
  return r;
}

/// Epochs [from, to): batches in an order shuffled by the default generator, dropout from it too.
void train(Training& r, int from, int to) {
  const auto x = test::uniform<float>({24, 4}, -2, 2, 11, false);
  std::vector<std::size_t> labels(24);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = (i * 7) % 3;
  for (int epoch = from; epoch < to; ++epoch) {
    std::vector<std::size_t> order(24);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), nn::default_generator());
    for (std::size_t b = 0; b < 24; b += 8) {
      std::vector<std::size_t> rows(order.begin() + b, order.begin() + b + 8), y;
      for (auto i : rows) y.push_back(labels[i]);
      r.opt->zero_grad();
      auto loss = cross_entropy((*r.model)(index_select(x, rows)), y);
      loss.backward();
      r.opt->step();
    }
  }
}

TEST(Resume, SavedAndReloadedTrainingIsBitIdenticalToUninterrupted) {
  constexpr int N = 3;
  Training straight = fresh(42);
  train(straight, 0, 2 * N);

  test::TempDir dir("resume");
  {
    Training first = fresh(42);
    train(first, 0, N);
    nn::save_parameters(*first.model, dir.file("model"));
    first.opt->save(dir.file("optim"));
    std::ofstream(dir.file("rng.txt")) << nn::get_rng_state();
    std::ofstream(dir.file("epoch.txt")) << N;
  }
  nn::manual_seed(7);  // whatever happened in between
  (void)nn::default_generator()();

  Training resumed = fresh(1234);  // other initial values: all must come from the files
  nn::load_parameters(*resumed.model, dir.file("model"));
  resumed.opt->load(dir.file("optim"));
  std::ifstream rng_in(dir.file("rng.txt"));
  nn::set_rng_state(std::string(std::istreambuf_iterator<char>(rng_in), {}));
  int epoch = 0;
  std::ifstream(dir.file("epoch.txt")) >> epoch;
  ASSERT_EQ(epoch, N);
  train(resumed, epoch, 2 * N);

  const auto a = straight.model->parameters();
  const auto b = resumed.model->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size());
    for (std::size_t k = 0; k < a[i].size(); ++k) {
      ASSERT_EQ(a[i].value().data()[k], b[i].value().data()[k])
          << "parameter " << i << "[" << k << "]";
    }
  }
  EXPECT_EQ(resumed.opt->iterations(), straight.opt->iterations());

  // Without the RNG state the dropout masks differ, and so do the parameters.
  Training no_rng = fresh(1234);
  nn::load_parameters(*no_rng.model, dir.file("model"));
  no_rng.opt->load(dir.file("optim"));
  train(no_rng, N, 2 * N);
  EXPECT_NE(no_rng.model->parameters()[0].value(), a[0].value());
}

TEST(Resume, RngStateRoundTripsAndRejectsGarbage) {
  nn::manual_seed(3);
  const std::string s = nn::get_rng_state();
  const auto x = nn::default_generator()();
  nn::set_rng_state(s);
  EXPECT_EQ(nn::default_generator()(), x);
  const std::string after = nn::get_rng_state();
  EXPECT_THROW_WITH(nn::set_rng_state("1 2 3"), Error, "set_rng_state", "not a generator state");
  EXPECT_THROW_WITH(nn::set_rng_state(s + " 5"), Error, "set_rng_state");
  EXPECT_THROW(nn::set_rng_state(s.substr(0, s.size() / 2)), Error);
  EXPECT_EQ(nn::get_rng_state(), after);  // unchanged by the failed calls
}

}  // namespace
