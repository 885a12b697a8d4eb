// GoogleTest assertions for users' own models and operations: gradients against finite
// differences, and tensors against expected values.
//
//   EXPECT_GRADCHECK(f, {x, w});                    // first derivatives
//   ASSERT_GRADCHECK(f, {x, w}, {.atol = 1e-6});    // with GradcheckOptions
//   EXPECT_GRADGRADCHECK(f, {x, w});                // second derivatives
//   EXPECT_THAT(y, xg::testing::TensorNear(want, 1e-12, 1e-9));
//
// f is anything callable as Tensor<T>(const std::vector<Tensor<T>>&). On failure the message
// names the assertion's arguments as written and gradcheck's finding (input, element,
// analytic and numeric values). Header-only: link xgrad::testing and GTest::gmock.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "xgrad/errors.hpp"
#include "xgrad/tensor.hpp"
#include "xgrad/tools/gradcheck.hpp"

namespace xg::testing {

enum class DerivativeOrder { first, second };

/// The outcome of gradcheck (first) or gradgradcheck (second) as a GoogleTest assertion result;
/// `text` is the assertion's arguments as written.
template <class T, class F>
::testing::AssertionResult check_gradients(DerivativeOrder order, const char* text, F&& f,
                                           const std::vector<Tensor<T>>& inputs,
                                           const GradcheckOptions& options = {}) {
  const TensorFunction<T> fn = std::forward<F>(f);
  const GradcheckResult r = order == DerivativeOrder::first ? gradcheck<T>(fn, inputs, options)
                                                            : gradgradcheck<T>(fn, inputs, options);
  if (r.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << (order == DerivativeOrder::first ? "gradcheck" : "gradgradcheck") << "(" << text
         << ") failed: " << r.message;
}

/// A braced list of inputs, `{x, w}`.
template <class T, class F>
::testing::AssertionResult check_gradients(DerivativeOrder order, const char* text, F&& f,
                                           std::initializer_list<Tensor<T>> inputs,
                                           const GradcheckOptions& options = {}) {
  return check_gradients<T>(order, text, std::forward<F>(f), std::vector<Tensor<T>>(inputs),
                            options);
}

namespace detail {

inline std::string index_text(std::size_t flat, const Shape& shape) {
  std::vector<std::size_t> index(shape.size());
  for (std::size_t a = shape.size(); a-- > 0;) {
    index[a] = shape[a] == 0 ? 0 : flat % shape[a];
    flat = shape[a] == 0 ? 0 : flat / shape[a];
  }
  std::string s = "[";
  for (std::size_t a = 0; a < index.size(); ++a) s += (a ? ", " : "") + std::to_string(index[a]);
  return s + "]";
}

template <class T>
class TensorNearMatcher {
 public:
  using is_gtest_matcher = void;

  TensorNearMatcher(Tensor<T> expected, double atol, double rtol)
      : expected_(std::move(expected)), atol_(atol), rtol_(rtol) {}

  bool MatchAndExplain(const Tensor<T>& got, std::ostream* os) const {
    if (!got.defined()) {
      if (os) *os << "which is an undefined tensor";
      return false;
    }
    if (got.shape() != expected_.shape()) {
      if (os) *os << "which has shape " << ::xg::shape_str(got.shape());
      return false;
    }
    struct Miss {
      std::size_t at;
      double excess;
    };
    std::vector<Miss> misses;
    const T* g = got.value().data();
    const T* e = expected_.value().data();
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double gv = g[i], ev = e[i];
      const double allowed = atol_ + rtol_ * std::abs(ev);
      const double diff = std::abs(gv - ev);
      const bool same_special = (std::isnan(gv) && std::isnan(ev)) || gv == ev;
      if (!same_special && !(diff <= allowed))
        misses.push_back({i, std::isnan(diff) ? 1e300 : diff - allowed});
    }
    if (misses.empty()) return true;
    if (os) {
      std::sort(misses.begin(), misses.end(),
                [](const Miss& a, const Miss& b) { return a.excess > b.excess; });
      *os << "which has shape " << ::xg::shape_str(got.shape()) << " and " << misses.size()
          << " of " << got.size() << " elements outside atol " << atol_ << " + rtol " << rtol_
          << " * |expected|; the worst:";
      std::ostringstream lines;
      lines.precision(17);
      for (std::size_t k = 0; k < std::min<std::size_t>(5, misses.size()); ++k) {
        const std::size_t i = misses[k].at;
        lines << "\n  " << index_text(i, got.shape()) << ": got " << double(g[i]) << ", expected "
              << double(e[i]) << " (difference " << std::abs(double(g[i]) - double(e[i])) << ")";
      }
      *os << lines.str();
    }
    return false;
  }

  void DescribeTo(std::ostream* os) const {
    *os << "is a tensor of shape " << ::xg::shape_str(expected_.shape()) << " within atol " << atol_
        << " + rtol " << rtol_ << " * |expected| of the expected values";
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not a tensor of shape " << ::xg::shape_str(expected_.shape()) << " within atol "
        << atol_ << " + rtol " << rtol_ << " * |expected| of the expected values";
  }

 private:
  Tensor<T> expected_;
  double atol_, rtol_;
};

}  // namespace detail

/// Matches a tensor of expected's shape whose every element is within
/// atol + rtol * |expected| of expected's (NaN matches NaN, infinities themselves). The failure
/// message gives the shape, how many elements are off, and the worst five with their indices
/// and both values.
template <class T>
::testing::Matcher<const Tensor<T>&> TensorNear(const Tensor<T>& expected, double atol = 1e-8,
                                                double rtol = 1e-5) {
  return detail::TensorNearMatcher<T>(expected, atol, rtol);
}

}  // namespace xg::testing

#define XG_GRADIENT_ASSERTION_(on_failure, order, ...)                                \
  GTEST_ASSERT_(::xg::testing::check_gradients(::xg::testing::DerivativeOrder::order, \
                                               #__VA_ARGS__, __VA_ARGS__),            \
                on_failure)

/// Nonfatal: gradcheck of f at inputs (a std::vector or a braced list), optionally with
/// GradcheckOptions.
#define EXPECT_GRADCHECK(...) XG_GRADIENT_ASSERTION_(GTEST_NONFATAL_FAILURE_, first, __VA_ARGS__)
/// Fatal: as EXPECT_GRADCHECK, returning from the test on failure.
#define ASSERT_GRADCHECK(...) XG_GRADIENT_ASSERTION_(GTEST_FATAL_FAILURE_, first, __VA_ARGS__)
/// Nonfatal: gradgradcheck (second derivatives) of f at inputs.
#define EXPECT_GRADGRADCHECK(...) \
  XG_GRADIENT_ASSERTION_(GTEST_NONFATAL_FAILURE_, second, __VA_ARGS__)
/// Fatal: as EXPECT_GRADGRADCHECK.
#define ASSERT_GRADGRADCHECK(...) XG_GRADIENT_ASSERTION_(GTEST_FATAL_FAILURE_, second, __VA_ARGS__)
