// InputList: the inputs a recorded operation keeps, two inline and more on the heap. It must
// behave like the std::vector it replaced: order, copies, moves, clearing, and the references it
// holds. White-box: InputList and the node are private to the engine (xgrad/detail/node.hpp).
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "test_support.hpp"
#include "xgrad/detail/node.hpp"
#include "xgrad/node_view.hpp"

namespace xg {
namespace {

using D = Tensor<double>;
using detail::InputList;

long owners(const D& t) {
  return detail::NodeAccess<double>::node(t).use_count();
}

std::vector<double> firsts(const InputList<double>& list) {
  std::vector<double> out;
  for (const D& t : list) out.push_back(t.value().flat(0));
  return out;
}

TEST(InputList, KeepsOrderInlineAndOnTheHeap) {
  const D a = D::scalar(1), b = D::scalar(2), c = D::scalar(3), d = D::scalar(4);
  EXPECT_TRUE(InputList<double>().empty());
  EXPECT_EQ(firsts({a}), (std::vector<double>{1}));
  EXPECT_EQ(firsts({a, b}), (std::vector<double>{1, 2}));
  EXPECT_EQ(firsts({a, b, c, d}), (std::vector<double>{1, 2, 3, 4}));
  const InputList<double> from_vector(std::vector<D>{d, c, b});
  EXPECT_EQ(from_vector.size(), 3u);
  EXPECT_EQ(firsts(from_vector), (std::vector<double>{4, 3, 2}));
  EXPECT_EQ(from_vector.to_vector().size(), 3u);
  EXPECT_EQ(from_vector[1].identity(), c.identity());
}

TEST(InputList, CopiesShareAndMovesTransferTheReferences) {
  const D a = D::scalar(1), b = D::scalar(2), c = D::scalar(3);
  for (std::size_t n : {1u, 2u, 3u}) {
    SCOPED_TRACE(n);
    std::vector<D> v{a, b, c};
    v.resize(n);
    InputList<double> list(v);
    v.clear();
    EXPECT_EQ(owners(a), 2);  // a and the list
    InputList<double> copy(list);
    EXPECT_EQ(owners(a), 3);
    InputList<double> moved(std::move(list));
    EXPECT_TRUE(list.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(owners(a), 3);
    EXPECT_EQ(firsts(moved), firsts(copy));
    copy = moved;  // copy-assign over a list of the same size
    EXPECT_EQ(owners(a), 3);
    moved = InputList<double>{c};  // move-assign releases what it held
    EXPECT_EQ(owners(a), 2);
    copy.clear();
    EXPECT_TRUE(copy.empty());
    EXPECT_EQ(owners(a), 1);
  }
}

TEST(InputList, RecordedOperationsWithManyInputsKeepThemAll) {
  // concat of four tensors stores its inputs on the heap; backward must reach every one.
  std::vector<D> parts;
  for (int i = 0; i < 4; ++i) parts.push_back(D::full({2}, i + 1.0, true));
  D y = concat(parts, 0);
  ASSERT_EQ(NodeView<double>(y).inputs().size(), 4u);
  sum(y * y).backward();
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(parts[i].grad().value()(0), 2.0 * (i + 1));
}

}  // namespace
}  // namespace xg
