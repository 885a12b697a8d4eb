// nn::Embedding: N(0, 1) initial table with the padding row zeroed, lookups from index arrays
// and from float-valued id tensors (so it can open a Sequential), no gradient into the padding
// row, the printout and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn_test_util.hpp"

namespace xg {
namespace embedding_layer_tests {

using D = Tensor<double>;
using Ids = xt::xarray<std::size_t>;

Ids ids_of(const Shape& shape, const std::vector<std::size_t>& values) {
  Ids out = Ids::from_shape(shape);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

TEST(EmbeddingLayer, StandardNormalTableWithThePaddingRowZeroed) {
  Generator gen(4);
  nn::Embedding<double> emb(400, 50, 7, &gen);
  EXPECT_EQ(emb.weight().shape(), (Shape{400, 50}));
  EXPECT_EQ(emb.named_parameters()[0].first, "weight");
  EXPECT_EQ(emb.padding_idx(), std::optional<std::size_t>(7));
  double sum = 0, sq = 0;
  for (double v : emb.weight().value()) {
    sum += v;
    sq += v * v;
  }
  const double n = 400.0 * 50 - 50;  // the padding row is all zeros
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(std::sqrt(sq / n), 1.0, 0.03);
  for (std::size_t j = 0; j < 50; ++j) EXPECT_EQ(emb.weight().value()(7, j), 0.0);
  // A negative padding_idx counts from the end.
  EXPECT_EQ(nn::Embedding<double>(10, 2, -1).padding_idx(), std::optional<std::size_t>(9));
  EXPECT_FALSE(nn::Embedding<double>(10, 2).padding_idx().has_value());
}

TEST(EmbeddingLayer, LooksUpIdsAndLeavesThePaddingRowWithoutGradient) {
  nn::Embedding<double> emb(4, 2, 0);
  emb.weight().set_value(D::from({4, 2}, {0, 0, 1, 2, 3, 4, 5, 6}).value());
  const Ids ids = ids_of({2, 3}, {1, 0, 3, 3, 3, 0});
  const D y = emb.forward(ids);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(test::values_of(y), (std::vector<double>{1, 2, 0, 0, 5, 6, 5, 6, 5, 6, 0, 0}));
  sum(y).backward();
  EXPECT_EQ(test::values_of(emb.weight().grad()), (std::vector<double>{0, 0, 1, 1, 0, 0, 3, 3}));
  // Float-valued ids through Module::forward give the same lookup.
  const D float_ids = D::from({2, 3}, {1, 0, 3, 3, 3, 0});
  EXPECT_EQ(emb(float_ids).value(), y.value());
  EXPECT_EQ(emb(ids).value(), y.value());  // the call operator takes index arrays too
  EXPECT_EQ(emb.extra_repr(), "4, 2, padding_idx=0");
  EXPECT_EQ(nn::Embedding<double>(10, 3).extra_repr(), "10, 3");
}

TEST(EmbeddingLayer, OpensASequentialAndTrainsThroughIt) {
  manual_seed(2);
  nn::Sequential<double> model{nn::Embedding<double>(5, 3), nn::Flatten<double>(),
                               nn::Linear<double>(6, 1)};
  const D ids = D::from({2, 2}, {4, 1, 0, 4});  // (N, L) -> (N, L, 3) -> (N, 6) -> (N, 1)
  const D y = model(ids);
  EXPECT_EQ(y.shape(), (Shape{2, 1}));
  sum(y).backward();
  const D& g = model.parameters()[0].grad();
  for (std::size_t j = 0; j < 3; ++j) {  // ids 2 and 3 are not looked up
    EXPECT_EQ(g.value()(2, j), 0.0);
    EXPECT_EQ(g.value()(3, j), 0.0);
    EXPECT_NE(g.value()(4, j), 0.0);
  }
}

TEST(EmbeddingLayer, GradcheckOfTheTable) {
  nn::Embedding<double> emb(5, 3);  // padding rows: tests/autograd/embedding_test.cpp
  const Ids ids = ids_of({3, 2}, {2, 4, 4, 0, 2, 1});
  test::Fn<double> f = [&](const std::vector<D>& in) {
    emb.weight() = in[0];
    const D e = emb.forward(ids);
    return mul(e, e);
  };
  const std::vector<D> inputs{test::uniform<double>({5, 3}, -1, 1, 8)};
  EXPECT_GRADCHECK(double, f, inputs);
  EXPECT_GRADGRADCHECK(double, f, inputs);
}

TEST(EmbeddingLayer, Errors) {
  nn::Embedding<double> emb(4, 2);
  EXPECT_THROW_WITH(emb.forward(ids_of({2}, {1, 4})), IndexError, "embedding", "id 4",
                    "4 embeddings");
  EXPECT_THROW_WITH(emb(D::from({2, 2}, {1, 2.5, 0, 1})), DomainError, "Embedding(4, 2)", "2.5",
                    "(0, 1)", "whole number");
  EXPECT_THROW_WITH(emb(D::from({1}, {-1})), DomainError, "Embedding(4, 2)", "-1");
  EXPECT_THROW_WITH(emb(D::from({1}, {NAN})), DomainError, "Embedding(4, 2)", "nan");
  EXPECT_THROW_WITH(emb(D::from({1}, {7})), IndexError, "id 7");
  EXPECT_THROW_WITH(nn::Embedding<double>(4, 2, 4), IndexError, "Embedding(4, 2)", "padding_idx 4");
  EXPECT_THROW_WITH(nn::Embedding<double>(0, 2), DomainError, "Embedding(0, 2)");
}

}  // namespace embedding_layer_tests
}  // namespace xg
