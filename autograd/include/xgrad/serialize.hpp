// Named arrays on disk: a directory with one NumPy .npy file per array ("<name>.npy"), so
// numpy.load reads every checkpoint xgrad writes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

namespace xg {

/// Writes each array as `<directory>/<name>.npy` (the directory is created if needed).
template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays);

/// Reads `<directory>/<name>.npy` for each name. Throws xg::Error naming the file when one is
/// missing, unreadable or of another element type; nothing is returned unless all load.
template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names);

/// The names of the .npy files in `directory` (without the extension), sorted.
std::vector<std::string> list_arrays(const std::string& directory);

}  // namespace xg
