// Module bookkeeping: hierarchical names, counts, modes, zero_grad and the printout.
#include <gtest/gtest.h>

#include <algorithm>

#include "nn/nn_test_util.hpp"

namespace {

using namespace xg;
using nn::make;
using D = double;

/// A user-written module: one own parameter and two registered children.
class Block : public nn::Module<D> {
 public:
  Block() {
    fc_ = register_module("fc", make<nn::Linear<D>>(3, 4));
    act_ = register_module("act", make<nn::Tanh<D>>());
    scale_ = register_parameter("scale", Tensor<D>::ones({4}));
  }
  Tensor<D> forward(const Tensor<D>& x) override { return mul((*act_)(fc_->forward(x)), scale_); }
  std::string type_name() const override { return "Block"; }

  std::shared_ptr<nn::Linear<D>> fc_;
  std::shared_ptr<nn::Tanh<D>> act_;
  Tensor<D> scale_;
};

std::shared_ptr<nn::Sequential<D>> nested_model() {
  auto inner =
      std::make_shared<nn::Sequential<D>>(std::initializer_list<std::shared_ptr<nn::Module<D>>>{
          make<nn::Linear<D>>(4, 2), make<nn::Dropout<D>>(0.5)});
  return std::make_shared<nn::Sequential<D>>(std::initializer_list<std::shared_ptr<nn::Module<D>>>{
      make<nn::Linear<D>>(2, 3), make<Block>(), inner});
}

TEST(NnModule, NestedNamesOrderAndCounts) {
  auto model = nested_model();
  const auto named = model->named_parameters();
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const auto& [n, p] : named) {
    names.push_back(n);
    shapes.push_back(p.shape());
    EXPECT_TRUE(p.requires_grad()) << n;
    EXPECT_TRUE(p.is_leaf()) << n;
  }
  const std::vector<std::string> want{"0.weight",  "0.bias",     "1.scale", "1.fc.weight",
                                      "1.fc.bias", "2.0.weight", "2.0.bias"};
  EXPECT_EQ(names, want);
  const std::vector<Shape> want_shapes{{2, 3}, {3}, {4}, {3, 4}, {4}, {4, 2}, {2}};
  EXPECT_EQ(shapes, want_shapes);
  // 6 + 3 + 4 + 12 + 4 + 8 + 2
  EXPECT_EQ(model->parameter_count(), 39u);
  EXPECT_EQ((*model)[1].parameter_count(), 20u);
  EXPECT_EQ((*model)[2].parameter_count(), 10u);
  // parameters() is the same list, sharing the tensors (handles to the same nodes).
  const auto params = model->parameters();
  ASSERT_EQ(params.size(), named.size());
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_EQ(params[i].identity(), named[i].second.identity());
  // The parameter tensors carry their paths from the root, as named_parameters() lists them.
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].name(), named[i].first);
  EXPECT_EQ(params[0].name(), "0.weight");
  EXPECT_EQ(params[6].name(), "2.0.bias");
  // Children of the root, by name.
  ASSERT_EQ(model->children().size(), 3u);
  EXPECT_EQ(model->children()[2].first, "2");
  EXPECT_EQ(model->children()[2].second->type_name(), "Sequential");
}

TEST(NnModule, CallingARootNamesItsParametersByPath) {
  auto inner = std::make_shared<nn::Sequential<D>>(
      std::initializer_list<std::shared_ptr<nn::Module<D>>>{make<nn::Linear<D>>(2, 2)});
  const auto weight = (*inner)[0].parameters()[0];
  EXPECT_EQ(weight.name(), "weight");
  const auto x = Tensor<D>::ones({1, 2});
  (*inner)(x);
  EXPECT_EQ(weight.name(), "0.weight");
  // Put under another root, the tensor is named by its new path at that root's first call.
  nn::Sequential<D> outer{make<nn::Tanh<D>>(), inner};
  (*inner)(x);  // no longer a root: leaves the names alone
  EXPECT_EQ(weight.name(), "0.weight");
  outer(x);
  EXPECT_EQ(weight.name(), "1.0.weight");
}

TEST(NnModule, SharedModuleIsListedOnce) {
  auto shared = make<nn::Linear<D>>(3, 3);
  nn::Sequential<D> model{shared, make<nn::Tanh<D>>(), shared};
  const auto named = model.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "0.weight");
  EXPECT_EQ(named[0].second.name(), "0.weight");  // the name of its first place
  EXPECT_EQ(named[1].first, "0.bias");
  EXPECT_EQ(model.parameter_count(), 12u);
}

