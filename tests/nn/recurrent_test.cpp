// Recurrent cells and sequence layers: parameters and their initialisation, shapes (batch
// first, unbatched, bidirectional, stacked), the layers as loops of the cells, gradients and
// second derivatives in double through time, dropout between layers, truncated
// backpropagation through time with detach(), and the errors. PyTorch's values are checked by
// recurrent_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn_test_util.hpp"

namespace xg {
namespace recurrent_tests {

using D = Tensor<double>;
using test::Fn;

/// Points the cell's parameters at in[k], in[k+1], ... (gradcheck's copies).
void bind(nn::RecurrentCellBase<double>& cell, const std::vector<D>& in, std::size_t& k) {
  cell.weight_ih() = in.at(k++);
  cell.weight_hh() = in.at(k++);
  if (cell.has_bias()) {
    cell.bias_ih() = in.at(k++);
    cell.bias_hh() = in.at(k++);
  }
}

/// The same for every layer and direction of a sequence layer, in parameters() order.
void bind(nn::RecurrentBase<double>& rnn, const std::vector<D>& in, std::size_t& k) {
  for (std::size_t l = 0; l < rnn.num_layers(); ++l) {
    for (std::size_t d = 0; d < rnn.num_directions(); ++d) {
      rnn.weight_ih(l, d == 1) = in.at(k++);
      rnn.weight_hh(l, d == 1) = in.at(k++);
      if (rnn.has_bias()) {
        rnn.bias_ih(l, d == 1) = in.at(k++);
        rnn.bias_hh(l, d == 1) = in.at(k++);
      }
    }
  }
}

/// Every tensor of `parts` flattened and joined: one output for gradcheck to project.
D joined(const std::vector<D>& parts) {
  std::vector<D> flat;
  for (const auto& p : parts) {
    if (p.defined()) flat.push_back(reshape(p, {-1}));
  }
  return concat(flat, 0);
}

/// gradcheck and gradgradcheck of a cell's h' (and c') with respect to x, the state and every
/// parameter.
void check_cell_gradients(nn::RecurrentCellBase<double>& cell, bool lstm, const Shape& xs,
                          const Shape& hs) {
  std::vector<D> inputs{test::uniform<double>(xs, -1, 1, 3), test::uniform<double>(hs, -1, 1, 4)};
  if (lstm) inputs.push_back(test::uniform<double>(hs, -1, 1, 5));
  const std::size_t first_param = inputs.size();
  for (auto& p : test::parameter_copies<double>(cell)) inputs.push_back(p);
  Fn<double> f = [&, first_param, lstm](const std::vector<D>& in) {
    std::size_t k = first_param;
    bind(cell, in, k);
    auto s = cell.forward_with_state(in[0], {in[1], lstm ? in[2] : D()});
    return joined({s.h, s.c});
  };
  EXPECT_GRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, f, inputs);
}

TEST(RecurrentCell, ParametersInitialisationAndPrintout) {
  manual_seed(3);
  nn::LSTMCell<double> lstm(3, 5);
  const auto named = lstm.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "weight_ih");
  EXPECT_EQ(named[1].first, "weight_hh");
  EXPECT_EQ(named[2].first, "bias_ih");
  EXPECT_EQ(named[3].first, "bias_hh");
  EXPECT_EQ(lstm.weight_ih().shape(), (Shape{3, 20}));  // (in, 4 H): xgrad's Linear layout
  EXPECT_EQ(lstm.weight_hh().shape(), (Shape{5, 20}));
  EXPECT_EQ(lstm.bias_ih().shape(), (Shape{20}));
  // U(-1/sqrt(H), 1/sqrt(H)) everywhere, and not a constant.
  const double bound = 1 / std::sqrt(5.0);
  for (const auto& [name, p] : named) {
    double lo = 1, hi = -1;
    for (double v : p.value()) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_GE(lo, -bound) << name;
    EXPECT_LE(hi, bound) << name;
    EXPECT_GT(hi - lo, bound) << name;
  }
  EXPECT_EQ(nn::GRUCell<double>(4, 3).weight_ih().shape(), (Shape{4, 9}));
  EXPECT_EQ(nn::RNNCell<double>(4, 3).weight_hh().shape(), (Shape{3, 3}));
  nn::RNNCell<double> relu(4, 3, {.bias = false}, nn::RNNNonlinearity::relu);
  EXPECT_EQ(relu.parameters().size(), 2u);
  EXPECT_FALSE(relu.bias_ih().defined());
  EXPECT_EQ(relu.nonlinearity(), nn::RNNNonlinearity::relu);
  EXPECT_EQ(relu.type_name(), "RNNCell");
  EXPECT_EQ(relu.extra_repr(), "4, 3, bias=False, nonlinearity=relu");
  EXPECT_EQ(lstm.to_string().substr(0, 14), "LSTMCell(3, 5)");
}

