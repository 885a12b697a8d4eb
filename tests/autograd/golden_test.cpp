// Golden values from PyTorch: forward outputs, VJPs and HVPs of xgrad's operations in double,
// compared with the values scripts/golden_values.py wrote into tests/fixtures/golden_ops.json
// (regenerate with `python3 scripts/golden_values.py`; CI reads the committed fixture and needs
// no PyTorch). One test per op the table below maps; every fixture case of that op runs in it,
// named in the failure. The op table and the fixture are checked against each other both ways.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace {

using json = nlohmann::json;
using Td = xg::Tensor<double>;
using Inputs = std::vector<Td>;
/// Computes the op on the fixture's inputs with the case's parameters.
using OpFn = std::function<Td(const Inputs&, const json&)>;

constexpr double kValueTol = 1e-12;  // forward outputs and VJPs
constexpr double kHvpTol = 1e-11;

const char* const kFixture = XGRAD_SOURCE_DIR "/tests/fixtures/golden_ops.json";

xg::Reduction reduction_of(const json& params) {
  const std::string r = params.at("reduction").get<std::string>();
  if (r == "mean") return xg::Reduction::mean;
  if (r == "sum") return xg::Reduction::sum;
  if (r == "none") return xg::Reduction::none;
  throw std::invalid_argument("unknown reduction " + r);
}

xt::xarray<bool> bool_array(const json& a) {
  const auto shape = a.at("shape").get<xg::Shape>();
  const auto values = a.at("values").get<std::vector<bool>>();
  xt::xarray<bool> out = xt::xarray<bool>::from_shape(shape);
  if (out.size() != values.size()) throw std::invalid_argument("bool array of the wrong size");
  for (std::size_t i = 0; i < values.size(); ++i) out.flat(i) = values[i];
  return out;
}

