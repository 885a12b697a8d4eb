# Dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(xtl REQUIRED)
find_package(xtensor REQUIRED)
# OpenBLAS does the matrix products; insist on it rather than whatever BLAS is found first.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_package(Threads REQUIRED)
find_path(XGRAD_CBLAS_INCLUDE_DIR cblas.h PATHS /usr/include/x86_64-linux-gnu REQUIRED)
find_package(ZLIB REQUIRED)
# oneDNN runs the float convolutions (autograd/src/kernels/conv_dnnl.cpp). Its CMake config looks
# for OpenCL (Debian builds it with the OpenCL GPU runtime, hence ocl-icd-opencl-dev).
find_package(dnnl 2.6 CONFIG REQUIRED)
# GCC's OpenMP runtime, the one libdnnl is built with: xgrad sets the OpenMP thread count of the
# threads that call oneDNN (to 1: xgrad's pool runs them). Named as a file so that a clang build
# links this runtime too, not clang's.
find_library(XGRAD_GOMP_LIBRARY NAMES libgomp.so.1 gomp REQUIRED)
# CLI11 (header-only) parses the example programs' command lines, and xgrad_checkpoint_depth's.
if(XGRAD_BUILD_EXAMPLES OR XGRAD_BUILD_BENCHMARKS)
  find_package(CLI11 CONFIG REQUIRED)
endif()
