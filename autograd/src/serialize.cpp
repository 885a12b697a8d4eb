// .npy directories through xtensor's npy support (see serialize.hpp).
#include "xgrad/serialize.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <xtensor/xnpy.hpp>

#include "util.hpp"

namespace xg {

namespace fs = std::filesystem;

namespace {
fs::path file_of(const std::string& directory, const std::string& name) {
  return fs::path(directory) / (name + ".npy");
}
}  // namespace

template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw Error("save_arrays: cannot create directory '" + directory + "': " + ec.message());
  for (const auto& [name, array] : arrays) {
    const auto path = file_of(directory, name);
    try {
      xt::dump_npy(path.string(), array);
    } catch (const std::exception& e) {
      throw Error("save_arrays: cannot write '" + path.string() + "': " + e.what());
    }
    if (!fs::exists(path)) throw Error("save_arrays: cannot write '" + path.string() + "'");
  }
}

template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names) {
  std::map<std::string, xt::xarray<T>> out;
  for (const auto& name : names) {
    const auto path = file_of(directory, name);
    if (!fs::is_regular_file(path)) {
      throw Error("load_arrays: missing file '" + path.string() + "' for '" + name + "'");
    }
    try {
      out.emplace(name, xt::load_npy<T>(path.string()));
    } catch (const std::exception& e) {
      throw Error("load_arrays: cannot read '" + path.string() + "': " + e.what());
    }
  }
  return out;
}

std::vector<std::string> list_arrays(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".npy") names.push_back(entry.path().stem().string());
  }
  if (ec) throw Error("list_arrays: cannot read directory '" + directory + "': " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

#define XG_INSTANTIATE(T)                                                                        \
  template void save_arrays<T>(const std::string&, const std::map<std::string, xt::xarray<T>>&); \
  template std::map<std::string, xt::xarray<T>> load_arrays<T>(const std::string&,               \
                                                               const std::vector<std::string>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg
