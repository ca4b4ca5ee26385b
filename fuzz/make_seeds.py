#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/), deterministically.

Seeds are small valid inputs of each format, written here byte by byte from the format's
description (not by our loaders), plus the repository's test data: tests/data/tokenizer/*.txt for
the tokenizer, tests/data/chat/cases.json's conversations as request bodies. The trimmed
tokenizer.json takes its components from the real Gemma 3 file (tools/fetch_tokenizer.sh).
Run again after changing it; the output is committed.

usage: fuzz/make_seeds.py [TOKENIZER_DIR]
"""
import json
import os
import random
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- safetensors ------------------------------------------------------------------------------

def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] laid out in order."""
    header, blobs, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs += data
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)  # writers pad the header to 8 bytes with spaces
    return struct.pack("<Q", len(h)) + h + blobs


def seeds_safetensors():
    f32 = struct.pack("<6f", *[0.5 * i for i in range(6)])
    bf16 = bytes(range(16))
    f16 = struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0)
    put("safetensors", "three_dtypes", safetensors(
        [("model.norm.weight", "F32", [2, 3], f32), ("model.embed_tokens.weight", "BF16", [2, 4], bf16),
         ("lm_head.weight", "F16", [4], f16)], metadata={"format": "pt"}))
    put("safetensors", "empty_tensor", safetensors([("a", "F32", [0, 5], b""), ("b", "BF16", [], b"\x80\x3f")]))
    put("safetensors", "header_only", safetensors([]))


# ---- GGUF -------------------------------------------------------------------------------------

GGUF_U32, GGUF_F32, GGUF_BOOL, GGUF_STR, GGUF_ARR, GGUF_I32, GGUF_U64 = 4, 6, 7, 8, 9, 5, 10
GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_BF16 = 0, 1, 2, 8, 30


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(kv, tensors, version=3, alignment=32):
    """kv: [(key, type, value)]; tensors: [(name, ne, ggml_type, bytes)]."""
    def value(t, v):
        if t == GGUF_U32: return struct.pack("<I", v)
        if t == GGUF_I32: return struct.pack("<i", v)
        if t == GGUF_U64: return struct.pack("<Q", v)
        if t == GGUF_F32: return struct.pack("<f", v)
        if t == GGUF_BOOL: return bytes([1 if v else 0])
        if t == GGUF_STR: return gstr(v)
        elem, items = v
        out = struct.pack("<IQ", elem, len(items))
        return out + b"".join(value(elem, x) for x in items)
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kv))
    for k, t, v in kv:
        out += gstr(k) + struct.pack("<I", t) + value(t, v)
    offset, offsets = 0, []
    for _, _, _, data in tensors:
        offsets.append(offset)
        offset += (len(data) + alignment - 1) // alignment * alignment
    for (name, ne, gtype, _), off in zip(tensors, offsets):
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        out += struct.pack("<IQ", gtype, off)
    out += b"\0" * (-len(out) % alignment)
    for i, (_, _, _, data) in enumerate(tensors):
        out += data
        if i + 1 < len(tensors):
            out += b"\0" * (-len(out) % alignment)
    return out


def f32s(n, base):
    return struct.pack("<%df" % n, *[base + 0.001 * (i % 97) for i in range(n)])


