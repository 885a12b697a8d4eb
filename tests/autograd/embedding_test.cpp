// embedding: values of any id shape, gradients added per id with the padding row left out (as
// PyTorch), gradients and second derivatives in double, float, and the errors.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "test_support.hpp"

namespace xg {
namespace {

using test::Fn;
using D = Tensor<double>;
using Ids = xt::xarray<std::size_t>;

Ids ids_of(const Shape& shape, const std::vector<std::size_t>& values) {
  Ids out = Ids::from_shape(shape);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

TEST(Embedding, RowsOfTheWeightInTheShapeOfTheIds) {
  D w = D::from({3, 2}, {0, 1, 10, 11, 20, 21});
  D y = embedding(w, ids_of({2, 2}, {2, 0, 1, 2}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(test::values_of(y), (std::vector<double>{20, 21, 0, 1, 10, 11, 20, 21}));
  // A 0-d id gives one row (D); a 1-D list gives (n, D); no ids give (0, D).
  EXPECT_EQ(test::values_of(embedding(w, Ids(std::size_t{1}))), (std::vector<double>{10, 11}));
  Ids scalar = Ids::from_shape({});
  scalar() = 1;
  EXPECT_EQ(embedding(w, scalar).shape(), (Shape{2}));
  EXPECT_EQ(embedding(w, ids_of({3}, {0, 0, 1})).shape(), (Shape{3, 2}));
  EXPECT_EQ(embedding(w, Ids::from_shape({0})).shape(), (Shape{0, 2}));
  // The padding row is looked up as it is (PyTorch's forward does not zero it).
  EXPECT_EQ(test::values_of(embedding(w, ids_of({1}, {1}), 1)), (std::vector<double>{10, 11}));
}

TEST(Embedding, GradientAddsUpRepeatedIdsAndSkipsThePaddingRow) {
  D w = D::zeros({4, 2}, true);
  const Ids ids = ids_of({2, 3}, {3, 1, 3, 0, 1, 1});
  const D g = D::from({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  embedding(w, ids).backward(g);
  // row 0: g[1][0]; row 1: g[0][1] + g[1][1] + g[1][2]; row 2: none; row 3: g[0][0] + g[0][2]
  EXPECT_EQ(test::values_of(w.grad()), (std::vector<double>{7, 8, 23, 26, 0, 0, 6, 8}));
  w.zero_grad();
  embedding(w, ids, 1).backward(g);
  EXPECT_EQ(test::values_of(w.grad()), (std::vector<double>{7, 8, 0, 0, 0, 0, 6, 8}));
  w.zero_grad();
  embedding(w, ids, -1).backward(g);  // -1: row 3
  EXPECT_EQ(test::values_of(w.grad()), (std::vector<double>{7, 8, 23, 26, 0, 0, 0, 0}));
  // Every id the padding one: a zero gradient of the weight's shape.
  w.zero_grad();
  embedding(w, ids_of({2}, {2, 2}), 2).backward(D::ones({2, 2}));
  EXPECT_EQ(test::values_of(w.grad()), (std::vector<double>(8, 0.0)));
}

TEST(Embedding, GradientsAndSecondDerivativesInDouble) {
  const Ids ids = ids_of({3, 2}, {4, 0, 4, 2, 1, 4});
  const D w = test::uniform<double>({5, 3}, -1, 1, 31);
  const D s = test::uniform<double>({3, 2, 3}, -1, 1, 32);
  // With a padding_idx the rule is PyTorch's, not the derivative: the padding row gets no
  // gradient although the output depends on it. So the padding row enters as a constant (where
  // picks it from a copy that is no input), which makes that rule the true derivative; the
  // other rows are checked as usual, through the padding routing.
  for (std::optional<std::ptrdiff_t> pad :
       {std::optional<std::ptrdiff_t>(), std::optional<std::ptrdiff_t>(4),
        std::optional<std::ptrdiff_t>(0)}) {
    SCOPED_TRACE(pad ? "padding_idx " + std::to_string(*pad) : std::string("no padding"));
    xt::xarray<bool> is_pad = xt::xarray<bool>::from_shape({5, 1});
    for (std::size_t r = 0; r < 5; ++r) is_pad(r, 0) = pad && r == static_cast<std::size_t>(*pad);
    const D fixed(w.value());
    auto table = [&](const D& v) { return pad ? xg::where(is_pad, fixed, v) : v; };
    Fn<double> f = [&](const std::vector<D>& x) { return embedding(table(x[0]), ids, pad); };
    Fn<double> squared_times = [&](const std::vector<D>& x) {
      D e = embedding(table(x[0]), ids, pad);
      return e * e * x[1];
    };
    EXPECT_GRADCHECK(double, f, {w});
    EXPECT_GRADCHECK(double, squared_times, {w, s});
    EXPECT_GRADGRADCHECK(double, squared_times, {w, s});
  }
  // Batch 1, a single id.
  Fn<double> one = [](const std::vector<D>& x) {
    D e = embedding(x[0], ids_of({1, 1}, {2}));
    return e * e;
  };
  EXPECT_GRADGRADCHECK(double, one, {test::uniform<double>({3, 5}, -1, 1, 33)});
}

TEST(Embedding, SecondOrderGradientIsRecordedWithIndexOps) {
  D w = test::uniform<double>({4, 3}, -1, 1, 5);
  D e = embedding(w, ids_of({3}, {1, 3, 1}), 3);
  auto g = grad<double>({sum(e * e)}, {w}, {}, {.create_graph = true});
  EXPECT_STREQ(g[0].op_name(), "index_add");
  ASSERT_TRUE(g[0].requires_grad());
  // d/dw sum(2 e) over the non-padding rows looked up: 2 per lookup.
  auto h = grad<double>({sum(g[0])}, {w});
  EXPECT_EQ(test::values_of(h[0]), (std::vector<double>{0, 0, 0, 4, 4, 4, 0, 0, 0, 0, 0, 0}));
}

TEST(Embedding, FloatMatchesDouble) {
  auto wf = Tensor<float>::from({3, 2}, {0.5f, -1, 2, 3, -4, 0.25f}, true);
  const Ids ids = ids_of({4}, {2, 2, 0, 1});
  auto y = embedding(wf, ids, 0);
  EXPECT_EQ(test::values_of(y), (std::vector<double>{-4, 0.25, -4, 0.25, 0.5, -1, 2, 3}));
  sum(y).backward();
  EXPECT_EQ(test::values_of(wf.grad()), (std::vector<double>{0, 0, 1, 1, 2, 2}));
}

TEST(Embedding, Errors) {
  const D w = D::zeros({5, 2});
  EXPECT_THROW_WITH(embedding(w, ids_of({2, 2}, {0, 1, 5, 2})), IndexError, "embedding", "id 5",
                    "(1, 0)", "5 embeddings", "(5, 2)");
  EXPECT_THROW_WITH(embedding(D::zeros({5}), ids_of({1}, {0})), ShapeError, "embedding", "(5)",
                    "2-D");
  EXPECT_THROW_WITH(embedding(D::zeros({2, 3, 4}), ids_of({1}, {0})), ShapeError, "embedding",
                    "(2, 3, 4)");
  EXPECT_THROW_WITH(embedding(w, ids_of({1}, {0}), 5), IndexError, "embedding", "padding_idx 5");
  EXPECT_THROW_WITH(embedding(w, ids_of({1}, {0}), -6), IndexError, "embedding", "padding_idx -6");
  EXPECT_THROW_WITH(embedding(D(), ids_of({1}, {0})), GraphError, "embedding");
}

}  // namespace
}  // namespace xg
