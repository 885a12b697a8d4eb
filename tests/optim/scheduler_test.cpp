// CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR, OneCycleLR and ReduceLROnPlateau:
// 20 steps of each against PyTorch 1.13's learning rates (scripts/optim_golden_values.py wrote
// them into tests/fixtures/golden_optim.json), a save and restore mid-schedule that continues
// identically, and the argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "optim/optim_test_util.hpp"

namespace {

using namespace xg;
using namespace xg::optim;
using namespace xg::optim_test;
using json = nlohmann::json;

const json& scheduler_cases() {
  static const json data = [] {
    std::ifstream in(XGRAD_SOURCE_DIR "/tests/fixtures/golden_optim.json");
    if (!in) throw std::runtime_error("cannot open tests/fixtures/golden_optim.json");
    return json::parse(in).at("schedulers");
  }();
  return data;
}

double get(const json& o, const char* key, double fallback) {
  return o.contains(key) ? o.at(key).get<double>() : fallback;
}

std::unique_ptr<Scheduler<double>> make_scheduler(Optimizer<double>& opt, const json& c) {
  const std::string kind = c.at("scheduler");
  const json& o = c.at("options");
  if (kind == "CosineAnnealingLR") {
    return std::make_unique<CosineAnnealingLR<double>>(opt, o.at("T_max").get<std::size_t>(),
                                                       get(o, "eta_min", 0));
  }
  if (kind == "CosineAnnealingWarmRestarts") {
    return std::make_unique<CosineAnnealingWarmRestarts<double>>(
        opt, o.at("T_0").get<std::size_t>(), o.at("T_mult").get<std::size_t>(),
        get(o, "eta_min", 0));
  }
  if (kind == "LinearLR") {
    if (o.empty()) return std::make_unique<LinearLR<double>>(opt);  // PyTorch's defaults
    return std::make_unique<LinearLR<double>>(opt, get(o, "start_factor", 0),
                                              get(o, "end_factor", 0),
                                              o.at("total_iters").get<std::size_t>());
  }
  if (kind == "OneCycleLR") {
    OneCycleOptions one{.max_lr = o.at("max_lr").get<double>(),
                        .total_steps = o.at("total_steps").get<std::size_t>()};
    one.pct_start = get(o, "pct_start", one.pct_start);
    one.div_factor = get(o, "div_factor", one.div_factor);
    one.final_div_factor = get(o, "final_div_factor", one.final_div_factor);
    if (o.contains("anneal_strategy") && o.at("anneal_strategy") == "linear") {
      one.anneal_strategy = Anneal::linear;
    }
    one.three_phase = o.contains("three_phase") && o.at("three_phase").get<bool>();
    return std::make_unique<OneCycleLR<double>>(opt, one);
  }
  return nullptr;
}

PlateauOptions plateau_options(const json& o) {
  PlateauOptions p;
  if (o.contains("mode") && o.at("mode") == "max") p.mode = PlateauMode::max;
  if (o.contains("threshold_mode") && o.at("threshold_mode") == "abs") {
    p.threshold_mode = ThresholdMode::abs;
  }
  p.threshold = get(o, "threshold", p.threshold);
  p.factor = get(o, "factor", p.factor);
  p.min_lr = get(o, "min_lr", p.min_lr);
  if (o.contains("patience")) p.patience = o.at("patience").get<std::size_t>();
  if (o.contains("cooldown")) p.cooldown = o.at("cooldown").get<std::size_t>();
  return p;
}

/// The fixture's optimizer: SGD with lr 0.1 (momentum does not matter to the schedules).
struct Bench {
  Tensor<double> w = parameter<double>({0.0});
  std::unique_ptr<SGD<double>> opt =
      std::make_unique<SGD<double>>(std::vector<Tensor<double>>{w}, SGDOptions{.lr = 0.1});
};

TEST(OptimSchedulers, MatchPyTorchForTwentySteps) {
  std::size_t ran = 0;
  for (const json& c : scheduler_cases()) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const auto expected = c.at("lrs").get<std::vector<double>>();
    ASSERT_EQ(expected.size(), 21u);
    Bench s;
    std::vector<double> actual;
    if (c.at("scheduler") == "ReduceLROnPlateau") {
      ReduceLROnPlateau<double> sched(*s.opt, plateau_options(c.at("options")));
      actual.push_back(s.opt->lr());
      for (double m : c.at("metrics").get<std::vector<double>>()) {
        sched.step(m);
        actual.push_back(s.opt->lr());
      }
    } else {
      auto sched = make_scheduler(*s.opt, c);
      ASSERT_TRUE(sched) << "no scheduler " << c.at("scheduler");
      actual.push_back(s.opt->lr());
      for (std::size_t k = 1; k < expected.size(); ++k) {
        sched->step();
        actual.push_back(s.opt->lr());
      }
    }
    for (std::size_t k = 0; k < expected.size(); ++k) {
      EXPECT_NEAR(actual[k], expected[k], 1e-14 + 1e-12 * std::abs(expected[k])) << "epoch " << k;
    }
    ++ran;
  }
  EXPECT_EQ(ran, 11u);
}

