// G3_CHECK: internal invariants that must hold whatever the input. A failure is a bug in this
// program, so it aborts with the condition and location (user errors use Result instead).
#pragma once

#include <cstdio>
#include <cstdlib>

#define G3_CHECK(cond)                                                                      \
  do {                                                                                      \
    if (!(cond)) [[unlikely]] {                                                             \
      std::fprintf(stderr, "gemma3: internal error: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)
