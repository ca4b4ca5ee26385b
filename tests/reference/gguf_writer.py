#!/usr/bin/python3
"""Independent GGUF writer for the tests: converts a Hugging Face Gemma 3 checkpoint folder
(config.json, model.safetensors, tokenizer.json, tokenizer_config.json) into a GGUF file the way
llama.cpp's convert_hf_to_gguf.py does for Gemma 3 (class Gemma3Model). NumPy only, written from
the GGUF specification and the converter's documented behaviour, sharing no code with the engine.

What the converter does, and so this file:
  - tensor names token_embd, blk.N.attn_q/k/v/output, attn_q_norm/attn_k_norm, attn_norm,
    post_attention_norm, ffn_norm, post_ffw_norm, ffn_gate/up/down, output_norm (output for an
    untied lm_head);
  - RMSNorm weights (every "...norm.weight") get 1 added in float32 and are stored F32 (1-D
    tensors are never quantized);
  - matrices in the chosen type: F32, F16, BF16 (round to nearest even), Q8_0 or Q4_0 with GGML's
    reference quantizers (quantize_row_q8_0_ref / quantize_row_q4_0_ref) reimplemented here;
    --embd-dtype sets token_embd's type apart (like llama-quantize --token-embedding-type);
  - metadata gemma3.* from config.json and the SentencePiece vocabulary tokenizer.ggml.*.
The vocabulary: the converter reads tokenizer.model (SentencePiece), which the test machines do not
have; tokenizer.json holds the same pieces, so we rebuild what it would read: pieces by id, scores
(learned pieces: decreasing with id, since Gemma's merges are in id order; others 0), types
(<unk> UNKNOWN, <pad>/<eos>/<bos> CONTROL, <0xNN> BYTE, else NORMAL), then the converter's own pass
over tokenizer_config.json's added_tokens_decoder: special (or "looks special") -> CONTROL, else
USER_DEFINED with "▁" written as " "; score -1000; ids >= vocab_size skipped.

Usage: gguf_writer.py MODEL_DIR OUT.gguf [--dtype f32|f16|bf16|q8_0|q4_0] [--embd-dtype ...]
                      [--alignment N] [--no-vocab]
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3

# Metadata value types (gguf_type).
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = range(13)

# GGML tensor types and llama_ftype values.
GGML_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8, "bf16": 30}
FILE_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7, "bf16": 32}
BLOCK = 32

# SentencePiece token types as llama.cpp stores them.
TOK_NORMAL, TOK_UNKNOWN, TOK_CONTROL, TOK_USER_DEFINED, TOK_UNUSED, TOK_BYTE = 1, 2, 3, 4, 5, 6


# ---------------------------------------------------------------- safetensors input

def read_safetensors(path):
    """name -> float32 array (BF16, F16 and F32 tensors)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            raw = f.read(end - begin)
            shape = info["shape"]
            if info["dtype"] == "BF16":
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                arr = bits.view(np.float32)
            elif info["dtype"] == "F16":
                arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            elif info["dtype"] == "F32":
                arr = np.frombuffer(raw, dtype="<f4").copy()
            else:
                raise SystemExit(f"{path}: tensor {name}: dtype {info['dtype']} not supported")
            out[name] = arr.reshape(shape)
    return out