xt::xarray<std::size_t> index_array(const json& a) {
  const auto shape = a.at("shape").get<xg::Shape>();
  const auto values = a.at("values").get<std::vector<std::size_t>>();
  auto out = xt::xarray<std::size_t>::from_shape(shape);
  if (out.size() != values.size()) throw std::invalid_argument("index array of the wrong size");
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

xg::GeluApproximation approximation_of(const json& params) {
  const std::string a = params.at("approximate").get<std::string>();
  if (a == "none") return xg::GeluApproximation::none;
  if (a == "tanh") return xg::GeluApproximation::tanh;
  throw std::invalid_argument("unknown gelu approximation " + a);
}

/// (h, w) of a fixture parameter given as a list [h, w].
xg::PoolSize2 pool_size(const json& v) {
  const auto p = v.get<std::vector<std::ptrdiff_t>>();
  return xg::PoolSize2(p.at(0), p.at(1));
}

/// y * y when the case's "squared" is set: the pools are piecewise linear, so only then is the
/// HVP not zero.
Td maybe_squared(const Td& y, const json& params) {
  return params.at("squared").get<bool>() ? xg::mul(y, y) : y;
}

/// A stride or divisor that may be null (PyTorch's None).
std::optional<std::ptrdiff_t> optional_int(const json& v) {
  if (v.is_null()) return std::nullopt;
  return v.get<std::ptrdiff_t>();
}

xg::Size2 size2(const json& pair) {
  return {pair.at(0).get<std::size_t>(), pair.at(1).get<std::size_t>()};
}

xg::Conv2dOptions conv2d_options(const json& p) {
  return {.stride = size2(p.at("stride")),
          .padding = size2(p.at("padding")),
          .dilation = size2(p.at("dilation")),
          .groups = p.at("groups").get<std::size_t>()};
}

xg::Conv1dOptions conv1d_options(const json& p) {
  return {.stride = p.at("stride").get<std::size_t>(),
          .padding = p.at("padding").get<std::size_t>(),
          .dilation = p.at("dilation").get<std::size_t>(),
          .groups = p.at("groups").get<std::size_t>()};
}

/// The SparseCsr of a graph case: "rows", "cols", "src", "dst" and optional "weights".
xg::SparseCsr graph_of(const json& p) {
  return xg::SparseCsr(
      p.at("rows").get<std::size_t>(), p.at("cols").get<std::size_t>(),
      p.at("src").get<std::vector<std::size_t>>(), p.at("dst").get<std::vector<std::size_t>>(),
      p.contains("weights") ? p.at("weights").get<std::vector<double>>() : std::vector<double>{});
}

std::vector<std::size_t> segment_ids(const json& p) {
  return p.at("ids").get<std::vector<std::size_t>>();
}

/// Fixture op name -> the xgrad call. Each key needs at least one case in the fixture, and each
/// case's op a key here (GoldenFixture tests).
const std::map<std::string, OpFn>& op_table() {
  static const std::map<std::string, OpFn> table = {
      // elementwise, tensor-tensor (broadcasting)
      {"add", [](const Inputs& x, const json&) { return xg::add(x[0], x[1]); }},
      {"sub", [](const Inputs& x, const json&) { return xg::sub(x[0], x[1]); }},
      {"mul", [](const Inputs& x, const json&) { return xg::mul(x[0], x[1]); }},
      {"div", [](const Inputs& x, const json&) { return xg::div(x[0], x[1]); }},
      {"neg", [](const Inputs& x, const json&) { return xg::neg(x[0]); }},
      // tensor-scalar
      {"add_scalar",
       [](const Inputs& x, const json& p) { return xg::add(x[0], p.at("s").get<double>()); }},
      {"mul_scalar",
       [](const Inputs& x, const json& p) { return xg::mul(x[0], p.at("s").get<double>()); }},
      {"rsub_scalar",
       [](const Inputs& x, const json& p) { return xg::rsub(p.at("s").get<double>(), x[0]); }},
      {"div_scalar",
       [](const Inputs& x, const json& p) { return xg::div(x[0], p.at("s").get<double>()); }},
      {"rdiv_scalar",
       [](const Inputs& x, const json& p) { return xg::rdiv(p.at("s").get<double>(), x[0]); }},
      // powers and transcendental functions
      {"pow_scalar",
       [](const Inputs& x, const json& p) { return xg::pow(x[0], p.at("p").get<double>()); }},
      {"pow", [](const Inputs& x, const json&) { return xg::pow(x[0], x[1]); }},
      {"exp", [](const Inputs& x, const json&) { return xg::exp(x[0]); }},
      {"log", [](const Inputs& x, const json&) { return xg::log(x[0]); }},
      {"sqrt", [](const Inputs& x, const json&) { return xg::sqrt(x[0]); }},
      {"abs", [](const Inputs& x, const json&) { return xg::abs(x[0]); }},
      // piecewise
      {"clamp",
       [](const Inputs& x, const json& p) {
         return xg::clamp(x[0], p.at("lo").get<double>(), p.at("hi").get<double>());
       }},
      {"maximum", [](const Inputs& x, const json&) { return xg::maximum(x[0], x[1]); }},
      {"minimum", [](const Inputs& x, const json&) { return xg::minimum(x[0], x[1]); }},
      {"where", [](const Inputs& x,
                   const json& p) { return xg::where(bool_array(p.at("cond")), x[0], x[1]); }},
      // reductions
      {"sum", [](const Inputs& x, const json&) { return xg::sum(x[0]); }},
      {"sum_axis",
       [](const Inputs& x, const json& p) {
         return xg::sum(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("keepdims").get<bool>());
       }},
      {"mean", [](const Inputs& x, const json&) { return xg::mean(x[0]); }},
      {"mean_axis",
       [](const Inputs& x, const json& p) {
         return xg::mean(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("keepdims").get<bool>());
       }},
      {"max", [](const Inputs& x, const json&) { return xg::max(x[0]); }},
      {"max_axis",
       [](const Inputs& x, const json& p) {
         return xg::max(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("keepdims").get<bool>());
       }},
      {"min", [](const Inputs& x, const json&) { return xg::min(x[0]); }},
      {"min_axis",
       [](const Inputs& x, const json& p) {
         return xg::min(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("keepdims").get<bool>());
       }},
      {"var",
       [](const Inputs& x, const json& p) { return xg::var(x[0], p.at("unbiased").get<bool>()); }},
      {"var_axis",
       [](const Inputs& x, const json& p) {
         return xg::var(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("unbiased").get<bool>(),
                        p.at("keepdims").get<bool>());
       }},
      {"stddev",
       [](const Inputs& x, const json& p) {
         return xg::stddev(x[0], p.at("unbiased").get<bool>());
       }},
      {"stddev_axis",
       [](const Inputs& x, const json& p) {
         return xg::stddev(x[0], p.at("axis").get<std::ptrdiff_t>(), p.at("unbiased").get<bool>(),
                           p.at("keepdims").get<bool>());
       }},
      {"cumsum_squared",
       [](const Inputs& x, const json& p) {
         const Td c = xg::cumsum(x[0], p.at("axis").get<std::ptrdiff_t>());
         return xg::mul(c, c);
       }},
      {"logsumexp", [](const Inputs& x, const json&) { return xg::logsumexp(x[0]); }},
      {"logsumexp_axis",
       [](const Inputs& x, const json& p) {
         return xg::logsumexp(x[0], p.at("axis").get<std::ptrdiff_t>(),
                              p.at("keepdims").get<bool>());
       }},
      // activations
      {"sigmoid", [](const Inputs& x, const json&) { return xg::sigmoid(x[0]); }},
      {"tanh", [](const Inputs& x, const json&) { return xg::tanh(x[0]); }},
      {"relu", [](const Inputs& x, const json&) { return xg::relu(x[0]); }},
      {"leaky_relu",
       [](const Inputs& x, const json& p) {
         return xg::leaky_relu(x[0], p.at("slope").get<double>());
       }},
      {"elu",
       [](const Inputs& x, const json& p) { return xg::elu(x[0], p.at("alpha").get<double>()); }},
      {"softplus",
       [](const Inputs& x, const json& p) {
         return xg::softplus(x[0], p.at("beta").get<double>(), p.at("threshold").get<double>());
       }},
      {"hardtanh",
       [](const Inputs& x, const json& p) {
         return xg::hardtanh(x[0], p.at("lo").get<double>(), p.at("hi").get<double>());
       }},
      {"gelu",
       [](const Inputs& x, const json& p) { return xg::gelu(x[0], approximation_of(p)); }},
      {"silu", [](const Inputs& x, const json&) { return xg::silu(x[0]); }},
      {"softmax",
       [](const Inputs& x, const json& p) {
         return xg::softmax(x[0], p.at("axis").get<std::ptrdiff_t>());
       }},
      {"log_softmax",
       [](const Inputs& x, const json& p) {
         return xg::log_softmax(x[0], p.at("axis").get<std::ptrdiff_t>());
       }},
      // linear algebra
      {"matmul", [](const Inputs& x, const json&) { return xg::matmul(x[0], x[1]); }},
      {"matmul_t",
       [](const Inputs& x, const json& p) {
         return xg::matmul(x[0], x[1],
                           xg::MatmulOptions{.transpose_a = p.at("transpose_a").get<bool>(),
                                             .transpose_b = p.at("transpose_b").get<bool>()});
       }},
      {"linear", [](const Inputs& x, const json&) { return xg::linear(x[0], x[1], x[2]); }},
      {"linear_no_bias", [](const Inputs& x, const json&) { return xg::linear(x[0], x[1]); }},
      // convolutions
      {"conv2d",
       [](const Inputs& x, const json& p) { return xg::conv2d(x[0], x[1], x[2], conv2d_options(p)); }},
      {"conv2d_no_bias",
       [](const Inputs& x, const json& p) { return xg::conv2d(x[0], x[1], conv2d_options(p)); }},
      {"conv1d",
       [](const Inputs& x, const json& p) { return xg::conv1d(x[0], x[1], x[2], conv1d_options(p)); }},
      {"conv1d_no_bias",
       [](const Inputs& x, const json& p) { return xg::conv1d(x[0], x[1], conv1d_options(p)); }},
      {"conv2d_backward_input",
       [](const Inputs& x, const json& p) {
         return xg::conv2d_backward_input(x[0], x[1], size2(p.at("input_size")), conv2d_options(p));
       }},
      {"conv2d_backward_weight",
       [](const Inputs& x, const json& p) {
         return xg::conv2d_backward_weight(x[0], x[1], size2(p.at("kernel_size")),
                                           conv2d_options(p));
       }},
      // shape
      {"transpose", [](const Inputs& x, const json&) { return xg::transpose(x[0]); }},
      {"permute",
       [](const Inputs& x, const json& p) {
         return xg::permute(x[0], p.at("axes").get<std::vector<std::size_t>>());
       }},
      {"reshape",
       [](const Inputs& x, const json& p) {
         return xg::reshape(x[0], p.at("shape").get<std::vector<std::ptrdiff_t>>());
       }},
      {"reshape_mul",
       [](const Inputs& x, const json& p) {
         return xg::mul(xg::reshape(x[0], p.at("shape").get<std::vector<std::ptrdiff_t>>()), x[1]);
       }},
      {"gather_axis_squared",
       [](const Inputs& x, const json& p) {
         const Td g = xg::gather(x[0], p.at("axis").get<std::ptrdiff_t>(), index_array(p.at("index")));
         return xg::mul(g, g);
       }},
      {"scatter_add_times_self",
       [](const Inputs& x, const json& p) {
         return xg::mul(xg::scatter_add(x[0], p.at("axis").get<std::ptrdiff_t>(),
                                        index_array(p.at("index")), x[1]),
                        x[0]);
       }},
      {"index_select_axis_squared",
       [](const Inputs& x, const json& p) {
         const Td s = xg::index_select(x[0], p.at("axis").get<std::ptrdiff_t>(),
                                       p.at("indices").get<std::vector<std::size_t>>());
         return xg::mul(s, s);
       }},
      {"index_add_times_self",
       [](const Inputs& x, const json& p) {
         return xg::mul(xg::index_add(x[0], p.at("axis").get<std::ptrdiff_t>(),
                                      p.at("indices").get<std::vector<std::size_t>>(), x[1]),
                        x[0]);
       }},
      // embedding (squared: the lookup is linear in the weight)
      {"embedding_squared",
       [](const Inputs& x, const json& p) {
         const json& pad = p.at("padding_idx");
         const Td e = xg::embedding(x[0], index_array(p.at("ids")),
                                    pad.is_null() ? std::nullopt
                                                  : std::optional(pad.get<std::ptrdiff_t>()));
         return xg::mul(e, e);
       }},
      // pooling, pad and flatten
      {"max_pool2d",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::max_pool2d(x[0], pool_size(p.at("kernel")), pool_size(p.at("stride")),
                            pool_size(p.at("padding")), pool_size(p.at("dilation")),
                            p.at("ceil_mode").get<bool>()),
             p);
       }},
      {"avg_pool2d",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::avg_pool2d(x[0], pool_size(p.at("kernel")), pool_size(p.at("stride")),
                            pool_size(p.at("padding")), p.at("ceil_mode").get<bool>(),
                            p.at("count_include_pad").get<bool>(),
                            optional_int(p.at("divisor_override"))),
             p);
       }},
      {"adaptive_avg_pool2d",
       [](const Inputs& x, const json& p) {
         return maybe_squared(xg::adaptive_avg_pool2d(x[0], pool_size(p.at("output_size"))), p);
       }},
      {"max_pool1d",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::max_pool1d(x[0], p.at("kernel").get<std::ptrdiff_t>(), optional_int(p.at("stride")),
                            p.at("padding").get<std::ptrdiff_t>(),
                            p.at("dilation").get<std::ptrdiff_t>(), p.at("ceil_mode").get<bool>()),
             p);
       }},
      {"avg_pool1d",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::avg_pool1d(x[0], p.at("kernel").get<std::ptrdiff_t>(), optional_int(p.at("stride")),
                            p.at("padding").get<std::ptrdiff_t>(), p.at("ceil_mode").get<bool>(),
                            p.at("count_include_pad").get<bool>()),
             p);
       }},
      {"pad",
       [](const Inputs& x, const json& p) {
         return maybe_squared(xg::pad(x[0], p.at("pads").get<std::vector<std::ptrdiff_t>>(),
                                      p.at("value").get<double>()),
                              p);
       }},
      {"flatten",
       [](const Inputs& x, const json& p) {
         return maybe_squared(xg::flatten(x[0], p.at("start").get<std::ptrdiff_t>(),
                                          p.at("end").get<std::ptrdiff_t>()),
                              p);
       }},
      // normalisation (training cases without running statistics; their updates are checked
      // as values by GoldenBatchNorm below)
      {"batch_norm_train",
       [](const Inputs& x, const json& p) {
         return xg::batch_norm(x[0], Td(), Td(), x.size() > 1 ? x[1] : Td(),
                               x.size() > 2 ? x[2] : Td(), true, 0.1, p.at("eps").get<double>());
       }},
      {"batch_norm_eval",
       [](const Inputs& x, const json& p) {
         return xg::batch_norm(x[0], x[1], x[2], x[3], x[4], false, 0.1,
                               p.at("eps").get<double>());
       }},
      {"layer_norm",
       [](const Inputs& x, const json& p) {
         return xg::layer_norm(x[0], p.at("normalized_shape").get<xg::Shape>(),
                               x.size() > 1 ? x[1] : Td(), x.size() > 2 ? x[2] : Td(),
                               p.at("eps").get<double>());
       }},
      // graphs (issue 17)
      {"spmm",
       [](const Inputs& x, const json& p) { return maybe_squared(xg::spmm(graph_of(p), x[0]), p); }},
      {"spmm_weighted",
       [](const Inputs& x, const json& p) {
         return maybe_squared(xg::spmm(graph_of(p), x[0], x[1]), p);
       }},
      {"sddmm",
       [](const Inputs& x, const json& p) {
         return maybe_squared(xg::sddmm(graph_of(p), x[0], x[1]), p);
       }},
      {"segment_sum",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::segment_sum(x[0], segment_ids(p), p.at("num_segments").get<std::size_t>()), p);
       }},
      {"segment_mean",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::segment_mean(x[0], segment_ids(p), p.at("num_segments").get<std::size_t>()), p);
       }},
      {"segment_max",
       [](const Inputs& x, const json& p) {
         return maybe_squared(
             xg::segment_max(x[0], segment_ids(p), p.at("num_segments").get<std::size_t>()), p);
       }},
      {"segment_softmax",
       [](const Inputs& x, const json& p) {
         return xg::segment_softmax(x[0], segment_ids(p), p.at("num_segments").get<std::size_t>());
       }},
      // attention (a bias, when given, is the fourth input)
      {"scaled_dot_product_attention",
       [](const Inputs& x, const json& p) {
         xg::AttentionOptions<double> o;
         if (!p.at("mask").is_null()) o.mask = bool_array(p.at("mask"));
         if (x.size() > 3) o.bias = x[3];
         o.causal = p.at("causal").get<bool>();
         if (!p.at("scale").is_null()) o.scale = p.at("scale").get<double>();
         return xg::scaled_dot_product_attention(x[0], x[1], x[2], o);
       }},
      // losses
      {"mse_loss",
       [](const Inputs& x, const json& p) { return xg::mse_loss(x[0], x[1], reduction_of(p)); }},
      {"bce_loss",
       [](const Inputs& x, const json& p) { return xg::bce_loss(x[0], x[1], reduction_of(p)); }},
      {"bce_with_logits",
       [](const Inputs& x, const json& p) {
         return xg::bce_with_logits(x[0], x[1], reduction_of(p));
       }},
      {"cross_entropy",
       [](const Inputs& x, const json& p) {
         return xg::cross_entropy(x[0], p.at("labels").get<std::vector<std::size_t>>(),
                                  reduction_of(p));
       }},
      {"nll_loss",
       [](const Inputs& x, const json& p) {
         return xg::nll_loss(x[0], p.at("labels").get<std::vector<std::size_t>>(), reduction_of(p));
       }},
  };
  return table;
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : op_table()) names.push_back(name);
  return names;
}

