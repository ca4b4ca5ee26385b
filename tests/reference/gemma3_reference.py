#!/usr/bin/python3
"""Independent NumPy reference of Hugging Face transformers' Gemma3ForCausalLM (text) forward pass.

Written from the HF semantics (modeling_gemma3.py, masking_utils.py, configuration_gemma3.py) using
only NumPy + the standard library, so it can serve as an oracle for the C++ engine: it shares no
code with it. All arithmetic is f32 over weights stored as bf16 / f16 / f32 (bf16 -> f32 is exact:
the 16 bits become the top half of an f32).

Per token (HF order):
  x   = embed[id] * round_to_weight_dtype(sqrt(hidden))
  per layer:  h   = x + post_attention_layernorm(attn(input_layernorm(x)))
              x   = h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))
  logits = norm(x) @ embed^T   (or lm_head), optional final soft-capping.
attn: q/k/v projections, RMSNorm over head_dim per head (q_norm, k_norm) BEFORE RoPE, rotate_half
RoPE (base rope_local_base_freq on sliding layers, rope_theta on full layers, linear scaling only on
full layers), scores * query_pre_attn_scalar^-0.5, GQA, causal mask (+ window on sliding layers: a
query at p sees keys p-W+1..p), f32 softmax, o projection.
mlp: down(gelu_tanh(gate(x)) * up(x)).

CLI (ids are a JSON array of token ids in a file):
  gemma3_reference.py --model DIR --ids-file F.json [--logits-out OUT.npy] [--greedy N]
                      [--perplexity --ctx N]
"""

import argparse
import glob
import json
import math
import os
import struct
import sys

import numpy as np

F32 = np.float32

# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------

# HF Gemma3TextConfig.__init__ defaults (transformers 4.5x). Keys absent from config.json take these.
HF_TEXT_DEFAULTS = {
    "vocab_size": 262208,
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh",
    "max_position_embeddings": 131072,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
    "rope_theta": 1_000_000.0,
    "attention_bias": False,
    "query_pre_attn_scalar": 256,
    "sliding_window": 4096,
    "final_logit_softcapping": None,
    "attn_logit_softcapping": None,
    "rope_scaling": None,
    "rope_local_base_freq": 10_000.0,
    "sliding_window_pattern": 6,
    "use_bidirectional_attention": False,
}

# Keys where an explicit null in config.json means "off" rather than "use the default".
_NULLABLE = {"final_logit_softcapping", "attn_logit_softcapping", "rope_scaling", "sliding_window"}

TEXT_ARCHITECTURES = {"Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", "Gemma3TextModel"}


class ConfigError(Exception):
    pass


class TextConfig:
    """Plain data: the text model's hyper-parameters with HF defaults filled in."""

    def __init__(self, raw, source="config.json"):
        def get(key):
            if key in raw and (raw[key] is not None or key in _NULLABLE):
                return raw[key]
            return HF_TEXT_DEFAULTS[key]

        self.vocab_size = int(get("vocab_size"))
        self.hidden_size = int(get("hidden_size"))
        self.intermediate_size = int(get("intermediate_size"))
        self.num_layers = int(get("num_hidden_layers"))
        self.num_heads = int(get("num_attention_heads"))
        self.num_kv_heads = int(get("num_key_value_heads"))
        self.head_dim = int(get("head_dim"))
        self.activation = raw.get("hidden_activation") or raw.get("hidden_act") or "gelu_pytorch_tanh"
        self.rms_norm_eps = float(get("rms_norm_eps"))
        self.tie_word_embeddings = bool(get("tie_word_embeddings"))
        self.attention_bias = bool(get("attention_bias"))
        self.query_pre_attn_scalar = float(get("query_pre_attn_scalar"))
        sw = get("sliding_window")
        self.sliding_window = None if sw is None else int(sw)
        self.final_logit_softcapping = get("final_logit_softcapping")
        self.attn_logit_softcapping = get("attn_logit_softcapping")
        if raw.get("use_bidirectional_attention"):
            raise ConfigError(f"{source}: use_bidirectional_attention=true is not supported")
        if self.activation not in ("gelu_pytorch_tanh", "gelu_tanh", "gelu_new"):
            raise ConfigError(f"{source}: hidden_activation '{self.activation}' not supported "
                              "(expected gelu_pytorch_tanh)")
        if self.num_heads % self.num_kv_heads:
            raise ConfigError(f"{source}: num_attention_heads {self.num_heads} is not a multiple "
                              f"of num_key_value_heads {self.num_kv_heads}")

        if "layer_types" in raw and raw["layer_types"] is not None:
            self.layer_types = list(raw["layer_types"])
            if len(self.layer_types) != self.num_layers:
                raise ConfigError(f"{source}: layer_types has {len(self.layer_types)} entries, "
                                  f"expected num_hidden_layers={self.num_layers}")
            for t in self.layer_types:
                if t not in ("sliding_attention", "full_attention"):
                    raise ConfigError(f"{source}: layer_types entry '{t}' not supported")
        else:
            pattern = raw.get("sliding_window_pattern", raw.get("_sliding_window_pattern",
                                                                HF_TEXT_DEFAULTS["sliding_window_pattern"]))
            pattern = int(pattern)
            self.layer_types = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention"
                                for i in range(self.num_layers)]

        # RoPE per layer type: (base, linear factor). Newer HF configs carry `rope_parameters`
        # keyed by layer type; older ones rope_theta / rope_local_base_freq / rope_scaling.
        rp = raw.get("rope_parameters")
        if isinstance(rp, dict) and ("full_attention" in rp or "sliding_attention" in rp):
            self.rope = {}
            for lt, default_base in (("full_attention", get("rope_theta")),
                                     ("sliding_attention", get("rope_local_base_freq"))):
                p = rp.get(lt) or {}
                self.rope[lt] = (float(p.get("rope_theta", default_base)),
                                 _rope_factor(p, f"{source}: rope_parameters.{lt}"))
        else:
            scaling = raw.get("rope_scaling")
            self.rope = {
                "full_attention": (float(get("rope_theta")),
                                   _rope_factor(scaling, f"{source}: rope_scaling")),
                "sliding_attention": (float(get("rope_local_base_freq")), 1.0),
            }

    def is_sliding(self, layer):
        return self.layer_types[layer] == "sliding_attention" and self.sliding_window is not None


def _rope_factor(scaling, where):
    if not scaling:
        return 1.0
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return 1.0
    if kind == "linear":
        return float(scaling["factor"])
    raise ConfigError(f"{where}: rope_type '{kind}' not supported (expected default or linear)")


def load_config(model_dir):
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read: {e}")
    archs = set(raw.get("architectures") or [])
    model_type = raw.get("model_type")
    if model_type == "gemma3" or "text_config" in raw:
        raw = dict(raw.get("text_config") or {})
    elif model_type not in (None, "gemma3_text"):
        raise ConfigError(f"{path}: model_type '{model_type}' is not gemma3_text or gemma3")
    if archs and not archs & TEXT_ARCHITECTURES:
        raise ConfigError(f"{path}: architectures {sorted(archs)} not a Gemma 3 model")
    return TextConfig(raw, path)


# ----------------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------------

_DTYPES = {"BF16": (2, None), "F16": (2, np.float16), "F32": (4, np.float32)}