TEST(RecurrentCell, StepsFollowTheEquations) {
  // One unit, one input: every gate is a scalar, checked by hand.
  nn::GRUCell<double> gru(1, 1);
  gru.weight_ih().set_value(D::from({1, 3}, {0.5, -0.25, 1.0}).value());
  gru.weight_hh().set_value(D::from({1, 3}, {0.3, 0.2, -0.7}).value());
  gru.bias_ih().set_value(D::from({3}, {0.1, 0.0, -0.2}).value());
  gru.bias_hh().set_value(D::from({3}, {0.0, 0.4, 0.6}).value());
  const double x = 0.8, h = -0.5;
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  const double r = sig(0.5 * x + 0.1 + 0.3 * h);
  const double z = sig(-0.25 * x + 0.2 * h + 0.4);
  const double n = std::tanh(1.0 * x - 0.2 + r * (-0.7 * h + 0.6));
  auto s = gru.forward_with_state(D::from({1, 1}, {x}), {D::from({1, 1}, {h})});
  EXPECT_NEAR(s.h.value()(0, 0), (1 - z) * n + z * h, 1e-15);
  EXPECT_FALSE(s.c.defined());

  nn::LSTMCell<double> lstm(1, 1, {.bias = false});
  lstm.weight_ih().set_value(D::from({1, 4}, {0.5, -1.0, 0.75, 2.0}).value());
  lstm.weight_hh().set_value(D::from({1, 4}, {0.1, 0.2, 0.3, 0.4}).value());
  const double c = 0.25;
  auto l = lstm.forward_with_state(D::from({1}, {x}), {D::from({1}, {h}), D::from({1}, {c})});
  const double i = sig(0.5 * x + 0.1 * h), f = sig(-x + 0.2 * h), g = std::tanh(0.75 * x + 0.3 * h),
               o = sig(2 * x + 0.4 * h);
  EXPECT_NEAR(l.c.value()(0), f * c + i * g, 1e-15);
  EXPECT_NEAR(l.h.value()(0), o * std::tanh(f * c + i * g), 1e-15);
  EXPECT_EQ(l.h.shape(), (Shape{1}));  // unbatched in, unbatched out
  // forward(x) starts from zeros.
  EXPECT_NEAR(lstm(D::from({1}, {x})).value()(0),
              sig(2 * x) * std::tanh(sig(0.5 * x) * std::tanh(0.75 * x)), 1e-15);
}

TEST(RecurrentCell, GradientsAndSecondDerivatives) {
  manual_seed(5);
  for (std::size_t batch : {std::size_t(1), std::size_t(3)}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    nn::RNNCell<double> tanh_cell(3, 5);
    check_cell_gradients(tanh_cell, false, {batch, 3}, {batch, 5});
    nn::RNNCell<double> relu_cell(2, 3, {}, nn::RNNNonlinearity::relu);
    check_cell_gradients(relu_cell, false, {batch, 2}, {batch, 3});
    nn::LSTMCell<double> lstm(3, 5);
    check_cell_gradients(lstm, true, {batch, 3}, {batch, 5});
    nn::GRUCell<double> gru(3, 5);
    check_cell_gradients(gru, false, {batch, 3}, {batch, 5});
  }
  nn::GRUCell<double> no_bias(2, 3, {.bias = false});
  check_cell_gradients(no_bias, false, {2}, {3});  // unbatched
}

