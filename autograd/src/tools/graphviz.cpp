// Graphviz export of the tape: an explicit-stack walk from the result to the leaves.
#include "xgrad/tools/graphviz.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/value_text.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/node_view.hpp"

namespace xg {

namespace {

/// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A path as a command-line operand: one that starts with '-' gets "./" in front, so a file
/// name can never be read as an option of the program it is given to.
std::string path_operand(const std::string& path) {
  return shell_quote(!path.empty() && path.front() == '-' ? "./" + path : path);
}

template <class T>
std::string node_label(NodeView<T> n, const DotOptions& o) {
  // Appends only: GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string temps.
  std::string label;
  if (n.is_leaf()) {
    label = !n.name().empty() ? n.name() : n.requires_grad() ? "parameter" : "constant";
  } else {
    label = n.op_name();
    if (!n.name().empty()) label.append(" '").append(n.name()).append("'");
  }
  label.append("\n").append(shape_str(n.value().shape()));
  const bool small = o.max_values > 0 && n.value().size() <= o.max_values;
  if (small) {
    label.append(n.is_leaf() ? "\nvalue " : "\n= ");
    label.append(detail::values_text(n.value(), o.max_values, o.precision));
  }
  const Tensor<T>& grad = n.grad();
  if (o.show_grad && grad.defined() && (n.is_leaf() || n.retains_grad())) {
    label.append("\ngrad ");
    label.append(small ? detail::values_text(grad.value(), o.max_values, o.precision)
                       : shape_str(grad.value().shape()));
  }
  return label;
}

}  // namespace

std::string dot_escape(const std::string& text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        s += "\\\\";
        break;
      case '"':
        s += "\\\"";
        break;
      case '\n':
        s += "\\n";
        break;
      case '\r':
        break;
      default:
        s += c;
    }
  }
  return s;
}

template <class T>
std::string to_dot(const Tensor<T>& root, const DotOptions& options) {
  if (!root.defined()) throw GraphError("to_dot: undefined tensor (nothing to draw)");
  // Views stay valid during the walk: root holds every node reachable from it.
  std::unordered_map<const void*, std::size_t> ids;  // by NodeView::identity()
  std::vector<NodeView<T>> order{NodeView<T>(root)};
  std::vector<NodeView<T>> stack = order;
  ids.emplace(root.identity(), 0);
  while (!stack.empty()) {
    const NodeView<T> n = stack.back();
    stack.pop_back();
    if (n.is_leaf()) continue;
    if (n.released()) {
      throw GraphError(std::string("to_dot: the result of '") + n.op_name() + "' of shape " +
                       shape_str(n.value().shape()) +
                       " was released by backward(), which frees the tape's inputs; call "
                       "to_dot before backward or pass BackwardOptions{.retain_graph = true}");
    }
    for (const auto& in : n.inputs()) {
      if (ids.emplace(in.identity(), order.size()).second) {
        order.emplace_back(in);
        stack.emplace_back(in);
      }
    }
  }

  std::string out = "digraph tape {\n  rankdir=" + options.rankdir + ";\n";
  if (!options.title.empty()) {
    out += "  labelloc=t;\n  label=\"" + dot_escape(options.title) + "\";\n";
  }
  out +=
      "  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", "
      "fontsize=9];\n";
  for (std::size_t i = 0; i < order.size(); ++i) {
    const NodeView<T> n = order[i];
    const char* style = !n.is_leaf()        ? "shape=box, style=rounded"
                        : n.requires_grad() ? "shape=ellipse, style=filled, fillcolor=lightblue"
                                            : "shape=ellipse, style=filled, fillcolor=gray92";
    out += "  n" + std::to_string(i) + " [" + style + ", label=\"" +
           dot_escape(node_label(n, options)) + "\"];\n";
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const InputSpan<T> inputs = order[i].inputs();
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      out += "  n" + std::to_string(ids.at(inputs[k].identity())) + " -> n" + std::to_string(i);
      if (inputs.size() > 1) out += " [label=\"" + std::to_string(k) + "\"]";
      out += ";\n";
    }
  }
  return out + "}\n";
}

template <class T>
void write_dot(const Tensor<T>& root, const std::string& path, const DotOptions& options) {
  const std::string text = to_dot(root, options);
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error("write_dot: cannot write '" + path + "'");
}

bool graphviz_available() {
  return std::system("command -v dot >/dev/null 2>&1") == 0;
}

void render_dot(const std::string& dot_path, const std::string& out_path,
                const std::string& format) {
  if (!graphviz_available()) {
    throw Error("render_dot: Graphviz's 'dot' program is not on the PATH, so '" + dot_path +
                "' cannot be rendered to " + format + " (install it: apt-get install graphviz)");
  }
  for (char c : format) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':') {
      throw Error("render_dot: invalid output format '" + format + "'");
    }
  }
  const std::string cmd =
      "dot -T" + format + " " + path_operand(dot_path) + " -o " + path_operand(out_path);
  const int status = std::system(cmd.c_str());
  if (status != 0) {
    throw Error("render_dot: '" + cmd + "' failed with status " + std::to_string(status));
  }
}

#define XG_INSTANTIATE(T)                                              \
  template std::string to_dot<T>(const Tensor<T>&, const DotOptions&); \
  template void write_dot<T>(const Tensor<T>&, const std::string&, const DotOptions&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
