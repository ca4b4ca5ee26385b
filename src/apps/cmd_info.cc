// `gemma3 info`: what a checkpoint loads as — architecture and config, parameter count, weight
// dtypes and bytes, tokenizer and special tokens, the chat template in use, context length, the KV
// cache's bytes per token (full and sliding layers), and the CPU features the kernels will use.
// `--json` prints the same facts as one JSON object (the text form is rendered from it, so the two
// never disagree). tests/apps/info_test.py checks the numbers against values it computes itself.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/chat_support.h"
#include "apps/cli_support.h"
#include "apps/command.h"
#include "engine/forward_runner.h"
#include "kv/kv_cache.h"
#include "ops/cpu_features.h"
#include "ops/parallel.h"
#include "util/mapped_file.h"

namespace gemma3 {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The tensors bind_weights (model/model_weights.cc) reads, by checkpoint name; the separate LM head
// only when the config does not tie it to the embedding.
std::vector<std::string> bound_tensor_names(const ModelConfig& c) {
  const std::string& p = c.weight_prefix;
  std::vector<std::string> names = {p + "embed_tokens.weight", p + "norm.weight"};
  static const char* const kPerLayer[] = {
      "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
      "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight", "input_layernorm.weight",
      "post_attention_layernorm.weight", "pre_feedforward_layernorm.weight", "post_feedforward_layernorm.weight",
      "self_attn.q_norm.weight", "self_attn.k_norm.weight"};
  for (int32_t i = 0; i < c.num_layers; ++i) {
    for (const char* n : kPerLayer) names.push_back(p + "layers." + std::to_string(i) + "." + n);
  }
  if (!c.tie_word_embeddings) names.push_back(p == "model." ? "lm_head.weight" : "language_model.lm_head.weight");
  return names;
}

struct Tally {
  int64_t tensors = 0, params = 0, bytes = 0;
};

// A model loaded without a safetensors store (another file format) still has its bound views:
// they give every parameter, each matrix's dtype and its bytes in memory (norm vectors as the f32
// copies the forward pass reads). Also used when --dtype re-encoded the matrices at load.
ordered_json weights_from_views(const Model& model) {
  std::map<std::string, Tally> by_dtype;
  int64_t params = 0, bytes = 0;
  auto add = [&](const std::string& dtype, int64_t n, int64_t n_bytes) {
    Tally& t = by_dtype[dtype];
    ++t.tensors;
    t.params += n;
    t.bytes += n_bytes;
    params += n;
    bytes += n_bytes;
  };
  auto matrix = [&](const WeightView& v) {
    add(dtype_name(v.dtype), static_cast<int64_t>(v.rows * v.cols), static_cast<int64_t>(v.rows * dtype_row_bytes(v.dtype, v.cols)));
  };
  auto norm = [&](const std::vector<float>& v) {  // widened to f32 at load
    add("f32", static_cast<int64_t>(v.size()), static_cast<int64_t>(v.size() * sizeof(float)));
  };
  const ModelWeights& w = model.weights;
  matrix(w.embed_tokens);
  if (w.lm_head.data != w.embed_tokens.data) matrix(w.lm_head);
  norm(w.final_norm);
  for (const LayerWeights& l : w.layers) {
    for (const WeightView* v : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj}) {
      matrix(*v);
    }
    for (const auto* v : {&l.input_norm, &l.post_attention_norm, &l.pre_feedforward_norm, &l.post_feedforward_norm,
                          &l.q_norm, &l.k_norm}) {
      norm(*v);
    }
  }
  ordered_json dtypes = ordered_json::object();
  for (const auto& [name, t] : by_dtype) dtypes[name] = {{"tensors", t.tensors}, {"parameters", t.params}, {"bytes", t.bytes}};
  return ordered_json{{"parameters", params},
                      {"bytes", bytes},
                      {"tensors_in_checkpoint", nullptr},
                      {"dtypes", dtypes},
                      {"tied_embeddings", w.lm_head.data == w.embed_tokens.data}};
}