TEST(OptimSchedulers, ASavedScheduleContinuesIdentically) {
  for (const json& c : scheduler_cases()) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const bool plateau = c.at("scheduler") == "ReduceLROnPlateau";
    const auto metrics =
        plateau ? c.at("metrics").get<std::vector<double>>() : std::vector<double>(20, 0.0);
    // Uninterrupted.
    Bench a;
    std::vector<double> straight;
    {
      auto sched = plateau ? nullptr : make_scheduler(*a.opt, c);
      ReduceLROnPlateau<double> plat(*a.opt, plateau_options(c.at("options")));
      for (double m : metrics) {
        plateau ? plat.step(m) : sched->step();
        straight.push_back(a.opt->lr());
      }
    }
    for (const std::size_t split : {3u, 6u, 7u, 10u, 13u}) {
      SCOPED_TRACE(split);
      // Saved after `split` epochs (at points with bad epochs and cooldowns under way, for the
      // plateau cases); a new optimizer and scheduler load both and go on.
      Bench b;
      StateDict<double> opt_state;
      SchedulerState sched_state;
      std::vector<double> resumed;
      {
        auto sched = plateau ? nullptr : make_scheduler(*b.opt, c);
        ReduceLROnPlateau<double> plat(*b.opt, plateau_options(c.at("options")));
        for (std::size_t k = 0; k < split; ++k) {
          plateau ? plat.step(metrics[k]) : sched->step();
          resumed.push_back(b.opt->lr());
        }
        opt_state = b.opt->state_dict();
        sched_state = plateau ? plat.state_dict() : sched->state_dict();
      }
      Bench fresh;
      auto sched = plateau ? nullptr : make_scheduler(*fresh.opt, c);
      ReduceLROnPlateau<double> plat(*fresh.opt, plateau_options(c.at("options")));
      fresh.opt->load_state_dict(opt_state);
      plateau ? plat.load_state_dict(sched_state) : sched->load_state_dict(sched_state);
      for (std::size_t k = split; k < metrics.size(); ++k) {
        plateau ? plat.step(metrics[k]) : sched->step();
        resumed.push_back(fresh.opt->lr());
      }
      EXPECT_EQ(resumed, straight);
    }
  }
}

TEST(OptimSchedulers, TheSchedulerStateMatters) {
  // A scheduler that is not restored restarts its cosine: the lrs differ from a restored one.
  Bench s;
  CosineAnnealingLR<double> sched(*s.opt, 10);
  for (int k = 0; k < 4; ++k) sched.step();
  const auto state = sched.state_dict();
  EXPECT_EQ(state.at("epoch"), 4.0);
  EXPECT_EQ(state.at("base_lr"), 0.1);
  Bench other;
  other.opt->set_lr(0.5);  // what a loaded optimizer's lr would be; not the base lr
  CosineAnnealingLR<double> restored(*other.opt, 10);
  EXPECT_EQ(restored.base_lr(), 0.5);
  restored.load_state_dict(state);
  EXPECT_EQ(restored.base_lr(), 0.1);
  EXPECT_EQ(restored.lr_at(5), sched.lr_at(5));
  EXPECT_NEAR(restored.lr_at(5), 0.05, 1e-15);  // cos(pi / 2) = 0: halfway
}

