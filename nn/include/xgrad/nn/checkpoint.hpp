// Saving and loading a module's parameters and buffers (PyTorch's state_dict): a directory with
// one NumPy .npy file per parameter or buffer, named after it ("0.weight.npy",
// "1.running_mean.npy"), readable with numpy.load. A model without buffers writes and reads
// exactly the files it did before buffers existed.
#pragma once

#include <string>

#include "xgrad/io/incompatible_keys.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

/// Makes `directory` hold exactly the named parameters and buffers of `module` (created if
/// missing; an earlier checkpoint there is replaced as a whole, see xg::save_arrays).
template <class T>
void save_parameters(const Module<T>& module, const std::string& directory);

/// Reads the named parameters and buffers of `module` from `directory`, as PyTorch's
/// load_state_dict. strict (the default): every parameter and buffer must have a file and every
/// .npy file must be one of them, else xg::Error naming each missing and unexpected entry and
/// its file. Not strict: loads the entries that have a file, leaves the others as they are and
/// returns what was skipped. Either way a stored shape that differs is a ShapeError naming the
/// parameter or buffer and both shapes, and an unreadable file an xg::Error naming it; nothing is
/// changed in the module unless every entry loads.
template <class T>
IncompatibleKeys load_parameters(Module<T>& module, const std::string& directory,
                                 bool strict = true);

}  // namespace xg::nn
