// Linear and activation layers: values against hand computation, gradients by gradcheck
// (parameters included), PReLU / RReLU behaviour and input-shape errors.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using nn::make;
using D = double;
using ModulePtr = std::shared_ptr<nn::Module<D>>;

TEST(NnLinear, ForwardMatchesHandComputation) {
  nn::Linear<D> lin(3, 2);
  EXPECT_EQ(lin.weight().shape(), (Shape{3, 2}));
  EXPECT_EQ(lin.bias().shape(), (Shape{2}));
  lin.weight().mutable_value() = xt::xarray<D>{{1, 2}, {3, 4}, {5, 6}};
  lin.bias().mutable_value() = xt::xarray<D>{0.5, -1};
  auto x = Tensor<D>::from({2, 3}, {1, 0, -1, 2, 1, 0.5});
  auto y = lin(x);
  ASSERT_EQ(y.shape(), (Shape{2, 2}));
  // row 0: (1 - 5 + 0.5, 2 - 6 - 1) = (-3.5, -5); row 1: (2 + 3 + 2.5 + 0.5, 4 + 4 + 3 - 1)
  EXPECT_DOUBLE_EQ(y.value()(0, 0), -3.5);
  EXPECT_DOUBLE_EQ(y.value()(0, 1), -5.0);
  EXPECT_DOUBLE_EQ(y.value()(1, 0), 8.0);
  EXPECT_DOUBLE_EQ(y.value()(1, 1), 10.0);
  // A single sample of shape (in) gives (out).
  auto y1 = lin(Tensor<D>::from({3}, {1, 0, -1}));
  ASSERT_EQ(y1.shape(), (Shape{2}));
  EXPECT_DOUBLE_EQ(y1.value()(0), -3.5);
  EXPECT_DOUBLE_EQ(y1.value()(1), -5.0);
  // Leading axes of any number: (2, 1, 3) -> (2, 1, 2).
  auto y3 = lin(Tensor<D>::from({2, 1, 3}, {1, 0, -1, 2, 1, 0.5}));
  ASSERT_EQ(y3.shape(), (Shape{2, 1, 2}));
  EXPECT_DOUBLE_EQ(y3.value()(1, 0, 1), 10.0);
  // Gradients: dL/dW = x^T 1, dL/db = column sums of 1 = batch size.
  sum(y).backward();
  EXPECT_DOUBLE_EQ(lin.bias().grad().value()(0), 2.0);
  EXPECT_DOUBLE_EQ(lin.weight().grad().value()(2, 1), -1.0 + 0.5);
}

TEST(NnLinear, InitialisationOptions) {
  nn::Generator gen(3);
  nn::LinearOptions opt;
  opt.weight_init = nn::Init::constant;
  opt.weight_value = 0.25;
  opt.bias_init = nn::Init::constant;
  opt.bias_value = -1.5;
  opt.generator = &gen;
  nn::Linear<float> lin(4, 3, opt);
  for (float w : lin.weight().value()) EXPECT_EQ(w, 0.25f);
  for (float b : lin.bias().value()) EXPECT_EQ(b, -1.5f);
  // Default: Glorot-uniform weight within sqrt(6 / (in + out)), zero bias; seeded by manual_seed.
  nn::manual_seed(5);
  nn::Linear<float> a(20, 30);
  nn::manual_seed(5);
  nn::Linear<float> b(20, 30);
  EXPECT_EQ(a.weight().value(), b.weight().value());
  const float bound = std::sqrt(6.0f / 50.0f);
  for (float w : a.weight().value()) EXPECT_LE(std::abs(w), bound);
  for (float v : a.bias().value()) EXPECT_EQ(v, 0.0f);
}

TEST(NnLinear, BadInputShapesNameTheLayerAndShape) {
  nn::Linear<float> lin(10, 1);
  EXPECT_THROW_WITH(lin(Tensor<float>::zeros({4, 9})), ShapeError, "Linear(in=10, out=1)",
                    "(4, 9)");
  EXPECT_THROW_WITH(lin(Tensor<float>::zeros({10, 4})), ShapeError, "Linear(in=10, out=1)",
                    "(10, 4)");
  EXPECT_THROW_WITH(lin(Tensor<float>::scalar(1.0f)), ShapeError, "Linear(in=10, out=1)", "()");
  EXPECT_THROW_WITH(lin(Tensor<float>()), GraphError, "Linear", "undefined");
  EXPECT_THROW_WITH(nn::Linear<float>(0, 3), DomainError, "Linear(in=0, out=3)");
}

/// Linear layers around every activation with a gradient (Step has none: tested separately).
/// RReLU and Dropout run in training mode with generators reseeded on every call, so each of
/// gradcheck's evaluations sees the same random slopes and mask.
struct AllActivations {
  nn::Generator rrelu_gen{11}, drop_gen{12};
  nn::Sequential<D> model;