def bf16_bits_to_f32(u16):
    """uint16 array of bf16 bit patterns -> exactly equal f32 values."""
    return (u16.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x):
    """f32 -> bf16 bit patterns, round to nearest even (NaN not expected)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


class SafetensorsCheckpoint:
    """The tensors of model.safetensors, or of shards listed in model.safetensors.index.json."""

    def __init__(self, model_dir):
        index = os.path.join(model_dir, "model.safetensors.index.json")
        single = os.path.join(model_dir, "model.safetensors")
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f).get("weight_map")
            if not isinstance(weight_map, dict):
                raise ConfigError(f"{index}: missing 'weight_map' object")
            files = sorted(set(weight_map.values()))
        elif os.path.exists(single):
            files = ["model.safetensors"]
        else:
            files = sorted(os.path.basename(p) for p in
                           glob.glob(os.path.join(model_dir, "model-*-of-*.safetensors")))
            if not files:
                raise ConfigError(f"{model_dir}: no model.safetensors, index or shards")
        self.entries = {}  # name -> (path, dtype, shape, absolute begin, absolute end)
        for name in files:
            self._read_header(os.path.join(model_dir, name))

    def _read_header(self, path):
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) != 8:
                raise ConfigError(f"{path}: shorter than the 8-byte header length")
            (n,) = struct.unpack("<Q", head)
            if n > size - 8:
                raise ConfigError(f"{path}: header length {n} exceeds file size {size}")
            header = json.loads(f.read(n))
        base = 8 + n
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            if dtype not in _DTYPES:
                raise ConfigError(f"{path}: tensor {name} has dtype {dtype}, expected BF16/F16/F32")
            if end - begin != _DTYPES[dtype][0] * int(np.prod(shape, dtype=np.int64)):
                raise ConfigError(f"{path}: tensor {name} byte range does not match shape {shape}")
            if base + end > size:
                raise ConfigError(f"{path}: tensor {name} extends past the end of the file")
            self.entries[name] = (path, dtype, tuple(shape), base + begin, base + end)

    def has(self, name):
        return name in self.entries

    def dtype(self, name):
        return self.entries[name][1]

    def get(self, name, shape=None):
        """The tensor as a contiguous f32 array; checks shape when given."""
        if name not in self.entries:
            raise ConfigError(f"checkpoint: missing tensor {name}")
        path, dtype, tshape, begin, end = self.entries[name]
        if shape is not None and tuple(shape) != tshape:
            raise ConfigError(f"{path}: tensor {name} has shape {list(tshape)}, expected {list(shape)}")
        raw = np.memmap(path, dtype=np.uint8, mode="r", offset=begin, shape=(end - begin,))
        if dtype == "BF16":
            out = bf16_bits_to_f32(raw.view(np.uint16))
        else:
            out = raw.view(_DTYPES[dtype][1]).astype(np.float32)
        return np.ascontiguousarray(out.reshape(tshape))


# ----------------------------------------------------------------------------------------------
# Ops (f32)
# ----------------------------------------------------------------------------------------------

def rms_norm(x, w, eps):
    """x (..., d), w (d,) -> x * rsqrt(mean(x^2) + eps) * (1 + w), all f32."""
    ms = np.mean(np.square(x), axis=-1, keepdims=True, dtype=F32)
    return (x * (F32(1) / np.sqrt(ms + F32(eps)))) * (F32(1) + w)


def gelu_tanh(x):
    """PyTorch gelu(approximate='tanh'): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    c = F32(math.sqrt(2.0 / math.pi))
    return F32(0.5) * x * (F32(1) + np.tanh(c * (x + F32(0.044715) * x * x * x)))


def rope_inv_freq(head_dim, base, factor):
    """HF default/linear RoPE inverse frequencies, computed in f32 like torch: (head_dim/2,)."""
    exps = np.arange(0, head_dim, 2, dtype=np.int64).astype(F32) / F32(head_dim)
    inv = F32(1) / np.power(F32(base), exps, dtype=F32)
    return (inv / F32(factor)).astype(F32)


def rope_cos_sin(positions, inv_freq):
    """positions (n,) -> cos, sin (n, head_dim), the half-split layout emb = cat(freqs, freqs)."""
    freqs = np.outer(positions.astype(F32), inv_freq).astype(F32)  # f32 product, as in HF
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb).astype(F32), np.sin(emb).astype(F32)


def apply_rope(x, cos, sin):
    """x (n, heads, d); cos/sin (n, d): x*cos + rotate_half(x)*sin, rotate_half = cat(-x2, x1)."""
    half = x.shape[-1] // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos[:, None, :] + rot * sin[:, None, :]


def softmax_rows(s):
    m = np.max(s, axis=-1, keepdims=True)
    e = np.exp(s - m)
    return e / np.sum(e, axis=-1, keepdims=True, dtype=F32)


def log_softmax_row(logits):
    """One row of logits -> log-probabilities in f64 (only used to score perplexity)."""
    z = logits.astype(np.float64)
    m = z.max()
    return z - (m + math.log(np.exp(z - m).sum()))


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------

