// L-BFGS (lbfgs.hpp): PyTorch's LBFGS.step, statement for statement, on flat copies of the
// parameters and gradients.
#include "xgrad/optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "detail.hpp"
#include "strong_wolfe.hpp"
#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"

namespace xg::optim {

namespace {

using detail::dot;
using detail::max_abs;

const LBFGSOptions& checked(const LBFGSOptions& o) {
  auto positive = [](const char* name, std::size_t v) {
    if (v == 0) throw DomainError(std::string("LBFGS: ") + name + " must be at least 1, got 0");
  };
  positive("max_iter", o.max_iter);
  if (o.max_eval) positive("max_eval", *o.max_eval);
  positive("history_size", o.history_size);
  detail::check_option<double>("LBFGS", "tolerance_grad", o.tolerance_grad);
  detail::check_option<double>("LBFGS", "tolerance_change", o.tolerance_change);
  return o;
}

/// a += alpha * b.
template <class T>
void axpy(xt::xarray<T>& a, double alpha, const xt::xarray<T>& b) {
  const T s = static_cast<T>(alpha);
  for (std::size_t k = 0; k < a.size(); ++k) a.data()[k] += s * b.data()[k];
}

const char* const kExtraNames[] = {"func_evals", "n_iter",    "d",        "prev_flat_grad", "t",
                                   "H_diag",     "prev_loss", "old_dirs", "old_stps",       "ro"};

}  // namespace

template <class T>
LBFGS<T>::LBFGS(std::vector<Tensor<T>> parameters, LBFGSOptions options)
    : Optimizer<T>(std::move(parameters), checked(options).lr, "LBFGS"),
      options_(options),
      max_eval_(options.max_eval ? *options.max_eval : options.max_iter * 5 / 4) {
  for (const auto& p : this->parameters()) numel_ += p.value().size();
}

template <class T>
void LBFGS<T>::update(std::size_t, xt::xarray<T>&, const xt::xarray<T>&) {
  throw Error("LBFGS: step() needs a closure that re-evaluates the loss; call step(closure)");
}

template <class T>
double LBFGS<T>::evaluate(const Closure& closure) const {
  GradModeGuard grad_on(true);
  const Tensor<T> loss = closure();
  if (!loss.defined()) throw GraphError("LBFGS::step: the closure returned an undefined tensor");
  if (loss.value().size() != 1) {
    throw ShapeError(
        "LBFGS::step: the closure must return the loss, a tensor of one element; got "
        "shape " +
        shape_str(loss.value().shape()));
  }
  return static_cast<double>(loss.value().data()[0]);
}

template <class T>
typename LBFGS<T>::Flat LBFGS<T>::gather_flat_grad() const {
  Flat flat = Flat::from_shape({numel_});
  std::size_t offset = 0;
  const auto& params = this->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& value = params[i].value();
    const Tensor<T>& grad = params[i].grad();
    if (grad.defined()) {
      if (grad.value().shape() != value.shape()) {
        throw ShapeError("LBFGS::step: the gradient of parameter " + std::to_string(i) +
                         " has shape " + shape_str(grad.value().shape()) +
                         " but the parameter has shape " + shape_str(value.shape()));
      }
      const xt::xarray<T> g = grad.value();  // contiguous
      std::copy(g.data(), g.data() + g.size(), flat.data() + offset);
    } else {
      std::fill(flat.data() + offset, flat.data() + offset + value.size(), T(0));
    }
    offset += value.size();
  }
  return flat;
}

template <class T>
void LBFGS<T>::add_to_parameters(double step, const Flat& direction) {
  const T s = static_cast<T>(step);
  std::size_t offset = 0;
  for (auto p : this->parameters()) {
    auto& w = p.mutable_value();  // one version bump per parameter and write
    for (std::size_t k = 0; k < w.size(); ++k) w.data()[k] += s * direction.data()[offset + k];
    offset += w.size();
  }
}

template <class T>
std::pair<double, typename LBFGS<T>::Flat> LBFGS<T>::directional_evaluate(const Closure& closure,
                                                                          double t, const Flat& d) {
  std::vector<xt::xarray<T>> x;
  for (const auto& p : this->parameters()) x.push_back(p.value());
  add_to_parameters(t, d);
  const double loss = evaluate(closure);
  Flat flat_grad = gather_flat_grad();
  std::size_t i = 0;
  for (auto p : this->parameters()) {
    auto& w = p.mutable_value();  // copied back in place, as PyTorch's copy_
    std::copy(x[i].data(), x[i].data() + x[i].size(), w.data());
    ++i;
  }
  return {loss, std::move(flat_grad)};
}

