# Dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(xtl REQUIRED)
find_package(xtensor REQUIRED)
# OpenBLAS does the matrix products; insist on it rather than whatever BLAS is found first.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_package(Threads REQUIRED)
find_path(XGRAD_CBLAS_INCLUDE_DIR cblas.h PATHS /usr/include/x86_64-linux-gnu REQUIRED)
find_package(ZLIB REQUIRED)
# CLI11 (header-only) parses the example programs' command lines.
if(XGRAD_BUILD_EXAMPLES)
  find_package(CLI11 CONFIG REQUIRED)
endif()
