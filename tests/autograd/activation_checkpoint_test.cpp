// xg::checkpoint: the same gradients as the plain run, bit for bit, with only the segment's
// inputs on the tape; parameters captured by the closure; random numbers replayed; nesting,
// several outputs, xg::grad, hooks, in-place writes and the refusals.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using Td = Tensor<double>;

Td leaf(const Shape& shape, unsigned seed, bool requires_grad = true) {
  return test::uniform<double>(shape, -1.0, 1.0, seed, requires_grad);
}

/// A dropout-like op drawing from the default generator: what nn::Dropout does.
Td random_mask(const Td& x) {
  xt::xarray<double> mask = xt::zeros<double>(x.value().shape());
  std::bernoulli_distribution keep(0.5);
  for (auto& m : mask) m = keep(default_generator()) ? 2.0 : 0.0;
  return x * Td(std::move(mask));
}

struct Block {
  Td w = leaf({4, 4}, 1), b = leaf({4}, 2);
  Td operator()(const Td& x) const {
    Td h = x;
    for (int i = 0; i < 10; ++i) h = tanh(matmul(h, w) + b);
    return h;
  }
};

void expect_same_bits(const Td& got, const Td& want, const char* what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.value().data()[i], want.value().data()[i]) << what << " element " << i;
  }
}

TEST(Checkpoint, GradientsOfInputsAndCapturedParametersMatchThePlainRunBitForBit) {
  Block f;
  Td x = leaf({3, 4}, 3);
  Td plain = f(x);
  sum(plain * plain).backward();
  const Td gx = x.grad(), gw = f.w.grad(), gb = f.b.grad();
  x.zero_grad(), f.w.zero_grad(), f.b.zero_grad();

  Td y = checkpoint([&](const Td& in) { return f(in); }, x);
  EXPECT_STREQ(y.op_name(), "checkpoint");
  EXPECT_TRUE(y.requires_grad());
  sum(y * y).backward();
  expect_same_bits(x.grad(), gx, "dx");
  expect_same_bits(f.w.grad(), gw, "dW");
  expect_same_bits(f.b.grad(), gb, "db");
}

TEST(Checkpoint, KeepsOnlyTheSegmentsInputsOnTheTape) {
  Block f;
  Td x = leaf({3, 4}, 3);
  const long before = live_node_count<double>();
  Td plain = f(x);
  const long plain_nodes = live_node_count<double>() - before;
  plain = Td();
  Td y = checkpoint([&](const Td& in) { return f(in); }, x);
  const long checkpointed_nodes = live_node_count<double>() - before;
  EXPECT_GE(plain_nodes, 30);  // 10 x (matmul, add, tanh)
  EXPECT_EQ(checkpointed_nodes, 1);
  sum(y).backward();
  // The replayed tape is freed again: y's node and the three new .grad tensors remain.
  EXPECT_EQ(live_node_count<double>() - before, 1 + 3);
}

TEST(Checkpoint, ParametersGetGradientsWhenTheInputNeedsNone) {
  Block f;
  Td x = leaf({3, 4}, 3, /*requires_grad=*/false);
  sum(f(x)).backward();
  const Td gw = f.w.grad();
  f.w.zero_grad(), f.b.zero_grad();
  Td y = checkpoint([&](const Td& in) { return f(in); }, x);
  ASSERT_TRUE(y.requires_grad());
  sum(y).backward();
  expect_same_bits(f.w.grad(), gw, "dW");
}

TEST(Checkpoint, RandomNumbersAreReplayedAndTheStreamContinuesAsWithout) {
  Block f;
  Td x = leaf({3, 4}, 3);
  auto segment = [&](const Td& in) { return random_mask(f(in)); };
  manual_seed(11);
  Td plain = segment(x);
  sum(plain * plain).backward();
  const double next_plain = std::uniform_real_distribution<double>()(default_generator());
  const Td gx = x.grad(), gw = f.w.grad();
  x.zero_grad(), f.w.zero_grad(), f.b.zero_grad();

  manual_seed(11);
  Td y = checkpoint(segment, x);
  expect_same_bits(y, plain, "forward");
  sum(y * y).backward();
  EXPECT_EQ(std::uniform_real_distribution<double>()(default_generator()), next_plain);
  expect_same_bits(x.grad(), gx, "dx");
  expect_same_bits(f.w.grad(), gw, "dW");
}

