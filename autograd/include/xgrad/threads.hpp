// The thread count of xgrad's operations.
//
// Large operations (elementwise loops, reductions, softmax over about 32 thousand elements or
// more) are split over one process-wide pool of threads, the calling thread included; matrix
// products go parallel inside OpenBLAS. Smaller operations run on the calling thread, so small
// models pay nothing for the pool. Results are the same to the last bit for any thread count.
// The default is one thread per core. Set it deliberately when a program has threads of its own
// (one per training thread avoids oversubscription).
#pragma once

namespace xg {

/// Sets the number of threads of xgrad's pool and of OpenBLAS for every later operation
/// (n >= 1; 1 runs everything on the calling thread).
void set_num_threads(int n);
/// The number of threads operations currently use.
int num_threads();

}  // namespace xg
