#include "model/forward.h"

#include <algorithm>
#include <cmath>

#include "ops/matmul.h"
#include "ops/thread_pool.h"
#include "ops/vector_ops.h"
#include "util/check.h"

namespace gemma3 {

size_t count_logit_rows(std::span<const BatchItem> items) {
  size_t rows = 0;
  for (const auto& item : items) rows += item.want_all_logits ? item.tokens.size() : (item.want_logits ? 1 : 0);
  return rows;
}

KvCache make_kv_cache(const ModelConfig& config, const KvGeometry& geometry) {
  return KvCache(geometry, config.count_layers(LayerKind::kFull), config.count_layers(LayerKind::kSliding),
                 config.kv_dim());
}

ForwardPass::ForwardPass(const Model& model)
    : model_(model),
      rope_local_(model.config.head_dim, model.config.rope_local_base_freq, 1.0),
      rope_global_(model.config.head_dim, model.config.rope_theta, model.config.rope_scaling_factor) {
  int32_t n_full = 0, n_sliding = 0;
  for (LayerKind kind : model.config.layer_kinds)
    pool_layer_index_.push_back(kind == LayerKind::kFull ? n_full++ : n_sliding++);
}

void ForwardPass::run(std::span<const BatchItem> items, KvCache& cache, float* logits) {
  const ModelConfig& c = model_.config;
  const ModelWeights& w = model_.weights;
  const size_t H = c.hidden_size, Q = c.q_dim(), KV = c.kv_dim(), I = c.intermediate_size;
  const float eps = static_cast<float>(c.rms_norm_eps);

  size_t T = 0;
  for (const auto& item : items) T += item.tokens.size();
  if (T == 0) return;
  x_.resize(T * H);
  normed_.resize(T * H);
  q_.resize(T * Q);
  k_.resize(T * KV);
  v_.resize(T * KV);
  attn_.resize(T * Q);
  proj_.resize(T * H);
  gate_.resize(T * I);
  up_.resize(T * I);
  token_pos_.resize(T);
  token_item_.resize(T);

  // Embedding lookup × sqrt(hidden), the scale rounded to bf16 first as HF does (25.25 for 640).
  const float embed_scale = bf16_to_f32(f32_to_bf16(std::sqrt(static_cast<float>(H))));
  size_t t = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = 0; j < items[i].tokens.size(); ++j, ++t) {
      int32_t token = items[i].tokens[j];
      G3_CHECK(token >= 0 && token < c.vocab_size);
      token_pos_[t] = items[i].first_pos + static_cast<int32_t>(j);
      token_item_[t] = static_cast<int32_t>(i);
      row_to_f32(w.embed_tokens, static_cast<size_t>(token), &x_[t * H]);
      scale(&x_[t * H], embed_scale, H);
    }
  }

  for (int32_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const bool sliding = c.layer_kinds[l] == LayerKind::kSliding;
    const Rope& rope = sliding ? rope_local_ : rope_global_;

    // Attention block: x += post_attention_norm(o_proj(attn(rope(norm_qk(qkv(input_norm(x)))))))
    for (size_t r = 0; r < T; ++r) rms_norm(&x_[r * H], lw.input_norm.data(), H, eps, &normed_[r * H]);
    const MatmulTarget qkv[] = {{lw.q_proj, q_.data()},   // (T, Q)
                                {lw.k_proj, k_.data()},   // (T, KV)
                                {lw.v_proj, v_.data()}};  // (T, KV)
    matmul_many(normed_.data(), T, qkv);
    for (size_t r = 0; r < T; ++r) {
      for (int32_t h = 0; h < c.num_heads; ++h) {
        float* qh = &q_[r * Q + static_cast<size_t>(h) * c.head_dim];
        rms_norm(qh, lw.q_norm.data(), c.head_dim, eps, qh);
      }
      for (int32_t h = 0; h < c.num_kv_heads; ++h) {
        float* kh = &k_[r * KV + static_cast<size_t>(h) * c.head_dim];
        rms_norm(kh, lw.k_norm.data(), c.head_dim, eps, kh);
      }
      rope.apply(&q_[r * Q], c.num_heads, token_pos_[r]);
      rope.apply(&k_[r * KV], c.num_kv_heads, token_pos_[r]);
    }
    attention(items, l, cache);
    matmul(attn_.data(), T, lw.o_proj, proj_.data());  // (T, H)
    for (size_t r = 0; r < T; ++r) {
      rms_norm(&proj_[r * H], lw.post_attention_norm.data(), H, eps, &proj_[r * H]);
      add(&proj_[r * H], &x_[r * H], H);
    }

    // MLP block: x += post_feedforward_norm(down(gelu_tanh(gate(n)) * up(n))), n = pre_feedforward_norm(x)
    for (size_t r = 0; r < T; ++r) rms_norm(&x_[r * H], lw.pre_feedforward_norm.data(), H, eps, &normed_[r * H]);
    const MatmulTarget gate_up[] = {{lw.gate_proj, gate_.data()},  // (T, I)
                                    {lw.up_proj, up_.data()}};      // (T, I)
    matmul_many(normed_.data(), T, gate_up);
    for (size_t r = 0; r < T; ++r) gelu_tanh_mul(&gate_[r * I], &up_[r * I], &gate_[r * I], I);
    matmul(gate_.data(), T, lw.down_proj, proj_.data());  // (T, H)
    for (size_t r = 0; r < T; ++r) {
      rms_norm(&proj_[r * H], lw.post_feedforward_norm.data(), H, eps, &proj_[r * H]);
      add(&proj_[r * H], &x_[r * H], H);
    }
  }

  // Final norm and LM head, only on the rows whose logits are wanted.
  size_t n_rows = 0;
  t = 0;
  for (const auto& item : items) {
    size_t n = item.tokens.size();
    size_t first = item.want_all_logits ? 0 : (item.want_logits ? n - 1 : n);
    for (size_t j = first; j < n; ++j)
      rms_norm(&x_[(t + j) * H], w.final_norm.data(), H, eps, &normed_[(n_rows++) * H]);
    t += n;
  }
  if (n_rows == 0) return;
  matmul(normed_.data(), n_rows, w.lm_head, logits);  // (n_rows, vocab)
  if (c.final_logit_softcapping) {
    const float cap = static_cast<float>(*c.final_logit_softcapping);
    for (size_t i = 0; i < n_rows * static_cast<size_t>(c.vocab_size); ++i) logits[i] = std::tanh(logits[i] / cap) * cap;
  }
}

