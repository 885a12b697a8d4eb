// Helpers shared by every test program (autograd, nn, optim, data): seeded random leaves,
// gradcheck assertions, a self-deleting temporary directory, and an "expect this exception
// whose message mentions ..." macro.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "xgrad/autograd.hpp"

namespace xg::test {

/// The scalar types the typed test suites run over.
using FloatTypes = ::testing::Types<float, double>;

/// The function type gradcheck / gradgradcheck take.
template <class T>
using Fn = TensorFunction<T>;

/// A leaf of the given shape with uniform values in [lo, hi), from a fixed seed.
template <class T>
Tensor<T> uniform(const Shape& shape, double lo = -1.0, double hi = 1.0, unsigned seed = 7,
                  bool requires_grad = true) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return Tensor<T>::from(shape, v, requires_grad);
}

/// The values of `t` in row-major order, as doubles (for EXPECT_EQ against a list).
template <class T>
std::vector<double> values_of(const Tensor<T>& t) {
  const auto& v = t.value();
  return std::vector<double>(v.data(), v.data() + v.size());
}

/// The same for an index array (argmax, max-pool indices).
inline std::vector<std::size_t> values_of(const xt::xarray<std::size_t>& a) {
  return std::vector<std::size_t>(a.data(), a.data() + a.size());
}

/// Expects every value of `t` to be finite; `what` names the tensor in the failure message.
template <class T>
void expect_all_finite(const Tensor<T>& t, const char* what) {
  for (auto v : t.value()) EXPECT_TRUE(std::isfinite(v)) << what << " has " << v;
}

/// A fresh empty directory under the system temp dir, removed with its contents at scope exit.
/// Its name holds `tag`, the process id, a per-process counter and the current test's name, so
/// tests running at the same time (ctest -j) never share one.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "xgrad-" + tag + "-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter++) + "-" +
                       (info != nullptr ? std::string(info->name()) : std::string("test"));
    for (char& c : name) {  // parameterised test names hold '/'
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
    }
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Same shape, and every element within tol relative to the wanted value.
template <class T>
void expect_close(const xt::xarray<T>& got, const xt::xarray<T>& want, double tol) {
  ASSERT_EQ(Shape(got.shape().begin(), got.shape().end()),
            Shape(want.shape().begin(), want.shape().end()));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got.data()[i], w = want.data()[i];
    EXPECT_NEAR(g, w, tol * (1 + std::abs(w))) << "element " << i;
  }
}

/// Restores xgrad's thread count at scope exit.
struct ThreadCountGuard {
  int before = num_threads();
  ~ThreadCountGuard() { set_num_threads(before); }
};

/// What f() returns when run with `threads` threads in xgrad's pool, the count restored after.
template <class F>
auto at_threads(int threads, F&& f) {
  const ThreadCountGuard guard;
  set_num_threads(threads);
  return f();
}

}  // namespace xg::test

/// Expects `statement` to throw `Exception` whose what() contains each of the given substrings
/// (none at all is allowed). Nothing thrown, or an exception of another type, is a failure.
#define EXPECT_THROW_WITH(statement, Exception, ...)                                        \
  do {                                                                                      \
    bool xg_thrown_ = false;                                                                \
    try {                                                                                   \
      statement;                                                                            \
    } catch (const Exception& xg_error_) {                                                  \
      xg_thrown_ = true;                                                                    \
      const std::string xg_msg_ = xg_error_.what();                                         \
      for (const std::string& xg_part_ : std::initializer_list<std::string>{__VA_ARGS__}) { \
        EXPECT_NE(xg_msg_.find(xg_part_), std::string::npos)                                \
            << "message \"" << xg_msg_ << "\" lacks \"" << xg_part_ << "\"";                \
      }                                                                                     \
    } catch (const std::exception& xg_error_) {                                             \
      xg_thrown_ = true;                                                                    \
      ADD_FAILURE() << #statement " threw another exception than " #Exception ": "          \
                    << xg_error_.what();                                                    \
    } catch (...) {                                                                         \
      xg_thrown_ = true;                                                                    \
      ADD_FAILURE() << #statement " threw a non-std exception, not " #Exception;            \
    }                                                                                       \
    if (!xg_thrown_) ADD_FAILURE() << #statement " did not throw " #Exception;              \
  } while (0)

/// The body of EXPECT_GRADCHECK / EXPECT_GRADGRADCHECK: `check(args...)` passes and checked
/// at least one element, its diagnosis printed otherwise.
#define XG_EXPECT_CHECK_RESULT_(check, ...)           \
  do {                                                \
    auto xg_result_ = check(__VA_ARGS__);             \
    EXPECT_TRUE(xg_result_.ok) << xg_result_.message; \
    EXPECT_GT(xg_result_.checked, 0u);                \
  } while (0)

/// Asserts that gradcheck<T>(f, inputs[, options]) passes, printing its diagnosis otherwise.
#define EXPECT_GRADCHECK(T, ...) XG_EXPECT_CHECK_RESULT_(::xg::gradcheck<T>, __VA_ARGS__)

/// Asserts that gradgradcheck<T>(f, inputs[, options]) passes, printing its diagnosis otherwise.
#define EXPECT_GRADGRADCHECK(T, ...) XG_EXPECT_CHECK_RESULT_(::xg::gradgradcheck<T>, __VA_ARGS__)

namespace xg::test {

/// gradcheck of f, and gradgradcheck of f and of f * f: for a piecewise-linear f (pools, pads,
/// crops) only the square lets the second check see the rules of its backward operations.
inline void expect_grads_of_any_order(const std::function<Tensor<double>(const Tensor<double>&)>& f,
                                      const Tensor<double>& x) {
  Fn<double> fn = [f](const std::vector<Tensor<double>>& v) { return f(v[0]); };
  Fn<double> squared = [f](const std::vector<Tensor<double>>& v) {
    Tensor<double> y = f(v[0]);
    return y * y;
  };
  EXPECT_GRADCHECK(double, fn, {x});
  EXPECT_GRADGRADCHECK(double, fn, {x});
  EXPECT_GRADGRADCHECK(double, squared, {x});
}

}  // namespace xg::test
