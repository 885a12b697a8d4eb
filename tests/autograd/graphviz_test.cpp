// The Graphviz export: the DOT text has one node per tape node, edges input -> op, readable and
// escaped labels, gradients after backward, and survives a 10^5-deep chain.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"
#include "xgrad/tools/graphviz.hpp"
#include "xgrad/nn.hpp"

namespace {

using Tn = xg::Tensor<double>;

/// The parsed DOT text: labels by node id (unescaped) and the edges.
struct Dot {
  std::map<int, std::string> labels;
  std::vector<std::pair<int, int>> edges;
  int id_of(const std::string& first_line) const {
    int found = -1;
    for (const auto& [id, label] : labels) {
      if (label.substr(0, label.find('\n')) == first_line) {
        EXPECT_EQ(found, -1) << "two nodes labelled " << first_line;
        found = id;
      }
    }
    EXPECT_NE(found, -1) << "no node labelled " << first_line;
    return found;
  }
  bool has_edge(int from, int to) const {
    for (const auto& e : edges)
      if (e.first == from && e.second == to) return true;
    return false;
  }
};

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out += s[i] == 'n' ? '\n' : s[i];
    } else {
      out += s[i];
    }
  }
  return out;
}

Dot parse(const std::string& text) {
  static const std::regex node_re(R"re(^  n(\d+) \[.*label="((?:[^"\\]|\\.)*)"\];$)re");
  static const std::regex edge_re(R"(^  n(\d+) -> n(\d+)( \[label="\d+"\])?;$)");
  Dot d;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, edge_re)) {
      d.edges.emplace_back(std::stoi(m[1]), std::stoi(m[2]));
    } else if (std::regex_match(line, m, node_re)) {
      d.labels[std::stoi(m[1])] = unescape(m[2]);
    }
  }
  return d;
}

TEST(Dot, NodesEdgesAndLabelsOfASmallGraph) {
  auto a = Tn::scalar(2.0, true).set_name("a");
  auto b = Tn::scalar(3.0, true).set_name("b");
  auto loss = xg::sum(a * b + a);  // mul, add, sum; a used twice
  const std::string text = xg::to_dot(loss);
  EXPECT_EQ(text.rfind("digraph tape {\n", 0), 0u);
  EXPECT_EQ(text.substr(text.size() - 2), "}\n");
  const Dot d = parse(text);
  ASSERT_EQ(d.labels.size(), 5u) << text;
  ASSERT_EQ(d.edges.size(), 5u) << text;
  const int ia = d.id_of("a"), ib = d.id_of("b"), mul = d.id_of("mul"), add = d.id_of("add"),
            sum = d.id_of("sum");
  // Data-flow direction: inputs point at the operation that consumes them.
  EXPECT_TRUE(d.has_edge(ia, mul));
  EXPECT_TRUE(d.has_edge(ib, mul));
  EXPECT_TRUE(d.has_edge(mul, add));
  EXPECT_TRUE(d.has_edge(ia, add));
  EXPECT_TRUE(d.has_edge(add, sum));
  EXPECT_EQ(d.labels.at(mul), "mul\n()\n= [6]");
  EXPECT_EQ(d.labels.at(sum), "sum\n()\n= [8]");
  EXPECT_EQ(d.labels.at(ia), "a\n()\nvalue [2]");  // no gradient before backward
  std::ostringstream edge;  // the second input of add is labelled 1, its first 0
  edge << "n" << mul << " -> n" << add << " [label=\"0\"]";
  EXPECT_NE(text.find(edge.str()), std::string::npos) << text;
}

TEST(Dot, LeavesShowTheirGradientsAfterBackwardWithRetainGraph) {
  auto a = Tn::scalar(2.0, true).set_name("a");
  auto b = Tn::scalar(3.0, true).set_name("b");
  auto loss = xg::sum(a * b + a);
  loss.backward({.retain_graph = true});
  const Dot d = parse(xg::to_dot(loss));
  EXPECT_EQ(d.labels.at(d.id_of("a")), "a\n()\nvalue [2]\ngrad [4]");  // b + 1
  EXPECT_EQ(d.labels.at(d.id_of("b")), "b\n()\nvalue [3]\ngrad [2]");  // a
  xg::DotOptions no_grad;
  no_grad.show_grad = false;
  EXPECT_EQ(parse(xg::to_dot(loss, no_grad)).labels.at(d.id_of("a")), "a\n()\nvalue [2]");
}

TEST(Dot, ReleasedTapeIsAClearError) {
  auto a = Tn::scalar(2.0, true);
  auto loss = xg::sum(a * a);
  loss.backward();  // releases the tape
  EXPECT_THROW_WITH(xg::to_dot(loss), xg::GraphError, "retain_graph");
  EXPECT_THROW_WITH(xg::to_dot(Tn()), xg::GraphError, "undefined");
}

