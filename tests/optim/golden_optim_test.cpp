// Optimizers and schedulers against PyTorch 1.13: the values scripts/optim_golden_values.py
// wrote into tests/fixtures/golden_optim.json (regenerate with
// `/usr/bin/python3 scripts/optim_golden_values.py`; the tests read the committed fixture and
// need no PyTorch). Each fixture case names its optimizer or scheduler and options.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;
using json = nlohmann::json;

const json& fixture() {
  static const json data = [] {
    std::ifstream in(XGRAD_SOURCE_DIR "/tests/fixtures/golden_optim.json");
    if (!in) throw std::runtime_error("cannot open tests/fixtures/golden_optim.json");
    return json::parse(in);
  }();
  return data;
}

/// The fixture's cases of `section` whose `key` is `kind`; fails the test if there are none.
std::vector<const json*> cases(const char* section, const char* key, const std::string& kind) {
  std::vector<const json*> out;
  for (const json& c : fixture().at(section)) {
    if (c.at(key) == kind) out.push_back(&c);
  }
  EXPECT_FALSE(out.empty()) << "no " << kind << " case in the fixture";
  return out;
}

double option(const json& options, const char* name, double fallback) {
  return options.contains(name) ? options.at(name).get<double>() : fallback;
}

// --- optimizers ------------------------------------------------------------------------------

template <class T>
using OptimizerFactory = std::function<std::unique_ptr<Optimizer<T>>(Tensor<T>, const json&)>;

template <class T>
std::map<std::string, OptimizerFactory<T>> optimizer_factories() {
  return {
      {"Adamax",
       [](Tensor<T> w, const json& o) {
         const AdamaxOptions d;
         return std::make_unique<Adamax<T>>(
             std::vector<Tensor<T>>{w},
             AdamaxOptions{.lr = option(o, "lr", d.lr),
                           .beta1 = option(o, "beta1", d.beta1),
                           .beta2 = option(o, "beta2", d.beta2),
                           .eps = option(o, "eps", d.eps),
                           .weight_decay = option(o, "weight_decay", d.weight_decay)});
       }},
      {"NAdam",
       [](Tensor<T> w, const json& o) {
         const NAdamOptions d;
         return std::make_unique<NAdam<T>>(
             std::vector<Tensor<T>>{w},
             NAdamOptions{.lr = option(o, "lr", d.lr),
                          .beta1 = option(o, "beta1", d.beta1),
                          .beta2 = option(o, "beta2", d.beta2),
                          .eps = option(o, "eps", d.eps),
                          .weight_decay = option(o, "weight_decay", d.weight_decay),
                          .momentum_decay = option(o, "momentum_decay", d.momentum_decay)});
       }},
      {"Adadelta",
       [](Tensor<T> w, const json& o) {
         const AdadeltaOptions d;
         return std::make_unique<Adadelta<T>>(
             std::vector<Tensor<T>>{w},
             AdadeltaOptions{.lr = option(o, "lr", d.lr),
                             .rho = option(o, "rho", d.rho),
                             .eps = option(o, "eps", d.eps),
                             .weight_decay = option(o, "weight_decay", d.weight_decay)});
       }},
  };
}

template <class T>
class OptimGolden : public ::testing::Test {};
TYPED_TEST_SUITE(OptimGolden, xg::test::FloatTypes);

TYPED_TEST(OptimGolden, OptimizersMatchPyTorch) {
  using T = TypeParam;
  for (const auto& [kind, make] : optimizer_factories<T>()) {
    for (const json* c : cases("optimizers", "optimizer", kind)) {
      SCOPED_TRACE(c->at("name").get<std::string>());
      const Trace expected = c->at("trace").get<Trace>();
      auto w = parameter<T>(kProblem.w0);
      auto opt = make(w, c->at("options"));
      const Trace actual = run(*opt, w, kProblem, expected.size());
      // Ten steps of rounding in float: a looser bound than the three-step traces'.
      for (std::size_t s = 0; s < expected.size(); ++s) {
        for (std::size_t k = 0; k < expected[s].size(); ++k) {
          const double tol =
              (std::is_same_v<T, double> ? 1e-13 : 1e-5) * std::max(1.0, std::abs(expected[s][k]));
          EXPECT_NEAR(actual[s][k], expected[s][k], tol) << "step " << s + 1 << ", element " << k;
        }
      }
    }
  }
}

}  // namespace
