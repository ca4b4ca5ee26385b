// Gemma 3 from a GGUF file as llama.cpp writes it (general.architecture = "gemma3"): the config
// from its metadata, the weights read in place (F32, F16, BF16, Q8_0, Q4_0), and its own
// SentencePiece vocabulary and chat template. A tokenizer.json next to the file is not used.
//
// Metadata read (KEY = "gemma3." + ...), with llama.cpp's rules where a key is absent:
//   embedding_length, block_count, feed_forward_length, attention.head_count     required
//   attention.head_count_kv (= head_count), attention.key_length (= hidden / heads; value_length
//   must match), context_length, attention.sliding_window, attention.layer_norm_rms_epsilon,
//   rope.freq_base (10000), rope.scaling.type / rope.scaling.factor ("linear"; full layers only).
//   llama.cpp fixes the rest for Gemma 3, and so do we: every 6th layer is full attention, the
//   sliding layers use RoPE base 10000 (rope.freq_base_swa and attention.sliding_window_pattern
//   override these when present), and the attention scale is 1/sqrt(head_dim), except the 62-layer
//   27B model, which uses 1/sqrt(hidden / heads).
// Norm weights: llama.cpp's converter stores Gemma's RMSNorm weights with the 1 already added
// (w + 1, in f32), so they are taken as they are; ModelWeights wants exactly that (1 + w).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "model/gguf_file.h"
#include "model/model_weights.h"
#include "tokenizer/tokenizer.h"

namespace gemma3 {

// What llama.cpp fixes for Gemma 3 where a file has no key for it. gguf_model_config applies these;
// gguf_export writes a key only where a checkpoint differs from them.
constexpr double kGgufLocalRopeBase = 10'000.0;  // sliding layers (rope.freq_base_swa)
constexpr int32_t kGgufFullLayerEvery = 6;       // attention.sliding_window_pattern
// Layer `layer`'s kind when every `pattern`-th layer is full attention.
LayerKind gguf_layer_kind(int32_t layer, int32_t pattern = kGgufFullLayerEvery);
// query_pre_attn_scalar as llama.cpp derives it: head_dim, except the 62-layer 27B (hidden / heads).
double gguf_query_pre_attn_scalar(const ModelConfig& c);

// True for a path naming a regular file whose name ends in ".gguf" (any case).
bool is_gguf_path(const std::filesystem::path& path);

Result<ModelConfig> gguf_model_config(const GgufFile& gguf);
Result<ModelWeights> bind_gguf_weights(const ModelConfig& config, const GgufFile& gguf);
// Opens, validates and binds; the returned Model keeps the file mapped (Model::gguf).
Result<std::unique_ptr<Model>> load_gguf_model(const std::filesystem::path& path);

// The tokenizer of the file's tokenizer.ggml.* vocabulary (model "llama" = SentencePiece).
Result<std::unique_ptr<Tokenizer>> load_gguf_tokenizer(const GgufFile& gguf);
// The tokenizer for a `-m` path: a .gguf file's own vocabulary, else DIR/tokenizer.json.
Result<std::unique_ptr<Tokenizer>> load_model_tokenizer(const std::filesystem::path& path);
// Ids that end a turn: tokenizer.ggml.eos_token_id and eot_token_id when present, plus <eos> and
// <end_of_turn> when the vocabulary has them (llama.cpp treats both as end of generation for
// Gemma; Hugging Face's generation_config.json lists both).
std::vector<int32_t> gguf_eos_ids(const GgufFile& gguf, const Tokenizer& tokenizer);

}  // namespace gemma3
