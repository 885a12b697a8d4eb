// Thread-local switch that decides whether operations are recorded on the tape.
#pragma once

namespace xg {

namespace detail {
inline thread_local bool grad_enabled = true;
}

/// True when operations on tensors that require grad are recorded (the default).
inline bool is_grad_enabled() {
  return detail::grad_enabled;
}

/// Sets grad mode for the current scope and thread, restoring the previous mode on exit.
class GradModeGuard {
 public:
  /// Switches recording on (`true`) or off (`false`) until the guard is destroyed.
  explicit GradModeGuard(bool enabled) : previous_(detail::grad_enabled) {
    detail::grad_enabled = enabled;
  }
  ~GradModeGuard() { detail::grad_enabled = previous_; }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

/// RAII guard: nothing is recorded in this scope (inference, optimizer updates).
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

}  // namespace xg
