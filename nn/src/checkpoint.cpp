// Parameter checkpoints as .npy directories (see checkpoint.hpp).
#include "xgrad/nn/checkpoint.hpp"

#include <filesystem>
#include <map>

#include "xgrad/detail/instantiate.hpp"
#include "xgrad/errors.hpp"
#include "xgrad/grad_mode.hpp"
#include "xgrad/serialize.hpp"

namespace xg::nn {

template <class T>
void save_parameters(const Module<T>& module, const std::string& directory) {
  std::map<std::string, xt::xarray<T>> arrays;
  for (const auto& [name, p] : module.named_parameters()) arrays.emplace(name, p.value());
  save_arrays<T>(directory, arrays);
}

template <class T>
void load_parameters(Module<T>& module, const std::string& directory) {
  const auto named = module.named_parameters();
  std::vector<std::string> names;
  names.reserve(named.size());
  for (const auto& [name, p] : named) names.push_back(name);
  // load_arrays throws (naming the file) unless every file reads; then every shape is checked
  // before the first value is copied, so a failed load leaves the module untouched.
  auto arrays = load_arrays<T>(directory, names);
  for (const auto& [name, p] : named) {
    const auto& stored = arrays.at(name);
    const Shape want = p.shape();
    const Shape got(stored.shape().begin(), stored.shape().end());
    if (want != got) {
      const auto file = (std::filesystem::path(directory) / (name + ".npy")).string();
      throw ShapeError("load_parameters: parameter '" + name + "' has shape " + shape_str(want) +
                       " in the model but " + shape_str(got) + " in '" + file + "'");
    }
  }
  NoGradGuard no_grad;
  for (auto [name, p] : named) p.mutable_value() = std::move(arrays.at(name));
}

#define XG_INSTANTIATE(T)                                                 \
  template void save_parameters<T>(const Module<T>&, const std::string&); \
  template void load_parameters<T>(Module<T>&, const std::string&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::nn