TEST(RecurrentCell, Errors) {
  nn::LSTMCell<double> lstm(3, 5);
  EXPECT_THROW_WITH(lstm(D::zeros({2, 4})), ShapeError, "LSTMCell(3, 5)", "(2, 4)", "(batch, 3)");
  EXPECT_THROW_WITH(lstm(D::zeros({2, 2, 3})), ShapeError, "LSTMCell(3, 5)", "(2, 2, 3)");
  EXPECT_THROW_WITH(lstm.forward_with_state(D::zeros({2, 3}), {D::zeros({3, 5})}), ShapeError,
                    "LSTMCell(3, 5)", "h of shape (3, 5)", "expected (2, 5)");
  EXPECT_THROW_WITH(lstm.forward_with_state(D::zeros({2, 3}), {D(), D::zeros({2, 4})}), ShapeError,
                    "c of shape (2, 4)");
  nn::GRUCell<double> gru(3, 5);
  EXPECT_THROW_WITH(gru.forward_with_state(D::zeros({2, 3}), {D::zeros({2, 5}), D::zeros({2, 5})}),
                    ShapeError, "GRUCell(3, 5)", "only LSTMCell");
  EXPECT_THROW_WITH(gru(D()), GraphError, "GRUCell");
  EXPECT_THROW_WITH(nn::RNNCell<double>(0, 5), DomainError, "RNNCell(0, 5)");
}

// ---- sequence layers ----