class KVCache:
    """Per layer K and V after k_norm + RoPE: (n_kv_heads, capacity, head_dim); rows [0, length)."""

    def __init__(self, cfg, capacity=64):
        self.length = 0
        shape = (cfg.num_kv_heads, capacity, cfg.head_dim)
        self.k = [np.zeros(shape, F32) for _ in range(cfg.num_layers)]
        self.v = [np.zeros(shape, F32) for _ in range(cfg.num_layers)]

    def append(self, layer, k, v):
        """k, v (n, n_kv, head_dim) at positions [length, length+n); returns all keys/values so far
        as (n_kv, length+n, head_dim) views. `commit(n)` advances length after the last layer."""
        n = k.shape[0]
        need = self.length + n
        if need > self.k[layer].shape[1]:
            cap = max(need, 2 * self.k[layer].shape[1])
            for arrs in (self.k, self.v):
                grown = np.zeros((arrs[layer].shape[0], cap, arrs[layer].shape[2]), F32)
                grown[:, :self.length] = arrs[layer][:, :self.length]
                arrs[layer] = grown
        self.k[layer][:, self.length:need] = k.transpose(1, 0, 2)
        self.v[layer][:, self.length:need] = v.transpose(1, 0, 2)
        return self.k[layer][:, :need], self.v[layer][:, :need]

    def commit(self, n):
        self.length += n


