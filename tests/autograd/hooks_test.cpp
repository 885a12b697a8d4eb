// Tensor hooks: register_hook (the gradient of a tensor, replaceable) and
// register_post_accumulate_grad_hook (a leaf's .grad is final for this pass).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using Td = xg::Tensor<double>;
using xg::test::expect_close;

TEST(TensorHook, SeesTheGradientAndItsReplacementFlowsOn) {
  auto x = Td::from({3}, {1, 2, 3}, true);
  auto y = x * 3.0;
  xt::xarray<double> seen;
  y.register_hook([&](const Td& g) {
    seen = g.value();
    return g * 2.0;
  });
  xg::sum(y * y).backward();
  expect_close(seen, xt::xarray<double>{6, 12, 18}, 0);  // dL/dy = 2y
  // dL/dx = 3 * (2 * 2y) = 36 x
  expect_close(x.grad().value(), xt::xarray<double>{36, 72, 108}, 1e-15);
}

TEST(TensorHook, SeveralRunInRegistrationOrderEachOnThePreviousResult) {
  auto x = Td::from({2}, {1, 2}, true);
  auto y = x * 1.0;
  y.register_hook([](const Td& g) { return g + 1.0; });
  y.register_hook([](const Td& g) { return g * 10.0; });
  xg::sum(y).backward();
  expect_close(x.grad().value(), xt::xarray<double>{20, 20}, 0);  // (1 + 1) * 10, not 1 * 10 + 1
}

TEST(TensorHook, RemovedHooksNoLongerRun) {
  auto x = Td::from({2}, {1, 2}, true);
  int calls = 0;
  auto h = x.register_hook([&](const Td& g) {
    ++calls;
    return g * 5.0;
  });
  EXPECT_TRUE(h.active());
  xg::sum(x * 1.0).backward();
  EXPECT_EQ(calls, 1);
  expect_close(x.grad().value(), xt::xarray<double>{5, 5}, 0);
  h.remove();
  EXPECT_FALSE(h.active());
  h.remove();  // twice: nothing happens
  x.zero_grad();
  xg::sum(x * 1.0).backward();
  EXPECT_EQ(calls, 1);
  expect_close(x.grad().value(), xt::xarray<double>{1, 1}, 0);
}

TEST(TensorHook, AHandleOutlivingItsTensorRemovesNothing) {
  xg::HookHandle h;
  {
    auto x = Td::from({1}, {1}, true);
    h = x.register_hook([](const Td& g) { return g; });
  }
  h.remove();
  EXPECT_FALSE(h.active());
}

TEST(TensorHook, OnALeafChangesItsGradAndWhatGradReturns) {
  auto w = Td::from({2}, {1, -1}, true);
  w.register_hook([](const Td& g) { return g * -1.0; });
  xg::sum(w * 4.0).backward();
  expect_close(w.grad().value(), xt::xarray<double>{-4, -4}, 0);
  const auto g = xg::grad<double>({xg::sum(w * 4.0)}, {w});
  expect_close(g[0].value(), xt::xarray<double>{-4, -4}, 0);
}

TEST(TensorHook, AnUndefinedResultKeepsTheGradient) {
  auto x = Td::from({2}, {1, 2}, true);
  std::vector<double> log;
  x.register_hook([&](const Td& g) {
    log.push_back(xg::sum(g).item());
    return Td();
  });
  xg::sum(x * 3.0).backward();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], 6.0);
  expect_close(x.grad().value(), xt::xarray<double>{3, 3}, 0);
}

TEST(TensorHook, SeesABroadcastFormGradientAtTheTensorsShape) {
  auto x = Td::from({2, 2}, {1, 2, 3, 4}, true);
  auto y = xg::exp(x);
  xg::Shape seen;
  y.register_hook([&](const Td& g) {
    seen = g.shape();
    return g;
  });
  xg::sum(y).backward();  // sum's gradient reaches exp as one value
  EXPECT_EQ(seen, (xg::Shape{2, 2}));
  expect_close(x.grad().value(), xt::xarray<double>(xt::exp(x.value())), 1e-15);
}

TEST(TensorHook, RetainedGradientIsTheHookedOne) {
  auto x = Td::from({2}, {1, 2}, true);
  auto y = x * 2.0;
  y.retain_grad();
  y.register_hook([](const Td& g) { return g * 3.0; });
  xg::sum(y).backward();
  expect_close(y.grad().value(), xt::xarray<double>{3, 3}, 0);
  expect_close(x.grad().value(), xt::xarray<double>{6, 6}, 0);
}