TEST(Dot, ValuesOfSmallTensorsOnlyAndConstantsAreLeavesToo) {
  auto w = Tn::from({2, 3}, {1, 2, 3, 4, 5, 6}, true).set_name("w");
  auto x = Tn::from({3, 1}, {0.5, 0.25, 1e-7});
  auto y = xg::matmul(w, x);
  xg::DotOptions o;
  o.max_values = 3;
  const Dot d = parse(xg::to_dot(y, o));
  ASSERT_EQ(d.labels.size(), 3u);
  EXPECT_EQ(d.labels.at(d.id_of("w")), "w\n(2, 3)");  // 6 values > 3: shape only
  EXPECT_EQ(d.labels.at(d.id_of("constant")), "constant\n(3, 1)\nvalue [0.5, 0.25, 1e-07]");
  EXPECT_EQ(d.labels.at(d.id_of("matmul")), "matmul\n(2, 1)\n= [1, 3.25]");
}

TEST(Dot, LabelsAreEscaped) {
  auto a = Tn::scalar(1.0, true).set_name("say \"hi\"\\ now\nplease");
  const std::string text = xg::to_dot(xg::exp(a));
  EXPECT_NE(text.find(R"(label="say \"hi\"\\ now\nplease\n()\nvalue [1]")"), std::string::npos)
      << text;
  EXPECT_EQ(xg::dot_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Dot, ParametersLabelledWithTheirModulePaths) {
  xg::nn::Sequential<double> model{xg::nn::make<xg::nn::Linear<double>>(2, 2),
                                   xg::nn::make<xg::nn::Tanh<double>>(),
                                   xg::nn::make<xg::nn::Linear<double>>(2, 1)};
  // Parameters carry their module paths as names, as named_parameters() lists them.
  auto x = Tn::from({1, 2}, {0.5, -0.5});
  const Dot d = parse(xg::to_dot(model(x)));
  for (const char* name : {"0.weight", "0.bias", "2.weight", "2.bias"}) {
    const int id = d.id_of(name);
    bool feeds_something = false;
    for (const auto& e : d.edges) feeds_something = feeds_something || e.first == id;
    EXPECT_TRUE(feeds_something) << name;
  }
}

TEST(Dot, DeepChainIsWalkedWithoutRecursion) {
  constexpr int depth = 100000;
  auto x = Tn::scalar(0.0, true).set_name("x");
  Tn y = x;
  for (int i = 0; i < depth; ++i) y = y + 1.0;
  xg::DotOptions o;
  o.max_values = 0;
  const std::string text = xg::to_dot(y, o);
  std::size_t nodes = 0, edges = 0;
  for (std::size_t p = text.find("label="); p != std::string::npos; p = text.find("label=", p + 1))
    ++nodes;
  for (std::size_t p = text.find(" -> "); p != std::string::npos; p = text.find(" -> ", p + 1))
    ++edges;
  EXPECT_EQ(nodes, static_cast<std::size_t>(depth) + 1);
  EXPECT_EQ(edges, static_cast<std::size_t>(depth));
}

TEST(Dot, WritesAndRendersOrSaysGraphvizIsMissing) {
  xg::test::TempDir dir("dot");
  auto a = Tn::scalar(2.0, true).set_name("a");
  auto loss = xg::tanh(a * a);
  const std::string dot = (dir.path() / "g.dot").string();
  const std::string svg = (dir.path() / "g.svg").string();
  xg::write_dot(loss, dot);
  std::ifstream f(dot);
  std::stringstream content;
  content << f.rdbuf();
  EXPECT_EQ(content.str(), xg::to_dot(loss));
  EXPECT_THROW_WITH(xg::write_dot(loss, (dir.path() / "no" / "g.dot").string()), xg::Error,
                    "cannot write");
  if (xg::graphviz_available()) {
    xg::render_dot(dot, svg);
    std::ifstream s(svg);
    std::stringstream picture;
    picture << s.rdbuf();
    EXPECT_NE(picture.str().find("<svg"), std::string::npos);
    EXPECT_NE(picture.str().find(">tanh<"), std::string::npos);
    EXPECT_THROW_WITH(xg::render_dot(dot, svg, "svg;rm"), xg::Error, "invalid output format");
  } else {
    EXPECT_THROW_WITH(xg::render_dot(dot, svg), xg::Error, "apt-get install graphviz");
  }
}

TEST(Dot, RendersFileNamesThatStartWithADash) {
  if (!xg::graphviz_available()) GTEST_SKIP() << "Graphviz's dot is not installed";
  xg::test::TempDir dir("dot-dash");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto a = Tn::scalar(2.0, true).set_name("a");
  xg::write_dot(xg::tanh(a * a), "-V.dot");
  std::string error;
  try {
    xg::render_dot("-V.dot", "-o.svg");
  } catch (const xg::Error& e) {
    error = e.what();
  }
  std::filesystem::current_path(cwd);
  EXPECT_EQ(error, "");
  std::ifstream s(dir.file("-o.svg"));
  std::stringstream picture;
  picture << s.rdbuf();
  EXPECT_NE(picture.str().find(">tanh<"), std::string::npos);
}

}  // namespace