// Writes this step's K/V into the cache, then computes each (token, head)'s attention over the
// positions it may see — 0..p on full layers, p-W+1..p on sliding ones — through the block tables.
void ForwardPass::attention(std::span<const BatchItem> items, int32_t layer, KvCache& cache) {
  const ModelConfig& c = model_.config;
  const bool sliding = c.layer_kinds[layer] == LayerKind::kSliding;
  const KvPool pool = sliding ? KvPool::kSliding : KvPool::kFull;
  const int32_t pool_layer = pool_layer_index_[layer];
  const int32_t bs = cache.geometry().block_size;
  const size_t Q = c.q_dim(), KV = c.kv_dim(), hd = c.head_dim;
  const size_t T = token_pos_.size();

  auto block_of = [&](const BatchItem& item, int32_t pos) {
    std::span<const int32_t> table = sliding ? item.sliding_blocks : item.full_blocks;
    size_t logical = static_cast<size_t>(pos / bs);
    G3_CHECK(logical < table.size() && table[logical] >= 0);
    return table[logical];
  };

  for (size_t r = 0; r < T; ++r) {
    const BatchItem& item = items[token_item_[r]];
    int32_t pos = token_pos_[r];
    int32_t block = block_of(item, pos);
    std::copy_n(&k_[r * KV], KV, cache.key(pool, pool_layer, block, pos % bs));
    std::copy_n(&v_[r * KV], KV, cache.value(pool, pool_layer, block, pos % bs));
  }

  const float score_scale = static_cast<float>(1.0 / std::sqrt(c.query_pre_attn_scalar));
  const int32_t group = c.num_heads / c.num_kv_heads;
  const int64_t n_tasks = static_cast<int64_t>(T) * c.num_heads;
  const bool softcap = c.attn_logit_softcapping.has_value();
  const float cap = softcap ? static_cast<float>(*c.attn_logit_softcapping) : 1.0f;

  // (token, head) tasks handed out dynamically: their cost grows with the position.
  kernel_pool().run_chunks(static_cast<size_t>(n_tasks), num_threads(), [&](size_t chunk) {
   {
    const int64_t task = static_cast<int64_t>(chunk);
    const size_t r = static_cast<size_t>(task / c.num_heads);
    const int32_t h = static_cast<int32_t>(task % c.num_heads);
    const BatchItem& item = items[token_item_[r]];
    const int32_t pos = token_pos_[r];
    const int32_t lo = sliding ? std::max(0, pos - c.sliding_window + 1) : 0;
    const size_t kv_offset = static_cast<size_t>(h / group) * hd;
    const float* q = &q_[r * Q + static_cast<size_t>(h) * hd];
    float* out = &attn_[r * Q + static_cast<size_t>(h) * hd];

    thread_local std::vector<float> scores;
    scores.resize(static_cast<size_t>(pos - lo + 1));
    for (int32_t p = lo; p <= pos; ++p) {
      const float* k = cache.key(pool, pool_layer, block_of(item, p), p % bs) + kv_offset;
      float s = dot(q, k, hd) * score_scale;
      if (softcap) s = std::tanh(s / cap) * cap;
      scores[p - lo] = s;
    }
    softmax(scores.data(), scores.size());
    std::fill_n(out, hd, 0.0f);
    for (int32_t p = lo; p <= pos; ++p) {
      const float* v = cache.value(pool, pool_layer, block_of(item, p), p % bs) + kv_offset;
      axpy(scores[p - lo], v, out, hd);
    }
   }
  });
}

}  // namespace gemma3
