// Explicit instantiation helper for the library's .cpp files: MACRO(float) MACRO(double).
#pragma once

#define XG_INSTANTIATE_FOR_FLOATS(MACRO) \
  MACRO(float)                           \
  MACRO(double)