def q8_0_rows(rows, cols):  # per 32 weights: f16 scale, 32 int8
    block = struct.pack("<e", 0.01) + bytes((i * 7) % 256 for i in range(32))
    return block * (rows * cols // 32)


def q4_0_rows(rows, cols):  # per 32 weights: f16 scale, 16 bytes of nibbles
    block = struct.pack("<e", 0.02) + bytes((i * 13) % 256 for i in range(16))
    return block * (rows * cols // 32)


def seeds_gguf():
    hidden, heads, head_dim, kv_heads, ff = 32, 2, 16, 1, 32
    pieces = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "\n",
              "\u2581", "a", "b", "ab", "\u2581a", "<0x41>", "<0xE2>"]
    types = [3, 3, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 6, 6]
    scores = [0.0] * 7 + [-float(i) for i in range(7, len(pieces))]
    kv = [("general.architecture", GGUF_STR, "gemma3"),
          ("general.alignment", GGUF_U32, 32),
          ("gemma3.context_length", GGUF_U32, 128),
          ("gemma3.embedding_length", GGUF_U32, hidden),
          ("gemma3.block_count", GGUF_U32, 1),
          ("gemma3.feed_forward_length", GGUF_U32, ff),
          ("gemma3.attention.head_count", GGUF_U32, heads),
          ("gemma3.attention.head_count_kv", GGUF_U32, kv_heads),
          ("gemma3.attention.key_length", GGUF_U32, head_dim),
          ("gemma3.attention.value_length", GGUF_U32, head_dim),
          ("gemma3.attention.layer_norm_rms_epsilon", GGUF_F32, 1e-6),
          ("gemma3.rope.freq_base", GGUF_F32, 1e6),
          ("gemma3.attention.sliding_window", GGUF_U32, 8),
          ("gemma3.rope.scaling.type", GGUF_STR, "linear"),
          ("gemma3.rope.scaling.factor", GGUF_F32, 2.0),
          ("tokenizer.ggml.model", GGUF_STR, "llama"),
          ("tokenizer.ggml.tokens", GGUF_ARR, (GGUF_STR, pieces)),
          ("tokenizer.ggml.scores", GGUF_ARR, (GGUF_F32, scores)),
          ("tokenizer.ggml.token_type", GGUF_ARR, (GGUF_I32, types)),
          ("tokenizer.ggml.bos_token_id", GGUF_U32, 2),
          ("tokenizer.ggml.eos_token_id", GGUF_U32, 1),
          ("tokenizer.ggml.eot_token_id", GGUF_U32, 5),
          ("tokenizer.ggml.add_space_prefix", GGUF_BOOL, False),
          ("tokenizer.chat_template", GGUF_STR, "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}")]
    vocab = len(pieces)
    tensors = [("token_embd.weight", [hidden, vocab], GGML_F32, f32s(vocab * hidden, 0.0)),
               ("output_norm.weight", [hidden], GGML_F32, f32s(hidden, 1.0))]
    p = "blk.0."
    tensors += [(p + "attn_q.weight", [hidden, heads * head_dim], GGML_Q8_0, q8_0_rows(heads * head_dim, hidden)),
                (p + "attn_k.weight", [hidden, kv_heads * head_dim], GGML_Q4_0, q4_0_rows(kv_heads * head_dim, hidden)),
                (p + "attn_v.weight", [hidden, kv_heads * head_dim], GGML_F16, struct.pack("<e", 0.5) * (kv_heads * head_dim * hidden)),
                (p + "attn_output.weight", [heads * head_dim, hidden], GGML_BF16, b"\x00\x3f" * (hidden * heads * head_dim)),
                (p + "ffn_gate.weight", [hidden, ff], GGML_Q8_0, q8_0_rows(ff, hidden)),
                (p + "ffn_up.weight", [hidden, ff], GGML_Q8_0, q8_0_rows(ff, hidden)),
                (p + "ffn_down.weight", [ff, hidden], GGML_Q8_0, q8_0_rows(hidden, ff))]
    for name, n in [("attn_norm", hidden), ("post_attention_norm", hidden), ("ffn_norm", hidden),
                    ("post_ffw_norm", hidden), ("attn_q_norm", head_dim), ("attn_k_norm", head_dim)]:
        tensors.append((p + name + ".weight", [n], GGML_F32, f32s(n, 1.1)))
    put("gguf", "gemma3_one_layer", gguf(kv, tensors))
    put("gguf", "metadata_only_v2", gguf(kv, [], version=2))
    put("gguf", "no_vocab_unaligned", gguf(kv[:13] + [("general.alignment", GGUF_U32, 64)],
                                           tensors[:2], alignment=64))


# ---- config.json / generation_config.json ---------------------------------------------------

def seeds_model_config():
    layer_types = ["sliding_attention"] * 5 + ["full_attention"]
    base = {"architectures": ["Gemma3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
            "attn_logit_softcapping": None, "bos_token_id": 2, "eos_token_id": 1, "final_logit_softcapping": None,
            "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 640, "initializer_range": 0.02,
            "intermediate_size": 2048, "layer_types": layer_types * 3, "max_position_embeddings": 32768,
            "model_type": "gemma3_text", "num_attention_heads": 4, "num_hidden_layers": 18, "num_key_value_heads": 1,
            "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000.0,
            "rope_scaling": None, "rope_theta": 1000000.0, "sliding_window": 512, "torch_dtype": "bfloat16",
            "use_bidirectional_attention": False, "use_cache": True, "vocab_size": 262144}
    put("model_config", "gemma3_270m", json.dumps(base, indent=2))
    old = dict(base, sliding_window_pattern=6, num_hidden_layers=26, hidden_size=1152, eos_token_id=[1, 106],
               rope_scaling={"rope_type": "linear", "factor": 8.0}, final_logit_softcapping=30.0)
    del old["layer_types"]
    put("model_config", "pattern_and_scaling", json.dumps(old))
    text = dict(base)
    del text["model_type"]
    put("model_config", "multimodal", json.dumps({"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"],
                                                   "tie_word_embeddings": True, "text_config": text,
                                                   "vision_config": {"hidden_size": 1152}}))
    put("model_config", "generation_config", json.dumps({"bos_token_id": 2, "cache_implementation": "hybrid",
                                                         "do_sample": True, "eos_token_id": [1, 106], "pad_token_id": 0,
                                                         "top_k": 64, "top_p": 0.95, "temperature": 1.0}))


# ---- tokenizer.json ---------------------------------------------------------------------------

def seeds_tokenizer_json(tokenizer_dir):
    with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
        real = json.load(f)
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        real_config = json.load(f)
    vocab_items = sorted(real["model"]["vocab"].items(), key=lambda kv: kv[1])
    keep = {p: i for p, i in vocab_items if i < 300 or p in ("\u2581", "\u2581a", "\u2581the", "a", "b", "ab", "th", "the", "e")}
    merges = [m for m in real["model"]["merges"][:20000]
              if all(x in keep for x in (m if isinstance(m, list) else m.split(" ")))][:40]
    added = [t for t in real["added_tokens"] if t["id"] < 300]
    small = dict(real)
    small["added_tokens"] = added
    small["model"] = dict(real["model"], vocab=keep, merges=merges)
    text = json.dumps(small, ensure_ascii=False)
    put("tokenizer_json", "gemma3_trimmed", text)
    config = {k: v for k, v in real_config.items() if k != "added_tokens_decoder"}
    config["added_tokens_decoder"] = {k: v for k, v in real_config.get("added_tokens_decoder", {}).items() if int(k) < 8}
    config["chat_template"] = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    put("tokenizer_json", "gemma3_trimmed_with_config",
        text + "\n//tokenizer_config.json\n" + json.dumps(config, ensure_ascii=False))
    letters = {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "<0x61>": 5}
    put("tokenizer_json", "minimal_merges_first", json.dumps({
        "version": "1.0", "added_tokens": [{"id": 6, "content": "<s>", "single_word": False, "lstrip": False,
                                            "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": None, "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "fuse_unk": False, "byte_fallback": True,
                  "merges": [["a", "b"], ["ab", "c"]], "vocab": letters}}))
    return keep


def grammar_vocab(tokenizer_dir, limit=4096):
    """fuzz/data/grammar_vocab/tokenizer.json: the real Gemma 3 tokenizer cut to ids < limit (the
    special tokens, all 256 byte tokens and the most frequent pieces), so the grammar target
    compiles and walks masks over a vocabulary of Gemma's kind at a fraction of the cost."""
    with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
        real = json.load(f)
    vocab = {p: i for p, i in real["model"]["vocab"].items() if i < limit}
    merges = []
    for m in real["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if a in vocab and b in vocab and a + b in vocab:
            merges.append([a, b])
    small = dict(real)
    small["added_tokens"] = [t for t in real["added_tokens"] if t["id"] < limit]
    small["model"] = dict(real["model"], vocab=vocab, merges=merges)
    d = os.path.join(ROOT, "fuzz", "data", "grammar_vocab")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(small, f, ensure_ascii=False)


# ---- tokenizer encode / decode ----------------------------------------------------------------

def seeds_tokenizer_codec(vocab):
    data_dir = os.path.join(ROOT, "tests", "data", "tokenizer")
    for name in sorted(os.listdir(data_dir)):
        with open(os.path.join(data_dir, name), "rb") as f:
            text = f.read()[:2048]
        stem = os.path.splitext(name)[0]
        put("tokenizer_codec", stem + "_special", b"\x02" + text)
        put("tokenizer_codec", stem + "_plain", b"\x00" + text)
    ids = [vocab[p] for p in ("\u2581the", "a", "<0xE2>", "<0x82>", "<0xAC>", "\u2581", "<0xFF>", "b")
           if p in vocab] + [2, 106, 107, 262144, 262150, -1]
    put("tokenizer_codec", "ids", b"\x01" + b"".join(struct.pack("<i", i) for i in ids))
    put("tokenizer_codec", "ids_skip_special", b"\x03" + b"".join(struct.pack("<i", i) for i in ids))


# ---- request bodies ---------------------------------------------------------------------------

def seeds_request():
    with open(os.path.join(ROOT, "tests", "data", "chat", "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        put("request", "chat_" + case["name"], json.dumps({"model": "m", "messages": case["messages"]}))
    put("request", "chat_all_fields", json.dumps({
        "model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 7, "max_completion_tokens": 9,
        "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
        "presence_penalty": 0.5, "frequency_penalty": -0.5, "logit_bias": {"5": 10, "7": -100}, "seed": 42,
        "stop": ["a", "b"], "n": 3, "stream": True, "stream_options": {"include_usage": True}, "logprobs": True,
        "top_logprobs": 5, "user": "u1", "response_format": {"type": "json_object"},
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": "auto", "parallel_tool_calls": False, "chat_template_kwargs": {"enable_thinking": False}}))
    put("request", "completion_all_fields", json.dumps({
        "model": "m", "prompt": ["Hello", [1, 2, 3]], "max_tokens": 16, "temperature": 0, "logprobs": 3,
        "echo": False, "suffix": "", "stop": "\n", "n": 2, "seed": 1, "stream": False}))
    put("request", "completion_ids", json.dumps({"prompt": [5, 6, 7], "max_tokens": None, "top_k": -1}))
    put("request", "floats", '{"messages":[{"role":"user","content":"x"}],"n":2.0,"seed":1e15,"temperature":1e-7,'
                             '"max_tokens":-0.0,"top_logprobs":20.5,"logit_bias":{"-1":1e400}}')


# ---- streaming output (stop strings) ----------------------------------------------------------

def seeds_stop_strings():
    rng = random.Random(13)
    for i in range(8):
        put("stop_strings", "random_%d" % i, bytes(rng.randrange(256) for _ in range(32 * (i + 1))))


# ---- Jinja templates and contexts -------------------------------------------------------------

JINJA_TEMPLATES = {
    "loops_and_loop_vars": "{% for m in messages %}{{ loop.index0 }}:{{ m.role | upper }}={{ m['content'] | trim }}"
                           "{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}",
    "namespace_and_set": "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
                         "{% set ns.s = ns.s ~ m.role[:1] %}{% endfor %}{{ ns.n }} {{ ns.s }}",
    "macro_kwargs_caller": "{% macro box(text, width=10, fill='-') %}[{{ text.center(width, fill) }}]"
                           "{% if caller %}{{ caller() }}{% endif %}{% endmacro %}"
                           "{% call box('hi', width=8) %}body{% endcall %}{{ box(bos_token) }}",
    "filters": "{{ messages | map(attribute='role') | join('|') }} {{ messages | selectattr('role', 'equalto', 'user')"
               " | list | length }} {{ {'b': 1, 'a': [1, 2.5, none, true]} | dictsort | tojson }}"
               " {{ 'a,b,,c'.split(',') }} {{ [3, 1, 2] | sort | reverse | list }} {{ 'x' * 3 }}",
    "slices_and_tests": "{{ messages[1:] | length }}{{ messages[::-1][0].role }}{% if messages is defined and "
                        "tools is not defined %}T{% endif %}{{ 7 // 2 }}{{ 7 % 3 }}{{ 2 ** 10 }}{{ '%s-%d' % ('a', 3) }}",
    "whitespace_control": "{%- for m in messages -%}\n  {{- m.content if m.content is string else m.content[0].text -}}\n"
                          "{%- endfor %}\n{% raw %}{{ not rendered }}{% endraw %}",
    "raise_and_strftime": "{% if messages | length > 3 %}{{ raise_exception('too many') }}{% endif %}"
                          "{{ strftime_now('%Y') | length }}{% generation %}gen{% endgeneration %}",
    "recursive_loop": "{% for item in tree recursive %}<{{ item.name }}{% if item.children %}{{ loop(item.children) }}"
                      "{% endif %}>{% endfor %}",
}


def seeds_jinja(tokenizer_dir):
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        gemma_template = json.load(f)["chat_template"]
    with open(os.path.join(ROOT, "tests", "data", "chat", "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    marker = "\n#context#\n"
    for case in cases[:12]:
        put("jinja", "gemma3_" + case["name"], gemma_template + marker + json.dumps({"messages": case["messages"]}))
    context = {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": " Hi "},
                            {"role": "assistant", "content": [{"type": "text", "text": "Yo"}]},
                            {"role": "user", "content": "again"}],
               "tree": [{"name": "a", "children": [{"name": "b", "children": []}]}, {"name": "c"}]}
    for name, template in JINJA_TEMPLATES.items():
        put("jinja", name, template + marker + json.dumps(context))
    put("jinja", "no_context", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}")


# ---- grammar front ends -----------------------------------------------------------------------

def seeds_grammar():
    walk = "\n#walk#\n" + "".join(chr(c) for c in [3, 17, 99, 250, 120, 5, 241, 7, 66, 210, 1, 2, 77, 199, 45, 12])
    schemas = {
        "object": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8},
                                                     "age": {"type": "integer", "minimum": 0, "maximum": 150},
                                                     "tags": {"type": "array", "items": {"enum": ["a", "b"]},
                                                              "maxItems": 3}},
                   "required": ["name"], "additionalProperties": False},
        "anyof_ref": {"$defs": {"node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/node"},
                                                                                           {"type": "null"}]}}}},
                      "$ref": "#/$defs/node"},
        "numbers": {"type": "array", "prefixItems": [{"type": "number", "exclusiveMinimum": -1.5, "maximum": 10},
                                                     {"const": 3}], "minItems": 2},
        "string_formats": {"type": "object", "properties": {"d": {"type": "string", "format": "date"},
                                                             "p": {"type": "string", "pattern": "^[a-c]{2,4}x?$"}}},
    }
    for name, schema in schemas.items():
        put("grammar", "schema_" + name, "\x00" + json.dumps(schema) + walk)
    put("grammar", "regex_phone", "\x01" + r"\(?\d{3}\)? ?\d{3}-\d{4}" + walk)
    put("grammar", "regex_alternation", "\x01" + "(yes|no|maybe)[!.]*" + walk)
    put("grammar", "gbnf_list", "\x02" + 'root ::= "[" item ("," item)* "]"\nitem ::= [0-9]+ | "\\"" [a-z]* "\\""' + walk)
    put("grammar", "choice", "\x03" + "red\ngreen\nblue green" + walk)
    put("grammar", "json_object", "\x04" + walk)


# ---- tool calls -------------------------------------------------------------------------------

def seeds_toolcall():
    fg = "<start_function_call>call:get_weather{city:<escape>Paris<escape>,days:3}<end_function_call>"
    put("toolcall", "fg_one_call", "\x00Let me check." + fg)
    put("toolcall", "fg_two_calls_nested", "\x00" + fg + "<start_function_call>call:add{a:1.5,b:-2e3}<end_function_call>"
        "<start_function_call>call:add{a:[1,{x:<escape>y<escape>}],b:true}<end_function_call> done")
    put("toolcall", "fg_truncated", "\x80" + fg[:50])
    put("toolcall", "json_call", "\x01" + json.dumps({"name": "add", "arguments": {"a": 1, "b": 2}}))
    put("toolcall", "json_list", "\x01" + json.dumps([{"name": "get_weather", "arguments": {"city": "Oslo"}},
                                                      {"name": "add", "arguments": {}}]))
    put("toolcall", "json_content", "\x01Sure: {\"name\": \"add\"}")
    put("toolcall", "passthrough", "\x02<start_function_call>call:x{}<end_function_call> text")
    put("toolcall", "request", "\x03" + json.dumps({
        "tools": [{"type": "function", "function": {"name": "f_1", "description": "d", "strict": True,
                                                   "parameters": {"type": "object", "properties": {}}}}],
        "tool_choice": {"type": "function", "function": {"name": "f_1"}}, "parallel_tool_calls": False}))
    put("toolcall", "request_required", "\x03" + json.dumps({"tools": [], "tool_choice": "required"}))


def main():
    tokenizer_dir = sys.argv[1] if len(sys.argv) > 1 else subprocess.check_output(
        [os.path.join(ROOT, "tools", "fetch_tokenizer.sh")], text=True).strip()
    seeds_safetensors()
    seeds_gguf()
    seeds_model_config()
    with open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
        full_vocab = json.load(f)["model"]["vocab"]
    seeds_tokenizer_json(tokenizer_dir)
    grammar_vocab(tokenizer_dir)
    seeds_tokenizer_codec(full_vocab)
    seeds_request()
    seeds_jinja(tokenizer_dir)
    seeds_grammar()
    seeds_toolcall()
    seeds_stop_strings()


if __name__ == "__main__":
    main()