Result<ordered_json> weights_json(const Model& model) {
  // Re-encoded at load (--dtype): the file's tensors are no longer what runs.
  if (!model.store || model.reencoded) return weights_from_views(model);
  std::map<std::string, Tally> by_dtype;
  int64_t params = 0, bytes = 0;
  for (const std::string& name : bound_tensor_names(model.config)) {
    const TensorInfo* t = model.store->find(name);
    if (t == nullptr) return make_error("info: the loaded checkpoint has no tensor '" + name + "'");
    int64_t n = 1;
    for (int64_t d : t->shape) n *= d;
    Tally& tally = by_dtype[dtype_name(t->dtype)];
    ++tally.tensors;
    tally.params += n;
    tally.bytes += static_cast<int64_t>(t->n_bytes);
    params += n;
    bytes += static_cast<int64_t>(t->n_bytes);
  }
  // The file's tensors and the views the forward pass reads must agree (this also keeps the views
  // path above honest: it runs on every safetensors checkpoint).
  const int64_t bound = weights_from_views(model)["parameters"].get<int64_t>();
  if (bound != params) {
    return make_error("info: the checkpoint's tensors hold " + std::to_string(params) + " parameters but the loaded views " +
                      std::to_string(bound));
  }
  ordered_json dtypes = ordered_json::object();
  for (const auto& [name, t] : by_dtype) dtypes[name] = {{"tensors", t.tensors}, {"parameters", t.params}, {"bytes", t.bytes}};
  return ordered_json{{"parameters", params},
                      {"bytes", bytes},
                      {"tensors_in_checkpoint", model.store->size()},
                      {"dtypes", dtypes},
                      {"tied_embeddings", model.config.tie_word_embeddings}};
}

ordered_json token_json(const Tokenizer& tok, int32_t id) {
  if (id < 0 || !tok.has_token(id)) return {{"id", id}, {"piece", nullptr}};
  return {{"id", id}, {"piece", std::string(tok.token_piece(id))}};
}

ordered_json tokenizer_json(const Tokenizer& tok, const GenerationConfig& generation) {
  int32_t n_special = 0;
  for (int32_t id = 0; id < tok.vocab_size(); ++id) n_special += tok.has_token(id) && tok.is_special(id);
  ordered_json stop = ordered_json::array();
  for (int32_t id : generation.eos_token_ids) stop.push_back(token_json(tok, id));
  ordered_json turn = ordered_json::object();
  for (const char* piece : {"<start_of_turn>", "<end_of_turn>"}) {
    auto id = tok.find_token(piece);
    turn[piece] = id ? json(*id) : json(nullptr);
  }
  return ordered_json{{"vocab_size", tok.vocab_size()},
                      {"special_tokens", n_special},
                      {"bos", token_json(tok, tok.bos_id())},
                      {"eos", token_json(tok, tok.eos_id())},
                      {"pad", token_json(tok, tok.pad_id())},
                      {"turn_markers", turn},
                      {"stop_tokens", stop}};
}

// The template chat requests render with, and where it came from (chat/chat_template.h), or why
// there is none (then chat requests fail with that message and /v1/completions still works).
ordered_json chat_template_json(const Args& args, const LoadedCheckpoint& ckpt) {
  auto loaded = load_chat_template_for(args, ckpt.dir, *ckpt.tokenizer);
  if (!loaded) return ordered_json{{"source", nullptr}, {"error", loaded.error()}};
  const ChatTemplate& t = **loaded;
  return ordered_json{{"source", t.origin()},
                      {"chars", t.source().size()},
                      {"fnv1a64", hex64(fnv1a64(t.source()))},
                      {"tool_use_template", t.has_tool_use_template()},
                      {"renderer", "the Jinja engine (src/jinja), checked against Python Jinja2"}};
}