class Gemma3Reference:
    """Weights as f32 arrays (immutable after load); state lives in a KVCache passed to forward."""

    def __init__(self, model_dir, config=None):
        self.cfg = cfg = config or load_config(model_dir)
        ckpt = SafetensorsCheckpoint(model_dir)
        prefix = self._find_prefix(ckpt)
        H, I, D = cfg.hidden_size, cfg.intermediate_size, cfg.head_dim
        nq, nkv = cfg.num_heads * D, cfg.num_kv_heads * D
        g = lambda name, shape: ckpt.get(prefix + name, shape)

        emb_name = prefix + "embed_tokens.weight"
        self.embed = g("embed_tokens.weight", (cfg.vocab_size, H))  # (V, H)
        self.embed_scale = _round_to_dtype(math.sqrt(H), ckpt.dtype(emb_name))
        self.final_norm = g("norm.weight", (H,))
        self.lm_head = None
        for head_name in ("lm_head.weight", "language_model.lm_head.weight"):
            if ckpt.has(head_name) and not cfg.tie_word_embeddings:
                self.lm_head = ckpt.get(head_name, (cfg.vocab_size, H))  # (V, H)
        if self.lm_head is None and not cfg.tie_word_embeddings:
            raise ConfigError(f"{model_dir}: tie_word_embeddings is false but lm_head.weight is missing")

        self.layers = []
        for i in range(cfg.num_layers):
            p = f"layers.{i}."
            L = {
                "in_norm": g(p + "input_layernorm.weight", (H,)),
                "post_attn_norm": g(p + "post_attention_layernorm.weight", (H,)),
                "pre_ff_norm": g(p + "pre_feedforward_layernorm.weight", (H,)),
                "post_ff_norm": g(p + "post_feedforward_layernorm.weight", (H,)),
                "wq": g(p + "self_attn.q_proj.weight", (nq, H)),
                "wk": g(p + "self_attn.k_proj.weight", (nkv, H)),
                "wv": g(p + "self_attn.v_proj.weight", (nkv, H)),
                "wo": g(p + "self_attn.o_proj.weight", (H, nq)),
                "q_norm": g(p + "self_attn.q_norm.weight", (D,)),
                "k_norm": g(p + "self_attn.k_norm.weight", (D,)),
                "w_gate": g(p + "mlp.gate_proj.weight", (I, H)),
                "w_up": g(p + "mlp.up_proj.weight", (I, H)),
                "w_down": g(p + "mlp.down_proj.weight", (H, I)),
            }
            if cfg.attention_bias:
                for proj, n in (("q", nq), ("k", nkv), ("v", nkv), ("o", H)):
                    L["b" + proj] = g(p + f"self_attn.{proj}_proj.bias", (n,))
            lt = cfg.layer_types[i]
            base, factor = cfg.rope[lt]
            L["inv_freq"] = rope_inv_freq(D, base, factor)
            L["sliding"] = cfg.is_sliding(i)
            self.layers.append(L)

    @staticmethod
    def _find_prefix(ckpt):
        for prefix in ("model.", "language_model.model.", "model.language_model."):
            if ckpt.has(prefix + "embed_tokens.weight"):
                return prefix
        raise ConfigError("checkpoint: no embed_tokens.weight under model., language_model.model. "
                          "or model.language_model.")

    def new_cache(self):
        return KVCache(self.cfg)

    # x (n, H) -> (n, H): one self-attention sub-block (without its norms / residual).
    def _attention(self, L, layer, x, positions, cache):
        cfg = self.cfg
        n, D = x.shape[0], cfg.head_dim
        q = x @ L["wq"].T  # (n, nh*D)
        k = x @ L["wk"].T  # (n, nkv*D)
        v = x @ L["wv"].T
        if cfg.attention_bias:
            q, k, v = q + L["bq"], k + L["bk"], v + L["bv"]
        q = rms_norm(q.reshape(n, cfg.num_heads, D), L["q_norm"], cfg.rms_norm_eps)
        k = rms_norm(k.reshape(n, cfg.num_kv_heads, D), L["k_norm"], cfg.rms_norm_eps)
        v = v.reshape(n, cfg.num_kv_heads, D)
        cos, sin = rope_cos_sin(positions, L["inv_freq"])
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        keys, values = cache.append(layer, k, v)  # (nkv, T, D)
        T = keys.shape[1]

        # mask (n, T): key t is visible to the query at position p iff t <= p and, on sliding
        # layers, t > p - W (so W keys including itself).
        t = np.arange(T)[None, :]
        p = positions[:, None]
        visible = t <= p
        if L["sliding"]:
            visible &= t > p - cfg.sliding_window

        group = cfg.num_heads // cfg.num_kv_heads
        scale = F32(cfg.query_pre_attn_scalar ** -0.5)
        out = np.empty((n, cfg.num_heads, D), F32)
        for kvh in range(cfg.num_kv_heads):
            for j in range(group):
                h = kvh * group + j  # q head h uses kv head h // group
                s = (q[:, h, :] @ keys[kvh].T) * scale  # (n, T)
                if cfg.attn_logit_softcapping:
                    c = F32(cfg.attn_logit_softcapping)
                    s = np.tanh(s / c) * c
                s = np.where(visible, s, F32(-np.inf))
                out[:, h, :] = softmax_rows(s) @ values[kvh]  # (n, D)
        o = out.reshape(n, cfg.num_heads * D) @ L["wo"].T  # (n, H)
        if cfg.attention_bias:
            o = o + L["bo"]
        return o

    def hidden_states(self, ids, cache=None):
        """ids (n,) at positions [cache.length, +n) -> final-normed hidden states (n, H)."""
        cfg = self.cfg
        cache = cache if cache is not None else self.new_cache()
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= cfg.vocab_size):
            raise ValueError(f"token id out of range [0, {cfg.vocab_size})")
        positions = cache.length + np.arange(len(ids))
        eps = cfg.rms_norm_eps
        x = self.embed[ids] * self.embed_scale  # (n, H)
        for i, L in enumerate(self.layers):
            a = self._attention(L, i, rms_norm(x, L["in_norm"], eps), positions, cache)
            x = x + rms_norm(a, L["post_attn_norm"], eps)
            r = rms_norm(x, L["pre_ff_norm"], eps)
            m = (gelu_tanh(r @ L["w_gate"].T) * (r @ L["w_up"].T)) @ L["w_down"].T  # (n, H)
            x = x + rms_norm(m, L["post_ff_norm"], eps)
        cache.commit(len(ids))
        return rms_norm(x, self.final_norm, eps)

    def logits_from_hidden(self, h):
        """h (n, H) -> logits (n, V) f32."""
        w = self.lm_head if self.lm_head is not None else self.embed
        out = h @ w.T
        if self.cfg.final_logit_softcapping:
            c = F32(self.cfg.final_logit_softcapping)
            out = np.tanh(out / c) * c
        return out.astype(F32, copy=False)

    def forward(self, ids, cache=None):
        """ids (n,) -> logits (n, V). With a cache, continues from cache.length and extends it."""
        return self.logits_from_hidden(self.hidden_states(ids, cache))

    def greedy(self, prompt_ids, n_new, use_cache=True, stop_ids=(), rows_out=None):
        """Greedy continuation of n_new tokens (argmax, lowest id on exact ties). When rows_out is
        a list (cached path), the logits row (V,) each token was chosen from is appended to it."""
        out = []
        if use_cache:
            cache = self.new_cache()
            logits = self.forward(prompt_ids, cache)[-1]
            for _ in range(n_new):
                tok = int(np.argmax(logits))
                if rows_out is not None:
                    rows_out.append(logits)
                out.append(tok)
                if tok in stop_ids or len(out) == n_new:
                    break
                logits = self.forward([tok], cache)[-1]
        else:
            seq = list(prompt_ids)
            for _ in range(n_new):
                h = self.hidden_states(seq)[-1:]
                tok = int(np.argmax(self.logits_from_hidden(h)[0]))
                out.append(tok)
                seq.append(tok)
                if tok in stop_ids:
                    break
        return out

    def perplexity(self, ids, ctx, rows_out=None):
        """ids = [BOS] + text. Windows of at most ctx tokens: BOS + up to ctx-1 text tokens, each
        text token predicted exactly once. Returns dict(tokens_scored, nll, ppl, argmax). When
        rows_out is a list, the logits row (V,) behind each scored position is appended to it."""
        if ctx < 2:
            raise ValueError("--ctx must be at least 2")
        bos, text = int(ids[0]), [int(t) for t in ids[1:]]
        step = ctx - 1
        total, argmax = 0.0, []
        for start in range(0, len(text), step):
            chunk = text[start:start + step]
            logits = self.forward([bos] + chunk)  # (len(chunk)+1, V); row i predicts chunk[i]
            for i, target in enumerate(chunk):
                total -= log_softmax_row(logits[i])[target]
                argmax.append(int(np.argmax(logits[i])))
                if rows_out is not None:
                    rows_out.append(logits[i])
        n = len(text)
        nll = total / n if n else 0.0
        return {"tokens_scored": n, "nll": nll, "ppl": math.exp(nll), "argmax": argmax}


