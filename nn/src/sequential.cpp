// Sequential container and its Keras-style summary (see sequential.hpp).
#include "xgrad/nn/sequential.hpp"

#include <algorithm>

#include "format.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg::nn {

template <class T>
Sequential<T>::Sequential(std::initializer_list<std::shared_ptr<Module<T>>> modules) {
  for (const auto& m : modules) add(m);
}

template <class T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Module<T>> module) {
  if (!module) {
    throw Error("Sequential::add: module " + std::to_string(size()) + " is null");
  }
  this->register_module(std::to_string(size()), std::move(module));
  return *this;
}

template <class T>
Tensor<T> Sequential<T>::forward(const Tensor<T>& x) {
  const std::size_t n = size(), k = checkpoint_every_;
  if (k == 0 || !is_grad_enabled()) return run_children(0, n, x);
  Tensor<T> h = x;
  for (std::size_t begin = 0; begin < n; begin += k) {
    const std::size_t end = std::min(n, begin + k);
    h = xg::checkpoint(
        [this, begin, end](const Tensor<T>& in) { return run_children(begin, end, in); }, h,
        checkpoint_options_);
  }
  return h;
}

template <class T>
Tensor<T> Sequential<T>::run_children(std::size_t begin, std::size_t end, const Tensor<T>& x) {
  const auto& children = this->children();
  Tensor<T> h = x;
  for (std::size_t i = begin; i < end; ++i) h = (*children[i].second)(h);
  return h;
}

template <class T>
Sequential<T>& Sequential<T>::checkpoint_every(std::size_t k, CheckpointOptions options) {
  checkpoint_every_ = k;
  checkpoint_options_ = std::move(options);
  return *this;
}

namespace {

/// Saves the training flag of every module in a tree and puts them back on destruction, so
/// summary() leaves a model with mixed modes exactly as it found it, also when it throws.
template <class T>
class ModeRestorer {
 public:
  explicit ModeRestorer(Module<T>& root) {
    std::vector<Module<T>*> stack{&root};  // pre-order without recursion (deep models)
    while (!stack.empty()) {
      Module<T>* m = stack.back();
      stack.pop_back();
      saved_.emplace_back(m, m->is_training());
      const auto& children = m->children();
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        if (it->second) stack.push_back(it->second.get());
      }
    }
  }
  ~ModeRestorer() {
    // Pre-order: a parent's train() resets its subtree, then each descendant is set again.
    for (auto& [m, on] : saved_) m->train(on);
  }
  ModeRestorer(const ModeRestorer&) = delete;
  ModeRestorer& operator=(const ModeRestorer&) = delete;

 private:
  std::vector<std::pair<Module<T>*, bool>> saved_;
};

template <class T>
std::size_t buffer_elements(const Module<T>& m) {
  std::size_t n = 0;
  for (const auto& b : m.buffers()) n += b.size();
  return n;
}

std::string batch_shape_str(const Shape& s) {
  if (s.empty()) return "()";
  std::string out = "(None";
  for (std::size_t i = 1; i < s.size(); ++i) out += ", " + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

template <class T>
std::string Sequential<T>::summary(const Shape& input_shape) {
  struct Row {
    std::string layer, shape, params;
  };
  std::vector<Row> rows;
  {
    ModeRestorer<T> restore(*this);
    NoGradGuard no_grad;
    this->eval();
    Shape shape{1};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    Tensor<T> h = Tensor<T>::zeros(shape);
    for (const auto& [name, child] : this->children()) {
      try {
        h = child->forward(h);
      } catch (const ShapeError& e) {
        throw ShapeError("Sequential::summary(input_shape=" + shape_str(input_shape) + "): layer " +
                         name + " (" + child->type_name() + "): " + e.what());
      }
      rows.push_back({name + " (" + child->type_name() + ")", batch_shape_str(h.shape()),
                      detail::grouped(child->parameter_count() + buffer_elements(*child))});
    }
  }
  std::size_t w0 = 29, w1 = 26;  // Keras' column widths, widened for long entries
  for (const auto& r : rows) {
    w0 = std::max(w0, r.layer.size() + 1);
    w1 = std::max(w1, r.shape.size() + 1);
  }
  const std::size_t width = std::max<std::size_t>(65, w0 + w1 + 10);
  const std::string thin(width, '_'), thick(width, '=');

  // Buffers count as non-trainable parameters, as Keras counts batch norm's moving statistics.
  std::size_t total = buffer_elements(*this), trainable = 0;
  for (const auto& p : this->parameters()) {
    total += p.size();
    if (p.requires_grad()) trainable += p.size();
  }
  std::string out = "Model: \"" + this->type_name() + "\"\n" + thin + "\n";
  out += rtrim(pad("Layer (type)", w0) + pad("Output Shape", w1) + "Param #") + "\n";
  out += thick + "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += rtrim(pad(rows[i].layer, w0) + pad(rows[i].shape, w1) + rows[i].params) + "\n";
    out += (i + 1 < rows.size() ? thin : thick) + "\n";
  }
  if (rows.empty()) out += thick + "\n";
  out += "Total params: " + detail::grouped(total) + "\n";
  out += "Trainable params: " + detail::grouped(trainable) + "\n";
  out += "Non-trainable params: " + detail::grouped(total - trainable) + "\n";
  out += thin + "\n";
  return out;
}

#define XG_INSTANTIATE(T) template class Sequential<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