/// The fixture, read once; throws if the file is missing or malformed.
const json& fixture() {
  static const json doc = [] {
    std::ifstream in(kFixture);
    if (!in) throw std::runtime_error(std::string("cannot open ") + kFixture);
    return json::parse(in);
  }();
  return doc;
}

/// The fixture's cases.
const json& fixture_cases() {
  return fixture().at("cases");
}

/// An array with the given shape and flat row-major values.
xt::xarray<double> array_of(const json& shape, const json& values) {
  return Td::from(shape.get<xg::Shape>(), values.get<std::vector<double>>()).value();
}

/// The value `t`, or zeros of `shape` for an undefined tensor (an input the differentiated
/// scalar does not depend on: the HVP of an op linear in that input).
xt::xarray<double> value_or_zeros(const Td& t, const xg::Shape& shape) {
  return t.defined() ? t.value() : Td::zeros(shape).value();
}

/// Runs one fixture case of `fn`: forward, VJPs (recorded and not) and HVPs.
void check_case(const OpFn& fn, const json& c) {
  const json& params = c.at("params");
  const json& in = c.at("inputs");
  const json& out = c.at("output");

  // Fresh leaves each time: a pass accumulates into its leaves' .grad.
  auto make_inputs = [&in](Inputs& all, Inputs& wrt) {
    all.clear();
    wrt.clear();
    for (const json& e : in) {
      const bool rg = e.at("requires_grad").get<bool>();
      all.push_back(
          Td::from(e.at("shape").get<xg::Shape>(), e.at("values").get<std::vector<double>>(), rg));
      if (rg) wrt.push_back(all.back());
    }
  };
  std::vector<const json*> diff;  // the fixture entries of the differentiated inputs
  for (const json& e : in) {
    if (e.at("requires_grad").get<bool>()) diff.push_back(&e);
  }
  ASSERT_FALSE(diff.empty()) << "a case with nothing to differentiate";

  Inputs all, wrt;
  make_inputs(all, wrt);
  const Td y = fn(all, params);
  {
    SCOPED_TRACE("forward");
    xg::test::expect_close(y.value(), array_of(out.at("shape"), out.at("values")), kValueTol);
  }
  const Td v_out =
      Td::from(out.at("shape").get<xg::Shape>(), c.at("v_out").get<std::vector<double>>());

  // VJPs with the backward pass recorded, then the HVP: d/dx sum_i sum(vjp_i * u_i).
  const auto vjps = xg::grad<double>({y}, wrt, {v_out}, {.create_graph = true});
  ASSERT_EQ(vjps.size(), wrt.size());
  Td s = Td::scalar(0.0);
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    SCOPED_TRACE("VJP of differentiated input " + std::to_string(i));
    const json& e = *diff[i];
    ASSERT_TRUE(vjps[i].defined());
    xg::test::expect_close(vjps[i].value(), array_of(e.at("shape"), e.at("vjp")), kValueTol);
    const Td u = Td::from(e.at("shape").get<xg::Shape>(), e.at("u").get<std::vector<double>>());
    s = xg::add(s, xg::sum(xg::mul(vjps[i], u)));
  }
  std::vector<Td> hvps(wrt.size());
  if (s.requires_grad()) {  // otherwise no VJP depends on the inputs: every HVP is zero
    hvps = xg::grad<double>({s}, wrt, {}, {.allow_unused = true});
  }
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    SCOPED_TRACE("HVP of differentiated input " + std::to_string(i));
    const json& e = *diff[i];
    xg::test::expect_close(value_or_zeros(hvps[i], wrt[i].shape()),
                           array_of(e.at("shape"), e.at("hvp")), kHvpTol);
  }

  // The same VJPs from Tensor::backward without create_graph (the unrecorded path).
  make_inputs(all, wrt);
  fn(all, params).backward(v_out);
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    SCOPED_TRACE("backward() gradient of differentiated input " + std::to_string(i));
    const json& e = *diff[i];
    ASSERT_TRUE(wrt[i].has_grad());
    xg::test::expect_close(wrt[i].grad().value(), array_of(e.at("shape"), e.at("vjp")), kValueTol);
    wrt[i].zero_grad();
  }
}

