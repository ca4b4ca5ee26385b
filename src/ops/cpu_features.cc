#include "ops/cpu_features.h"

#include <cpuid.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gemma3 {

// CPUID leaf 1, ECX bit 29. clang (the sanitizer build) has no "f16c" for __builtin_cpu_supports;
// the register state it needs is AVX's, which the avx2 check below already requires of the OS.
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

namespace {

Isa detect_isa() {
  __builtin_cpu_init();
  // __builtin_cpu_supports also requires the OS to save the wider registers (XCR0).
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  if (!avx2) return Isa::kScalar;
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return avx512 ? Isa::kAvx512 : Isa::kAvx2;
}

Isa cap(Isa isa) {
  Isa best = best_supported_isa();
  return static_cast<int>(isa) > static_cast<int>(best) ? best : isa;
}

Isa initial_isa() {
  const char* env = std::getenv("GEMMA3_ISA");
  if (env == nullptr || *env == '\0') return best_supported_isa();
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (std::strcmp(env, isa_name(isa)) == 0) return cap(isa);
  }
  std::fprintf(stderr, "gemma3: ignoring GEMMA3_ISA=%s (expected scalar, avx2 or avx512)\n", env);
  return best_supported_isa();
}

// -1 = not yet chosen. Relaxed ordering suffices: the value is a plain choice, not a publication
// of other data, and every thread computes the same initial value.
std::atomic<int> g_active{-1};

}  // namespace

Isa best_supported_isa() {
  static const Isa best = detect_isa();
  return best;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(initial_isa());
    int expected = -1;
    if (!g_active.compare_exchange_strong(expected, v, std::memory_order_relaxed)) v = expected;
  }
  return static_cast<Isa>(v);
}

void set_active_isa(Isa isa) {
  g_active.store(static_cast<int>(cap(isa)), std::memory_order_relaxed);
}

namespace {
bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}
}  // namespace

bool cpu_has_avx512_bf16() {
  static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("avx512bf16")) && !env_set("GEMMA3_NO_BF16");
  return has && active_isa() == Isa::kAvx512;
}

bool cpu_has_avx512_vnni() {
  static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("avx512vnni")) && !env_set("GEMMA3_NO_VNNI");
  return has && active_isa() == Isa::kAvx512;
}

const char* kernel_features() {
  const bool bf16 = cpu_has_avx512_bf16(), vnni = cpu_has_avx512_vnni();
  switch (active_isa()) {
    case Isa::kAvx512:
      return bf16 && vnni ? "avx512+bf16+vnni" : bf16 ? "avx512+bf16" : vnni ? "avx512+vnni" : "avx512";
    case Isa::kAvx2:
      return "avx2+fma+f16c";
    case Isa::kScalar:
      break;
  }
  return "scalar";
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

}  // namespace gemma3
