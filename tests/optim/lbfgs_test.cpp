// L-BFGS: minimises the Rosenbrock function, follows PyTorch 1.13's iterates (with and without
// the strong-Wolfe line search; the values scripts/optim_golden_values.py wrote into
// tests/fixtures/golden_optim.json), resumes from a state dictionary, and checks its input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;
using json = nlohmann::json;

const json& lbfgs_cases() {
  static const json data = [] {
    std::ifstream in(XGRAD_SOURCE_DIR "/tests/fixtures/golden_optim.json");
    if (!in) throw std::runtime_error("cannot open tests/fixtures/golden_optim.json");
    return json::parse(in).at("lbfgs");
  }();
  return data;
}

/// (1 - x0)^2 + 100 (x1 - x0^2)^2 for a parameter of shape (2).
Tensor<double> rosenbrock(const std::vector<Tensor<double>>& p) {
  const auto& xy = p[0];
  const auto mask0 = Tensor<double>::from({2}, {1.0, 0.0});
  const auto mask1 = Tensor<double>::from({2}, {0.0, 1.0});
  const auto x = sum(xy * mask0), y = sum(xy * mask1);
  const auto a = 1.0 - x, b = y - x * x;
  return a * a + 100.0 * b * b;
}

/// The fixture's "chained" problem: x of shape (), z of shape (2),
/// (1 - x)^2 + 100 sum((z - x^2)^2 c) + sum((1 - z)^2) with c = (1, 0.5).
Tensor<double> chained(const std::vector<Tensor<double>>& p) {
  const auto& x = p[0];
  const auto& z = p[1];
  const auto c = Tensor<double>::from({2}, {1.0, 0.5});
  const auto a = 1.0 - x;
  const auto r = z - x * x;
  const auto u = 1.0 - z;
  return a * a + 100.0 * sum(r * r * c) + sum(u * u);
}

/// The fixture's "tanh_bowl": 0.1 sum(w^2) + sum(tanh(3 w)^2) for w of shape (3).
Tensor<double> tanh_bowl(const std::vector<Tensor<double>>& p) {
  const auto& w = p[0];
  const auto s = tanh(3.0 * w);
  return 0.1 * sum(w * w) + sum(s * s);
}

using Problem = Tensor<double> (*)(const std::vector<Tensor<double>>&);

Problem problem_named(const std::string& name) {
  if (name == "rosenbrock") return rosenbrock;
  if (name == "chained") return chained;
  if (name == "tanh_bowl") return tanh_bowl;
  throw std::runtime_error("lbfgs_test: no problem '" + name + "'");
}

std::vector<Tensor<double>> start_of(const json& c) {
  std::vector<Tensor<double>> params;
  for (const json& v : c.at("start")) {
    if (v.is_array()) {
      params.push_back(parameter<double>(v.get<std::vector<double>>()));
    } else {
      params.push_back(Tensor<double>::scalar(v.get<double>(), true));
    }
  }
  return params;
}

LBFGSOptions options_of(const json& o) {
  LBFGSOptions options;
  if (o.contains("lr")) options.lr = o.at("lr").get<double>();
  if (o.contains("max_iter")) options.max_iter = o.at("max_iter").get<std::size_t>();
  if (o.contains("history_size")) options.history_size = o.at("history_size").get<std::size_t>();
  if (!o.at("line_search_fn").is_null()) options.line_search = LineSearch::strong_wolfe;
  return options;
}

template <class F>
LBFGS<double>::Closure closure_for(LBFGS<double>& opt, const std::vector<Tensor<double>>& params,
                                   F problem) {
  return [&opt, params, problem] {
    opt.zero_grad();
    auto loss = problem(params);
    loss.backward();
    return loss;
  };
}

TEST(OptimLBFGS, MatchesPyTorchIterates) {
  std::size_t ran = 0;
  for (const json& c : lbfgs_cases()) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    auto params = start_of(c);
    LBFGS<double> opt(params, options_of(c.at("options")));
    const Problem problem = problem_named(c.at("problem"));
    const auto closure = closure_for(opt, params, problem);
    const auto& trace = c.at("trace");
    const auto& losses = c.at("losses");
    for (std::size_t s = 0; s < trace.size(); ++s) {
      const double loss = opt.step(closure);
      EXPECT_NEAR(loss, losses[s].get<double>(), 1e-10 * std::max(1.0, std::abs(loss)))
          << "step " << s + 1;
      for (std::size_t i = 0; i < params.size(); ++i) {
        const json& want = trace[s][i];
        const std::vector<double> expected =
            want.is_array() ? want.get<std::vector<double>>() : std::vector<double>{want};
        const auto actual = values_of(params[i]);
        ASSERT_EQ(actual.size(), expected.size());
        for (std::size_t k = 0; k < expected.size(); ++k) {
          EXPECT_NEAR(actual[k], expected[k], 1e-10)
              << "step " << s + 1 << ", parameter " << i << ", element " << k;
        }
      }
    }
    EXPECT_EQ(opt.func_evals(), c.at("func_evals").get<std::size_t>());
    EXPECT_EQ(opt.n_iter(), c.at("n_iter").get<std::size_t>());
    EXPECT_EQ(opt.iterations(), trace.size());
    ++ran;
  }
  EXPECT_EQ(ran, 6u);
}

