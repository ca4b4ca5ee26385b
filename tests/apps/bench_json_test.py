#!/usr/bin/env python3
"""`gemma3 bench --json --batch 4 --dtype q8_0` on a synthetic tiny checkpoint: every documented
field is present, has the right type, and agrees with numbers computed here from config.json
(bytes of Q8_0 matrices read per token, flops per prompt token) or with the other fields
(fractions = achieved / machine limit, batch speedup = batched / batch-1 tok/s). Speed itself is
not judged here (the benchmarks and docs/PERFORMANCE.md do that); only that the figures are sane.
Also: --no-probe gives null machine fields, and bad options get a clear error, not a crash.

Usage: bench_json_test.py GEMMA3_BIN WORKDIR
"""
import json
import math
import os
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-30)


def positive(j, key):
    v = j.get(key)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
    check(ok, f"{key} should be a positive finite number, got {v!r}")
    return v if ok else 1.0


def q8_0_bytes(rows, cols):
    assert cols % 32 == 0
    return rows * (cols // 32) * 34  # GGML block: f16 scale + 32 int8


def main():
    gemma3, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "tiny")
    subprocess.run([gemma3, "synth", "--preset", "tiny", "--seed", "3", "-o", ckpt], check=True,
                   stdout=subprocess.DEVNULL)
    c = json.load(open(os.path.join(ckpt, "config.json")))
    hidden, inter, vocab = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    q_dim = c["num_attention_heads"] * c["head_dim"]
    kv_dim = c["num_key_value_heads"] * c["head_dim"]
    n_layers, window = c["num_hidden_layers"], c["sliding_window"]
    shapes = [(q_dim, hidden), (kv_dim, hidden), (kv_dim, hidden), (hidden, q_dim),
              (inter, hidden), (inter, hidden), (hidden, inter)]
    block_bytes = n_layers * sum(q8_0_bytes(r, k) for r, k in shapes)
    block_params = n_layers * sum(r * k for r, k in shapes)
    lm_head_bytes = q8_0_bytes(vocab, hidden)

    n_prompt, n_gen, batch = 24, 6, 4
    cmd = [gemma3, "bench", "-m", ckpt, "-t", "2", "-p", str(n_prompt), "-n", str(n_gen), "--batch", str(batch),
           "--dtype", "q8_0", "-r", "2", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, f"bench exit {out.returncode}: {out.stderr}")
    j = json.loads(out.stdout)

    for key in ["pp_tok_s", "tg_tok_s", "tg_batch1_tok_s", "batch_speedup", "weight_bytes", "block_weight_bytes",
                "flops_per_prompt_token", "tg_gb_s", "pp_gflop_s", "kv_cache_mb", "peak_rss_mb",
                "peak_rss_batch1_mb", "held_weight_mb", "tg_bandwidth_fraction", "pp_flops_fraction"]:
        positive(j, key)
    check(j.get("batch") == batch, f"batch {j.get('batch')!r}, want {batch}")
    check(j.get("n_prompt") == n_prompt and j.get("n_gen") == n_gen and j.get("repetitions") == 2,
          "n_prompt / n_gen / repetitions echo the options")
    check(j.get("dtype") == "q8_0" and j.get("lm_head_dtype") == "q8_0", f"dtype {j.get('dtype')!r}")
    check(j.get("kv_dtype") == "f32", f"kv_dtype {j.get('kv_dtype')!r}")
    check(j.get("matmul_bf16") is False, f"matmul_bf16 {j.get('matmul_bf16')!r} (exact by default)")
    check(j.get("threads") == 2, f"threads {j.get('threads')!r}")
    check(j.get("isa") in ("scalar", "avx2", "avx512"), f"isa {j.get('isa')!r}")
    check(isinstance(j.get("kernel_features"), str) and j["kernel_features"].startswith(j.get("isa", "?")),
          f"kernel_features {j.get('kernel_features')!r} should start with the isa")

    check(close(j.get("block_weight_bytes", 0), block_bytes), f"block_weight_bytes {j.get('block_weight_bytes')} != {block_bytes}")
    check(close(j.get("weight_bytes", 0), block_bytes + lm_head_bytes),
          f"weight_bytes {j.get('weight_bytes')} != {block_bytes + lm_head_bytes}")
    # The tiny checkpoint ties the LM head to the embedding: held once.
    check(close(j.get("held_weight_mb", 0), (block_bytes + lm_head_bytes) / 1048576),
          f"held_weight_mb {j.get('held_weight_mb')} != {(block_bytes + lm_head_bytes) / 1048576}")
    visible = sum(min(p + 1, window) if kind == "sliding_attention" else p + 1
                  for kind in c["layer_types"] for p in range(n_prompt))
    flops = 2 * block_params + 4 * q_dim * visible / n_prompt + 2 * vocab * hidden / n_prompt
    check(close(j.get("flops_per_prompt_token", 0), flops), f"flops_per_prompt_token {j.get('flops_per_prompt_token')} != {flops}")

    # Derived figures agree with their parts.
    check(close(j["tg_tok_s"] / j["tg_batch1_tok_s"], j["batch_speedup"]), "batch_speedup = tg_tok_s / tg_batch1_tok_s")
    check(close(j["tg_gb_s"], j["tg_batch1_tok_s"] * j["weight_bytes"] * 1e-9), "tg_gb_s = tg_batch1 x weight_bytes")
    check(close(j["pp_gflop_s"], j["pp_tok_s"] * j["flops_per_prompt_token"] * 1e-9), "pp_gflop_s = pp x flops/token")
    m = j.get("machine")
    check(isinstance(m, dict), f"machine should be an object, got {m!r}")
    if isinstance(m, dict):
        positive(m, "read_gb_s")
        positive(m, "fma_gflop_s")
        check(isinstance(m.get("bf16_gflop_s"), (int, float)) and m["bf16_gflop_s"] >= 0, "bf16_gflop_s >= 0")
        check(close(j["tg_bandwidth_fraction"], j["tg_gb_s"] / m["read_gb_s"]), "tg_bandwidth_fraction")
        check(close(j["pp_flops_fraction"], j["pp_gflop_s"] / m["fma_gflop_s"]), "pp_flops_fraction")
        check(isinstance(m.get("int8_gop_s"), (int, float)) and m["int8_gop_s"] >= 0, "int8_gop_s >= 0")
        # Exact mode: batched decode against the f32 FMA peak; the ceiling is that peak's tokens/s
        # (2 ops per block and LM head element) over batch 1.
        ops = 2 * (block_params + vocab * hidden)
        check(close(j.get("tg_batch_dot_fraction", -1), j["tg_tok_s"] * ops * 1e-9 / m["fma_gflop_s"]),
              f"tg_batch_dot_fraction {j.get('tg_batch_dot_fraction')!r}")
        check(close(j.get("batch_speedup_ceiling", -1), m["fma_gflop_s"] * 1e9 / ops / j["tg_batch1_tok_s"]),
              f"batch_speedup_ceiling {j.get('batch_speedup_ceiling')!r}")
        # The tiny model's weights fit in cache, so decode may beat DRAM bandwidth, but never by 100x.
        check(j["tg_bandwidth_fraction"] < 100 and j["pp_flops_fraction"] < 2, "fractions within reason")
    check(j["peak_rss_mb"] >= j["peak_rss_batch1_mb"], "peak RSS never decreases")
    check(j["peak_rss_mb"] * 1048576 >= block_bytes + lm_head_bytes, "peak RSS holds at least the weights")

    # Human-readable form has the batched line; --no-probe nulls the machine fields.
    text = subprocess.run(cmd[:-1] + ["--no-probe"], capture_output=True, text=True, timeout=120)
    check(text.returncode == 0 and f"x{batch}:" in text.stdout and "pp24:" in text.stdout, f"text output: {text.stdout}")
    nop = subprocess.run(cmd + ["--no-probe"], capture_output=True, text=True, timeout=120)
    jn = json.loads(nop.stdout) if nop.returncode == 0 else {}
    check(nop.returncode == 0 and jn.get("machine") is None and jn.get("tg_bandwidth_fraction") is None
          and jn.get("pp_flops_fraction") is None, "--no-probe: machine and fractions are null")

    for bad, needle in [(["--batch", "0"], "--batch"), (["--batch", "x"], "batch"), (["--dtype", "q3"], "q8_0"),
                        (["--batch", "2", "-n", "0"], "-n"), (["-p", "5000"], "context")]:
        r = subprocess.run([gemma3, "bench", "-m", ckpt, "--no-probe", "-p", "8", "-n", "2"] + bad,
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and needle in r.stderr, f"{bad}: exit {r.returncode}, stderr {r.stderr!r}")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
