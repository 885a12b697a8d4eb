// Named arrays on disk: a directory with one NumPy .npy file per array ("<name>.npy"), so
// numpy.load reads every checkpoint xgrad writes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

namespace xg {

/// Makes `directory` hold exactly `arrays`, each as `<directory>/<name>.npy`: the whole
/// checkpoint is replaced, and no file of an earlier save survives. Atomic: the new directory is
/// built beside the old one, fsynced and swapped in with one rename, so a crash or kill at any
/// moment leaves the complete old or the complete new checkpoint.
///
/// - A name must be a plain file name (not empty, ".", "..", no '/' or NUL): xg::Error naming it.
/// - A symbolic link to a directory is written through: the link stays, its target is replaced.
/// - The directory (or, for a new one, its parent) must be writable by the caller; one that no
///   one may write (no write bit in its mode, e.g. 0555) is refused even for root. The new
///   directory keeps the old one's permission bits.
/// - An existing directory may hold .npy files only; anything else (a subdirectory, notes.txt)
///   is refused with an error naming it rather than deleted.
/// - On any failure the old checkpoint is untouched and no staging directory is left behind.
template <class T>
void save_arrays(const std::string& directory, const std::map<std::string, xt::xarray<T>>& arrays);

/// Reads `<directory>/<name>.npy` for each name. Throws xg::Error naming the file when one is
/// missing, not a regular file (a symbolic link is refused: nothing outside the directory is
/// read), unreadable, truncated, malformed or of another element type (checked before any
/// allocation); names are checked as save_arrays checks them. Nothing is returned unless all
/// load.
template <class T>
std::map<std::string, xt::xarray<T>> load_arrays(const std::string& directory,
                                                 const std::vector<std::string>& names);

/// The names of the .npy files in `directory` (without the extension), sorted.
std::vector<std::string> list_arrays(const std::string& directory);

/// The file that holds array `name` of the checkpoint `directory`: "<directory>/<name>.npy".
std::string array_file(const std::string& directory, const std::string& name);

}  // namespace xg
