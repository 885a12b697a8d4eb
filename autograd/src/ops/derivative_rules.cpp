// The local derivative rule of every operation xgrad records, as text for the backward trace.
// g is dLoss/dOutput, a and b the inputs, out the result; broadcasting is undone by the engine
// after the rule (a gradient is summed back to its input's shape).
#include <map>
#include <string>
#include <vector>

#include "xgrad/tools/trace.hpp"

namespace xg {

namespace {
const std::map<std::string, std::string>& rules() {
  static const std::map<std::string, std::string> table = {
      {"add", "add: out = a + b; da = g, db = g"},
      {"sub", "sub: out = a - b; da = g, db = -g"},
      {"mul", "mul: out = a * b; da = g * b, db = g * a"},
      {"div", "div: out = a / b; da = g / b, db = -g * a / b^2"},
      {"neg", "neg: out = -a; da = -g"},
      {"add_scalar", "add_scalar: out = a + c; da = g"},
      {"mul_scalar", "mul_scalar: out = c * a; da = c * g"},
      {"rsub_scalar", "rsub_scalar: out = c - a; da = -g"},
      {"rdiv_scalar", "rdiv_scalar: out = c / a; da = -g * c / a^2"},
      {"pow", "pow: out = a^b; da = g * b * a^(b-1), db = g * a^b * ln(a)"},
      {"pow_scalar", "pow_scalar: out = a^p; da = g * p * a^(p-1)"},
      {"exp", "exp: out = e^a; da = g * out"},
      {"log", "log: out = ln(a); da = g / a"},
      {"clamped_log", "clamped_log: out = max(ln(a), -100); da = g / a where out > -100, else 0"},
      {"sqrt", "sqrt: out = sqrt(a); da = g / (2 * out)"},
      {"abs", "abs: out = |a|; da = g * sign(a)"},
      {"clamp", "clamp: out = min(max(a, lo), hi); da = g where lo <= a <= hi, else 0"},
      {"maximum",
       "maximum: out = max(a, b); da = g where a > b, db = g where b > a (ties: g/2 each)"},
      {"minimum",
       "minimum: out = min(a, b); da = g where a < b, db = g where b < a (ties: g/2 each)"},
      {"where", "where: out = cond ? a : b; da = g where cond, db = g where not cond"},
      {"step", "step: out = (a > 0); da = 0 (flat almost everywhere)"},
      {"hardtanh", "hardtanh: out = clip(a, lo, hi); da = g where lo < a < hi, else 0"},
      {"sigmoid", "sigmoid: out = 1 / (1 + e^-a); da = g * out * (1 - out)"},
      {"tanh", "tanh: out = tanh(a); da = g * (1 - out^2)"},
      {"relu", "relu: out = max(a, 0); da = g * (a > 0 ? 1 : 0)"},
      {"leaky_relu", "leaky_relu: out = a > 0 ? a : s * a; da = g * (a > 0 ? 1 : s)"},
      {"elu", "elu: out = a > 0 ? a : alpha (e^a - 1); da = g * (a > 0 ? 1 : out + alpha)"},
      {"softplus", "softplus: out = ln(1 + e^a); da = g * sigmoid(a)"},
      {"softmax", "softmax: out = e^a / sum(e^a); da = out * (g - sum(g * out)) along the axis"},
      {"log_softmax",
       "log_softmax: out = a - logsumexp(a); da = g - softmax(a) * sum(g) along the axis"},
      {"logsumexp", "logsumexp: out = ln(sum(e^a)); da = g * softmax(a) along the axis"},
      {"sum", "sum: out = sum of all a; da = g copied to every element of a"},
      {"sum_axis", "sum_axis: out = sum of a along an axis; da = g copied back along that axis"},
      {"max", "max: out = max of all a; da = g at the maximum (shared among ties), 0 elsewhere"},
      {"max_axis",
       "max_axis: out = max along an axis; da = g at each slice's maximum (shared among ties), 0 "
       "elsewhere"},
      {"matmul", "matmul: out = a @ b; da = g @ b^T, db = a^T @ g"},
      {"linear", "linear: out = x W + b; dx = g W^T, dW = x^T g, db = g summed over the rows"},
      {"transpose", "transpose: out = a^T; da = g^T"},
      {"permute", "permute: out = a with axes reordered; da = g with the inverse order"},
      {"reshape", "reshape: same values, new shape; da = g reshaped to a's shape"},
      {"flatten", "flatten: same values, fewer axes; da = g reshaped to a's shape"},
      {"squeeze", "squeeze: drops an axis of size 1; da = g reshaped to a's shape"},
      {"unsqueeze", "unsqueeze: adds an axis of size 1; da = g reshaped to a's shape"},
      {"broadcast_to",
       "broadcast_to: out = a repeated to a bigger shape; da = sum_to(g, shape of a)"},
      {"sum_to",
       "sum_to: out = a summed down to a smaller shape; da = broadcast_to(g, shape of a)"},
      {"narrow",
       "narrow: out = a slice of a along an axis; da = g placed at the slice, 0 elsewhere"},
      {"slice_rows",
       "slice_rows: out = rows [begin, end) of a; da = g placed at those rows, 0 elsewhere"},
      {"narrow_backward",
       "narrow_backward: out = a padded with zeros; da = the slice of g where a was placed"},
      {"concat",
       "concat: out = inputs joined along an axis; da_i = the slice of g that came from input i"},
      {"index_select",
       "index_select: out = rows of a at the indices; da = g's rows added at those indices "
       "(repeats add up)"},
      {"index_select_backward",
       "index_select_backward: out = rows of a added at indices; da = index_select(g)"},
      {"gather", "gather: out[i] = a[i, label_i]; da = g[i] at (i, label_i), 0 elsewhere"},
      {"gather_backward", "gather_backward: out = a scattered to (i, label_i); da = gather(g)"},
      {"nll_loss",
       "nll_loss: out = -scale * a[i, label_i]; da = -scale * g at (i, label_i), 0 elsewhere"},
      {"bce_with_logits",
       "bce_with_logits: out = max(a,0) - a*t + ln(1 + e^-|a|); da = g * (sigmoid(a) - t), dt = -g "
       "* a"},
      {"mse_loss",
       "mse_loss: out = s * sum((p - t)^2), s = 1/N (mean) or 1 (sum); dp = g * 2s * (p - t), "
       "dt = -dp"},
      {"bce_loss",
       "bce_loss: out = -s * sum(t ln p + (1 - t) ln(1 - p)), logs clamped at -100; "
       "dp = g * s * ((1 - t) / (1 - p) - t / p), dt = g * s * (ln(1 - p) - ln p)"},
  };
  return table;
}
}  // namespace

std::string derivative_rule(const std::string& op) {
  auto it = rules().find(op);
  return it == rules().end() ? std::string() : it->second;
}

std::vector<std::string> known_rules() {
  std::vector<std::string> names;
  for (const auto& [name, rule] : rules()) names.push_back(name);
  return names;
}

}  // namespace xg
