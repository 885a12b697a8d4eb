// The random generators' states at a segment's first run, put back for its replay.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "xgrad/checkpoint.hpp"

namespace xg::detail {

struct RngSnapshot {
  std::optional<Generator> default_state;  // of whichever thread runs the segment
  std::vector<std::pair<Generator*, Generator>> others;

  static RngSnapshot take(const CheckpointOptions& options) {
    RngSnapshot s;
    if (!options.preserve_rng_state) return s;
    s.default_state = default_generator();
    for (Generator* g : options.generators) {
      if (g != nullptr) s.others.emplace_back(g, *g);
    }
    return s;
  }
};

/// While it lives, the generators are as the snapshot has them; afterwards as they were, so
/// that a replay does not move the caller's random stream.
class RngReplay {
 public:
  explicit RngReplay(const RngSnapshot& s) {
    if (s.default_state) {
      saved_default_ = default_generator();
      default_generator() = *s.default_state;
    }
    for (const auto& [g, state] : s.others) {
      saved_.emplace_back(g, *g);
      *g = state;
    }
  }
  ~RngReplay() {
    if (saved_default_) default_generator() = *saved_default_;
    for (auto& [g, state] : saved_) *g = state;
  }
  RngReplay(const RngReplay&) = delete;
  RngReplay& operator=(const RngReplay&) = delete;

 private:
  std::optional<Generator> saved_default_;
  std::vector<std::pair<Generator*, Generator>> saved_;
};

}  // namespace xg::detail
