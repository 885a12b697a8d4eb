// nn::Module: parameter bookkeeping, modes and printouts (see module.hpp).
#include "xgrad/nn/module.hpp"

#include <unordered_set>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::nn {

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters() const {
  // Depth first: own parameters in registration order, then each child's, names joined by '.'.
  // A tensor reached twice (one module used in two places of the tree) is listed once, under
  // its first name, so an optimizer steps it once and a checkpoint stores it once. The lambda
  // is defined in a member, so it may read the private lists of every Module<T> it visits.
  std::vector<std::pair<std::string, Tensor<T>>> out;
  std::unordered_set<const Node<T>*> seen;
  auto walk = [&](auto& self, const Module<T>& m, const std::string& prefix) -> void {
    for (const auto& [name, p] : m.params_) {
      if (seen.insert(p.node().get()).second) out.emplace_back(prefix + name, p);
    }
    for (const auto& [name, child] : m.children_) {
      if (child) self(self, *child, prefix + name + ".");
    }
  };
  walk(walk, *this, std::string());
  return out;
}

template <class T>
std::vector<Tensor<T>> Module<T>::parameters() const {
  std::vector<Tensor<T>> out;
  for (auto& [name, p] : named_parameters()) out.push_back(std::move(p));
  return out;
}

template <class T>
std::size_t Module<T>::parameter_count() const {
  std::size_t n = 0;
  for (const auto& p : parameters()) n += p.size();
  return n;
}

template <class T>
void Module<T>::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) {
    if (child) child->train(on);
  }
}

template <class T>
void Module<T>::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

template <class T>
Tensor<T>& Module<T>::register_parameter(std::string name, Tensor<T> parameter) {
  const std::string where = type_name() + "::register_parameter('" + name + "')";
  if (name.empty() || name.find('.') != std::string::npos || name.find('/') != std::string::npos) {
    throw Error(where + ": a parameter name must be non-empty and contain no '.' or '/'");
  }
  if (!parameter.defined()) throw GraphError(where + ": the tensor is undefined");
  if (!parameter.is_leaf()) {
    throw GraphError(where + ": the tensor is the result of '" + parameter.op_name() +
                     "'; a parameter must be a leaf (use detach())");
  }
  for (const auto& [n, p] : params_) {
    if (n == name) throw Error(where + ": the name is already registered");
  }
  parameter.requires_grad_(true);
  parameter.set_name(name);
  params_.emplace_back(std::move(name), std::move(parameter));
  return params_.back().second;
}

template <class T>
void Module<T>::prefix_parameter_names(const std::string& child_name, const Module<T>& child) {
  for (auto [path, p] : child.named_parameters()) {
    // A tensor already named by another parent (a module shared in two places) keeps the name
    // of its first place, the one named_parameters() lists.
    if (p.name() == path) p.set_name(child_name + "." + path);
  }
}

template <class T>
std::string Module<T>::to_string() const {
  // PyTorch's repr layout, with each module's parameter count after it:
  //   Sequential(
  //     (0): Linear(in=10, out=10, bias=true)  # 110 parameters
  //     (1): Tanh()
  //   )  # 110 parameters
  auto count_note = [](const Module<T>& m) -> std::string {
    const std::size_t n = m.parameter_count();
    if (n == 0) return {};
    return "  # " + detail::grouped(n) + (n == 1 ? " parameter" : " parameters");
  };
  auto print = [&](auto& self, const Module<T>& m, const std::string& indent) -> std::string {
    std::string s = m.type_name() + "(" + m.extra_repr();
    if (m.children_.empty()) return s + ")" + count_note(m);
    s += "\n";
    for (const auto& [name, child] : m.children_) {
      s += indent + "  (" + name + "): ";
      s += child ? self(self, *child, indent + "  ") : std::string("None");
      s += "\n";
    }
    return s + indent + ")" + count_note(m);
  };
  return print(print, *this, std::string());
}

#define XG_INSTANTIATE(T) template class Module<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