// Bytes of KV a sequence holds. Full layers keep every position; the paged cache keeps a sliding
// layer's blocks only while a future query can read them, i.e. about the last `sliding_window`
// positions (docs/ARCHITECTURE.md "KV cache memory").
ordered_json kv_json(const ModelConfig& c, const KvBudget& budget) {
  // Ask the cache itself what one position of one layer costs (K + V, in its storage dtype).
  KvGeometry one;
  one.block_size = 1;
  one.n_full_blocks = 1;
  one.n_sliding_blocks = 1;
  one.kv_dtype = budget.kv_dtype;
  const KvCache probe(one, 1, 1, c.kv_dim());
  const int64_t per_layer = static_cast<int64_t>(probe.bytes_per_position_per_layer());
  const int32_t n_full = c.count_layers(LayerKind::kFull), n_sliding = c.count_layers(LayerKind::kSliding);
  const int64_t full = per_layer * n_full, sliding = per_layer * n_sliding;
  const int64_t ctx = c.max_position_embeddings;
  const int64_t window = n_sliding > 0 ? std::min<int64_t>(c.sliding_window, ctx) : 0;
  const int64_t at_context = full * ctx + sliding * window;

  // What `gemma3 serve` with the same KV options reserves: plan_kv_geometry is the function serve
  // calls, and a request's context is bounded by the full pool as in serve.
  const KvGeometry g = plan_kv_geometry(c, budget);
  const int64_t serve_bytes = (static_cast<int64_t>(g.n_full_blocks) * full + static_cast<int64_t>(g.n_sliding_blocks) * sliding) *
                              g.block_size;
  const int64_t pool_tokens = static_cast<int64_t>(g.n_full_blocks) * g.block_size;
  return ordered_json{
      {"dtype", kv_dtype_name(budget.kv_dtype)},
      {"bytes_per_position_per_layer", per_layer},
      {"full_layers", n_full},
      {"sliding_layers", n_sliding},
      {"full_bytes_per_token", full},
      {"sliding_bytes_per_token", sliding},
      {"naive_bytes_per_token", full + sliding},
      {"sliding_positions_kept", window},
      {"sequence_bytes_at_context", at_context},
      {"average_bytes_per_token_at_context", ctx > 0 ? at_context / ctx : 0},
      {"serve_pools", {{"budget_bytes", budget.bytes},
                       {"budget_tokens", budget.tokens},
                       {"max_running", budget.max_running},
                       {"max_batch_tokens", budget.max_batch_tokens},
                       {"block_size", g.block_size},
                       {"full_blocks", g.n_full_blocks},
                       {"sliding_blocks", g.n_sliding_blocks},
                       {"bytes", serve_bytes},
                       {"full_pool_tokens", pool_tokens},
                       {"request_context", std::min(ctx, pool_tokens)},
                       {"full_context_sequences", ctx > 0 ? pool_tokens / ctx : 0}}}};
}

ordered_json cpu_json() {
  ordered_json flags = ordered_json::object();
  // The instruction sets the kernel tiers need (ops/cpu_features.h): avx2 = AVX2 + FMA + F16C,
  // avx512 = F/BW/VL/DQ on top.
  __builtin_cpu_init();
  flags["avx2"] = __builtin_cpu_supports("avx2") != 0;
  flags["fma"] = __builtin_cpu_supports("fma") != 0;
  flags["f16c"] = cpu_has_f16c();
  flags["avx512f"] = __builtin_cpu_supports("avx512f") != 0;
  flags["avx512bw"] = __builtin_cpu_supports("avx512bw") != 0;
  flags["avx512vl"] = __builtin_cpu_supports("avx512vl") != 0;
  flags["avx512dq"] = __builtin_cpu_supports("avx512dq") != 0;
  // Extensions the AVX-512 tier uses when present (named as /proc/cpuinfo names them).
  flags["avx512_bf16"] = __builtin_cpu_supports("avx512bf16") != 0;
  flags["avx512_vnni"] = __builtin_cpu_supports("avx512vnni") != 0;
  return ordered_json{{"best_isa", isa_name(best_supported_isa())},
                      {"kernels", isa_name(active_isa())},
                      {"kernel_features", kernel_features()},
                      {"threads", num_threads()},
                      {"flags", flags}};
}

