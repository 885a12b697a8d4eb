// Helpers shared by the nn tests (the ones every test program uses are in test_support.hpp).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "test_support.hpp"
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

}  // namespace xg::test