TEST(Checkpoint, WithoutPreservedRandomStateTheReplayDrawsNewNumbers) {
  Block f;
  Td x = leaf({3, 4}, 3);
  auto segment = [&](const Td& in) { return random_mask(in) * 1.0; };
  manual_seed(11);
  Td plain = segment(x);
  sum(plain).backward();
  const Td gx = x.grad();
  x.zero_grad();
  manual_seed(11);
  sum(checkpoint(segment, x, {.preserve_rng_state = false, .generators = {}})).backward();
  bool differs = false;
  for (std::size_t i = 0; i < gx.size(); ++i) {
    differs = differs || x.grad().value().data()[i] != gx.value().data()[i];
  }
  EXPECT_TRUE(differs) << "the replay used the forward pass's mask although told not to";
}

TEST(Checkpoint, NestedSegmentsGiveThePlainGradients) {
  Block f, g;
  Td x = leaf({3, 4}, 3);
  sum(g(f(x))).backward();
  const Td gx = x.grad(), gfw = f.w.grad(), ggw = g.w.grad();
  for (Td t : {x, f.w, f.b, g.w, g.b}) t.zero_grad();
  auto outer = [&](const Td& in) {
    Td h = checkpoint([&](const Td& a) { return f(a); }, in);
    return g(h);
  };
  sum(checkpoint(outer, x)).backward();
  expect_same_bits(x.grad(), gx, "dx");
  expect_same_bits(f.w.grad(), gfw, "inner dW");
  expect_same_bits(g.w.grad(), ggw, "outer dW");
}

TEST(Checkpoint, SeveralInputsAndOutputs) {
  Td a = leaf({2, 3}, 4), b = leaf({3}, 5);
  auto f = [](const std::vector<Td>& in) {
    return std::vector<Td>{exp(in[0]) * in[1], sum(tanh(in[0]))};
  };
  auto loss = [](const std::vector<Td>& out) { return sum(out[0] * out[0]) + 3.0 * out[1]; };
  loss(f({a, b})).backward();
  const Td ga = a.grad(), gb = b.grad();
  a.zero_grad(), b.zero_grad();
  const auto outs = checkpoint(f, std::vector<Td>{a, b});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(outs[1].shape(), (Shape{}));
  loss(outs).backward();
  expect_same_bits(a.grad(), ga, "da");
  expect_same_bits(b.grad(), gb, "db");
}

TEST(Checkpoint, PassesGradcheckInDouble) {
  Block f;
  auto g = [&](const std::vector<Td>& in) {
    return sum(checkpoint([&](const Td& x) { return f(x) * in[1]; }, in[0]));
  };
  const auto r = gradcheck<double>(g, {leaf({2, 4}, 6), leaf({4}, 7)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(Checkpoint, WorksWithGradAndPostAccumulateHooks) {
  Block f;
  Td x = leaf({3, 4}, 3);
  const auto want = grad<double>({sum(f(x))}, {f.w});
  int fired = 0;
  auto handle = f.w.register_post_accumulate_grad_hook([&](const Td&) { ++fired; });
  const auto got = grad<double>({sum(checkpoint([&](const Td& in) { return f(in); }, x))}, {f.w});
  expect_same_bits(got[0], want[0], "grad dW");
  EXPECT_EQ(fired, 0);  // xg::grad does not accumulate
  sum(checkpoint([&](const Td& in) { return f(in) * f(in); }, x)).backward();
  EXPECT_EQ(fired, 1);  // once per pass, although the replay used W twenty times
}

TEST(Checkpoint, UnderNoGradItIsThePlainCall) {
  Block f;
  Td x = leaf({3, 4}, 3);
  NoGradGuard no_grad;
  Td y = checkpoint([&](const Td& in) { return f(in); }, x);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST(Checkpoint, RefusesCreateGraph) {
  Block f;
  Td x = leaf({3, 4}, 3);
  Td y = sum(checkpoint([&](const Td& in) { return f(in); }, x));
  try {
    grad<double>({y}, {x}, {}, {.create_graph = true});
    FAIL() << "no GraphError";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("create_graph is not supported"), std::string::npos)
        << e.what();
  }
}

TEST(Checkpoint, RefusesACapturedTensorComputedOutsideTheSegment) {
  Td w = leaf({4, 4}, 1);
  Td outside = exp(w);  // requires grad, on the tape
  Td x = leaf({3, 4}, 3);
  try {
    checkpoint([&](const Td& in) { return matmul(in, outside); }, x);
    FAIL() << "no GraphError";
  } catch (const GraphError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'matmul' inside the segment reads the result of 'exp' of shape (4, 4)"),
              std::string::npos)
        << m;
  }
}

TEST(Checkpoint, AnInputWrittenInPlaceBeforeBackwardIsAnError) {
  Block f;
  Td x0 = leaf({3, 4}, 3);
  Td x = x0 * 1.0;
  Td y = sum(checkpoint([&](const Td& in) { return f(in); }, x));
  x.mutable_value()(0, 0) = 5.0;
  EXPECT_THROW(y.backward(), GraphError);
}

}  // namespace
}  // namespace xg