Result<ordered_json> collect(const Args& args, const LoadedCheckpoint& ckpt, const KvBudget& budget) {
  const ModelConfig& c = ckpt.model->config;
  ordered_json info;
  info["path"] = ckpt.dir.string();
  info["synthetic"] = ckpt.synthetic;
  std::string architecture = c.weight_prefix == "model." ? "Gemma3ForCausalLM" : "Gemma3ForConditionalGeneration";
  if (auto text = read_text_file(ckpt.dir / "config.json"); text) {
    auto j = json::parse(*text, nullptr, false);
    if (!j.is_discarded() && j.contains("architectures") && j["architectures"].is_array() &&
        !j["architectures"].empty() && j["architectures"][0].is_string()) {
      architecture = j["architectures"][0].get<std::string>();
    }
  }
  info["architecture"] = architecture;
  ordered_json layers = ordered_json::array();
  for (LayerKind k : c.layer_kinds) layers.push_back(k == LayerKind::kFull ? "full" : "sliding");
  info["config"] = {{"vocab_size", c.vocab_size},
                    {"hidden_size", c.hidden_size},
                    {"intermediate_size", c.intermediate_size},
                    {"num_layers", c.num_layers},
                    {"num_heads", c.num_heads},
                    {"num_kv_heads", c.num_kv_heads},
                    {"head_dim", c.head_dim},
                    {"sliding_window", c.sliding_window},
                    {"rope_theta", c.rope_theta},
                    {"rope_local_base_freq", c.rope_local_base_freq},
                    {"rope_scaling_factor", c.rope_scaling_factor},
                    {"query_pre_attn_scalar", c.query_pre_attn_scalar},
                    {"rms_norm_eps", c.rms_norm_eps},
                    {"final_logit_softcapping", c.final_logit_softcapping ? json(*c.final_logit_softcapping) : json(nullptr)},
                    {"attn_logit_softcapping", c.attn_logit_softcapping ? json(*c.attn_logit_softcapping) : json(nullptr)},
                    {"weight_prefix", c.weight_prefix},
                    {"layer_kinds", layers}};
  info["context_length"] = c.max_position_embeddings;
  auto weights = weights_json(*ckpt.model);
  if (!weights) return std::move(weights).take_error();
  info["weights"] = std::move(weights).value();
  info["tokenizer"] = tokenizer_json(*ckpt.tokenizer, ckpt.generation);
  info["chat_template"] = chat_template_json(args, ckpt);
  info["kv_cache"] = kv_json(c, budget);
  info["cpu"] = cpu_json();
  return info;
}

// The KV options as gemma3 serve checks them (apps/cmd_serve.cc load_stack), before budget.tokens
// gets its model-dependent default.
Result<KvBudget> kv_budget_args(const Args& args) {
  struct Range {
    const char* name;
    long long lo, hi;
  };
  static const Range kRanges[] = {{"kv-cache-mb", 0, 1 << 20}, {"kv-cache-tokens", 0, 1ll << 31},
                                  {"max-running", 1, 4096}, {"max-batch-tokens", 16, 1 << 20}};
  long long v[4];
  for (int i = 0; i < 4; ++i) {
    auto r = args.get_int(kRanges[i].name);
    if (!r) return std::move(r).take_error();
    if (*r < kRanges[i].lo || *r > kRanges[i].hi) {
      return make_error(std::string("--") + kRanges[i].name + " must be between " + std::to_string(kRanges[i].lo) +
                        " and " + std::to_string(kRanges[i].hi) + ", got " + std::to_string(*r));
    }
    v[i] = *r;
  }
  if (v[0] > 0 && v[1] > 0) return make_error("give --kv-cache-mb or --kv-cache-tokens, not both");
  KvBudget b;
  b.bytes = v[0] * (1ll << 20);
  b.tokens = v[1];
  b.max_running = static_cast<int32_t>(v[2]);
  b.max_batch_tokens = static_cast<int32_t>(v[3]);
  return b;
}

