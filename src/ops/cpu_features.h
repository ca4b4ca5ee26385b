// Run-time instruction-set choice. The build targets plain x86-64; the faster kernels are compiled
// per function with target attributes and picked here once, so one binary runs everywhere.
#pragma once

namespace gemma3 {

// Ordered: a higher value implies every lower one is usable.
//   kAvx2   = AVX2 + FMA + F16C
//   kAvx512 = AVX-512 F/BW/VL/DQ (+ the kAvx2 set)
enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

Isa best_supported_isa();  // from cpuid (__builtin_cpu_supports), computed once

// The ISA every dispatching kernel uses. Default: best_supported_isa(), or the env variable
// GEMMA3_ISA=scalar|avx2|avx512 read at first use (capped at the supported one; an unknown value is
// reported on stderr once and ignored). Thread-safe (an atomic load per call).
Isa active_isa();
void set_active_isa(Isa isa);  // for tests and benchmarks; capped at best_supported_isa()

const char* isa_name(Isa isa);  // "scalar", "avx2", "avx512"

// The F16C flag from cpuid (what __builtin_cpu_supports("f16c") gives under GCC; clang has no such name).
bool cpu_has_f16c();

// Extensions the kAvx512 kernels use when present (Zen 4+, Sapphire Rapids+): AVX512_BF16
// (vdpbf16ps: bf16 pair dot products) and AVX512_VNNI (vpdpbusd: int8 dot products). Both are
// false unless active_isa() is kAvx512, and GEMMA3_NO_BF16=1 / GEMMA3_NO_VNNI=1 turn them off
// (to test and measure the fallbacks).
bool cpu_has_avx512_bf16();
bool cpu_has_avx512_vnni();
// "avx512 + bf16 + vnni"-style summary of what the kernels will use.
const char* kernel_features();

}  // namespace gemma3