TEST(RecurrentLayer, ParameterNamesShapesAndPrintout) {
  nn::LSTM<double> lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  const std::vector<std::string> want = {
      "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  const auto named = lstm.named_parameters();
  ASSERT_EQ(named.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(named[i].first, want[i]);
  EXPECT_EQ(lstm.weight_ih(0).shape(), (Shape{3, 16}));
  EXPECT_EQ(lstm.weight_ih(1, true).shape(), (Shape{8, 16}));  // in = 2 H above the first layer
  EXPECT_EQ(lstm.weight_hh(1, true).shape(), (Shape{4, 16}));
  EXPECT_TRUE(lstm.weight_ih(1, true).identity() == named[12].second.identity());
  EXPECT_THROW(lstm.weight_ih(2), std::out_of_range);
  nn::GRU<double> gru(2, 3, {.bias = false});
  EXPECT_EQ(gru.parameters().size(), 2u);
  EXPECT_FALSE(gru.bias_hh(0).defined());
  EXPECT_THROW(gru.weight_hh(0, true), std::out_of_range);
  EXPECT_EQ(lstm.extra_repr(), "3, 4, num_layers=2, bidirectional=True");
  EXPECT_EQ(nn::RNN<double>(2, 3, {.bias = false, .batch_first = true, .dropout = 0.5},
                            nn::RNNNonlinearity::relu)
                .extra_repr(),
            "2, 3, bias=False, batch_first=True, dropout=0.5, nonlinearity=relu");
  EXPECT_EQ(gru.type_name(), "GRU");
  EXPECT_EQ(nn::RNN<double>(2, 3, {}, nn::RNNNonlinearity::relu).nonlinearity(),
            nn::RNNNonlinearity::relu);
  EXPECT_EQ(nn::RNN<double>(2, 3).nonlinearity(), nn::RNNNonlinearity::tanh);
  const double bound = 1 / std::sqrt(4.0);
  for (const auto& [name, p] : named) {
    for (double v : p.value()) ASSERT_LE(std::abs(v), bound) << name;
  }
}

TEST(RecurrentLayer, ShapesBatchFirstAndUnbatched) {
  manual_seed(7);
  nn::GRU<double> gru(3, 4, {.num_layers = 2, .bidirectional = true});
  const D x = test::uniform<double>({5, 2, 3}, -1, 1, 1, false);  // (L, N, in)
  auto r = gru.forward_with_state(x);
  EXPECT_EQ(r.output.shape(), (Shape{5, 2, 8}));
  EXPECT_EQ(r.state.h.shape(), (Shape{4, 2, 4}));
  EXPECT_FALSE(r.state.c.defined());
  // The last layer's final forward h is its output at the last step, the reverse one's at the
  // first step.
  for (std::size_t n = 0; n < 2; ++n) {
    for (std::size_t j = 0; j < 4; ++j) {
      EXPECT_EQ(r.state.h.value()(2, n, j), r.output.value()(4, n, j));
      EXPECT_EQ(r.state.h.value()(3, n, j), r.output.value()(0, n, 4 + j));
    }
  }
  // Sample 1 alone, unbatched: the same numbers.
  const D x1 = reshape(narrow(x, 1, 1, 1), {5, 3});
  auto u = gru.forward_with_state(x1);
  EXPECT_EQ(u.output.shape(), (Shape{5, 8}));
  EXPECT_EQ(u.state.h.shape(), (Shape{4, 4}));
  test::expect_close(u.output.value(), reshape(narrow(r.output, 1, 1, 1), {5, 8}).value(), 1e-15);
  test::expect_close(u.state.h.value(), reshape(narrow(r.state.h, 1, 1, 1), {4, 4}).value(), 1e-15);
  // batch_first: the same layer on (N, L, in) gives (N, L, D H); states stay (layers D, N, H).
  nn::GRU<double> bf(3, 4, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  for (std::size_t i = 0; i < bf.parameters().size(); ++i) {
    D p = bf.parameters()[i];
    p.set_value(gru.parameters()[i].value());
  }
  auto b = bf.forward_with_state(permute(x, {1, 0, 2}), {r.state.h});
  EXPECT_EQ(b.output.shape(), (Shape{2, 5, 8}));
  EXPECT_EQ(b.state.h.shape(), (Shape{4, 2, 4}));
  auto again = gru.forward_with_state(x, {r.state.h});
  test::expect_close(b.output.value(), permute(again.output, {1, 0, 2}).value(), 1e-15);
  // In a Sequential, forward(x) is the output sequence.
  nn::Sequential<double> seq{nn::LSTM<double>(3, 2), nn::Tanh<double>()};
  EXPECT_EQ(seq(x).shape(), (Shape{5, 2, 2}));
}

TEST(RecurrentLayer, OneLayerIsALoopOfItsCell) {
  manual_seed(9);
  nn::LSTM<double> lstm(3, 4);
  nn::LSTMCell<double> cell(3, 4);
  cell.weight_ih().set_value(lstm.weight_ih(0).value());
  cell.weight_hh().set_value(lstm.weight_hh(0).value());
  cell.bias_ih().set_value(lstm.bias_ih(0).value());
  cell.bias_hh().set_value(lstm.bias_hh(0).value());
  const D x = test::uniform<double>({4, 2, 3}, -1, 1, 2, false);
  const D h0 = test::uniform<double>({1, 2, 4}, -1, 1, 3, false);
  const D c0 = test::uniform<double>({1, 2, 4}, -1, 1, 4, false);
  auto r = lstm.forward_with_state(x, {h0, c0});
  nn::RecurrentState<double> s{reshape(h0, {2, 4}), reshape(c0, {2, 4})};
  for (std::size_t t = 0; t < 4; ++t) {
    s = cell.forward_with_state(reshape(narrow(x, 0, t, 1), {2, 3}), s);
    test::expect_close(reshape(narrow(r.output, 0, t, 1), {2, 4}).value(), s.h.value(), 1e-14);
  }
  test::expect_close(reshape(r.state.c, {2, 4}).value(), s.c.value(), 1e-14);
}

/// gradcheck and gradgradcheck of a sequence layer's output and final states with respect to
/// the input, the initial states and every parameter.
void check_layer_gradients(nn::RecurrentBase<double>& rnn, bool lstm, const Shape& xs,
                           const Shape& hs, bool second_order = true) {
  std::vector<D> inputs{test::uniform<double>(xs, -1, 1, 11), test::uniform<double>(hs, -1, 1, 12)};
  if (lstm) inputs.push_back(test::uniform<double>(hs, -1, 1, 13));
  const std::size_t first_param = inputs.size();
  for (auto& p : test::parameter_copies<double>(rnn)) inputs.push_back(p);
  Fn<double> f = [&, first_param, lstm](const std::vector<D>& in) {
    std::size_t k = first_param;
    bind(rnn, in, k);
    auto r = rnn.forward_with_state(in[0], {in[1], lstm ? in[2] : D()});
    return joined({r.output, r.state.h, r.state.c});
  };
  EXPECT_GRADCHECK(double, f, inputs);
  if (second_order) EXPECT_GRADGRADCHECK(double, f, inputs);
}

TEST(RecurrentLayer, GradientsThroughTimeLSTM) {
  manual_seed(11);
  nn::LSTM<double> stacked(2, 3, {.num_layers = 2, .bidirectional = true});
  check_layer_gradients(stacked, true, {3, 1, 2}, {4, 1, 3});  // batch 1
  nn::LSTM<double> bf(3, 2, {.batch_first = true});
  check_layer_gradients(bf, true, {3, 4, 3}, {1, 3, 2});  // batch 3, batch first
}

TEST(RecurrentLayer, GradientsThroughTimeGRU) {
  manual_seed(12);
  nn::GRU<double> stacked(3, 2, {.num_layers = 2});
  check_layer_gradients(stacked, false, {4, 3, 3}, {2, 3, 2});
  nn::GRU<double> bidir(2, 3, {.bias = false, .bidirectional = true});
  check_layer_gradients(bidir, false, {3, 2}, {2, 3});  // unbatched
}

TEST(RecurrentLayer, GradientsThroughTimeRNN) {
  manual_seed(13);
  nn::RNN<double> tanh_rnn(3, 5, {.num_layers = 2, .bidirectional = true});
  check_layer_gradients(tanh_rnn, false, {3, 1, 3}, {4, 1, 5});
  nn::RNN<double> relu_rnn(2, 3, {.num_layers = 2}, nn::RNNNonlinearity::relu);
  check_layer_gradients(relu_rnn, false, {4, 3, 2}, {2, 3, 3});
}

TEST(RecurrentLayer, DropoutBetweenLayersInTrainingOnly) {
  manual_seed(15);
  Generator gen(99);
  nn::GRU<double> gru(3, 4, {.num_layers = 2, .dropout = 0.5, .generator = &gen});
  const D x = test::uniform<double>({5, 2, 3}, -1, 1, 6, false);
  // The same layer as two one-layer GRUs with nn::Dropout between them, from the same seed.
  nn::GRU<double> first(3, 4), second(4, 4);
  const auto all = gru.parameters();
  for (std::size_t i = 0; i < 4; ++i) {
    D a = first.parameters()[i], b = second.parameters()[i];
    a.set_value(all[i].value());
    b.set_value(all[4 + i].value());
  }
  gen.seed(5);
  const D trained = gru(x);
  Generator replay(5);
  const D by_hand = second(nn::Dropout<double>(0.5, &replay)(first(x)));
  test::expect_close(trained.value(), by_hand.value(), 1e-15);
  // Evaluation: no dropout, the two layers as they are (and a one-layer GRU never drops).
  gru.eval();
  test::expect_close(gru(x).value(), second(first(x)).value(), 1e-15);
  EXPECT_NE(trained.value(), gru(x).value());
  nn::GRU<double> single(3, 4, {.dropout = 0.5});
  EXPECT_EQ(single(x).value(), single(x).value());
  EXPECT_THROW_WITH(nn::LSTM<double>(3, 4, {.dropout = 1.0}), DomainError, "LSTM", "dropout");
}

TEST(RecurrentLayer, TruncatedBackpropagationStopsAtTheBatchBoundary) {
  manual_seed(17);
  nn::LSTM<double> lstm(2, 3);
  const D x1 = test::uniform<double>({4, 2, 2}, -1, 1, 21);  // the first chunk of a sequence
  const D x2 = test::uniform<double>({4, 2, 2}, -1, 1, 22);  // the next one
  auto loss_of = [](const D& out) { return sum(mul(out, out)); };

  // Without detach, the second chunk's loss reaches back into the first chunk.
  auto r1 = lstm.forward_with_state(x1);
  auto r2 = lstm.forward_with_state(x2, r1.state);
  loss_of(r2.output).backward();
  ASSERT_TRUE(x1.has_grad());
  double reach = 0;
  for (double g : x1.grad().value()) reach = std::max(reach, std::abs(g));
  EXPECT_GT(reach, 1e-6);

  // Carrying the detached state: the second backward stops at the boundary. x1 gets nothing,
  // and the parameters get exactly the gradient of chunk 2 started from constant states.
  lstm.zero_grad();
  const D x1b = test::uniform<double>({4, 2, 2}, -1, 1, 21);
  auto s1 = lstm.forward_with_state(x1b);
  const nn::RecurrentState<double> carried = s1.state.detach();
  EXPECT_FALSE(carried.h.requires_grad());
  EXPECT_FALSE(carried.c.requires_grad());
  EXPECT_EQ(carried.c.value(), s1.state.c.value());
  auto s2 = lstm.forward_with_state(x2, carried);
  loss_of(s2.output).backward();
  EXPECT_FALSE(x1b.has_grad());
  std::vector<xt::xarray<double>> truncated;
  for (const auto& p : lstm.parameters()) truncated.push_back(p.grad().value());

  lstm.zero_grad();
  const D h_const(s1.state.h.value()), c_const(s1.state.c.value());
  loss_of(lstm.forward_with_state(x2, {h_const, c_const}).output).backward();
  const auto params = lstm.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].grad().value(), truncated[i]) << lstm.named_parameters()[i].first;
  }
  // And the first chunk's own loss still backpropagates through its graph, once.
  lstm.zero_grad();
  loss_of(s1.output).backward();
  EXPECT_TRUE(x1b.has_grad());
}