// "1,234,567"
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string token_text(const ordered_json& t) {
  std::string s = std::to_string(t["id"].get<int32_t>());
  if (!t["piece"].is_null()) s += " " + t["piece"].get<std::string>();
  return s;
}

void print_text(const ordered_json& info) {
  const auto& c = info["config"];
  const auto& w = info["weights"];
  const auto& tok = info["tokenizer"];
  const auto& tmpl = info["chat_template"];
  const auto& kv = info["kv_cache"];
  const auto& cpu = info["cpu"];
  std::printf("model         %s%s\n", info["path"].get<std::string>().c_str(),
              info["synthetic"].get<bool>() ? "  (synthetic: random weights)" : "");
  std::printf("architecture  %s, %d layers (%d sliding + %d full), hidden %d, intermediate %d\n",
              info["architecture"].get<std::string>().c_str(), c["num_layers"].get<int>(),
              kv["sliding_layers"].get<int>(), kv["full_layers"].get<int>(), c["hidden_size"].get<int>(),
              c["intermediate_size"].get<int>());
  std::printf("attention     %d heads, %d KV heads, head_dim %d, window %d, rope %g (full) / %g (sliding), "
              "query scale 1/sqrt(%g)\n",
              c["num_heads"].get<int>(), c["num_kv_heads"].get<int>(), c["head_dim"].get<int>(),
              c["sliding_window"].get<int>(), c["rope_theta"].get<double>(), c["rope_local_base_freq"].get<double>(),
              c["query_pre_attn_scalar"].get<double>());
  std::printf("context       %s tokens\n", grouped(info["context_length"].get<int64_t>()).c_str());
  const bool sized = !w["bytes"].is_null();
  std::printf("parameters    %s (%s)%s\n", grouped(w["parameters"].get<int64_t>()).c_str(),
              sized ? mib(w["bytes"].get<int64_t>()).c_str() : "stored size not known for this format",
              w["tied_embeddings"].get<bool>() ? ", LM head tied to the embedding" : "");
  for (const auto& [name, d] : w["dtypes"].items()) {
    std::printf("  %-11s %s tensors, %s parameters", name.c_str(), grouped(d["tensors"].get<int64_t>()).c_str(),
                grouped(d["parameters"].get<int64_t>()).c_str());
    if (sized) std::printf(", %s bytes", grouped(d["bytes"].get<int64_t>()).c_str());
    std::printf("\n");
  }
  std::printf("tokenizer     %s ids (model embeds %s), %d special; bos %s, eos %s, pad %s\n",
              grouped(tok["vocab_size"].get<int64_t>()).c_str(), grouped(c["vocab_size"].get<int64_t>()).c_str(),
              tok["special_tokens"].get<int>(), token_text(tok["bos"]).c_str(), token_text(tok["eos"]).c_str(),
              token_text(tok["pad"]).c_str());
  std::string stops;
  for (const auto& t : tok["stop_tokens"]) stops += (stops.empty() ? "" : ", ") + token_text(t);
  std::printf("  stop on     %s\n", stops.c_str());
  if (tmpl["source"].is_null()) {
    std::printf("chat template none: %s\n", tmpl["error"].get<std::string>().c_str());
  } else {
    std::printf("chat template %s (%s chars, fnv1a64 %s%s)\n", tmpl["source"].get<std::string>().c_str(),
                grouped(tmpl["chars"].get<int64_t>()).c_str(), tmpl["fnv1a64"].get<std::string>().c_str(),
                tmpl["tool_use_template"].get<bool>() ? ", with a tool_use template" : "");
  }
  std::printf("KV cache      %s: %s B/token on the %d full layers + %s B/token on the %d sliding layers (naive: %s B/token)\n",
              kv["dtype"].get<std::string>().c_str(), grouped(kv["full_bytes_per_token"].get<int64_t>()).c_str(),
              kv["full_layers"].get<int>(),
              grouped(kv["sliding_bytes_per_token"].get<int64_t>()).c_str(), kv["sliding_layers"].get<int>(),
              grouped(kv["naive_bytes_per_token"].get<int64_t>()).c_str());
  std::printf("  paged       sliding layers keep only the last %s positions: a %s-token sequence holds %s (%s B/token)\n",
              grouped(kv["sliding_positions_kept"].get<int64_t>()).c_str(),
              grouped(info["context_length"].get<int64_t>()).c_str(),
              mib(kv["sequence_bytes_at_context"].get<int64_t>()).c_str(),
              grouped(kv["average_bytes_per_token_at_context"].get<int64_t>()).c_str());
  const auto& pools = kv["serve_pools"];
  std::printf("  serve       (max-running %d, %d-token steps) pools of %d full + %d sliding blocks of %d = %s; the full "
              "pool holds %s tokens for all sequences together (%s at the full context)\n",
              pools["max_running"].get<int>(), pools["max_batch_tokens"].get<int>(), pools["full_blocks"].get<int>(),
              pools["sliding_blocks"].get<int>(), pools["block_size"].get<int>(), mib(pools["bytes"].get<int64_t>()).c_str(),
              grouped(pools["full_pool_tokens"].get<int64_t>()).c_str(),
              grouped(pools["full_context_sequences"].get<int64_t>()).c_str());
  std::string flags;
  for (const auto& [name, on] : cpu["flags"].items()) {
    if (on.get<bool>()) flags += (flags.empty() ? "" : " ") + name;
  }
  std::printf("cpu           kernels %s (best supported %s), %d threads; %s\n", cpu["kernel_features"].get<std::string>().c_str(),
              cpu["best_isa"].get<std::string>().c_str(), cpu["threads"].get<int>(),
              flags.empty() ? "no AVX2/AVX-512" : flags.c_str());
}