TEST(OptimSchedulers, WarmRestartsWithGrowingCyclesInClosedForm) {
  Bench s;
  CosineAnnealingWarmRestarts<double> sched(*s.opt, 2, 3, 0.01);
  // Cycles of 2, 6, 18 epochs: epoch 8 starts the third cycle, epoch 5 is 3/6 into the second.
  EXPECT_DOUBLE_EQ(sched.lr_at(8), 0.1);
  EXPECT_NEAR(sched.lr_at(5), 0.01 + 0.09 * (1 + std::cos(std::numbers::pi * 3 / 6)) / 2, 1e-15);
  EXPECT_DOUBLE_EQ(sched.lr_at(2), 0.1);
}

TEST(OptimSchedulers, ArgumentsAndStatesAreChecked) {
  Bench s;
  EXPECT_THROW_WITH(CosineAnnealingLR<double>(*s.opt, 0), DomainError, "T_max");
  EXPECT_THROW_WITH(CosineAnnealingWarmRestarts<double>(*s.opt, 0), DomainError, "T_0");
  EXPECT_THROW_WITH(CosineAnnealingWarmRestarts<double>(*s.opt, 2, 0), DomainError, "T_mult");
  EXPECT_THROW_WITH(LinearLR<double>(*s.opt, 1.5), DomainError, "LinearLR", "start_factor");
  EXPECT_THROW_WITH(LinearLR<double>(*s.opt, 0.5, 1.0, 0), DomainError, "total_iters");
  EXPECT_THROW_WITH(OneCycleLR<double>(*s.opt, {.max_lr = 0, .total_steps = 10}), DomainError,
                    "max_lr");
  EXPECT_THROW_WITH(OneCycleLR<double>(*s.opt, {.max_lr = 1, .total_steps = 3}), DomainError,
                    "phase", "no steps");
  EXPECT_THROW_WITH(ReduceLROnPlateau<double>(*s.opt, {.factor = 1.0}), DomainError, "factor");

  OneCycleLR<double> one(*s.opt, {.max_lr = 1, .total_steps = 10});
  for (int k = 0; k < 10; ++k) one.step();
  const double last = s.opt->lr();
  EXPECT_THROW_WITH(one.step(), DomainError, "OneCycleLR", "total_steps is 10");
  EXPECT_EQ(s.opt->lr(), last);
  EXPECT_EQ(one.epoch(), 10u);

  EXPECT_THROW_WITH(one.load_state_dict({{"epoch", 1}}), Error, "missing entry 'base_lr'");
  EXPECT_THROW_WITH(one.load_state_dict({{"epoch", 1}, {"base_lr", 0.1}, {"x", 1}}), Error,
                    "unexpected entry 'x'");
  EXPECT_THROW_WITH(one.load_state_dict({{"epoch", 1.5}, {"base_lr", 0.1}}), DomainError, "epoch",
                    "1.5");
  EXPECT_EQ(one.epoch(), 10u);

  ReduceLROnPlateau<double> plat(*s.opt);
  EXPECT_THROW_WITH(plat.step(NAN), DomainError, "NaN");
  EXPECT_EQ(plat.epoch(), 0u);
  auto state = plat.state_dict();
  EXPECT_TRUE(std::isinf(state.at("best")));
  state.at("num_bad_epochs") = -1;
  EXPECT_THROW_WITH(plat.load_state_dict(state), DomainError, "num_bad_epochs");
}

}  // namespace