def _round_to_dtype(value, dtype):
    """sqrt(hidden) as HF multiplies it: the scale tensor cast to the weight dtype first."""
    if dtype == "BF16":
        return bf16_bits_to_f32(f32_to_bf16_bits(np.array([value], F32)))[0]
    if dtype == "F16":
        return F32(np.float16(value))
    return F32(value)


# ----------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------

def read_ids(path):
    with open(path) as f:
        ids = json.load(f)
    if not isinstance(ids, list) or not all(isinstance(t, int) for t in ids):
        raise ValueError(f"{path}: expected a JSON array of integer token ids")
    return ids


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="HF checkpoint folder (config.json + safetensors)")
    ap.add_argument("--ids-file", required=True, help="JSON array of token ids")
    ap.add_argument("--logits-out", help="write all positions' logits (n, vocab) f32 .npy here")
    ap.add_argument("--greedy", type=int, metavar="N", help="print the greedy continuation (JSON)")
    ap.add_argument("--stop-ids", default="", help="comma-separated ids that end --greedy early")
    ap.add_argument("--perplexity", action="store_true", help="score ids ([BOS]+text) in windows")
    ap.add_argument("--ctx", type=int, default=0, help="window size for --perplexity")
    args = ap.parse_args(argv)
    if not (args.logits_out or args.greedy is not None or args.perplexity):
        ap.error("nothing to do: give --logits-out, --greedy N and/or --perplexity --ctx N")
    if args.perplexity and args.ctx < 2:
        ap.error("--perplexity needs --ctx N with N >= 2")
    try:
        ids = read_ids(args.ids_file)
        model = Gemma3Reference(args.model)
        if args.logits_out:
            np.save(args.logits_out, model.forward(ids))
        if args.greedy is not None:
            stop = tuple(int(s) for s in args.stop_ids.split(",") if s.strip())
            print(json.dumps(model.greedy(ids, args.greedy, stop_ids=stop)))
        if args.perplexity:
            print(json.dumps(model.perplexity(ids, args.ctx)))
    except (ConfigError, ValueError, OSError) as e:
        print(f"gemma3_reference: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
