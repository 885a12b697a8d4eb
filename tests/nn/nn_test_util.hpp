// Helpers shared by the nn tests.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "xgrad/autograd.hpp"
#include "xgrad/nn.hpp"

namespace xg::test {

/// gradcheck works on copies of its inputs, so to check parameter gradients the copies must
/// be what the layers use: this points every Linear's weight/bias and every PReLU's slope of
/// `m` (depth first, the order of parameters()) at in[k], in[k+1], ...
template <class T>
void bind_parameters(nn::Module<T>& m, const std::vector<Tensor<T>>& in, std::size_t& k) {
  if (auto* lin = dynamic_cast<nn::Linear<T>*>(&m)) {
    lin->weight() = in.at(k++);
    if (lin->bias().defined()) lin->bias() = in.at(k++);
  } else if (auto* pr = dynamic_cast<nn::PReLU<T>*>(&m)) {
    pr->slope() = in.at(k++);
  }
  for (const auto& [name, child] : m.children()) bind_parameters(*child, in, k);
}

/// Fresh leaves holding copies of the model's parameter values (gradcheck inputs).
template <class T>
std::vector<Tensor<T>> parameter_copies(const nn::Module<T>& m) {
  std::vector<Tensor<T>> out;
  for (const auto& p : m.parameters()) out.emplace_back(p.value(), true);
  return out;
}

/// A unique empty directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("xgrad_nn_" + tag + "_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path_.string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Expects `f` to throw E with a message containing every string in `parts`.
template <class E, class F>
void expect_throw_with(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << msg << "\nmissing: " << p;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace xg::test