  AllActivations() {
    nn::manual_seed(2024);
    auto lin = [](std::size_t i, std::size_t o) { return make<nn::Linear<D>>(i, o); };
    model.add(lin(3, 4)).add(make<nn::HardTanh<D>>(-0.8, 0.8));
    model.add(lin(4, 4)).add(make<nn::Sigmoid<D>>());
    model.add(lin(4, 4)).add(make<nn::Tanh<D>>());
    model.add(lin(4, 4)).add(make<nn::ReLU<D>>());
    model.add(lin(4, 4)).add(make<nn::LeakyReLU<D>>(0.1));
    model.add(lin(4, 4)).add(make<nn::ELU<D>>(0.7));
    model.add(lin(4, 4)).add(make<nn::PReLU<D>>(4, 0.3));
    model.add(lin(4, 4)).add(make<nn::PReLU<D>>(1, 0.2));
    model.add(lin(4, 4)).add(make<nn::RReLU<D>>(0.1, 0.4, &rrelu_gen));
    model.add(make<nn::Dropout<D>>(0.25, &drop_gen));
    model.add(lin(4, 4)).add(make<nn::Softplus<D>>(2.0));
    model.add(lin(4, 4)).add(make<nn::Softmax<D>>());
    model.add(lin(4, 3)).add(make<nn::LogSoftmax<D>>());
  }
};

TEST(NnActivation, GradcheckOfAModelWithEveryActivation) {
  AllActivations net;
  auto& model = net.model;
  std::vector<Tensor<D>> inputs{test::uniform<D>({5, 3}, -2.0, 2.0, 21)};
  for (auto& p : test::parameter_copies(model)) inputs.push_back(p);
  ASSERT_EQ(inputs.size(), 1u + 2 * 12 + 2);  // x, 12 Linear (W, b), 2 PReLU slopes
  // The activations are not all saturated or dead: the output varies with the input.
  auto f = [&](const std::vector<Tensor<D>>& in) {
    std::size_t k = 1;
    test::bind_parameters<D>(model, in, k);
    net.rrelu_gen.seed(11);
    net.drop_gen.seed(12);
    return model(in[0]);
  };
  EXPECT_GRADCHECK(D, f, inputs);
  // Not a vacuous pass: gradients reach the input and every parameter (nothing dead/saturated).
  for (auto& t : inputs) t.zero_grad();
  auto y = f(inputs);
  sum(mul(y, Tensor<D>::from({3}, {1.0, -2.0, 0.5}))).backward();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(inputs[i].has_grad()) << i;
    double largest = 0;
    for (D g : inputs[i].grad().value()) largest = std::max(largest, std::abs(g));
    EXPECT_GT(largest, 1e-4) << "input " << i;
  }
  ASSERT_EQ(y.shape(), (Shape{5, 3}));
  // log-softmax rows: logsumexp = 0
  for (std::size_t i = 0; i < 5; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < 3; ++j) s += std::exp(y.value()(i, j));
    EXPECT_NEAR(s, 1.0, 1e-12);
  }
}

TEST(NnActivation, ValuesOfTheSimpleLayers) {
  auto x = Tensor<D>::from({5}, {-2.0, -0.5, 0.0, 0.5, 3.0});
  auto check = [&](nn::Module<D>&& m, std::vector<D> want) {
    auto y = m(x);
    ASSERT_EQ(y.shape(), (Shape{5})) << m.type_name();
    for (std::size_t i = 0; i < 5; ++i)
      EXPECT_NEAR(y.value()(i), want[i], 1e-12) << m.type_name() << " " << i;
  };
  check(nn::Step<D>(0.2), {0, 0, 0, 1, 1});
  check(nn::HardTanh<D>(), {-1, -0.5, 0, 0.5, 1});
  check(nn::ReLU<D>(), {0, 0, 0, 0.5, 3});
  check(nn::LeakyReLU<D>(0.1), {-0.2, -0.05, 0, 0.5, 3});
  check(nn::ELU<D>(2), {2 * (std::exp(-2.0) - 1), 2 * (std::exp(-0.5) - 1), 0, 0.5, 3});
  check(nn::Sigmoid<D>(), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5,
                           1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-3.0))});
  check(nn::Tanh<D>(), {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(3.0)});
  check(nn::Softplus<D>(), {std::log1p(std::exp(-2.0)), std::log1p(std::exp(-0.5)), std::log(2.0),
                            std::log1p(std::exp(0.5)), std::log1p(std::exp(3.0))});
  check(nn::PReLU<D>(), {-0.5, -0.125, 0, 0.5, 3});
  auto gelu_exact = [](D v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
  check(nn::GELU<D>(), {gelu_exact(-2), gelu_exact(-0.5), 0, gelu_exact(0.5), gelu_exact(3)});
  auto gelu_tanh = [](D v) {
    return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  };
  check(nn::GELU<D>(GeluApproximation::tanh),
        {gelu_tanh(-2), gelu_tanh(-0.5), 0, gelu_tanh(0.5), gelu_tanh(3)});
  auto silu = [](D v) { return v / (1 + std::exp(-v)); };
  check(nn::SiLU<D>(), {silu(-2), silu(-0.5), 0, silu(0.5), silu(3)});
  // Step passes no gradient.
  auto xs = Tensor<D>::from({3}, {-1.0, 0.5, 2.0}, true);
  sum(nn::Step<D>()(xs)).backward();
  for (D g : xs.grad().value()) EXPECT_EQ(g, 0.0);
}

