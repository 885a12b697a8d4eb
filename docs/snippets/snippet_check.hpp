// CHECK(cond) for the docs snippets: a failed check prints where and makes main return 1, so
// ctest fails when a snippet's documented result stops being true.
#pragma once

#include <cstdio>

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                            \
    }                                                                      \
  } while (0)