template <class T>
double LBFGS<T>::step(const Closure& closure) {
  NoGradGuard no_grad;
  const double lr = this->step_lr();
  const double tolerance_grad = options_.tolerance_grad;
  const double tolerance_change = options_.tolerance_change;
  History& state = history_;

  // The loss and gradient at the start.
  const double orig_loss = evaluate(closure);
  double loss = orig_loss;
  std::size_t current_evals = 1;
  ++state.func_evals;
  this->count_step();

  Flat flat_grad = gather_flat_grad();
  bool opt_cond = max_abs(flat_grad) <= tolerance_grad;
  if (opt_cond) return orig_loss;

  Flat& d = state.d;
  double& t = state.t;
  std::vector<double> al(options_.history_size);

  std::size_t n_iter = 0;
  while (n_iter < options_.max_iter) {
    ++n_iter;
    ++state.n_iter;

    // The descent direction.
    if (state.n_iter == 1) {
      d = -flat_grad;
      state.old_dirs.clear();
      state.old_stps.clear();
      state.ro.clear();
      state.h_diag = 1;
    } else {
      const Flat y = flat_grad - state.prev_flat_grad;
      const Flat s = d * static_cast<T>(t);
      const double ys = dot(y, s);
      if (ys > 1e-10) {
        if (state.old_dirs.size() == options_.history_size) {
          state.old_dirs.pop_front();
          state.old_stps.pop_front();
          state.ro.pop_front();
        }
        state.old_dirs.push_back(y);
        state.old_stps.push_back(s);
        state.ro.push_back(1. / ys);
        state.h_diag = ys / dot(y, y);
      }
      // The two-loop recursion: d = -H g.
      const std::size_t num_old = state.old_dirs.size();
      Flat q = -flat_grad;
      for (std::size_t i = num_old; i-- > 0;) {
        al[i] = dot(state.old_stps[i], q) * state.ro[i];
        axpy(q, -al[i], state.old_dirs[i]);
      }
      d = q * static_cast<T>(state.h_diag);
      for (std::size_t i = 0; i < num_old; ++i) {
        const double be_i = dot(state.old_dirs[i], d) * state.ro[i];
        axpy(d, al[i] - be_i, state.old_stps[i]);
      }
    }
    state.prev_flat_grad = flat_grad;
    state.prev_loss = loss;
    state.has_direction = true;

    // The step length.
    if (state.n_iter == 1) {
      double l1 = 0;
      for (const T g : flat_grad) l1 += std::abs(double(g));
      t = std::min(1., 1. / l1) * lr;
    } else {
      t = lr;
    }
    const double gtd = dot(flat_grad, d);
    if (gtd > -tolerance_change) break;  // not a descent direction any more

    std::size_t ls_func_evals = 0;
    if (options_.line_search == LineSearch::strong_wolfe) {
      const std::function<std::pair<double, Flat>(double)> objective = [&](double step) {
        return directional_evaluate(closure, step, d);
      };
      auto found = detail::strong_wolfe<T>(objective, t, d, loss, flat_grad, gtd);
      loss = found.loss;
      flat_grad = std::move(found.grad);
      t = found.t;
      ls_func_evals = found.evaluations;
      add_to_parameters(t, d);
      opt_cond = max_abs(flat_grad) <= tolerance_grad;
    } else {
      add_to_parameters(t, d);
      if (n_iter != options_.max_iter) {
        // Not re-evaluated after the last iteration: the next step starts with a closure call.
        loss = evaluate(closure);
        flat_grad = gather_flat_grad();
        opt_cond = max_abs(flat_grad) <= tolerance_grad;
        ls_func_evals = 1;
      }
    }
    current_evals += ls_func_evals;
    state.func_evals += ls_func_evals;

    if (n_iter == options_.max_iter) break;
    if (current_evals >= max_eval_) break;
    if (opt_cond) break;
    if (max_abs(d) * std::abs(t) <= tolerance_change) break;  // no progress in x
    if (std::abs(loss - state.prev_loss) < tolerance_change) break;
  }
  return orig_loss;
}

// --- state dictionary ------------------------------------------------------------------------

template <class T>
void LBFGS<T>::save_extra(StateDict<T>& out) const {
  const History& h = history_;
  auto scalar = [](double v) { return xt::xarray<T>(static_cast<T>(v)); };
  out.emplace("func_evals", scalar(static_cast<double>(h.func_evals)));
  out.emplace("n_iter", scalar(static_cast<double>(h.n_iter)));
  if (!h.has_direction) return;
  out.emplace("d", h.d);
  out.emplace("prev_flat_grad", h.prev_flat_grad);
  out.emplace("t", scalar(h.t));
  out.emplace("H_diag", scalar(h.h_diag));
  out.emplace("prev_loss", scalar(h.prev_loss));
  const std::size_t k = h.old_dirs.size();
  xt::xarray<T> dirs = xt::xarray<T>::from_shape({k, numel_});
  xt::xarray<T> stps = xt::xarray<T>::from_shape({k, numel_});
  xt::xarray<T> ro = xt::xarray<T>::from_shape({k});
  for (std::size_t j = 0; j < k; ++j) {
    std::copy(h.old_dirs[j].begin(), h.old_dirs[j].end(), dirs.data() + j * numel_);
    std::copy(h.old_stps[j].begin(), h.old_stps[j].end(), stps.data() + j * numel_);
    ro.data()[j] = static_cast<T>(h.ro[j]);
  }
  out.emplace("old_dirs", std::move(dirs));
  out.emplace("old_stps", std::move(stps));
  out.emplace("ro", std::move(ro));
}

