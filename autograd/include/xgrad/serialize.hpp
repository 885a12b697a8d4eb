// Named arrays on disk: a directory with one NumPy .npy file per array ("<name>.npy"), so
// numpy.load reads every checkpoint xgrad writes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

namespace xg {

/// Writes each array as `<directory>/<name>.npy` (the directory is created if needed); other
/// files already in the directory are kept. Atomic: the new directory is built beside the old
/// one, fsynced and swapped in with one rename, so a crash or kill at any moment leaves the
/// complete old or the complete new checkpoint. The directory may hold files only.
template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays);

/// Reads `<directory>/<name>.npy` for each name. Throws xg::Error naming the file when one is
/// missing, unreadable, truncated, malformed or of another element type (checked before any
/// allocation); nothing is returned unless all load.
template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names);

/// The names of the .npy files in `directory` (without the extension), sorted.
std::vector<std::string> list_arrays(const std::string& directory);

}  // namespace xg
