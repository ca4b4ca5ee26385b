#!/usr/bin/env python3
"""`gemma3 info` against numbers computed here, independently of the engine.

Writes a synthetic checkpoint (`gemma3 synth --preset PRESET`), runs `gemma3 info --json` and the
text form, and checks them against: the parameter count from the config's shapes (and, for 270m,
the published 268,098,176), the dtypes and bytes read straight from the safetensors header, the
tokenizer size and special tokens from tokenizer.json / tokenizer_config.json, the FNV-1a hash of
the chat template, the KV bytes per token from the layer pattern, and the CPU flags in
/proc/cpuinfo. Also: GEMMA3_ISA=scalar is reported, and bad input gets a clear error.

Usage: info_test.py GEMMA3_BIN PRESET WORKDIR
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

# The published size of google/gemma-3-270m (tied embedding counted once).
KNOWN_PARAMETERS = {"270m": 268_098_176}
DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4}

# Extra serve KV options whose pools are compared with a live `gemma3 serve` ([] = the defaults).
SERVE_OPTIONS = {
    "tiny": [[], ["--kv-cache-mb", "16"], ["--kv-cache-tokens", "1000", "--max-running", "4"],
             ["--kv-dtype", "bf16", "--kv-cache-mb", "16"]],
    "270m": [[], ["--kv-cache-mb", "512"]],
}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def expect_eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)


def expected_parameters(c):
    """From the Gemma 3 layer shapes: embedding, final norm, and per layer q/k/v/o, the MLP and six norms."""
    h, inter, hd = c["hidden_size"], c["intermediate_size"], c["head_dim"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    per_layer = (h * q + 2 * h * kv + q * h) + 3 * h * inter + 4 * h + 2 * hd
    total = c["vocab_size"] * h + h + c["num_hidden_layers"] * per_layer
    if not c.get("tie_word_embeddings", True):
        total += c["vocab_size"] * h
    return total


def safetensors_tally(path):
    """{dtype: (tensors, parameters, bytes)} from the file's own header."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    tally = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        count = 1
        for d in t["shape"]:
            count *= d
        begin, end = t["data_offsets"]
        assert end - begin == count * DTYPE_BYTES[t["dtype"]], name
        k, p, b = tally.get(t["dtype"].lower(), (0, 0, 0))
        tally[t["dtype"].lower()] = (k + 1, p + count, b + end - begin)
    return tally


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def serve_pools(binary, ckpt, opts):
    """[full blocks, sliding blocks, block size, context] from `gemma3 serve`'s ready line."""
    proc = subprocess.Popen([binary, "serve", "-m", ckpt, "--port", "0", "-t", "1", "--quiet", *opts],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            m = re.search(r"ready: context (\d+) tokens, KV pools (\d+) full \+ (\d+) sliding blocks of (\d+)", line)
            if m:
                ctx, full, sliding, block = map(int, m.groups())
                return [full, sliding, block, ctx]
        sys.exit("gemma3 serve never got ready:\n" + "".join(lines))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def main():
    binary, preset, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(workdir, exist_ok=True)
    ckpt = tempfile.mkdtemp(prefix=f"info-{preset}-", dir=workdir)
    r = run([binary, "synth", "--preset", preset, "--seed", "1", "-o", ckpt])
    if r.returncode != 0:
        sys.exit(f"gemma3 synth failed: {r.stderr}")

    r = run([binary, "info", "-m", ckpt, "--json", "-t", "1"])
    if r.returncode != 0:
        sys.exit(f"gemma3 info --json failed ({r.returncode}): {r.stderr}")
    info = json.loads(r.stdout)
    with open(os.path.join(ckpt, "config.json")) as f:
        c = json.load(f)

    # Architecture and config.
    expect_eq(info["architecture"], c["architectures"][0], "architecture")
    expect_eq(info["synthetic"], True, "synthetic")
    for ours, hf in [("vocab_size", "vocab_size"), ("hidden_size", "hidden_size"),
                     ("intermediate_size", "intermediate_size"), ("num_layers", "num_hidden_layers"),
                     ("num_heads", "num_attention_heads"), ("num_kv_heads", "num_key_value_heads"),
                     ("head_dim", "head_dim"), ("sliding_window", "sliding_window")]:
        expect_eq(info["config"][ours], c[hf], f"config.{ours}")
    kinds = ["full" if t == "full_attention" else "sliding" for t in c["layer_types"]]
    expect_eq(info["config"]["layer_kinds"], kinds, "layer kinds")
    expect_eq(info["context_length"], c["max_position_embeddings"], "context length")

    # Parameters, dtypes and bytes.
    params = expected_parameters(c)
    if preset in KNOWN_PARAMETERS:
        expect_eq(params, KNOWN_PARAMETERS[preset], "this test's own shape arithmetic")
    expect_eq(info["weights"]["parameters"], params, "parameters")
    tally = safetensors_tally(os.path.join(ckpt, "model.safetensors"))
    expect_eq(info["weights"]["bytes"], sum(b for _, _, b in tally.values()), "weight bytes")
    expect_eq({k: [v["tensors"], v["parameters"], v["bytes"]] for k, v in info["weights"]["dtypes"].items()},
              {k: list(v) for k, v in tally.items()}, "per-dtype tensors/parameters/bytes")

    # Tokenizer and special tokens.
    with open(os.path.join(ckpt, "tokenizer.json")) as f:
        tok = json.load(f)
    with open(os.path.join(ckpt, "tokenizer_config.json")) as f:
        tok_config = json.load(f)
    ids = {piece: i for piece, i in tok["model"]["vocab"].items()}
    for t in tok["added_tokens"]:
        ids[t["content"]] = t["id"]
    expect_eq(info["tokenizer"]["vocab_size"], max(ids.values()) + 1, "tokenizer size")
    expect_eq(info["tokenizer"]["special_tokens"], sum(1 for t in tok["added_tokens"] if t["special"]),
              "special token count")
    for role in ("bos", "eos", "pad"):
        piece = tok_config[f"{role}_token"]
        piece = piece["content"] if isinstance(piece, dict) else piece
        expect_eq(info["tokenizer"][role], {"id": ids[piece], "piece": piece}, f"{role} token")
    for piece in ("<start_of_turn>", "<end_of_turn>"):
        expect_eq(info["tokenizer"]["turn_markers"][piece], ids[piece], piece)
    with open(os.path.join(ckpt, "generation_config.json")) as f:
        eos = json.load(f)["eos_token_id"]
    eos = eos if isinstance(eos, list) else [eos]
    expect_eq([t["id"] for t in info["tokenizer"]["stop_tokens"]], eos, "stop tokens")

    # Chat template.
    template = tok_config["chat_template"]
    expect_eq(info["chat_template"]["chars"], len(template), "template length")
    expect_eq(info["chat_template"]["fnv1a64"], fnv1a64(template), "template hash")
    expect_eq(info["chat_template"]["source"].endswith("tokenizer_config.json chat_template"), True,
              "the template's source: " + str(info["chat_template"]["source"]))

    # KV bytes per token: K and V, f32, per KV head dim, per layer of each kind.
    per_layer = 2 * 4 * c["num_key_value_heads"] * c["head_dim"]
    n_full, n_sliding = kinds.count("full"), kinds.count("sliding")
    kv = info["kv_cache"]
    expect_eq(kv["dtype"], "f32", "default KV dtype")
    expect_eq(kv["bytes_per_position_per_layer"], per_layer, "KV bytes per position per layer")
    expect_eq(kv["full_bytes_per_token"], n_full * per_layer, "full-layer KV bytes/token")
    expect_eq(kv["sliding_bytes_per_token"], n_sliding * per_layer, "sliding-layer KV bytes/token")
    expect_eq(kv["naive_bytes_per_token"], c["num_hidden_layers"] * per_layer, "naive KV bytes/token")
    ctx, window = c["max_position_embeddings"], min(c["sliding_window"], c["max_position_embeddings"])
    at_ctx = n_full * per_layer * ctx + n_sliding * per_layer * window
    expect_eq(kv["sequence_bytes_at_context"], at_ctx, "KV bytes of a full-context sequence")
    pools = kv["serve_pools"]
    expect_eq(pools["bytes"], (pools["full_blocks"] * n_full + pools["sliding_blocks"] * n_sliding) * per_layer *
              pools["block_size"], "serve default pool bytes")
    check(pools["full_blocks"] * pools["block_size"] >= ctx, "the default full pool holds the whole context")

    # The pools info predicts for serve's KV options are the ones `gemma3 serve` really allocates.
    for opts in SERVE_OPTIONS[preset]:
        r = run([binary, "info", "-m", ckpt, "--json", *opts])
        expect_eq(r.returncode, 0, f"info {opts}")
        kv_opts = json.loads(r.stdout)["kv_cache"]
        p = kv_opts["serve_pools"]
        # --kv-dtype bf16 stores 2-byte elements: every byte count halves.
        bf16 = "--kv-dtype" in opts and opts[opts.index("--kv-dtype") + 1] == "bf16"
        opt_per_layer = per_layer // 2 if bf16 else per_layer
        expect_eq([kv_opts["dtype"], kv_opts["bytes_per_position_per_layer"]],
                  ["bf16" if bf16 else "f32", opt_per_layer], f"{opts}: KV dtype and bytes per position per layer")
        expect_eq(p["bytes"], (p["full_blocks"] * n_full + p["sliding_blocks"] * n_sliding) * opt_per_layer *
                  p["block_size"], f"{opts}: pool bytes")
        served = serve_pools(binary, ckpt, opts)
        expect_eq([p["full_blocks"], p["sliding_blocks"], p["block_size"], p["request_context"]], served,
                  f"pools for {opts}: info vs serve's start-up line")
        if "--kv-cache-mb" in opts:
            budget = int(opts[opts.index("--kv-cache-mb") + 1]) << 20
            check(p["bytes"] <= budget, f"{opts}: {p['bytes']} B of pools exceed the budget")
            block = (n_full + n_sliding) * opt_per_layer * p["block_size"]
            check(p["bytes"] > budget - block, f"{opts}: {p['bytes']} B leaves more than a block unused")
        if "--kv-cache-tokens" in opts:
            tokens = int(opts[opts.index("--kv-cache-tokens") + 1])
            expect_eq(p["full_blocks"], -(-tokens // p["block_size"]), f"{opts}: full blocks")
    if preset == "270m":
        # docs/ARCHITECTURE.md "KV cache memory": 36,864 B/token naive; 6,144 on the 3 full layers.
        expect_eq([kv["naive_bytes_per_token"], kv["full_bytes_per_token"]], [36864, 6144], "270m KV numbers")

    # CPU features: the flags agree with /proc/cpuinfo, and the kernel choice follows them.
    flags = cpu_flags()
    for name, on in info["cpu"]["flags"].items():
        cpuinfo_name = {"f16c": "f16c", "fma": "fma"}.get(name, name)
        expect_eq(on, cpuinfo_name in flags, f"cpu flag {name}")
    avx512 = all(f in flags for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq"))
    avx2 = all(f in flags for f in ("avx2", "fma", "f16c"))
    expect_eq(info["cpu"]["best_isa"], "avx512" if avx512 and avx2 else "avx2" if avx2 else "scalar", "best ISA")
    expect_eq(info["cpu"]["threads"], 1, "threads (-t 1)")
    r = run([binary, "info", "-m", ckpt, "--json"], env={**os.environ, "GEMMA3_ISA": "scalar"})
    expect_eq(json.loads(r.stdout)["cpu"]["kernels"], "scalar", "GEMMA3_ISA=scalar is what the kernels use")

    # The text form says the same.
    r = run([binary, "info", "-m", ckpt])
    expect_eq(r.returncode, 0, "text form exit code")
    check(f"parameters    {params:,}" in r.stdout, f"text form shows {params:,} parameters:\n{r.stdout}")
    check(f"{n_full * per_layer:,} B/token on the {n_full} full layers" in r.stdout, "text form shows full-layer KV")
    check(f"{n_sliding * per_layer:,} B/token on the {n_sliding} sliding layers" in r.stdout,
          "text form shows sliding-layer KV")

    # Bad input: clear errors, no crash.
    r = run([binary, "info", "-m", os.path.join(workdir, "no-such-model")])
    check(r.returncode == 1 and "no-such-model" in r.stderr, f"missing model: {r.returncode} {r.stderr!r}")
    r = run([binary, "info", "-m", ckpt, "--kv-dtype", "f16"])
    check(r.returncode != 0 and "--kv-dtype" in r.stderr and "f16" in r.stderr,
          f"bad --kv-dtype: {r.returncode} {r.stderr!r}")
    r = run([binary, "info", "-m", ckpt, "--bogus"])
    check(r.returncode == 2 and "bogus" in r.stderr, f"unknown flag: {r.returncode} {r.stderr!r}")

    subprocess.run(["rm", "-rf", ckpt])
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print(f"gemma3 info {preset}: all checks passed ({params:,} parameters)")


if __name__ == "__main__":
    main()
