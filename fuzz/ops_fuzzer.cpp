// libFuzzer target: random programs of tensor operations on random shapes and values, then
// backward. Any exception other than xg::Error, a crash, a sanitizer report, a gradient of the
// wrong shape or a leaked tape node is a finding.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <vector>

#include "xgrad/autograd.hpp"

namespace {

using T = double;
using Tn = xg::Tensor<T>;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "ops_fuzzer finding: %s\n", what);
  std::abort();
}

T value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 15)) {
    case 0:
      return 0;
    case 1:
      return 1e300;
    case 2:
      return -1e4;
    case 3:
      return 1e4;
    case 4:
      return 1e-300;
    case 5:
      return std::numeric_limits<T>::infinity();
    case 6:
      return std::numeric_limits<T>::quiet_NaN();
    default:
      return in.ConsumeFloatingPointInRange<T>(-4, 4);
  }
}

xg::Shape shape(FuzzedDataProvider& in) {
  xg::Shape s(in.ConsumeIntegralInRange<std::size_t>(0, 3));
  for (auto& d : s) d = in.ConsumeIntegralInRange<std::size_t>(1, 4);
  return s;
}

Tn leaf(FuzzedDataProvider& in) {
  const xg::Shape s = shape(in);
  std::size_t n = 1;
  for (auto d : s) n *= d;
  std::vector<T> v(n);
  for (auto& x : v) x = value(in);
  return Tn::from(s, v, in.ConsumeBool());
}

std::ptrdiff_t axis(FuzzedDataProvider& in) {
  return in.ConsumeIntegralInRange<int>(-4, 4);
}

std::vector<std::size_t> indices(FuzzedDataProvider& in) {
  std::vector<std::size_t> v(in.ConsumeIntegralInRange<std::size_t>(0, 5));
  for (auto& i : v) i = in.ConsumeIntegralInRange<std::size_t>(0, 5);
  return v;
}

xg::Reduction reduction(FuzzedDataProvider& in) {
  return static_cast<xg::Reduction>(in.ConsumeIntegralInRange<int>(0, 2));
}

Tn apply(FuzzedDataProvider& in, const Tn& a, const Tn& b) {
  switch (in.ConsumeIntegralInRange<int>(0, 55)) {
    case 0:
      return a + b;
    case 1:
      return a - b;
    case 2:
      return a * b;
    case 3:
      return a / b;
    case 4:
      return -a;
    case 5:
      return a * value(in);
    case 6:
      return value(in) / a;
    case 7:
      return value(in) - a;
    case 8:
      return xg::pow(a, value(in));
    case 9:
      return xg::pow(a, b);
    case 10:
      return xg::exp(a);
    case 11:
      return xg::log(a);
    case 12:
      return xg::sqrt(a);
    case 13:
      return xg::abs(a);
    case 14:
      return xg::clamp(a, value(in), value(in));
    case 15:
      return xg::maximum(a, b);
    case 16:
      return xg::minimum(a, b);
    case 17:
      return xg::sigmoid(a);
    case 18:
      return xg::tanh(a);
    case 19:
      return xg::relu(a);
    case 20:
      return xg::leaky_relu(a, value(in));
    case 21:
      return xg::elu(a, value(in));
    case 22:
      return xg::softplus(a, value(in), value(in));
    case 23:
      return xg::softmax(a, axis(in));
    case 24:
      return xg::log_softmax(a, axis(in));
    case 25:
      return xg::hardtanh(a, value(in), value(in));
    case 26:
      return xg::step(a, value(in));
    case 27:
      return xg::matmul(a, b);
    case 28:
      return xg::sum(a);
    case 29:
      return xg::sum(a, axis(in), in.ConsumeBool());
    case 30:
      return xg::mean(a);
    case 31:
      return xg::mean(a, axis(in), in.ConsumeBool());
    case 32:
      return xg::max(a);
    case 33:
      return xg::max(a, axis(in), in.ConsumeBool());
    case 34:
      return xg::logsumexp(a);
    case 35:
      return xg::logsumexp(a, axis(in), in.ConsumeBool());
    case 36: {
      std::vector<std::ptrdiff_t> s(in.ConsumeIntegralInRange<std::size_t>(0, 3));
      for (auto& d : s) d = in.ConsumeIntegralInRange<int>(-2, 6);
      return xg::reshape(a, s);
    }
    case 37:
      return xg::flatten(a, axis(in));
    case 38:
      return xg::squeeze(a, axis(in));
    case 39:
      return xg::unsqueeze(a, axis(in));
    case 40:
      return xg::transpose(a);
    case 41:
      return xg::permute(a, indices(in));
    case 42:
      return xg::narrow(a, axis(in), in.ConsumeIntegralInRange<std::size_t>(0, 5),
                        in.ConsumeIntegralInRange<std::size_t>(0, 5));
    case 43:
      return xg::slice_rows(a, in.ConsumeIntegralInRange<std::size_t>(0, 5),
                            in.ConsumeIntegralInRange<std::size_t>(0, 5));
    case 44:
      return xg::index_select(a, indices(in));
    case 45:
      return xg::gather(a, indices(in));
    case 46:
      return xg::concat(std::vector<Tn>{a, b}, axis(in));
    case 47:
      return xg::stack(std::vector<Tn>{a, b}, axis(in));
    case 48:
      return xg::broadcast_to(a, shape(in));
    case 49:
      return xg::sum_to(a, shape(in));
    case 50:
      return xg::mse_loss(a, b, reduction(in));
    case 51:
      return xg::bce_loss(a, b, reduction(in));
    case 52:
      return xg::bce_with_logits(a, b, reduction(in));
    case 53:
      return xg::cross_entropy(a, indices(in), reduction(in));
    case 54:
      return xg::nll_loss(a, indices(in), reduction(in));
    default: {
      xt::xarray<bool> cond = xt::xarray<bool>::from_shape(a.value().shape());
      for (auto& c : cond) c = in.ConsumeBool();
      return xg::where(cond, a, b);
    }
  }
}