def read_checkpoint(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    tensors = {}
    for name in files:
        tensors.update(read_safetensors(os.path.join(model_dir, name)))
    return tensors


# ---------------------------------------------------------------- number formats

def to_bf16_bits(x):
    """float32 -> bf16 bits, round to nearest even (NaN kept quiet), as gguf-py does."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    rounded = (u + (0x7FFF + ((u >> 16) & 1))) >> 16
    rounded = np.where(nan, (u >> 16) | 0x40, rounded)
    return rounded.astype(np.uint16)


def roundf(x):
    """C roundf (halves away from zero), exactly, on float32."""
    a = np.abs(x)
    floored = np.floor(a)
    b = floored + np.floor(np.float32(2) * (a - floored))
    return np.sign(x) * b


def quantize_q8_0(x):
    """(rows, cols) float32 -> bytes of Q8_0 blocks: f16 d = amax / 127, int8 q = roundf(x / d)."""
    blocks = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, BLOCK)
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    q = roundf((blocks * inv).astype(np.float32)).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(x):
    """(rows, cols) float32 -> bytes of Q4_0 blocks: d = (the value of largest magnitude) / -8,
    q = min(15, trunc(x / d + 8.5)); bytes j hold elements j (low nibble) and j + 16 (high)."""
    blocks = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, BLOCK)
    first_max = np.argmax(np.abs(blocks), axis=1)  # first of equal magnitudes, as GGML's strict <
    vmax = blocks[np.arange(blocks.shape[0]), first_max][:, None]
    d = (vmax / np.float32(-8)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    q = np.trunc((blocks * inv).astype(np.float32) + np.float32(8.5)).astype(np.int32)
    q = np.minimum(q, 15).astype(np.uint8)
    packed = q[:, :16] | (q[:, 16:] << 4)
    out = np.empty((blocks.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = packed
    return out.tobytes()


def dequantize_q8_0(data, shape):
    """Q8_0 bytes -> float32 array of `shape`: d * q."""
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, 34)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (d * q).astype(np.float32).reshape(shape)


def dequantize_q4_0(data, shape):
    """Q4_0 bytes -> float32 array of `shape`: d * (nibble - 8)."""
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - np.float32(8)
    return (d * q).astype(np.float32).reshape(shape)


def round_trip(arr, dtype):
    """The float32 values a tensor holds after storing it as `dtype`."""
    data = encode_tensor(arr, dtype)
    if dtype == "q8_0":
        return dequantize_q8_0(data, arr.shape)
    if dtype == "q4_0":
        return dequantize_q4_0(data, arr.shape)
    if dtype == "f16":
        return np.frombuffer(data, dtype="<f2").astype(np.float32).reshape(arr.shape)
    if dtype == "bf16":
        return (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32).reshape(arr.shape)
    return np.asarray(arr, dtype=np.float32)


def encode_tensor(arr, dtype):
    if dtype == "f32":
        return np.ascontiguousarray(arr, dtype="<f4").tobytes()
    if dtype == "f16":
        return np.ascontiguousarray(arr, dtype=np.float32).astype("<f2").tobytes()
    if dtype == "bf16":
        return to_bf16_bits(arr).astype("<u2").tobytes()
    if arr.shape[-1] % BLOCK != 0:
        raise SystemExit(f"row length {arr.shape[-1]} is not a multiple of {BLOCK} for {dtype}")
    if dtype == "q8_0":
        return quantize_q8_0(arr)
    if dtype == "q4_0":
        return quantize_q4_0(arr)
    raise SystemExit(f"unknown dtype {dtype}")


# ---------------------------------------------------------------- GGUF serialisation

class Writer:
    def __init__(self):
        self.kv = []  # (key, bytes of type + value)

    @staticmethod
    def _str(s):
        b = s.encode("utf-8") if isinstance(s, str) else s
        return struct.pack("<Q", len(b)) + b

    def add(self, key, vtype, value):
        self.kv.append((key, struct.pack("<I", vtype) + self._value(vtype, value)))

    def add_array(self, key, etype, values):
        body = struct.pack("<IQ", etype, len(values))
        if etype == T_STRING:
            body += b"".join(self._str(v) for v in values)
        elif etype == T_FLOAT32:
            body += np.asarray(values, dtype="<f4").tobytes()
        elif etype == T_INT32:
            body += np.asarray(values, dtype="<i4").tobytes()
        else:
            body += b"".join(self._value(etype, v) for v in values)
        self.kv.append((key, struct.pack("<I", T_ARRAY) + body))

    def _value(self, vtype, v):
        fmt = {T_UINT8: "<B", T_INT8: "<b", T_UINT16: "<H", T_INT16: "<h", T_UINT32: "<I", T_INT32: "<i",
               T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q", T_INT64: "<q", T_FLOAT64: "<d"}
        if vtype == T_STRING:
            return self._str(v)
        return struct.pack(fmt[vtype], v)

    def write(self, path, tensors, alignment=32):
        """tensors: list of (name, ne (row length first), ggml type, data bytes)."""
        head = GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(tensors), len(self.kv))
        head += b"".join(self._str(k) + v for k, v in self.kv)
        offset = 0
        infos = b""
        for name, ne, gtype, data in tensors:
            infos += self._str(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
            infos += struct.pack("<IQ", gtype, offset)
            offset += (len(data) + alignment - 1) // alignment * alignment
        head += infos
        pad = (-len(head)) % alignment
        with open(path, "wb") as f:
            f.write(head + b"\0" * pad)
            for _, _, _, data in tensors:
                f.write(data)
                f.write(b"\0" * ((-len(data)) % alignment))


# ---------------------------------------------------------------- the Gemma 3 conversion

LAYER_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
    "input_layernorm": "attn_norm", "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
}


def gguf_name(hf_name):
    name = hf_name.replace("language_model.", "")
    if name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if name == "model.norm.weight":
        return "output_norm.weight"
    if name == "lm_head.weight":
        return "output.weight"
    parts = name.split(".")
    if parts[:2] == ["model", "layers"] and name.endswith(".weight"):
        inner = ".".join(parts[3:-1])
        if inner in LAYER_NAMES:
            return f"blk.{parts[2]}.{LAYER_NAMES[inner]}.weight"
    raise SystemExit(f"cannot map tensor {hf_name!r}")


def looks_special(text):
    return text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (text.startswith("<|") and text.endswith("|>")) or (
        text.startswith("<\uff5c") and text.endswith("\uff5c>"))


def sentencepiece_vocab(model_dir, vocab_size):
    """(tokens, scores, types) as the converter's _create_vocab_sentencepiece would build them."""
    with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    by_id = {i: p for p, i in tj["model"]["vocab"].items()}
    unk = tj["model"].get("unk_token")
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    types = [TOK_UNUSED] * vocab_size
    for i in range(min(vocab_size, len(by_id))):
        piece = by_id[i]
        tokens[i] = piece
        kind = TOK_NORMAL
        if piece == unk:
            kind = TOK_UNKNOWN
        elif piece in ("<pad>", "<eos>", "<bos>"):
            kind = TOK_CONTROL
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            kind = TOK_BYTE
        types[i] = kind
        scores[i] = -float(i) if kind in (TOK_NORMAL, TOK_BYTE) else 0.0
    cfg_path = os.path.join(model_dir, "tokenizer_config.json")
    config = {}
    if os.path.exists(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            config = json.load(f)
    for key, data in config.get("added_tokens_decoder", {}).items():
        i = int(key)
        if i >= vocab_size:
            continue
        text = data["content"]
        if data.get("special") or looks_special(text):
            types[i] = TOK_CONTROL
        else:
            text = text.replace("\u2581", " ")
            types[i] = TOK_USER_DEFINED
        scores[i] = -1000.0
        tokens[i] = text
    return tokens, scores, types, tj, config


def special_id(tj, config, key):
    value = config.get(key)
    if isinstance(value, dict):
        value = value.get("content")
    if value is None:
        return None
    for a in tj.get("added_tokens", []):
        if a["content"] == value:
            return a["id"]
    return tj["model"]["vocab"].get(value)


def convert(model_dir, out_path, dtype="bf16", embd_dtype=None, alignment=32, vocab=True):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    text = cfg.get("text_config", cfg)
    tensors = read_checkpoint(model_dir)
    embd_dtype = embd_dtype or dtype

    w = Writer()
    w.add("general.architecture", T_STRING, "gemma3")
    w.add("general.type", T_STRING, "model")
    w.add("general.name", T_STRING, os.path.basename(os.path.normpath(model_dir)))
    if alignment != 32:
        w.add("general.alignment", T_UINT32, alignment)
    w.add("gemma3.context_length", T_UINT32, text.get("max_position_embeddings", 131072))
    w.add("gemma3.embedding_length", T_UINT32, text["hidden_size"])
    w.add("gemma3.block_count", T_UINT32, text["num_hidden_layers"])
    w.add("gemma3.feed_forward_length", T_UINT32, text["intermediate_size"])
    w.add("gemma3.attention.head_count", T_UINT32, text.get("num_attention_heads", 8))
    w.add("gemma3.attention.layer_norm_rms_epsilon", T_FLOAT32, text.get("rms_norm_eps", 1e-6))
    w.add("gemma3.attention.key_length", T_UINT32, text.get("head_dim", 256))
    w.add("gemma3.attention.value_length", T_UINT32, text.get("head_dim", 256))
    w.add("general.file_type", T_UINT32, FILE_TYPES[dtype])
    w.add("gemma3.rope.freq_base", T_FLOAT32, text.get("rope_theta", 1_000_000.0))
    w.add("gemma3.attention.sliding_window", T_UINT32, text["sliding_window"])
    w.add("gemma3.attention.head_count_kv", T_UINT32, text.get("num_key_value_heads", 4))
    scaling = text.get("rope_scaling")
    if scaling:
        w.add("gemma3.rope.scaling.type", T_STRING, "linear")
        w.add("gemma3.rope.scaling.factor", T_FLOAT32, scaling["factor"])
    if dtype in ("q8_0", "q4_0") or embd_dtype in ("q8_0", "q4_0"):
        w.add("general.quantization_version", T_UINT32, 2)

    vocab_size = text["vocab_size"]
    if vocab:
        tokens, scores, types, tj, tconfig = sentencepiece_vocab(model_dir, vocab_size)
        w.add("tokenizer.ggml.model", T_STRING, "llama")
        w.add("tokenizer.ggml.pre", T_STRING, "default")
        w.add_array("tokenizer.ggml.tokens", T_STRING, tokens)
        w.add_array("tokenizer.ggml.scores", T_FLOAT32, scores)
        w.add_array("tokenizer.ggml.token_type", T_INT32, types)
        for key, gkey in (("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unknown"), ("pad_token", "padding")):
            i = special_id(tj, tconfig, key)
            if i is not None:
                w.add(f"tokenizer.ggml.{gkey}_token_id", T_UINT32, i)
        w.add("tokenizer.ggml.add_bos_token", T_BOOL, bool(tconfig.get("add_bos_token", True)))
        w.add("tokenizer.ggml.add_eos_token", T_BOOL, bool(tconfig.get("add_eos_token", False)))
        if isinstance(tconfig.get("chat_template"), str):
            w.add("tokenizer.chat_template", T_STRING, tconfig["chat_template"])
        w.add("tokenizer.ggml.add_space_prefix", T_BOOL, False)

    out = []
    tied = cfg.get("tie_word_embeddings", text.get("tie_word_embeddings", True))
    for hf_name in sorted(tensors):
        if hf_name == "lm_head.weight" and tied:
            continue
        arr = tensors[hf_name]
        name = gguf_name(hf_name)
        if name == "token_embd.weight":
            arr = arr[:vocab_size]
        if hf_name.endswith("norm.weight"):
            arr = (arr.astype(np.float32) + np.float32(1)).astype(np.float32)
            t = "f32"
        else:
            t = embd_dtype if name == "token_embd.weight" else dtype
            if arr.ndim < 2:
                t = "f32"
        ne = list(reversed(arr.shape))
        out.append((name, ne, GGML_TYPES[t], encode_tensor(arr, t)))
    w.write(out_path, out, alignment)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_dir")
    p.add_argument("out")
    p.add_argument("--dtype", default="bf16", choices=sorted(GGML_TYPES))
    p.add_argument("--embd-dtype", choices=sorted(GGML_TYPES))
    p.add_argument("--alignment", type=int, default=32)
    p.add_argument("--no-vocab", action="store_true", help="leave out tokenizer.ggml.* (for error tests)")
    a = p.parse_args(argv)
    convert(a.model_dir, a.out, a.dtype, a.embd_dtype, a.alignment, not a.no_vocab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