TEST(RecurrentLayer, Errors) {
  nn::LSTM<double> lstm(3, 4, {.num_layers = 2});
  const std::string name = "LSTM(3, 4, num_layers=2)";
  EXPECT_THROW_WITH(lstm(D::zeros({5, 2, 2})), ShapeError, name, "(5, 2, 2)",
                    "(seq_len, batch, 3)");
  EXPECT_THROW_WITH(lstm(D::zeros({5})), ShapeError, name, "(5)");
  EXPECT_THROW_WITH(lstm(D::zeros({1, 5, 2, 3})), ShapeError, name, "(1, 5, 2, 3)");
  EXPECT_THROW_WITH(lstm(D::zeros({0, 2, 3})), ShapeError, name, "empty sequence");
  EXPECT_THROW_WITH(lstm.forward_with_state(D::zeros({5, 2, 3}), {D::zeros({1, 2, 4})}), ShapeError,
                    name, "h0 of shape (1, 2, 4)", "expected (2, 2, 4)");
  EXPECT_THROW_WITH(lstm.forward_with_state(D::zeros({5, 2, 3}), {D(), D::zeros({2, 3, 4})}),
                    ShapeError, name, "c0 of shape (2, 3, 4)", "expected (2, 2, 4)");
  EXPECT_THROW_WITH(lstm.forward_with_state(D::zeros({5, 3}), {D::zeros({2, 1, 4})}), ShapeError,
                    "h0 of shape (2, 1, 4)", "expected (2, 4)");
  nn::GRU<double> gru(3, 4, {.batch_first = true});
  EXPECT_THROW_WITH(gru(D::zeros({2, 5, 4})), ShapeError, "GRU(3, 4, batch_first=True)",
                    "(batch, seq_len, 3)");
  EXPECT_THROW_WITH(gru.forward_with_state(D::zeros({2, 5, 3}), {D(), D::zeros({1, 2, 4})}),
                    ShapeError, "only LSTM has one");
  EXPECT_THROW_WITH(nn::RNN<double>(3, 4, {.num_layers = 0}), DomainError, "RNN", "num_layers");
  EXPECT_THROW_WITH(nn::GRU<double>(3, 0), DomainError, "GRU(3, 0)");
}

}  // namespace recurrent_tests
}  // namespace xg