int run(int argc, char** argv) {
  Args args("info", "Print what a checkpoint loads as: config, parameters, dtypes, tokenizer, template, KV bytes, CPU.");
  add_model_options(args);
  add_chat_template_option(args);
  // serve's KV options, with its defaults: info then shows the pools that serve would allocate.
  args.option("kv-cache-mb", "", "as gemma3 serve: KV memory budget in MiB (0: use --kv-cache-tokens)", "0")
      .option("kv-cache-tokens", "", "as gemma3 serve: full-pool positions (0: the model's context)", "0")
      .option("max-running", "", "as gemma3 serve: sequences decoded together", "64")
      .option("max-batch-tokens", "", "as gemma3 serve: tokens per engine step", "512")
      .flag("json", "print one JSON object instead of text");
  if (Status s = args.parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "gemma3 info: %s\n\n%s", s.error().c_str(), args.usage().c_str());
    return 2;
  }
  if (args.help_requested()) {
    std::printf("%s", args.usage().c_str());
    return 0;
  }
  auto budget_args = kv_budget_args(args);
  if (!budget_args) {
    std::fprintf(stderr, "gemma3 info: %s\n", budget_args.error().c_str());
    return 2;
  }
  auto ckpt = load_checkpoint(args, /*want_tokenizer=*/true, /*for_decoding=*/false);
  if (!ckpt) {
    std::fprintf(stderr, "gemma3 info: %s\n", ckpt.error().c_str());
    return 1;
  }
  KvBudget budget = *budget_args;
  // As serve: without a byte budget or a token count, the full pool holds one full context.
  if (budget.tokens == 0 && budget.bytes == 0) budget.tokens = ckpt->model->config.max_position_embeddings;
  budget.kv_dtype = ckpt->model->kv_dtype;  // --kv-dtype, as serve
  auto info = collect(args, *ckpt, budget);
  if (!info) {
    std::fprintf(stderr, "gemma3 info: %s\n", info.error().c_str());
    return 1;
  }
  if (args.is_set("json")) {
    std::printf("%s\n", info->dump(2, ' ', false, ordered_json::error_handler_t::replace).c_str());
  } else {
    print_text(*info);
  }
  return 0;
}

const bool registered = register_command({"info", "what a checkpoint loads as (config, sizes, tokenizer, KV, CPU)", &run});

}  // namespace
}  // namespace gemma3
