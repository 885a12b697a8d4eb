// BackwardTrace: a TapeObserver that writes each backward step as text and as JSON lines.
#include "xgrad/tools/trace.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "tools/value_text.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"

namespace xg {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

/// All values at full precision: enough digits to read back the exact T.
template <class T>
std::string json_values(const xt::xarray<T>& a) {
  std::string out = "[";
  bool first = true;
  for (T v : a) {
    if (!first) out += ",";
    first = false;
    if (!std::isfinite(v)) {
      out += "null";
      continue;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", std::numeric_limits<T>::max_digits10,
                  static_cast<double>(v));
    out += buf;
  }
  return out + "]";
}

template <class S>
std::string json_shape(const S& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

template <class T>
std::string label_of(NodeView<T> n) {
  return n.name().empty() ? n.op_name() : n.name();
}

/// For the text report: the operation and, when it has one, the tensor's name.
template <class T>
std::string display_of(NodeView<T> n) {
  if (n.is_leaf() || n.name().empty()) return label_of(n);
  return std::string(n.op_name()) + " '" + n.name() + "'";
}

}  // namespace

template <class T>
BackwardTrace<T>::BackwardTrace(TraceOptions options)
    : options_(std::move(options)), guard_(*this) {}

template <class T>
std::size_t BackwardTrace<T>::id_of(NodeView<T> node) {
  return ids_.emplace(node.identity(), ids_.size()).first->second;
}

template <class T>
std::string BackwardTrace<T>::rule_of(const std::string& op) const {
  auto it = options_.extra_rules.find(op);
  if (it != options_.extra_rules.end()) return it->second;
  std::string rule = derivative_rule(op);
  return rule.empty() ? op + ": custom rule (no formula registered)" : rule;
}

template <class T>
void BackwardTrace<T>::on_backward_begin(NodeView<T> node, const Tensor<T>&) {
  id_of(node);  // number the node before its inputs, in the order backward reaches it
}

template <class T>
void BackwardTrace<T>::on_backward_end(NodeView<T> node, const Tensor<T>& grad,
                                       const std::vector<Tensor<T>>& input_grads) {
  const std::size_t step = step_++;
  const std::size_t id = id_of(node);
  const std::string rule = rule_of(node.op_name());
  const auto values = [&](const xt::xarray<T>& a) {
    return detail::values_text(a, options_.max_values, options_.precision);
  };
  if (options_.text != nullptr) {
    auto& os = *options_.text;
    os << "[" << step << "] backward of #" << id << " " << display_of(node) << " "
       << shape_str(node.value().shape()) << "\n"
       << "    incoming gradient g = dL/d(out) = " << values(grad.value()) << "\n"
       << "    rule  " << rule << "\n";
    for (std::size_t i = 0; i < node.inputs().size(); ++i) {
      const NodeView<T> in(node.inputs()[i]);
      os << "    -> input " << i << " (#" << id_of(in) << " " << display_of(in) << " "
         << shape_str(in.value().shape()) << "): ";
      if (i < input_grads.size() && input_grads[i].defined()) {
        os << values(input_grads[i].value()) << "\n";
      } else {
        os << "no gradient needed\n";
      }
    }
  }
  if (options_.json != nullptr) {
    std::string line = "{\"event\":\"backward\",\"step\":" + std::to_string(step) +
                       ",\"node\":" + std::to_string(id) +
                       ",\"op\":" + json_string(node.op_name()) +
                       ",\"label\":" + json_string(label_of(node)) +
                       ",\"shape\":" + json_shape(node.value().shape()) +
                       ",\"grad\":" + json_values(grad.value()) + ",\"rule\":" + json_string(rule) +
                       ",\"inputs\":[";
    for (std::size_t i = 0; i < node.inputs().size(); ++i) {
      const NodeView<T> in(node.inputs()[i]);
      if (i > 0) line += ",";
      line +=
          "{\"index\":" + std::to_string(i) + ",\"node\":" + std::to_string(id_of(in)) +
          ",\"label\":" + json_string(label_of(in)) + ",\"op\":" + json_string(in.op_name()) +
          ",\"shape\":" + json_shape(in.value().shape()) + ",\"contribution\":" +
          (i < input_grads.size() && input_grads[i].defined() ? json_values(input_grads[i].value())
                                                              : std::string("null")) +
          "}";
    }
    *options_.json << line << "]}\n";
  }
}

template <class T>
void BackwardTrace<T>::on_gradient(NodeView<T> node, const Tensor<T>& grad) {
  const std::size_t step = step_++;
  const std::size_t id = id_of(node);
  if (options_.text != nullptr) {
    *options_.text << "[" << step << "] gradient of #" << id << " " << display_of(node) << " "
                   << shape_str(node.value().shape()) << " = "
                   << detail::values_text(grad.value(), options_.max_values, options_.precision)
                   << "\n";
  }
  if (options_.json != nullptr) {
    *options_.json << "{\"event\":\"gradient\",\"step\":" << step << ",\"node\":" << id
                   << ",\"label\":" << json_string(label_of(node))
                   << ",\"op\":" << json_string(node.op_name())
                   << ",\"shape\":" << json_shape(node.value().shape())
                   << ",\"grad\":" << json_values(grad.value()) << "}\n";
  }
}

template class BackwardTrace<float>;
template class BackwardTrace<double>;

}  // namespace xg
