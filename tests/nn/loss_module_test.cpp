// Loss modules: each object computes what its function computes, with its reduction.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "xgrad/nn.hpp"

namespace xg::nn {
namespace {

using Tn = Tensor<double>;

TEST(NnLossModules, MatchTheLossFunctions) {
  const Tn pred = test::uniform<double>({4, 3}, -1, 1, 1);
  const Tn target = test::uniform<double>({4, 3}, -1, 1, 2, false);
  const Tn prob = test::uniform<double>({4, 3}, 0.05, 0.95, 3);
  const Tn labels01 = test::uniform<double>({4, 3}, 0, 1, 4, false);
  const std::vector<std::size_t> labels = {0, 2, 1, 2};
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    auto same = [](const Tn& a, const Tn& b) {
      ASSERT_EQ(a.shape(), b.shape());
      for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_DOUBLE_EQ(a.value().flat(i), b.value().flat(i));
    };
    same(MSELoss<double>(r)(pred, target), mse_loss(pred, target, r));
    same(BCELoss<double>(r)(prob, labels01), bce_loss(prob, labels01, r));
    same(BCEWithLogitsLoss<double>(r)(pred, labels01), bce_with_logits(pred, labels01, r));
    same(CrossEntropyLoss<double>(r)(pred, labels), cross_entropy(pred, labels, r));
    same(NLLLoss<double>(r)(log_softmax(pred, 1), labels),
         nll_loss(log_softmax(pred, 1), labels, r));
  }
}

TEST(NnLossModules, DefaultReductionIsMeanAndValuesAreRight) {
  const Tn pred = Tn::from({2, 2}, {1, 2, 3, 4}, true);
  const Tn target = Tn::from({2, 2}, {0, 2, 3, 6});
  // ((1-0)^2 + 0 + 0 + (4-6)^2) / 4 = 1.25
  EXPECT_DOUBLE_EQ(MSELoss<double>()(pred, target).item(), 1.25);
  EXPECT_DOUBLE_EQ(MSELoss<double>(Reduction::sum)(pred, target).item(), 5.0);
  // Cross-entropy of equal logits is log(C) for every row.
  const Tn flat = Tn::zeros({3, 4});
  EXPECT_NEAR(CrossEntropyLoss<double>()(flat, {0, 1, 3}).item(), std::log(4.0), 1e-15);
  EXPECT_THROW_WITH(MSELoss<double>()(pred, Tn::zeros({2})), ShapeError, "mse_loss", "(2, 2)",
                    "(2)");
}

}  // namespace
}  // namespace xg::nn