TEST(OptimLBFGS, MinimisesRosenbrockWithAndWithoutLineSearch) {
  for (const LineSearch ls : {LineSearch::none, LineSearch::strong_wolfe}) {
    auto params = std::vector<Tensor<double>>{parameter<double>({-1.5, 2.0})};
    LBFGS<double> opt(params, {.line_search = ls});  // PyTorch's defaults otherwise
    const auto closure = closure_for(opt, params, rosenbrock);
    const double start = opt.step(closure);
    EXPECT_EQ(start, 12.5);  // 2.5^2 + 100 (2 - 2.25)^2
    for (int s = 0; s < 10; ++s) opt.step(closure);
    EXPECT_LT(rosenbrock(params).item(), 1e-6) << static_cast<int>(ls);
    EXPECT_NEAR(params[0].value()(0), 1.0, 1e-4);
    EXPECT_NEAR(params[0].value()(1), 1.0, 1e-4);
  }
}

TEST(OptimLBFGS, ResumesFromAStateDictExactly) {
  for (const LineSearch ls : {LineSearch::none, LineSearch::strong_wolfe}) {
    const LBFGSOptions o{.max_iter = 3, .history_size = 2, .line_search = ls};
    auto straight_params = std::vector<Tensor<double>>{Tensor<double>::scalar(-1.2, true),
                                                       parameter<double>({0.5, 2.0})};
    LBFGS<double> straight(straight_params, o);
    const auto straight_closure = closure_for(straight, straight_params, chained);
    for (int s = 0; s < 3; ++s) straight.step(straight_closure);
    const auto saved = straight.state_dict();
    EXPECT_EQ(saved.at("old_dirs").shape()[0], 2u);  // the history is full
    EXPECT_EQ(saved.at("old_dirs").shape()[1], 3u);
    auto resumed_params =
        std::vector<Tensor<double>>{Tensor<double>(straight_params[0].value(), true),
                                    Tensor<double>(straight_params[1].value(), true)};
    for (int s = 0; s < 2; ++s) straight.step(straight_closure);

    LBFGS<double> resumed(resumed_params, o);
    resumed.load_state_dict(saved);
    EXPECT_EQ(resumed.func_evals(), static_cast<std::size_t>(saved.at("func_evals")()));
    const auto resumed_closure = closure_for(resumed, resumed_params, chained);
    for (int s = 0; s < 2; ++s) resumed.step(resumed_closure);
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(values_of(resumed_params[i]), values_of(straight_params[i])) << i;
    }
    // A history without one of its entries is refused.
    EXPECT_THROW_WITH(resumed.load_state_dict([&] {
      auto broken = saved;
      broken.erase("ro");
      return broken;
    }()),
                      Error, "history is incomplete", "'ro'");
  }
}

TEST(OptimLBFGS, RejectsBadOptionsAndClosures) {
  auto w = parameter<double>({1.0, 2.0});
  EXPECT_THROW_WITH(LBFGS<double>({w}, {.max_iter = 0}), DomainError, "LBFGS", "max_iter");
  EXPECT_THROW_WITH(LBFGS<double>({w}, {.history_size = 0}), DomainError, "history_size");
  EXPECT_THROW_WITH(LBFGS<double>({w}, {.tolerance_grad = -1}), DomainError, "tolerance_grad");
  LBFGS<double> opt({w});
  EXPECT_THROW_WITH(opt.step([&] { return w * 2.0; }), ShapeError, "one element", "(2)");
  // The base class's step() has no closure to call.
  Optimizer<double>& base = opt;
  w.zero_grad();
  sum(w * w).backward();
  EXPECT_THROW_WITH(base.step(), Error, "step(closure)");
  // A wrong history shape names the entry.
  auto state = opt.state_dict();
  state["d"] = xt::xarray<double>::from_shape({3});
  state["prev_flat_grad"] = xt::xarray<double>::from_shape({2});
  for (const char* key : {"t", "H_diag", "prev_loss"}) state[key] = xt::xarray<double>(0.0);
  state["old_dirs"] = xt::xarray<double>::from_shape({0, 2});
  state["old_stps"] = xt::xarray<double>::from_shape({0, 2});
  state["ro"] = xt::xarray<double>::from_shape({0});
  EXPECT_THROW_WITH(opt.load_state_dict(state), ShapeError, "'d'", "(3)", "expected (2)");
}

TEST(OptimLBFGS, TheClosureRunsWithGradEnabledAndParametersStayLeaves) {
  auto w = parameter<double>({3.0, -1.0});
  LBFGS<double> opt({w}, {.max_iter = 2, .max_eval = 5});  // the default max_eval would be 2
  bool grad_mode_inside = false;
  NoGradGuard outer;  // even from a no-grad scope
  opt.step([&] {
    grad_mode_inside = is_grad_enabled();
    opt.zero_grad();
    auto loss = sum(w * w);
    loss.backward();
    return loss;
  });
  EXPECT_TRUE(grad_mode_inside);
  EXPECT_TRUE(w.is_leaf());
  // Two fixed steps on sum(w^2): t = min(1, 1/|g|_1) = 1/8, so w = (3, -1) (1 - 2/8) first;
  // then y = 2 s, so H = y.s / y.y = 1/2 and d = -g / 2 = -w lands on the minimum at t = 1.
  EXPECT_NEAR(w.value()(0), 0.0, 1e-12);
  EXPECT_NEAR(w.value()(1), 0.0, 1e-12);
}

}  // namespace