/// XGRAD_FUZZ_TRACE=1 prints each operation, to turn a crash file into a test case.
struct Trace : xg::TapeObserver<T> {
  void on_forward(const char* op, xg::InputSpan<T> inputs, const Tn& result) override {
    std::fprintf(stderr, "%s(", op);
    for (const auto& x : inputs) {
      std::fprintf(stderr, "%p:%s%s ", x.identity(), xg::shape_str(x.shape()).c_str(),
                   x.requires_grad() ? "g" : "");
    }
    std::fprintf(stderr, ") -> %p:%s\n", result.identity(), xg::shape_str(result.shape()).c_str());
  }
};

/// Returns false when the leak check does not apply.
bool run(FuzzedDataProvider& in) {
  static const bool trace = std::getenv("XGRAD_FUZZ_TRACE") != nullptr;
  Trace tracer;
  std::optional<xg::ObserverGuard<T>> guard;
  if (trace) guard.emplace(tracer);
  std::vector<Tn> pool;
  const int leaves = in.ConsumeIntegralInRange<int>(1, 3);
  for (int i = 0; i < leaves; ++i) pool.push_back(leaf(in));
  const std::vector<Tn> inputs = pool;
  const int steps = in.ConsumeIntegralInRange<int>(1, 12);
  for (int i = 0; i < steps && in.remaining_bytes() > 0; ++i) {
    const Tn& a = pool[in.ConsumeIntegralInRange<std::size_t>(0, pool.size() - 1)];
    const Tn& b = pool[in.ConsumeIntegralInRange<std::size_t>(0, pool.size() - 1)];
    // Empty tensors are left out: several of xtensor 0.24's expressions offset a null data
    // pointer on an empty array (UBSan, xstrides.hpp:128). xgrad's own sum and concat handle
    // empty inputs (tested); the remaining ones are an open item of docs/reliability.md.
    if (a.size() == 0 || b.size() == 0) continue;
    try {
      pool.push_back(apply(in, a, b));
    } catch (const xg::Error&) {
      // Documented rejection of bad shapes, axes, indices or domains: go on with the rest.
    }
  }
  const Tn& out = pool.back();
  if (!out.requires_grad()) return true;
  bool completed = false;
  const bool create_graph = in.ConsumeBool();
  try {
    if (trace) {
      std::fprintf(stderr, "backward from %p, create_graph %d\n", out.identity(), create_graph);
      for (const auto& x : inputs) {
        std::fprintf(stderr, "leaf %p:", x.identity());
        for (T v : x.value()) std::fprintf(stderr, " %.17g", v);
        std::fprintf(stderr, "\n");
      }
    }
    if (out.size() == 1) {
      out.backward({.create_graph = create_graph});
    } else {
      out.backward(Tn::ones(out.shape()), {.create_graph = create_graph});
    }
    completed = true;
  } catch (const xg::Error&) {
    // A rule rejected its input midway: some leaves may already hold gradients.
  }
  for (auto x : inputs) {
    if (completed && x.has_grad() && x.grad().shape() != x.shape()) {
      finding("gradient of the wrong shape");
    }
    // create_graph leaves a leaf <-> gradient cycle until zero_grad (documented).
    x.zero_grad();
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const long live = xg::live_node_count<T>();
  bool check_leaks = true;
  try {
    check_leaks = run(in);
  } catch (const xg::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ops_fuzzer finding: undocumented exception: %s\n", e.what());
    std::abort();
  }
  if (check_leaks && xg::live_node_count<T>() != live)
    finding("tape nodes leaked (a reference cycle)");
  return 0;
}
