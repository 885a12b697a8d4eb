// Saving and loading a module's parameters: a directory with one NumPy .npy file per
// parameter, named after it ("0.weight.npy"), readable with numpy.load.
#pragma once

#include <string>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

/// Writes every named parameter of `module` into `directory` (created if missing).
template <class T>
void save_parameters(const Module<T>& module, const std::string& directory);

/// Reads every named parameter of `module` from `directory`. Throws ShapeError naming the
/// parameter and both shapes if a stored shape differs, and xg::Error naming the file if one is
/// missing or unreadable; nothing is changed in the module unless every file loads.
template <class T>
void load_parameters(Module<T>& module, const std::string& directory);

}  // namespace xg::nn
