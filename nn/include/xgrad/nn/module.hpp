// nn::Module: the base of layers and models. A module owns its parameters (tensors that
// require grad), its buffers (state that is not trained, such as batch norm's running
// statistics) and its child modules, and knows whether it is training or evaluating.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "xgrad/hook_handle.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn {

namespace detail {
/// Counts registrations in every module tree, so a root can tell cheaply whether its
/// parameter names may be out of date.
inline std::atomic<std::uint64_t> module_registrations{0};
}  // namespace detail

/// T is the scalar type of the parameters. It defaults to float, so `nn::Linear(784, 500)`,
/// `nn::Sequential model{...}` and `nn::Module<>&` name float modules (class template argument
/// deduction; docs/nn.md says why this and not libtorch's holders).
template <class T = float>
class Module;

/// A module passed by value: a temporary (or std::move'd) object of a class derived from
/// Module<T>. Containers move it into a shared_ptr of its own type and register that.
template <class M, class T>
concept ModuleValue =
    !std::is_lvalue_reference_v<M> && !std::is_const_v<std::remove_reference_t<M>> &&
    std::derived_from<std::remove_cvref_t<M>, Module<T>>;

/// What a container accepts as a child: a module value or a shared_ptr to a module.
template <class M, class T>
concept ModuleArgument =
    ModuleValue<M, T> || std::convertible_to<std::remove_cvref_t<M>, std::shared_ptr<Module<T>>>;

namespace detail {
template <class M>
struct module_scalar {
  using type = typename M::value_type;
};
template <class M>
struct module_scalar<std::shared_ptr<M>> {
  using type = typename M::value_type;
};
template <class T>
inline constexpr bool always_false = false;
}  // namespace detail

/// The scalar type of a module value or of a shared_ptr to a module (deduction guides).
template <class M>
using module_scalar_t = typename detail::module_scalar<std::remove_cvref_t<M>>::type;

template <class T>
class Module {
 public:
  using value_type = T;

  /// Releases the children without recursion, so a model nested thousands deep cannot
  /// overflow the stack when it goes.
  virtual ~Module();
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module& operator=(Module&&) = delete;

  /// The layer's computation, recorded on the tape.
  virtual Tensor<T> forward(const Tensor<T>& input) = 0;
  /// forward() between the forward hooks, after naming the parameters and buffers if this is a root
  /// whose tree has changed. Containers call their children through it, so hooks on any module of a
  /// tree run.
  Tensor<T> operator()(const Tensor<T>& input) {
    if (parents_.empty() && named_at_.load(std::memory_order_relaxed) !=
                                detail::module_registrations.load(std::memory_order_relaxed)) {
      named_buffers();
      named_parameters();  // last: it records that the names are up to date
    }
    if (hooks_) return forward_with_hooks(input);
    return forward(input);
  }

