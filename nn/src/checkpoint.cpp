// Parameter and buffer checkpoints as .npy directories (see checkpoint.hpp).
#include "xgrad/nn/checkpoint.hpp"

#include <map>
#include <set>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/io/npy.hpp"

namespace xg::nn {

namespace {

/// The parameters, then the buffers, of `module` by name (one namespace: a module cannot
/// register a parameter and a buffer under one name).
template <class T>
std::vector<std::pair<std::string, Tensor<T>>> state_of(const Module<T>& module) {
  auto named = module.named_parameters();
  for (auto& entry : module.named_buffers()) named.push_back(std::move(entry));
  return named;
}

}  // namespace

template <class T>
void save_parameters(const Module<T>& module, const std::string& directory) {
  std::map<std::string, xt::xarray<T>> arrays;
  for (const auto& [name, p] : state_of(module)) arrays.emplace(name, p.value());
  save_arrays<T>(directory, arrays);
}

template <class T>
IncompatibleKeys load_parameters(Module<T>& module, const std::string& directory, bool strict) {
  const auto named = state_of(module);
  const std::size_t parameters = module.named_parameters().size();
  ExpectedKeys expected;
  for (const auto& [name, p] : named) expected.required.push_back(name);
  auto keys = match_keys("load_parameters", list_arrays(directory), expected, strict, directory);
  const std::set<std::string> missing(keys.missing_keys.begin(), keys.missing_keys.end());
  std::vector<std::string> names;
  for (const auto& name : expected.required) {
    if (!missing.count(name)) names.push_back(name);
  }
  // load_arrays throws (naming the file) unless every file reads; then every shape is checked
  // before the first value is copied, so a failed load leaves the module untouched.
  auto arrays = load_arrays<T>(directory, names);
  for (std::size_t i = 0; i < named.size(); ++i) {
    const auto& [name, p] = named[i];
    const auto it = arrays.find(name);
    if (it == arrays.end()) continue;
    const Shape want = p.shape();
    const Shape got(it->second.shape().begin(), it->second.shape().end());
    if (want != got) {
      throw ShapeError(std::string("load_parameters: ") +
                       (i < parameters ? "parameter '" : "buffer '") + name + "' has shape " +
                       shape_str(want) + " in the model but " + shape_str(got) + " in '" +
                       array_file(directory, name) + "'");
    }
  }
  NoGradGuard no_grad;
  for (auto [name, p] : named) {
    const auto it = arrays.find(name);
    if (it != arrays.end()) p.set_value(std::move(it->second));
  }
  return keys;
}

#define XG_INSTANTIATE(T)                                                 \
  template void save_parameters<T>(const Module<T>&, const std::string&); \
  template IncompatibleKeys load_parameters<T>(Module<T>&, const std::string&, bool);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
