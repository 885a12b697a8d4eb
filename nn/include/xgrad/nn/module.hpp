// nn::Module: the base of layers and models. A module owns its parameters (tensors that
// require grad) and its child modules, and knows whether it is training or evaluating.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg::nn {

template <class T>
class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The layer's computation, recorded on the tape.
  virtual Tensor<T> forward(const Tensor<T>& input) = 0;
  Tensor<T> operator()(const Tensor<T>& input) { return forward(input); }

  /// Short type name: "Linear", "ReLU", "Sequential".
  virtual std::string type_name() const = 0;
  /// Constructor arguments for printouts: "in=784, out=500, bias=true" (empty by default).
  virtual std::string extra_repr() const { return {}; }

  /// Every parameter of this module and its children, depth first, in registration order.
  std::vector<Tensor<T>> parameters() const;
  /// The same with hierarchical names: "0.weight", "2.bias", "encoder.0.weight".
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

  /// A readable, indented printout of the module tree with parameter counts.
  std::string to_string() const;

 protected:
  /// Registers (and returns) a parameter; it is marked requires_grad and named.
  Tensor<T>& register_parameter(std::string name, Tensor<T> parameter);
  /// Registers a child module. Its parameter tensors are renamed to their path from here
  /// ("0.weight"), so graph pictures, traces and error messages read like the model; as each
  /// parent registers its children the names grow to the full path from the root.
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    if (module) prefix_parameter_names(name, *module);
    children_.emplace_back(std::move(name), module);
    return module;
  }
  /// Parameters registered by this module itself (not its children).
  std::vector<std::pair<std::string, Tensor<T>>>& own_parameters() { return params_; }

 private:
  static void prefix_parameter_names(const std::string& child_name, const Module<T>& child);

  std::vector<std::pair<std::string, Tensor<T>>> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
  bool training_ = true;
};

}  // namespace xg::nn