  /// `hook(module, input)` runs before forward(); a defined result replaces the input.
  using ForwardPreHook = std::function<Tensor<T>(Module&, const Tensor<T>&)>;
  /// `hook(module, input, output)` runs after forward(); a defined result replaces the output.
  using ForwardHook = std::function<Tensor<T>(Module&, const Tensor<T>&, const Tensor<T>&)>;
  /// Forward hooks as PyTorch's (activation statistics, shape logging, feature extraction):
  /// several run in registration order, each on the previous one's result; remove() on the
  /// handle unregisters one. operator() runs them, a direct call of forward() does not.
  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);

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
  /// Every buffer of this module and its children (PyTorch's buffers()): tensors that do not
  /// require grad, which the module itself updates (running statistics, counters). Not among
  /// parameters(), so optimizers never see them; checkpoints save and load them.
  std::vector<Tensor<T>> buffers() const;
  /// The same with hierarchical names, "0.running_mean", in the order of named_parameters();
  /// a root names the buffer tensors by these paths as it does its parameters.
  std::vector<std::pair<std::string, Tensor<T>>> named_buffers() const;
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
  /// Moving hands the parameters, buffers and children to the new object, so a module built as a
  /// value
  /// (`nn::Linear(784, 500)`) can be moved once into the shared_ptr a container registers. A
  /// module that is already a child somewhere is refused (GraphError): its parents point at it.
  Module(Module&& other);

  /// Registers (and returns) a parameter; it is marked requires_grad and named. The reference
  /// is the registered tensor itself (valid until the next registration here): assigning
  /// through it replaces the parameter that parameters() and checkpoints see.
  Tensor<T>& register_parameter(std::string name, Tensor<T> parameter);
  /// Registers a child module (null is allowed and printed as None). The name follows the
  /// rules of register_parameter and must be new here; a module that would contain itself,
  /// directly or through its children, is refused with the path that closes the cycle.
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  /// The same for a module passed by value (`register_module("fc1", nn::Linear(784, 500))`):
  /// it is moved into a new shared_ptr, which is registered and returned.
  template <class M>
  requires ModuleValue<M, T> std::shared_ptr<std::remove_cvref_t<M>> register_module(
      std::string name, M&& module) {
    return register_module(std::move(name),
                           std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }
  /// Registers (and returns) a buffer: a defined leaf that does not require grad (GraphError
  /// otherwise), named like a parameter and sharing the names of parameters and children. The
  /// reference is the registered tensor itself (valid until the next buffer registration here).
  Tensor<T>& register_buffer(std::string name, Tensor<T> buffer);
  /// The index-th buffer registered here, itself.
  Tensor<T>& own_buffer(std::size_t index) { return buffers_.at(index).second; }
  const Tensor<T>& own_buffer(std::size_t index) const { return buffers_.at(index).second; }
  /// Parameters registered by this module itself (not its children).
  std::vector<std::pair<std::string, Tensor<T>>>& own_parameters() { return params_; }
  const std::vector<std::pair<std::string, Tensor<T>>>& own_parameters() const { return params_; }
  /// The index-th parameter registered here, itself: what layer accessors such as
  /// Linear::weight() return.
  Tensor<T>& own_parameter(std::size_t index) { return params_.at(index).second; }
  const Tensor<T>& own_parameter(std::size_t index) const { return params_.at(index).second; }

 private:
  struct Hooks {
    template <class F>
    struct Entry {
      std::uint64_t id;
      F fn;
    };
    std::vector<Entry<ForwardPreHook>> pre;
    std::vector<Entry<ForwardHook>> post;
    std::uint64_t next_id = 1;
  };
  Tensor<T> forward_with_hooks(const Tensor<T>& input);
  template <class List>
  HookHandle removal(List Hooks::*member, std::uint64_t id);

  void add_child(std::string name, std::shared_ptr<Module<T>> child);
  void check_member_name(const std::string& where, const std::string& name) const;
  /// When adding `child` as `name` would make a cycle (this module reachable from `child`):
  /// the child names from this module around the cycle back to it, joined by '.'.
  std::optional<std::string> cycle_through(const std::string& name, const Module<T>& child) const;

  /// named_parameters() or named_buffers(): the tensors of `member` in every module of the
  /// tree, each once, under hierarchical names (which a root gives the tensors).
  std::vector<std::pair<std::string, Tensor<T>>> named_tensors(
      std::vector<std::pair<std::string, Tensor<T>>> Module::*member) const;

  std::vector<std::pair<std::string, Tensor<T>>> params_;
  std::vector<std::pair<std::string, Tensor<T>>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module<T>>>> children_;
  /// The modules holding this one as a child, once per registration (for the cycle check).
  std::vector<Module<T>*> parents_;
  /// Names of the parameters, buffers and children registered here.
  std::unordered_set<std::string> member_names_;
  /// The value of detail::module_registrations when this module last named its parameters.
  mutable std::atomic<std::uint64_t> named_at_{~std::uint64_t{0}};
  bool training_ = true;
  /// Null until a forward hook is registered (operator() tests only this).
  std::shared_ptr<Hooks> hooks_;
};

}  // namespace xg::nn