namespace xg {
namespace recurrent_tests {

TEST(RecurrentLayer, FloatMatchesDouble) {
  manual_seed(19);
  nn::LSTM<double> d(3, 4, {.num_layers = 2, .bidirectional = true});
  nn::LSTM<float> f(3, 4, {.num_layers = 2, .bidirectional = true});  // CTAD default: float too
  const auto dp = d.parameters();
  const auto fp = f.parameters();
  ASSERT_EQ(dp.size(), fp.size());
  for (std::size_t i = 0; i < dp.size(); ++i) {
    Tensor<float> p = fp[i];
    p.set_value(xt::xarray<float>(xt::cast<float>(dp[i].value())));
  }
  const D x = test::uniform<double>({4, 2, 3}, -1, 1, 5, false);
  const auto rd = d.forward_with_state(x);
  const auto rf =
      f.forward_with_state(Tensor<float>(xt::xarray<float>(xt::cast<float>(x.value()))));
  for (std::size_t i = 0; i < rd.output.size(); ++i) {
    EXPECT_NEAR(rf.output.value().data()[i], rd.output.value().data()[i], 1e-5);
  }
  EXPECT_EQ(nn::GRU(3, 4).weight_ih(0).shape(), (Shape{3, 12}));
}

}  // namespace recurrent_tests
}  // namespace xg