TEST(TensorHook, UnderCreateGraphTheHooksResultIsRecorded) {
  auto x = Td::from({3}, {1, 2, 3}, true);
  auto y = x * x;
  // The hook multiplies by x, so dL/dx = 2x * x = 2x^2, whose derivative is 4x.
  y.register_hook([&x](const Td& g) { return g * x; });
  const auto g = xg::grad<double>({xg::sum(y)}, {x}, {}, {.create_graph = true});
  expect_close(g[0].value(), xt::xarray<double>{2, 8, 18}, 1e-15);
  const auto gg = xg::grad<double>({xg::sum(g[0])}, {x});
  expect_close(gg[0].value(), xt::xarray<double>{4, 8, 12}, 1e-15);
}

TEST(TensorHook, AResultOfAnotherShapeIsAShapeError) {
  auto x = Td::from({3}, {1, 2, 3}, true).set_name("x");
  x.register_hook([](const Td&) { return Td::zeros({2}); });
  EXPECT_THROW_WITH(xg::sum(x * 1.0).backward(), xg::ShapeError,
                    "a hook of a leaf named 'x' of shape (3) returned a gradient of shape (2)");
}

TEST(TensorHook, NeedsATensorThatRequiresGrad) {
  auto x = Td::from({3}, {1, 2, 3});
  EXPECT_THROW_WITH(x.register_hook([](const Td& g) { return g; }), xg::GraphError,
                    "register_hook: a leaf of shape (3) does not require grad");
  EXPECT_THROW_WITH(Td().register_hook([](const Td& g) { return g; }), xg::GraphError,
                    "register_hook");
}

TEST(PostAccumulateGradHook, FiresOncePerPassAfterTheGradIsFinalAlsoForALeafUsedThrice) {
  auto w = Td::from({2}, {1, 2}, true);
  std::vector<xt::xarray<double>> seen;
  w.register_post_accumulate_grad_hook(
      [&](const Td& leaf) { seen.push_back(leaf.grad().value()); });
  auto loss = xg::sum(w * 2.0) + xg::sum(w * w) + xg::sum(w);
  loss.backward();
  ASSERT_EQ(seen.size(), 1u);
  expect_close(seen[0], xt::xarray<double>{5, 7}, 0);  // 2 + 2w + 1
  xg::sum(w * 2.0).backward();                         // a second pass accumulates and fires again
  ASSERT_EQ(seen.size(), 2u);
  expect_close(seen[1], xt::xarray<double>{7, 9}, 0);
}

TEST(PostAccumulateGradHook, LeavesFireInTheOrderTheyBecomeReady) {
  // A chain of three layers: backward finishes the last layer's weight first.
  auto x = Td::from({2}, {0.5, -0.5});
  auto w1 = Td::from({2}, {1, 2}, true).set_name("w1");
  auto w2 = Td::from({2}, {3, 4}, true).set_name("w2");
  auto w3 = Td::from({2}, {5, 6}, true).set_name("w3");
  std::vector<std::string> order;
  for (auto* w : {&w1, &w2, &w3}) {
    w->register_post_accumulate_grad_hook([&](const Td& leaf) { order.push_back(leaf.name()); });
  }
  auto h = xg::tanh(w1 * x);
  h = xg::tanh(w2 * h);
  h = xg::tanh(w3 * h);
  xg::sum(h).backward();
  EXPECT_EQ(order, (std::vector<std::string>{"w3", "w2", "w1"}));
}

TEST(PostAccumulateGradHook, NotCalledByGradOrForALeafBackwardDoesNotReach) {
  auto w = Td::from({2}, {1, 2}, true);
  auto unused = Td::from({2}, {1, 2}, true);
  int calls = 0;
  w.register_post_accumulate_grad_hook([&](const Td&) { ++calls; });
  unused.register_post_accumulate_grad_hook([&](const Td&) { ++calls; });
  xg::grad<double>({xg::sum(w * 2.0)}, {w});
  EXPECT_EQ(calls, 0);
  xg::sum(w * 2.0).backward();
  EXPECT_EQ(calls, 1);
}

TEST(PostAccumulateGradHook, OnlyOnLeavesThatRequireGrad) {
  auto w = Td::from({2}, {1, 2}, true);
  auto y = w * 2.0;
  EXPECT_THROW_WITH(y.register_post_accumulate_grad_hook([](const Td&) {}), xg::GraphError,
                    "the result of 'mul_scalar' of shape (2) is not a leaf");
  EXPECT_THROW_WITH(Td::zeros({1}).register_post_accumulate_grad_hook([](const Td&) {}),
                    xg::GraphError, "does not require grad");
}

TEST(PostAccumulateGradHook, RemovedHookIsNotCalled) {
  auto w = Td::from({2}, {1, 2}, true);
  int calls = 0;
  auto h = w.register_post_accumulate_grad_hook([&](const Td&) { ++calls; });
  h.remove();
  xg::sum(w * 2.0).backward();
  EXPECT_EQ(calls, 0);
}

}  // namespace
