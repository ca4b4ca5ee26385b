"""Test helper: writes small random Gemma 3 checkpoints in the Hugging Face layout with NumPy.

Used by test_reference_selfcheck.py so the reference can be checked without the C++ program.
Independent of the engine's `gemma3 synth`: it writes safetensors by hand (8-byte little-endian
header length, JSON header, raw little-endian data).
"""

import json
import os
import struct

import numpy as np

from gemma3_reference import f32_to_bf16_bits

TINY_CONFIG = {
    "architectures": ["Gemma3ForCausalLM"],
    "model_type": "gemma3_text",
    "vocab_size": 1000,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 6,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "sliding_window": 8,
    "query_pre_attn_scalar": 16,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "rope_local_base_freq": 10000.0,
    "max_position_embeddings": 4096,
    "torch_dtype": "bfloat16",
}


def random_tensors(cfg, seed=0, lm_head=False):
    """name -> f32 array with HF names and shapes; scales keep activations O(1)."""
    rng = np.random.default_rng(seed)
    H, I, D = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    nh, nkv, V = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]

    def mat(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm(d):
        return (0.2 * rng.standard_normal(d)).astype(np.float32)

    t = {"model.embed_tokens.weight": (0.3 * rng.standard_normal((V, H))).astype(np.float32),
         "model.norm.weight": norm(H)}
    if lm_head:
        t["lm_head.weight"] = mat(V, H)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "self_attn.q_proj.weight"] = mat(nh * D, H)
        t[p + "self_attn.k_proj.weight"] = mat(nkv * D, H)
        t[p + "self_attn.v_proj.weight"] = mat(nkv * D, H)
        t[p + "self_attn.o_proj.weight"] = mat(H, nh * D)
        t[p + "self_attn.q_norm.weight"] = norm(D)
        t[p + "self_attn.k_norm.weight"] = norm(D)
        t[p + "mlp.gate_proj.weight"] = mat(I, H)
        t[p + "mlp.up_proj.weight"] = mat(I, H)
        t[p + "mlp.down_proj.weight"] = mat(H, I)
        for n in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                  "post_feedforward_layernorm"):
            t[p + n + ".weight"] = norm(H)
    return t


def _encode(arr, dtype):
    if dtype == "BF16":
        return f32_to_bf16_bits(arr).tobytes()
    if dtype == "F16":
        return arr.astype("<f2").tobytes()
    return arr.astype("<f4").tobytes()


def write_safetensors(path, tensors, dtype="BF16"):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = _encode(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def write_checkpoint(out_dir, config, tensors, dtype="BF16", shards=1, rename=None):
    """Writes config.json and model.safetensors (or `shards` shards + index). `rename` maps each
    tensor name to the name stored (e.g. to add a multimodal prefix)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    stored = {(rename(n) if rename else n): a for n, a in tensors.items()}
    if shards == 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), stored, dtype)
        return
    names = sorted(stored)
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: stored[n] for n in names[s::shards]}
        write_safetensors(os.path.join(out_dir, file), part, dtype)
        weight_map.update({n: file for n in part})
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)
