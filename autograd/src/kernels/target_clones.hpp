// XG_TARGET_CLONES: builds a float loop for AVX-512, AVX2 and the baseline, picked at load time
// by an ifunc resolver. ThreadSanitizer's runtime cannot run those resolvers (they run before it
// is set up), so a TSan build keeps the baseline only; so does an ASan build, where the clones
// would only triple the compile time of the kernels for code the sanitizer sees once already.
#pragma once

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define XG_TARGET_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define XG_TARGET_CLONES
#endif
#endif
#ifndef XG_TARGET_CLONES
#define XG_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
