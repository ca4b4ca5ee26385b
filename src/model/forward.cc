#include "model/forward.h"

#include <algorithm>
#include <cmath>

#include "ops/attention.h"
#include "ops/matmul.h"
#include "ops/thread_pool.h"
#include "ops/vector_ops.h"
#include "util/check.h"

namespace gemma3 {

namespace {

// Rows per parallel chunk of the per-row loops (norms, rope, residual adds): below this a step
// (decode) runs them on the calling thread, where a fork/join would cost more than the work.
constexpr size_t kRowsPerChunk = 16;

}  // namespace

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

  // cos/sin of the step's positions for both rope bases, shared by every layer of that kind.
  const Rope* ropes[2] = {&rope_local_, &rope_global_};
  for (int k = 0; k < 2; ++k) {
    const size_t half = static_cast<size_t>(ropes[k]->half());
    rope_cos_[k].resize(T * half);
    rope_sin_[k].resize(T * half);
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      ropes[k]->fill(std::span<const int32_t>(&token_pos_[r0], r1 - r0), &rope_cos_[k][r0 * half],
                     &rope_sin_[k][r0 * half]);
    });
  }

  for (int32_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const bool sliding = c.layer_kinds[l] == LayerKind::kSliding;
    const Rope& rope = sliding ? rope_local_ : rope_global_;
    const float* rope_cos = sliding ? rope_cos_[0].data() : rope_cos_[1].data();
    const float* rope_sin = sliding ? rope_sin_[0].data() : rope_sin_[1].data();

    // Attention block: x += post_attention_norm(o_proj(attn(rope(norm_qk(qkv(input_norm(x)))))))
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) rms_norm(&x_[r * H], lw.input_norm.data(), H, eps, &normed_[r * H]);
    });
    const MatmulTarget qkv[] = {{lw.q_proj, q_.data()},   // (T, Q)
                                {lw.k_proj, k_.data()},   // (T, KV)
                                {lw.v_proj, v_.data()}};  // (T, KV)
    matmul_many(normed_.data(), T, qkv);
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) {
        for (int32_t h = 0; h < c.num_heads; ++h) {
          float* qh = &q_[r * Q + static_cast<size_t>(h) * c.head_dim];
          rms_norm(qh, lw.q_norm.data(), c.head_dim, eps, qh);
        }
        for (int32_t h = 0; h < c.num_kv_heads; ++h) {
          float* kh = &k_[r * KV + static_cast<size_t>(h) * c.head_dim];
          rms_norm(kh, lw.k_norm.data(), c.head_dim, eps, kh);
        }
        const size_t half = static_cast<size_t>(rope.half());
        rope.apply(&q_[r * Q], c.num_heads, rope_cos + r * half, rope_sin + r * half);
        rope.apply(&k_[r * KV], c.num_kv_heads, rope_cos + r * half, rope_sin + r * half);
      }
    });
    attention(items, l, cache);
    matmul(attn_.data(), T, lw.o_proj, proj_.data());  // (T, H)
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) {
        rms_norm(&proj_[r * H], lw.post_attention_norm.data(), H, eps, &proj_[r * H]);
        add(&proj_[r * H], &x_[r * H], H);
      }
    });

    // MLP block: x += post_feedforward_norm(down(gelu_tanh(gate(n)) * up(n))), n = pre_feedforward_norm(x)
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) rms_norm(&x_[r * H], lw.pre_feedforward_norm.data(), H, eps, &normed_[r * H]);
    });
    const MatmulTarget gate_up[] = {{lw.gate_proj, gate_.data()},  // (T, I)
                                    {lw.up_proj, up_.data()}};      // (T, I)
    matmul_many(normed_.data(), T, gate_up);
    parallel_for(T, std::max<size_t>(1, kRowsPerChunk / 4), [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) gelu_tanh_mul(&gate_[r * I], &up_[r * I], &gate_[r * I], I);
    });
    matmul(gate_.data(), T, lw.down_proj, proj_.data());  // (T, H)
    parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) {
        rms_norm(&proj_[r * H], lw.post_feedforward_norm.data(), H, eps, &proj_[r * H]);
        add(&proj_[r * H], &x_[r * H], H);
      }
    });
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

// Writes this step's K/V into the cache, then runs the fused paged attention (ops/attention.h):
// each (token, head) over the positions it may see — 0..p on full layers, p-W+1..p on sliding
// ones — through the item's block table.
void ForwardPass::attention(std::span<const BatchItem> items, int32_t layer, KvCache& cache) {
  const ModelConfig& c = model_.config;
  const bool sliding = c.layer_kinds[layer] == LayerKind::kSliding;
  const KvPool pool = sliding ? KvPool::kSliding : KvPool::kFull;
  const int32_t pool_layer = pool_layer_index_[layer];
  const int32_t bs = cache.geometry().block_size;
  const size_t Q = c.q_dim(), KV = c.kv_dim();
  const size_t T = token_pos_.size();
  const DType kv_dtype = cache.dtype() == KvDtype::kBf16 ? DType::kBF16 : DType::kF32;

  parallel_for(T, kRowsPerChunk, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const BatchItem& item = items[token_item_[r]];
      const int32_t pos = token_pos_[r];
      std::span<const int32_t> table = sliding ? item.sliding_blocks : item.full_blocks;
      const size_t logical = static_cast<size_t>(pos / bs);
      G3_CHECK(logical < table.size() && table[logical] >= 0);
      store_kv_row(&k_[r * KV], KV, kv_dtype, cache.key(pool, pool_layer, table[logical], pos % bs));
      store_kv_row(&v_[r * KV], KV, kv_dtype, cache.value(pool, pool_layer, table[logical], pos % bs));
    }
  });

  runs_.clear();
  size_t t = 0;
  for (const auto& item : items) {
    const int32_t n = static_cast<int32_t>(item.tokens.size());
    runs_.push_back({&q_[t * Q], &attn_[t * Q], item.first_pos, n, sliding ? item.sliding_blocks : item.full_blocks});
    t += item.tokens.size();
  }
  AttentionParams params;
  params.n_heads = c.num_heads;
  params.n_kv_heads = c.num_kv_heads;
  params.head_dim = c.head_dim;
  params.scale = static_cast<float>(1.0 / std::sqrt(c.query_pre_attn_scalar));
  params.softcap = c.attn_logit_softcapping ? static_cast<float>(*c.attn_logit_softcapping) : 0.0f;
  params.window = sliding ? c.sliding_window : 0;
  PagedKvLayer kv;
  kv.keys = cache.keys(pool, pool_layer);
  kv.values = cache.values(pool, pool_layer);
  kv.dtype = kv_dtype;
  kv.block_size = bs;
  kv.n_blocks = cache.n_blocks(pool);
  kv.row_stride = KV;
  paged_attention(params, kv, runs_);
}

}  // namespace gemma3
