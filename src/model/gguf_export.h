// A Hugging Face Gemma 3 checkpoint written as a GGUF file the way llama.cpp's converter
// (convert_hf_to_gguf.py, class Gemma3Model) and llama-quantize write one, so `gemma3 quantize`
// output loads here in place (memory-mapped, no conversion at load) and in llama.cpp alike:
//   - tensor names token_embd, blk.N.attn_q/k/v/output, attn_q_norm/attn_k_norm, attn_norm,
//     post_attention_norm, ffn_norm, post_ffw_norm, ffn_gate/up/down, output_norm (and output for
//     an untied LM head), in the checkpoint's sorted tensor-name order;
//   - RMSNorm weights stored as (1 + w) in F32; matrices in the chosen type, with GGML's reference
//     quantizers; the embedding may get its own type (--embd-dtype); or llama-quantize's mixes
//     (Q4_K_M, ...), whose files equal llama-quantize's output for this exporter's bf16 file;
//   - metadata gemma3.* from config.json, and the SentencePiece vocabulary tokenizer.ggml.* the
//     converter would read from tokenizer.model, rebuilt from tokenizer.json (the same pieces):
//     scores −id for learned and byte pieces (Gemma's merges are in id order), types UNKNOWN /
//     CONTROL / BYTE / NORMAL, then tokenizer_config.json's added tokens as CONTROL or USER_DEFINED.
// Hyper-parameters llama.cpp fixes for Gemma 3 are written only where the checkpoint differs
// (rope.freq_base_swa, attention.sliding_window_pattern, softcapping); one GGUF cannot express
// (query_pre_attn_scalar other than llama.cpp's rule) is an error. The written file is read back
// and must give the same config before it replaces OUT.
// tests/reference/gguf_writer.py is an independent NumPy twin; the tests compare the two byte for
// byte.
#pragma once

#include <filesystem>
#include <optional>

#include "model/quant_mix.h"
#include "ops/dtype.h"
#include "util/result.h"

namespace gemma3 {

struct GgufExportOptions {
  DType dtype = DType::kBF16;           // the matrices
  std::optional<DType> embedding_dtype;  // token_embd (and a tied LM head); default: dtype
  size_t alignment = 32;                 // general.alignment (written only when not 32)
  // A llama-quantize mix instead of one `dtype`: each tensor's type from model/quant_mix.h, and
  // the file laid out as llama-quantize lays out its output for the file this exporter writes in
  // bf16: tensors in the loader's order, general.quantization_version then general.file_type as
  // the last keys. embedding_dtype then acts as llama-quantize's --token-embedding-type.
  std::optional<QuantMix> mix;
};

struct GgufExportReport {
  size_t n_tensors = 0;
  size_t n_skipped = 0;  // tensors outside the text decoder (a multimodal checkpoint's vision tower)
  size_t file_bytes = 0;
  size_t n_fallback = 0;  // with a mix: tensors given a legacy type because their rows are not a multiple of 256
};

Result<GgufExportReport> export_gguf(const std::filesystem::path& model_dir, const std::filesystem::path& out,
                                     const GgufExportOptions& options);

}  // namespace gemma3