template <class T>
bool LBFGS<T>::is_extra(const std::string& entry) const {
  return std::find(std::begin(kExtraNames), std::end(kExtraNames), entry) != std::end(kExtraNames);
}

template <class T>
std::string LBFGS<T>::extra_summary() const {
  return "func_evals, n_iter, and after a step d, prev_flat_grad, t, H_diag, prev_loss, "
         "old_dirs, old_stps, ro";
}

template <class T>
void LBFGS<T>::check_extra(const StateDict<T>& state, const std::string& who) {
  auto find = [&](const char* key) -> const xt::xarray<T>* {
    const auto it = state.find(key);
    return it == state.end() ? nullptr : &it->second;
  };
  auto shape_error = [&](const char* key, const xt::xarray<T>& a, const std::string& want) {
    throw ShapeError(who + ": entry '" + key + "' has shape " + shape_str(a.shape()) +
                     ", expected " + want);
  };
  auto scalar = [&](const char* key) {
    const xt::xarray<T>& a = *find(key);
    if (a.dimension() != 0) shape_error(key, a, "a 0-d array ()");
    return static_cast<double>(a());
  };
  auto count = [&](const char* key) -> std::size_t {
    if (!find(key)) return 0;
    const double v = scalar(key);
    if (!(v >= 0) || std::floor(v) != v || v > 9.007199254740992e15) {
      throw DomainError(who + ": entry '" + key + "' = " + detail::number_str(v) +
                        " is not a non-negative integer");
    }
    return static_cast<std::size_t>(v);
  };
  History h;
  h.func_evals = count("func_evals");
  h.n_iter = count("n_iter");
  const char* const direction[] = {"d",         "prev_flat_grad", "t",        "H_diag",
                                   "prev_loss", "old_dirs",       "old_stps", "ro"};
  std::size_t present = 0;
  for (const char* key : direction) present += find(key) != nullptr;
  if (present != 0 && present != std::size(direction)) {
    std::string missing;
    for (const char* key : direction) {
      if (!find(key)) missing += std::string(missing.empty() ? "" : ", ") + "'" + key + "'";
    }
    throw Error(who + ": the L-BFGS history is incomplete; missing " + missing);
  }
  if (present != 0) {
    const std::string vector_shape = "(" + std::to_string(numel_) + ")";
    for (const char* key : {"d", "prev_flat_grad"}) {
      const xt::xarray<T>& a = *find(key);
      if (a.dimension() != 1 || a.size() != numel_) shape_error(key, a, vector_shape);
    }
    h.d = *find("d");
    h.prev_flat_grad = *find("prev_flat_grad");
    h.t = scalar("t");
    h.h_diag = scalar("H_diag");
    h.prev_loss = scalar("prev_loss");
    const xt::xarray<T>& ro = *find("ro");
    if (ro.dimension() != 1) shape_error("ro", ro, "(k), k <= history_size");
    const std::size_t k = ro.size();
    if (k > options_.history_size) {
      throw ShapeError(who + ": entry 'ro' holds " + std::to_string(k) +
                       " pairs, more than history_size = " + std::to_string(options_.history_size));
    }
    const std::string matrix_shape = "(" + std::to_string(k) + ", " + std::to_string(numel_) +
                                     ") as 'ro' has " + std::to_string(k) + " pairs";
    for (const char* key : {"old_dirs", "old_stps"}) {
      const xt::xarray<T>& a = *find(key);
      if (a.dimension() != 2 || a.shape()[0] != k || a.shape()[1] != numel_) {
        shape_error(key, a, matrix_shape);
      }
    }
    for (std::size_t j = 0; j < k; ++j) {
      auto row = [&](const char* key) {
        const T* begin = find(key)->data() + j * numel_;
        Flat r = Flat::from_shape({numel_});
        std::copy(begin, begin + numel_, r.data());
        return r;
      };
      h.old_dirs.push_back(row("old_dirs"));
      h.old_stps.push_back(row("old_stps"));
      h.ro.push_back(static_cast<double>(ro.data()[j]));
    }
    h.has_direction = true;
  }
  pending_ = std::move(h);
}

template <class T>
void LBFGS<T>::commit_extra() {
  history_ = std::move(pending_);
  pending_ = History{};
}

#define XG_INSTANTIATE(T) template class LBFGS<T>;
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::optim