TEST(NnModule, TrainEvalPropagateToEveryDescendant) {
  auto model = nested_model();
  std::vector<nn::Module<D>*> all;
  auto walk = [&](auto& self, nn::Module<D>& m) -> void {
    all.push_back(&m);
    for (const auto& [n, c] : m.children()) self(self, *c);
  };
  walk(walk, *model);
  ASSERT_EQ(all.size(), 8u);  // root, Linear, Block, fc, act, inner, Linear, Dropout
  for (auto* m : all) EXPECT_TRUE(m->is_training()) << m->type_name();
  model->eval();
  for (auto* m : all) EXPECT_FALSE(m->is_training()) << m->type_name();
  model->train();
  for (auto* m : all) EXPECT_TRUE(m->is_training()) << m->type_name();
  (*model)[2].eval();  // a subtree only
  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE((*model)[2].is_training());
  EXPECT_FALSE((*model)[2].children()[1].second->is_training());
  EXPECT_TRUE((*model)[1].children()[0].second->is_training());
}

TEST(NnModule, ZeroGradClearsEveryGradient) {
  auto model = nested_model();
  model->eval();  // no dropout: every parameter gets a gradient
  auto x = Tensor<D>::from({2, 2}, {0.1, -0.2, 0.3, 0.4});
  sum((*model)(x)).backward();
  for (const auto& [n, p] : model->named_parameters()) EXPECT_TRUE(p.has_grad()) << n;
  model->zero_grad();
  for (const auto& [n, p] : model->named_parameters()) EXPECT_FALSE(p.has_grad()) << n;
}

TEST(NnModule, ToStringShowsTreeAndCounts) {
  auto model = nested_model();
  const std::string want =
      "Sequential(\n"
      "  (0): Linear(in=2, out=3, bias=true)  # 9 parameters\n"
      "  (1): Block(\n"
      "    (fc): Linear(in=3, out=4, bias=true)  # 16 parameters\n"
      "    (act): Tanh()\n"
      "  )  # 20 parameters\n"
      "  (2): Sequential(\n"
      "    (0): Linear(in=4, out=2, bias=true)  # 10 parameters\n"
      "    (1): Dropout(p=0.5)\n"
      "  )  # 10 parameters\n"
      ")  # 39 parameters";
  EXPECT_EQ(model->to_string(), want);
  EXPECT_EQ(nn::PReLU<float>(1).to_string(), "PReLU(num_parameters=1)  # 1 parameter");
  EXPECT_EQ(nn::Linear<float>(784, 500).to_string(),
            "Linear(in=784, out=500, bias=true)  # 392,500 parameters");
}

TEST(NnModule, ExtraReprOfEveryLayer) {
  EXPECT_EQ(nn::Step<float>(0.5f).to_string(), "Step(threshold=0.5)");
  EXPECT_EQ(nn::HardTanh<float>().to_string(), "HardTanh(min=-1, max=1)");
  EXPECT_EQ(nn::Sigmoid<float>().to_string(), "Sigmoid()");
  EXPECT_EQ(nn::ReLU<float>().to_string(), "ReLU()");
  EXPECT_EQ(nn::LeakyReLU<float>().to_string(), "LeakyReLU(slope=0.01)");
  EXPECT_EQ(nn::ELU<float>(2).to_string(), "ELU(alpha=2)");
  EXPECT_EQ(nn::RReLU<double>().to_string(), "RReLU(lower=0.125, upper=0.333333)");
  EXPECT_EQ(nn::Softplus<float>().to_string(), "Softplus(beta=1, threshold=20)");
  EXPECT_EQ(nn::GELU<float>().to_string(), "GELU(approximate=none)");
  EXPECT_EQ(nn::GELU<float>(GeluApproximation::tanh).to_string(), "GELU(approximate=tanh)");
  EXPECT_EQ(nn::SiLU<float>().to_string(), "SiLU()");
  EXPECT_EQ(nn::Softmax<float>().to_string(), "Softmax(axis=-1)");
  EXPECT_EQ(nn::LogSoftmax<float>(1).to_string(), "LogSoftmax(axis=1)");
  nn::LinearOptions no_bias;
  no_bias.bias = false;
  nn::Linear<float> lin(3, 2, no_bias);
  EXPECT_EQ(lin.to_string(), "Linear(in=3, out=2, bias=false)  # 6 parameters");
  EXPECT_FALSE(lin.bias().defined());
  EXPECT_EQ(lin.parameters().size(), 1u);
}

