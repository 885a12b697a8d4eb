// Saving and loading a module's parameters: a directory with one NumPy .npy file per
// parameter, named after it ("0.weight.npy"), readable with numpy.load.
#pragma once

#include <string>

#include "xgrad/io/incompatible_keys.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

/// Makes `directory` hold exactly the named parameters of `module` (created if missing; an
/// earlier checkpoint there is replaced as a whole, see xg::save_arrays).
template <class T>
void save_parameters(const Module<T>& module, const std::string& directory);

/// Reads the named parameters of `module` from `directory`, as PyTorch's load_state_dict.
/// strict (the default): every parameter must have a file and every .npy file must be a
/// parameter, else xg::Error naming each missing and unexpected entry and its file.
/// Not strict: loads the parameters that have a file, leaves the others as they are and returns
/// what was skipped. Either way a stored shape that differs is a ShapeError naming the parameter
/// and both shapes, and an unreadable file an xg::Error naming it; nothing is changed in the
/// module unless every entry loads.
template <class T>
IncompatibleKeys load_parameters(Module<T>& module, const std::string& directory,
                                 bool strict = true);

}  // namespace xg::nn
