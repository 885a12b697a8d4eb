// nn::Module: parameter bookkeeping, modes and printouts (see module.hpp).
#include "xgrad/nn/module.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg::nn {

namespace {

/// Depth first over the tree below `root` with an explicit stack, since a model may nest
/// deeper than the call stack allows. enter(module, name, depth) sees each place of the tree
/// (module may be null, name is empty for the root) and returns whether to go into its
/// children; leave(module, depth) follows the children of each module entered.
template <class M, class Enter, class Leave>
void walk_tree(M& root, Enter&& enter, Leave&& leave) {
  struct Frame {
    M* module;
    std::size_t next_child;
  };
  static const std::string root_name;
  if (!enter(&root, root_name, std::size_t{0})) return;
  std::vector<Frame> stack{{&root, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    const auto& children = top.module->children();
    if (top.next_child == children.size()) {
      M* done = top.module;
      stack.pop_back();
      leave(done, stack.size());
      continue;
    }
    const auto& [name, child] = children[top.next_child++];
    M* next = child.get();
    if (enter(next, name, stack.size()) && next) stack.push_back({next, 0});
  }
}

template <class T>
const std::string& child_name(const Module<T>& parent, const Module<T>& child) {
  for (const auto& [name, c] : parent.children()) {
    if (c.get() == &child) return name;
  }
  throw Error("Module: internal error: a parent does not hold its child");
}

}  // namespace

template <class T>
Module<T>::~Module() {
  // A chain of modules that only their parents hold is released from a work list: each
  // module's children are taken before it goes, so no destructor finds children to release.
  std::vector<std::shared_ptr<Module<T>>> pending;
  auto take_children = [&pending](Module<T>& m) {
    for (auto& [name, child] : m.children_) {
      if (!child) continue;
      auto& parents = child->parents_;
      const auto it = std::find(parents.begin(), parents.end(), &m);
      if (it != parents.end()) parents.erase(it);
      pending.push_back(std::move(child));
    }
    m.children_.clear();
  };
  take_children(*this);
  while (!pending.empty()) {
    std::shared_ptr<Module<T>> m = std::move(pending.back());
    pending.pop_back();
    if (m.use_count() == 1) take_children(*m);
  }
}

template <class T>
Module<T>::Module(Module&& other) {
  if (!other.parents_.empty()) {
    throw GraphError(other.type_name() +
                     ": a module registered as a child cannot be moved (its parents hold it)");
  }
  params_ = std::move(other.params_);
  buffers_ = std::move(other.buffers_);
  children_ = std::move(other.children_);
  member_names_ = std::move(other.member_names_);
  training_ = other.training_;
  hooks_ = std::move(other.hooks_);
  other.params_.clear();
  other.buffers_.clear();
  other.children_.clear();
  other.member_names_.clear();
  for (auto& [name, child] : children_) {
    if (!child) continue;
    std::replace(child->parents_.begin(), child->parents_.end(), &other, this);
  }
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters() const {
  return named_tensors(&Module::params_);
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_buffers() const {
  return named_tensors(&Module::buffers_);
}

template <class T>
std::vector<Tensor<T>> Module<T>::buffers() const {
  std::vector<Tensor<T>> out;
  for (auto& [name, b] : named_buffers()) out.push_back(std::move(b));
  return out;
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_tensors(
    std::vector<std::pair<std::string, Tensor<T>>> Module::*member) const {
  // Depth first: own parameters in registration order, then each child's, names joined by '.'.
  // A tensor reached twice (one module used in two places of the tree, or a tensor shared by
  // two modules) is listed once, under its first name, so an optimizer steps it once and a
  // checkpoint stores it once; a module met again has nothing new and is not entered.
  std::vector<std::pair<std::string, Tensor<T>>> out;
  std::unordered_set<const void*> seen_params;
  std::unordered_set<const Module<T>*> seen_modules;
  std::string prefix;
  std::vector<std::size_t> prefix_sizes;
  walk_tree(
      *this,
      [&](const Module<T>* m, const std::string& name, std::size_t depth) {
        if (!m || !seen_modules.insert(m).second) return false;
        if (depth > 0) {
          prefix_sizes.push_back(prefix.size());
          prefix += name;
          prefix += '.';
        }
        for (const auto& [pname, p] : m->*member) {
          if (seen_params.insert(p.identity()).second) out.emplace_back(prefix + pname, p);
        }
        return true;
      },
      [&](const Module<T>*, std::size_t depth) {
        if (depth == 0) return;
        prefix.resize(prefix_sizes.back());
        prefix_sizes.pop_back();
      });
  if (parents_.empty()) {
    // Read before naming: a registration meanwhile leaves the names marked stale.
    const std::uint64_t registrations = detail::module_registrations.load();
    static std::mutex naming;  // threads sharing a model may name it at once
    std::lock_guard<std::mutex> lock(naming);
    for (auto& [path, p] : out) {
      if (p.name() != path) p.set_name(path);
    }
    if (member == &Module::params_) named_at_.store(registrations, std::memory_order_relaxed);
  }
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
  std::unordered_set<const Module<T>*> seen;
  walk_tree(
      *this,
      [&](Module<T>* m, const std::string&, std::size_t) {
        if (!m || !seen.insert(m).second) return false;
        m->training_ = on;
        return true;
      },
      [](Module<T>*, std::size_t) {});
}

template <class T>
void Module<T>::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

template <class T>
void Module<T>::check_member_name(const std::string& where, const std::string& name) const {
  if (name.empty() || name.find('.') != std::string::npos || name.find('/') != std::string::npos) {
    throw Error(where + ": a name must be non-empty and contain no '.' or '/'");
  }
  if (member_names_.count(name)) throw Error(where + ": the name is already registered");
}

template <class T>
Tensor<T>& Module<T>::register_parameter(std::string name, Tensor<T> parameter) {
  const std::string where = type_name() + "::register_parameter('" + name + "')";
  check_member_name(where, name);
  if (!parameter.defined()) throw GraphError(where + ": the tensor is undefined");
  if (!parameter.is_leaf()) {
    throw GraphError(where + ": the tensor is the result of '" + parameter.op_name() +
                     "'; a parameter must be a leaf (use detach())");
  }
  parameter.requires_grad_(true);
  parameter.set_name(name);
  member_names_.insert(name);
  ++detail::module_registrations;
  params_.emplace_back(std::move(name), std::move(parameter));
  return params_.back().second;
}

template <class T>
Tensor<T>& Module<T>::register_buffer(std::string name, Tensor<T> buffer) {
  const std::string where = type_name() + "::register_buffer('" + name + "')";
  check_member_name(where, name);
  if (!buffer.defined()) throw GraphError(where + ": the tensor is undefined");
  if (!buffer.is_leaf() || buffer.requires_grad()) {
    throw GraphError(where +
                     ": a buffer must be a leaf that does not require grad (state the module "
                     "updates itself); register a parameter for a trained tensor");
  }
  buffer.set_name(name);
  member_names_.insert(name);
  ++detail::module_registrations;
  buffers_.emplace_back(std::move(name), std::move(buffer));
  return buffers_.back().second;
}

template <class T>
void Module<T>::add_child(std::string name, std::shared_ptr<Module<T>> child) {
  const std::string where = type_name() + "::register_module('" + name + "')";
  check_member_name(where, name);
  if (child) {
    if (auto path = cycle_through(name, *child)) {
      throw GraphError(where + ": the " + child->type_name() + " would contain this " +
                       type_name() + " through the path '" + *path +
                       "' (a module cannot be its own descendant)");
    }
    child->parents_.push_back(this);
  }
  member_names_.insert(name);
  children_.emplace_back(std::move(name), std::move(child));
  ++detail::module_registrations;
}

template <class T>
std::optional<std::string> Module<T>::cycle_through(const std::string& name,
                                                    const Module<T>& child) const {
  if (&child == this) return name;
  // Only a module with a parent can be reached from another, and only one with children can
  // reach another: this settles a module's own constructor and bottom-up building at once.
  if (parents_.empty() || child.children_.empty()) return std::nullopt;
  // Search down from the child and up from this module in turns, each map keeping the module
  // each was reached from. The first side to run out answers "no cycle", so the check costs
  // about the smaller of (modules below the child, modules above this one): linear building
  // from the bottom up and from the top down alike.
  using Ptr = const Module<T>*;
  std::unordered_map<Ptr, Ptr> below{{&child, nullptr}}, above{{this, nullptr}};
  std::vector<Ptr> down{&child}, up{this};
  Ptr meet = nullptr;
  while (!meet && !down.empty() && !up.empty()) {
    Ptr m = up.back();
    up.pop_back();
    for (Ptr p : m->parents_) {
      if (!above.emplace(p, m).second) continue;
      if (below.count(p)) {
        meet = p;
        break;
      }
      up.push_back(p);
    }
    if (meet || up.empty()) break;
    m = down.back();
    down.pop_back();
    for (const auto& [n, c] : m->children_) {
      if (!c || !below.emplace(c.get(), m).second) continue;
      if (above.count(c.get())) {
        meet = c.get();
        break;
      }
      down.push_back(c.get());
    }
  }
  if (!meet) return std::nullopt;
  // The cycle: this -> child -> ... -> meet (down search, read backwards) -> ... -> this.
  std::vector<Ptr> chain;
  for (Ptr m = meet; m; m = below.at(m)) chain.push_back(m);
  std::reverse(chain.begin(), chain.end());
  for (Ptr m = above.at(meet); m; m = above.at(m)) chain.push_back(m);
  std::string path = name;
  for (std::size_t i = 1; i < chain.size(); ++i) path += "." + child_name(*chain[i - 1], *chain[i]);
  return path;
}

template <class T>
std::string Module<T>::to_string() const {
  // PyTorch's repr layout, with each module's parameter count after it:
  //   Sequential(
  //     (0): Linear(in=10, out=10, bias=true)  # 110 parameters
  //     (1): Tanh()
  //   )  # 110 parameters
  // In a tree whose parameter tensors each have one place, a module's count is its own plus
  // its children's, summed on the way up; where tensors are shared, each module counts its
  // distinct ones.
  std::unordered_set<const void*> params;
  bool shared = false;
  walk_tree(
      *this,
      [&](const Module<T>* m, const std::string&, std::size_t) {
        if (!m) return false;
        for (const auto& [n, p] : m->params_) shared |= !params.insert(p.identity()).second;
        return !shared;
      },
      [](const Module<T>*, std::size_t) {});
  std::unordered_map<const Module<T>*, std::size_t> shared_counts;
  std::vector<std::size_t> sums{
      0};  // one running sum per open module, and one for the root's parent

  std::string out;
  auto newline_at = [&](std::size_t depth) {
    out += '\n';
    out.append(2 * std::min(depth, max_print_indent()), ' ');
  };
  walk_tree(
      *this,
      [&](const Module<T>* m, const std::string& name, std::size_t depth) {
        if (depth > 0) {
          newline_at(depth);
          out += "(" + name + "): ";
        }
        if (!m) {
          out += "None";
          return false;
        }
        out += m->type_name() + "(" + m->extra_repr();
        std::size_t own = 0;
        for (const auto& [n, p] : m->params_) own += p.size();
        sums.push_back(own);
        return true;
      },
      [&](const Module<T>* m, std::size_t depth) {
        if (!m->children_.empty()) newline_at(depth);
        out += ")";
        std::size_t n = sums.back();
        sums.pop_back();
        if (shared) {
          auto [it, fresh] = shared_counts.emplace(m, 0);
          if (fresh) it->second = m->parameter_count();
          n = it->second;
        }
        sums.back() += n;
        if (n > 0) out += "  # " + detail::grouped(n) + (n == 1 ? " parameter" : " parameters");
      });
  return out;
}

template <class T>
Tensor<T> Module<T>::forward_with_hooks(const Tensor<T>& input) {
  const std::shared_ptr<Hooks> hooks = hooks_;  // a hook may remove itself or add another
  const auto pre = hooks->pre;
  Tensor<T> x = input;
  for (const auto& h : pre) {
    Tensor<T> r = h.fn(*this, x);
    if (r.defined()) x = std::move(r);
  }
  Tensor<T> y = forward(x);
  const auto post = hooks->post;
  for (const auto& h : post) {
    Tensor<T> r = h.fn(*this, x, y);
    if (r.defined()) y = std::move(r);
  }
  return y;
}

template <class T>
template <class List>
HookHandle Module<T>::removal(List Hooks::*member, std::uint64_t id) {
  std::weak_ptr<Hooks> weak = hooks_;
  return HookHandle([weak, member, id] {
    if (auto hooks = weak.lock()) {
      std::erase_if((*hooks).*member, [id](const auto& e) { return e.id == id; });
    }
  });
}

template <class T>
HookHandle Module<T>::register_forward_pre_hook(ForwardPreHook hook) {
  if (!hook) throw GraphError(type_name() + ": register_forward_pre_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<Hooks>();
  const std::uint64_t id = hooks_->next_id++;
  hooks_->pre.push_back({id, std::move(hook)});
  return removal(&Hooks::pre, id);
}

template <class T>
HookHandle Module<T>::register_forward_hook(ForwardHook hook) {
  if (!hook) throw GraphError(type_name() + ": register_forward_hook: the hook is empty");
  if (!hooks_) hooks_ = std::make_shared<Hooks>();
  const std::uint64_t id = hooks_->next_id++;
  hooks_->post.push_back({id, std::move(hook)});
  return removal(&Hooks::post, id);
}

#define XG_INSTANTIATE(T) template class Module<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
