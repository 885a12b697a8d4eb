// Pictures of the tape: xg::to_dot turns the graph behind a result into Graphviz DOT text, one
// box per operation and one ellipse per leaf, with edges in data-flow direction (input -> op).
//
//   auto loss = xg::mse_loss(model(x), y);
//   loss.backward({.retain_graph = true});    // keep the tape so it can still be drawn
//   xg::write_dot(loss, "loss.dot");           // leaves now show their gradients
//   if (xg::graphviz_available()) xg::render_dot("loss.dot", "loss.svg");
//
// backward() without retain_graph releases the tape (each operation forgets its inputs), so
// draw before backward, or pass retain_graph = true to see the graph with its gradients.
#pragma once

#include <cstddef>
#include <string>

#include "xgrad/tensor.hpp"

namespace xg {

/// What to_dot puts into the picture.
struct DotOptions {
  /// Show the values (and leaves' gradients) of tensors with at most this many elements;
  /// bigger tensors show only their shape. 0 shows no values.
  std::size_t max_values = 6;
  /// Significant digits of the values shown.
  int precision = 4;
  /// Show each leaf's accumulated gradient (after backward) under its value.
  bool show_grad = true;
  /// Graphviz rankdir: "TB" puts the leaves at the top and the result at the bottom.
  std::string rankdir = "TB";
  /// Graph title drawn at the top; empty for none.
  std::string title;
};

/// DOT text of the tape from `root` back to its leaves. The walk is iterative (a chain of 10^5
/// operations is fine). Throws GraphError when `root` is undefined or when the walk reaches an
/// operation whose inputs an earlier backward() released (draw before backward, or pass
/// BackwardOptions{.retain_graph = true}).
template <class T>
std::string to_dot(const Tensor<T>& root, const DotOptions& options = {});

/// Writes to_dot(root, options) to `path`; throws Error when the file cannot be written.
template <class T>
void write_dot(const Tensor<T>& root, const std::string& path, const DotOptions& options = {});

/// True when Graphviz's `dot` program is on the PATH.
bool graphviz_available();

/// Renders a .dot file with `dot -T<format>` (format: "svg", "png", "pdf", ...). Throws Error
/// with an installation hint when Graphviz is missing, and with dot's exit status when it fails.
void render_dot(const std::string& dot_path, const std::string& out_path,
                const std::string& format = "svg");

/// Escapes `text` for a double-quoted DOT string: backslashes, quotes and newlines.
std::string dot_escape(const std::string& text);

}  // namespace xg
