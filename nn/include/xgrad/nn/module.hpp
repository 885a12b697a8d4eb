// nn::Module: the base of layers and models. A module owns its parameters (tensors that
// require grad) and its child modules, and knows whether it is training or evaluating.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::nn {

namespace detail {
/// Counts registrations in every module tree, so a root can tell cheaply whether its
/// parameter names may be out of date.
inline std::atomic<std::uint64_t> module_registrations{0};
}  // namespace detail

template <class T>
class Module {
 public:
  /// Releases the children without recursion, so a model nested thousands deep cannot
  /// overflow the stack when it goes.
  virtual ~Module();
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The layer's computation, recorded on the tape.
  virtual Tensor<T> forward(const Tensor<T>& input) = 0;
  /// forward(), after naming the parameters if this is a root whose tree has changed.
  Tensor<T> operator()(const Tensor<T>& input) {
    if (parents_.empty() && named_at_.load(std::memory_order_relaxed) !=
                                detail::module_registrations.load(std::memory_order_relaxed)) {
      named_parameters();
    }
    return forward(input);
  }

  /// Short type name: "Linear", "ReLU", "Sequential".
  virtual std::string type_name() const = 0;
  /// Constructor arguments for printouts: "in=784, out=500, bias=true" (empty by default).
  virtual std::string extra_repr() const { return {}; }

  /// Every parameter of this module and its children, depth first, in registration order.
  std::vector<Tensor<T>> parameters() const;
  /// The same with hierarchical names: "0.weight", "2.bias", "encoder.0.weight".
  /// Called on a root (a module that no other module holds), it also names each parameter
  /// tensor by that path, so graph pictures, traces and error messages read like the model;
  /// so does the root's operator() after the tree has changed. Registering does not rename
  /// (that made building quadratic in the depth).
  std::vector<std::pair<std::string, Tensor<T>>> named_parameters() const;
  /// Number of scalar parameters (all elements of all parameters).
  std::size_t parameter_count() const;
  /// Direct children with their names.
  const std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>>& children() const {
    return children_;
  }

  /// Training mode (dropout active, RReLU random) for this module and all children.
  void train(bool on = true);
  /// Evaluation mode: train(false).
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Forgets the gradients of all parameters.
  void zero_grad();

  /// A readable, indented printout of the module tree with parameter counts. Levels deeper
  /// than max_print_indent() are printed at that level's indentation, so the printout of any
  /// tree is linear in its number of modules.
  std::string to_string() const;
  static constexpr std::size_t max_print_indent() { return 32; }

 protected:
  /// Registers (and returns) a parameter; it is marked requires_grad and named.
  Tensor<T>& register_parameter(std::string name, Tensor<T> parameter);
  /// Registers a child module (null is allowed and printed as None). The name follows the
  /// rules of register_parameter and must be new here; a module that would contain itself,
  /// directly or through its children, is refused with the path that closes the cycle.
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  /// Parameters registered by this module itself (not its children).
  std::vector<std::pair<std::string, Tensor<T>>>& own_parameters() { return params_; }

 private:
  void add_child(std::string name, std::shared_ptr<Module<T>> child);
  void check_member_name(const std::string& where, const std::string& name) const;
  /// When adding `child` as `name` would make a cycle (this module reachable from `child`):
  /// the child names from this module around the cycle back to it, joined by '.'.
  std::optional<std::string> cycle_through(const std::string& name, const Module<T>& child) const;

  std::vector<std::pair<std::string, Tensor<T>>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
  /// The modules holding this one as a child, once per registration (for the cycle check).
  std::vector<Module<T>*> parents_;
  /// Names of the parameters and children registered here.
  std::unordered_set<std::string> member_names_;
  /// The value of detail::module_registrations when this module last named its parameters.
  mutable std::atomic<std::uint64_t> named_at_{~std::uint64_t{0}};
  bool training_ = true;
};

}  // namespace xg::nn