TEST(NnPReLU, SlopeGradientByGradcheck) {
  for (std::size_t channels : {std::size_t(1), std::size_t(3)}) {
    nn::PReLU<D> prelu(channels, 0.25);
    EXPECT_EQ(prelu.parameter_count(), channels);
    EXPECT_EQ(prelu.named_parameters()[0].first, "slope");
    std::vector<Tensor<D>> inputs{
        test::uniform<D>({4, 3}, -1.0, 1.0, 5),
        Tensor<D>::from({channels}, std::vector<D>(channels, 0.25), true)};
    auto f = [&](const std::vector<Tensor<D>>& in) {
      prelu.slope() = in[1];
      return prelu(in[0]);
    };
    EXPECT_GRADCHECK(D, f, inputs);
  }
  // The slope gradient is the sum of upstream * x over the negative inputs of its channel.
  nn::PReLU<D> prelu(2, 0.5);
  auto x = Tensor<D>::from({3, 2}, {-1.0, 2.0, -3.0, -0.5, 4.0, 1.0});
  auto y = prelu(x);
  EXPECT_DOUBLE_EQ(y.value()(1, 0), -1.5);
  EXPECT_DOUBLE_EQ(y.value()(1, 1), -0.25);
  sum(y).backward();
  EXPECT_DOUBLE_EQ(prelu.slope().grad().value()(0), -4.0);
  EXPECT_DOUBLE_EQ(prelu.slope().grad().value()(1), -0.5);
  // A 0-d input keeps its shape with one shared slope.
  nn::PReLU<D> shared;
  auto s = shared(Tensor<D>::scalar(-2.0));
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_DOUBLE_EQ(s.item(), -0.5);
}

TEST(NnPReLU, ChannelMismatchIsAShapeError) {
  nn::PReLU<float> prelu(4);
  EXPECT_THROW_WITH(prelu(Tensor<float>::zeros({2, 3})), ShapeError, "PReLU(num_parameters=4)",
                    "(2, 3)", "expected 4");
  EXPECT_THROW_WITH(prelu(Tensor<float>::scalar(1.0f)), ShapeError, "PReLU(num_parameters=4)",
                    "()");
  EXPECT_THROW_WITH(nn::PReLU<float>(0), DomainError, "PReLU", "num_parameters");
}

TEST(NnRReLU, EvalUsesTheMeanSlopeTrainingDrawsWithinBounds) {
  nn::Generator gen(99);
  nn::RReLU<D> rrelu(0.1, 0.3, &gen);
  auto neg = Tensor<D>::full({1000}, -1.0);
  rrelu.eval();
  auto ye = rrelu(neg);
  for (D v : ye.value()) EXPECT_NEAR(v, -0.2, 1e-15);
  EXPECT_DOUBLE_EQ(rrelu(Tensor<D>::scalar(2.0)).item(), 2.0);

  rrelu.train();
  auto yt = rrelu(neg);
  D lo = 1, hi = 0, mean = 0;
  for (D v : yt.value()) {
    const D slope = -v;
    EXPECT_GE(slope, 0.1);
    EXPECT_LE(slope, 0.3);
    lo = std::min(lo, slope);
    hi = std::max(hi, slope);
    mean += slope / 1000;
  }
  EXPECT_LT(lo, 0.11);  // spread over the whole interval, not one value
  EXPECT_GT(hi, 0.29);
  EXPECT_NEAR(mean, 0.2, 0.01);
  // Positive inputs pass unchanged; the same seed gives the same slopes.
  auto mixed = Tensor<D>::from({4}, {1.0, -1.0, 2.0, -2.0}, true);
  gen.seed(7);
  auto a = rrelu(mixed);
  gen.seed(7);
  auto b = rrelu(mixed);
  EXPECT_EQ(a.value(), b.value());
  EXPECT_DOUBLE_EQ(a.value()(0), 1.0);
  EXPECT_DOUBLE_EQ(a.value()(2), 2.0);
  // Gradient: 1 on the positive side, the drawn slope on the negative side.
  sum(a).backward();
  EXPECT_DOUBLE_EQ(mixed.grad().value()(0), 1.0);
  EXPECT_DOUBLE_EQ(mixed.grad().value()(1), -a.value()(1));
  EXPECT_DOUBLE_EQ(mixed.grad().value()(3), -a.value()(3) / 2);
  EXPECT_THROW_WITH(nn::RReLU<D>(0.5, 0.1), DomainError, "RReLU", "0.5", "0.1");
}

TEST(NnActivation, AxisAndBoundErrorsSurface) {
  nn::Softmax<float> sm(2);
  EXPECT_THROW(sm(Tensor<float>::zeros({2, 3})), ShapeError);
  nn::HardTanh<float> ht(1.0f, -1.0f);
  EXPECT_THROW(ht(Tensor<float>::zeros({2})), DomainError);
}

}  // namespace
