// The thread count of xgrad's matrix products.
//
// xgrad runs no thread pool of its own: operations run on the calling thread, and only the
// matrix products go parallel, inside OpenBLAS. Its default is one thread per core. Set it
// deliberately when a program has threads of its own (one OpenBLAS thread per training thread
// avoids oversubscription) or when small models are all it runs (1 is best below a few
// hundred thousand multiply-adds per product).
#pragma once

namespace xg {

/// Sets the number of threads OpenBLAS uses for every later matrix product (n >= 1).
void set_num_threads(int n);
/// The number of threads OpenBLAS currently uses.
int num_threads();

}  // namespace xg
