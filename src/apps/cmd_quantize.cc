// `gemma3 quantize`: writes a checkpoint as a GGUF file in another weight format (model/gguf_export.h),
// e.g. bf16 safetensors -> Q8_0 GGUF, or one of llama-quantize's mixes (q4_k_m, ...: the file
// llama-quantize writes, model/quant_mix.h). The file then loads in place with `-m FILE.gguf` (no
// re-encoding at load, unlike --dtype) and in llama.cpp, so both can be timed on identical bytes.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>

#include "apps/cli_support.h"
#include "apps/command.h"
#include "model/gguf_export.h"
#include "model/gguf_model.h"
#include "model/model_locator.h"
#include "model/quant_mix.h"
#include "model/weight_convert.h"
#include "util/args.h"

namespace gemma3 {
namespace {

int run_quantize(int argc, char** argv) {
  Args args("quantize", "Write a Hugging Face Gemma 3 checkpoint as a GGUF file (llama.cpp's layout) in another weight format.");
  args.option("model", "m", "checkpoint folder, or Hugging Face repo id org/name")
      .option("out", "o", "output .gguf file")
      .option("dtype", "", "matrix format: q8_0 (int8, 32-element blocks), q4_0, bf16, f16 or f32; or llama-quantize's mix q4_k_m, q5_k_m, q6_k or q3_k_m", "q8_0")
      .option("embd-dtype", "", "format of the token embedding (and the tied LM head) (default: --dtype, or the mix's rule)")
      .option("alignment", "", "tensor data alignment in bytes (a power of two)", "32")
      .option("threads", "t", "threads (0 = all cores)", "0");
  if (auto s = args.parse(argc, argv); !s) return std::fprintf(stderr, "%s\n", s.error().c_str()), 1;
  if (args.help_requested()) return std::fprintf(stdout, "%s", args.usage().c_str()), 0;
  if (!args.has("out")) return std::fprintf(stderr, "quantize: -o FILE.gguf is required\n%s", args.usage().c_str()), 1;
  GgufExportOptions options;
  auto parse_format = [&](const char* flag) -> std::optional<DType> {
    auto d = parse_weight_dtype(args.get(flag));
    if (!d) {
      std::fprintf(stderr, "quantize: --%s '%s' is not a weight format (expected bf16, f16, f32, q8_0 or q4_0%s)\n", flag,
                   args.get(flag).c_str(), std::string_view(flag) == "dtype" ? ", or q4_k_m, q5_k_m, q6_k, q3_k_m" : "");
      return std::nullopt;
    }
    return *d;
  };
  options.mix = parse_quant_mix(args.get("dtype"));
  if (!options.mix) {
    const std::optional<DType> dtype = parse_format("dtype");
    if (!dtype) return 1;
    options.dtype = *dtype;
  }
  if (args.has("embd-dtype")) {
    options.embedding_dtype = parse_format("embd-dtype");
    if (!options.embedding_dtype) return 1;
  }
  auto alignment = args.get_int("alignment");
  if (!alignment || *alignment < 1 || *alignment > (1 << 20) || (*alignment & (*alignment - 1)) != 0)
    return std::fprintf(stderr, "quantize: --alignment expects a power of two up to 1048576\n"), 1;
  options.alignment = static_cast<size_t>(*alignment);
  if (auto t = apply_thread_option(args); !t) return std::fprintf(stderr, "quantize: %s\n", t.error().c_str()), 1;
  auto dir = resolve_model_dir(args.get("model"));
  if (!dir) return std::fprintf(stderr, "quantize: %s\n", dir.error().c_str()), 1;
  if (is_gguf_path(*dir))
    return std::fprintf(stderr, "quantize: %s is already a GGUF file; quantize reads a Hugging Face checkpoint folder\n",
                        dir->c_str()),
           1;

  const auto t0 = std::chrono::steady_clock::now();
  auto report = export_gguf(*dir, args.get("out"), options);
  if (!report) return std::fprintf(stderr, "quantize: %s\n", report.error().c_str()), 1;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (options.mix) {
    std::fprintf(stderr, "wrote %s: %zu tensors, llama-quantize's %s mix (%zu tensors fell back to a legacy type: rows not a multiple of 256), %.1f MB in %.1f s\n",
                 args.get("out").c_str(), report->n_tensors, quant_mix_name(*options.mix), report->n_fallback,
                 report->file_bytes * 1e-6, s);
  } else {
    std::fprintf(stderr, "wrote %s: %zu tensors, matrices %s, embedding %s, %.1f MB in %.1f s\n", args.get("out").c_str(),
                 report->n_tensors, dtype_name(options.dtype), dtype_name(options.embedding_dtype.value_or(options.dtype)),
                 report->file_bytes * 1e-6, s);
  }
  if (report->n_skipped > 0)
    std::fprintf(stderr, "skipped %zu tensors outside the text decoder (a multimodal checkpoint's vision tower)\n", report->n_skipped);
  return 0;
}

const bool registered = register_command({"quantize", "write a checkpoint as a GGUF file in another weight format (q8_0, q4_0, ...) or llama-quantize's mixes (q4_k_m, ...)", &run_quantize});

}  // namespace
}  // namespace gemma3