/// Writes each input's value in place after the forward pass (then the output's), and runs
/// backward: either the engine refuses (GraphError: the op's rule reads that value, Saves), or
/// the rule did not read it and the gradients are PyTorch's. Anything else means an op declares
/// fewer saved values than its rule reads.
void check_in_place_writes(const OpFn& fn, const json& c) {
  const json& in = c.at("inputs");
  const json& out = c.at("output");
  const Td v_out =
      Td::from(out.at("shape").get<xg::Shape>(), c.at("v_out").get<std::vector<double>>());
  for (std::size_t k = 0; k <= in.size(); ++k) {  // k == in.size(): the output
    SCOPED_TRACE(k == in.size() ? std::string("output written in place")
                                : "input " + std::to_string(k) + " written in place");
    Inputs all;
    for (const json& e : in) {
      all.push_back(Td::from(e.at("shape").get<xg::Shape>(),
                             e.at("values").get<std::vector<double>>(),
                             e.at("requires_grad").get<bool>()));
    }
    Td y = fn(all, c.at("params"));
    Td& written = k == in.size() ? y : all[k];
    for (auto& x : written.mutable_value()) x = x * 1.25 + (x == 0 ? 0.5 : 0.0);
    try {
      y.backward(v_out);
    } catch (const xg::GraphError& e) {
      EXPECT_NE(std::string(e.what()).find("was modified in place after"), std::string::npos)
          << e.what();
      continue;
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (!in[i].at("requires_grad").get<bool>()) continue;
      SCOPED_TRACE("gradient of input " + std::to_string(i));
      ASSERT_TRUE(all[i].has_grad());
      xg::test::expect_close(all[i].grad().value(), array_of(in[i].at("shape"), in[i].at("vjp")),
                             kValueTol);
    }
  }
}

