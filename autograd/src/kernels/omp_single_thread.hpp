// oneDNN sizes its work by the OpenMP thread count of the thread that calls it (Debian's libdnnl
// runs on OpenMP): SingleThreaded sets that count to 1 for a scope, so that xgrad's pool alone
// decides the parallelism and oneDNN never starts OpenMP threads of its own. The count is the
// calling thread's own (OpenMP keeps one per thread) and is put back afterwards, for the
// program's own OpenMP code.
#pragma once

#include <omp.h>

namespace xg::kernels {

class SingleThreaded {
 public:
  SingleThreaded() : before_(omp_get_max_threads()) {
    if (before_ != 1) omp_set_num_threads(1);
  }
  ~SingleThreaded() {
    if (before_ != 1) omp_set_num_threads(before_);
  }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int before_;
};

}  // namespace xg::kernels