class BadNames : public nn::Module<D> {
 public:
  explicit BadNames(int which) {
    if (which == 0) register_parameter("a.b", Tensor<D>::zeros({1}));
    if (which == 1) {
      register_parameter("w", Tensor<D>::zeros({1}));
      register_parameter("w", Tensor<D>::zeros({1}));
    }
    if (which == 2) register_parameter("w", Tensor<D>());
    if (which == 3) {
      auto a = Tensor<D>::ones({2}, true);
      register_parameter("w", mul(a, 2.0));
    }
  }
  Tensor<D> forward(const Tensor<D>& x) override { return x; }
  std::string type_name() const override { return "BadNames"; }
};

TEST(NnModule, RegisterParameterRejectsBadNamesAndTensors) {
  EXPECT_THROW_WITH(BadNames m(0), Error, "BadNames", "'a.b'", "'.'");
  EXPECT_THROW_WITH(BadNames m(1), Error, "'w'", "already registered");
  EXPECT_THROW_WITH(BadNames m(2), GraphError, "'w'", "undefined");
  EXPECT_THROW_WITH(BadNames m(3), GraphError, "'w'", "leaf");
}

class Twins : public nn::Module<D> {
 public:
  explicit Twins(int which) {
    if (which == 0) {
      register_module("fc", make<nn::Linear<D>>(1, 1));
      register_module("fc", make<nn::Linear<D>>(1, 1));
    }
    if (which == 1) {
      register_parameter("w", Tensor<D>::zeros({1}));
      register_module("w", make<nn::Tanh<D>>());
    }
    if (which == 2) register_module("a.b", make<nn::Tanh<D>>());
    if (which == 3) register_module("", make<nn::Tanh<D>>());
  }
  Tensor<D> forward(const Tensor<D>& x) override { return x; }
  std::string type_name() const override { return "Twins"; }
};

TEST(NnModule, RegisterModuleRejectsTakenAndBadNames) {
  EXPECT_THROW_WITH(Twins m(0), Error, "Twins::register_module('fc')", "already registered");
  EXPECT_THROW_WITH(Twins m(1), Error, "Twins::register_module('w')", "already registered");
  EXPECT_THROW_WITH(Twins m(2), Error, "'a.b'", "'.'");
  EXPECT_THROW_WITH(Twins m(3), Error, "non-empty");
}

using Seq = nn::Sequential<D>;

TEST(NnModule, CyclesAreRefusedWithTheirPath) {
  // Directly: a Sequential added to itself.
  auto a = std::make_shared<Seq>();
  a->add(make<nn::Linear<D>>(2, 2));
  EXPECT_THROW_WITH(a->add(a), GraphError, "register_module('1')", "contain this Sequential",
                    "path '1'");
  EXPECT_EQ(a->size(), 1u);
  // Through children: a -> b -> c, then c.add(a) and b.add(a).
  auto b = std::make_shared<Seq>();
  auto c = std::make_shared<Seq>();
  a->add(b);
  b->add(make<nn::Tanh<D>>()).add(c);
  EXPECT_THROW_WITH(c->add(a), GraphError, "path '0.1.1'");
  EXPECT_THROW_WITH(b->add(a), GraphError, "path '2.1'");
  EXPECT_THROW_WITH(c->add(b), GraphError, "path '0.1'");
  EXPECT_EQ(c->size(), 0u);
  EXPECT_EQ(b->size(), 2u);
  // The same module in two places is not a cycle, and the model still works.
  auto d = std::make_shared<Seq>();
  d->add(c).add(c);
  a->add(d);
  c->add(make<nn::Linear<D>>(2, 2));
  EXPECT_EQ(a->parameters().size(), 4u);
  EXPECT_EQ(a->parameter_count(), 12u);
  a->eval();
  EXPECT_FALSE(c->is_training());
  EXPECT_THROW_WITH(c->add(d), GraphError, "path '1.0'");
  const std::string want =
      "Sequential(\n"
      "  (0): Linear(in=2, out=2, bias=true)  # 6 parameters\n"
      "  (1): Sequential(\n"
      "    (0): Tanh()\n"
      "    (1): Sequential(\n"
      "      (0): Linear(in=2, out=2, bias=true)  # 6 parameters\n"
      "    )  # 6 parameters\n"
      "  )  # 6 parameters\n"
      "  (2): Sequential(\n"
      "    (0): Sequential(\n"
      "      (0): Linear(in=2, out=2, bias=true)  # 6 parameters\n"
      "    )  # 6 parameters\n"
      "    (1): Sequential(\n"
      "      (0): Linear(in=2, out=2, bias=true)  # 6 parameters\n"
      "    )  # 6 parameters\n"
      "  )  # 6 parameters\n"
      ")  # 12 parameters";
  EXPECT_EQ(a->to_string(), want);
  auto x = Tensor<D>::ones({1, 2});
  EXPECT_EQ((*a)(x).shape(), (Shape{1, 2}));
}