class GoldenOp : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenOp, MatchesPyTorch) {
  const std::string& op = GetParam();
  const OpFn& fn = op_table().at(op);
  std::size_t ran = 0;
  for (const json& c : fixture_cases()) {
    if (c.at("op").get<std::string>() != op) continue;
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    check_case(fn, c);
    ++ran;
  }
  EXPECT_GT(ran, 0u) << "the fixture has no case of op " << op << " (regenerate it with "
                     << "scripts/golden_values.py, or drop the op from the table)";
}

TEST_P(GoldenOp, RefusesBackwardAfterAnInPlaceWriteOfAValueItsRuleReads) {
  const std::string& op = GetParam();
  for (const json& c : fixture_cases()) {
    if (c.at("op").get<std::string>() != op) continue;
    SCOPED_TRACE("case " + c.at("name").get<std::string>());
    check_in_place_writes(op_table().at(op), c);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenOp, ::testing::ValuesIn(op_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(GoldenBatchNorm, RunningStatisticsFollowPyTorchStepByStep) {
  // Each case: running_mean = 0 and running_var = 1 at first, then three training steps of
  // F.batch_norm with the case's momentum; the stored values are PyTorch's after each step.
  const json& runs = fixture().at("batch_norm_running_stats");
  ASSERT_GT(runs.size(), 0u);
  for (const json& r : runs) {
    const auto shape = r.at("shape").get<xg::Shape>();
    SCOPED_TRACE("shape " + xg::shape_str(shape));
    Td rm = Td::zeros({shape[1]});
    Td rv = Td::ones({shape[1]});
    for (const json& step : r.at("steps")) {
      const Td x = Td::from(shape, step.at("x").get<std::vector<double>>());
      xg::batch_norm(x, rm, rv, Td(), Td(), true, r.at("momentum").get<double>(), 1e-5);
      xg::test::expect_close(rm.value(), array_of(json::array({shape[1]}), step.at("running_mean")),
                             kValueTol);
      xg::test::expect_close(rv.value(), array_of(json::array({shape[1]}), step.at("running_var")),
                             kValueTol);
    }
  }
}

TEST(GoldenFixture, EveryCaseIsOfAMappedOpWithAUniqueName) {
  const json& cases = fixture_cases();
  EXPECT_GT(cases.size(), 0u);
  std::set<std::string> names;
  for (const json& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    EXPECT_TRUE(names.insert(name).second) << "case name " << name << " appears twice";
    const std::string op = c.at("op").get<std::string>();
    EXPECT_TRUE(op_table().contains(op))
        << "case " << name << " is of op " << op << ", which golden_test.cpp does not map";
  }
}

TEST(GoldenFixture, EveryMappedOpHasACase) {
  std::set<std::string> ops;
  for (const json& c : fixture_cases()) ops.insert(c.at("op").get<std::string>());
  for (const auto& name : op_names()) {
    EXPECT_TRUE(ops.contains(name)) << "op " << name << " has no case in " << kFixture;
  }
}

}  // namespace