/// `depth` Sequentials nested in one another around a Linear(1, 1), built from the innermost
/// out (each new Sequential holds the previous) or from the root down.
std::shared_ptr<Seq> nested(std::size_t depth, bool bottom_up) {
  if (bottom_up) {
    std::shared_ptr<Seq> m = std::make_shared<Seq>();
    m->add(make<nn::Linear<D>>(1, 1));
    for (std::size_t i = 1; i < depth; ++i) {
      auto outer = std::make_shared<Seq>();
      outer->add(m);
      m = outer;
    }
    return m;
  }
  auto root = std::make_shared<Seq>();
  Seq* leaf = root.get();
  for (std::size_t i = 1; i < depth; ++i) {
    auto inner = std::make_shared<Seq>();
    leaf->add(inner);
    leaf = inner.get();
  }
  leaf->add(make<nn::Linear<D>>(1, 1));
  return root;
}

TEST(NnModule, DeepNestingIsLinearAndNeedsNoDeepStack) {
  // 100,000 levels: quadratic work in building, naming or printing would take minutes (past
  // ctest's timeout), and a recursion per level would overflow an 8 MiB stack.
  constexpr std::size_t depth = 100000;
  for (const bool bottom_up : {true, false}) {
    SCOPED_TRACE(bottom_up ? "bottom up" : "top down");
    auto model = nested(depth, bottom_up);
    Seq* innermost = model.get();
    for (std::size_t i = 1; i < depth; ++i) innermost = &dynamic_cast<Seq&>((*innermost)[0]);
    auto& linear = dynamic_cast<nn::Linear<D>&>((*innermost)[0]);
    // Building named nothing: a parameter's name is its path, 2 bytes a level, only once the
    // root lists its parameters.
    EXPECT_EQ(linear.weight().name(), "weight");
    const auto named = model->named_parameters();
    ASSERT_EQ(named.size(), 2u);
    std::string path;
    for (std::size_t i = 0; i < depth; ++i) path += "0.";
    EXPECT_EQ(named[0].first, path + "weight");
    EXPECT_EQ(linear.weight().name(), path + "weight");
    EXPECT_EQ(linear.bias().name(), path + "bias");
    EXPECT_EQ(model->parameter_count(), 2u);
    model->eval();
    EXPECT_FALSE(linear.is_training());
    model->train();
    EXPECT_TRUE(linear.is_training());
    // Two lines a level, indented at most max_print_indent() levels: linear in the depth.
    const std::string printed = model->to_string();
    EXPECT_EQ(static_cast<std::size_t>(std::count(printed.begin(), printed.end(), '\n')),
              2 * depth);
    EXPECT_LT(printed.size(), depth * 2 * (2 * nn::Module<D>::max_print_indent() + 30));
    const std::string deepest(2 * nn::Module<D>::max_print_indent(), ' ');
    EXPECT_NE(
        printed.find("\n" + deepest + "(0): Linear(in=1, out=1, bias=true)  # 2 parameters\n"),
        std::string::npos);
    EXPECT_EQ(printed.find("\n " + deepest), std::string::npos);
    // A cycle closed at the bottom is found and named.
    EXPECT_THROW_WITH(innermost->add(model), GraphError,
                      "path '1." + path.substr(0, 2 * depth - 3) + "'");
  }  // the model is released here, level by level
}

TEST(NnModule, PrintoutIndentsUpToTheLimit) {
  const std::size_t limit = nn::Module<D>::max_print_indent();
  auto model = nested(limit + 3, true);
  const std::string printed = model->to_string();
  const std::string at_limit(2 * limit, ' ');
  // Levels limit, limit + 1 and limit + 2 (the Linear) print at the limit's indentation.
  EXPECT_NE(printed.find("\n" + at_limit + "(0): Sequential(\n" + at_limit + "(0): Sequential(\n" +
                         at_limit + "(0): Linear"),
            std::string::npos);
  EXPECT_NE(printed.find("\n" + std::string(2 * (limit - 1), ' ') + "(0): Sequential(\n" +
                         at_limit + "(0): Sequential("),
            std::string::npos);
}

}  // namespace
