#!/usr/bin/env python3
"""tools/perplexity_deltas.sh on a synthetic tiny checkpoint. Its weights are bf16, so --dtype f32
holds exactly the same values: its NLL must match bf16's to float noise and its top-1 must agree
everywhere (up to ties). Q8_0 has 16x finer steps than Q4_0, so it must stay closer to bf16 than
Q4_0 on both measures, and close in absolute terms. Also: the text form prints every dtype, and
bad arguments get an error, not a traceback.

Usage: perplexity_deltas_test.py GEMMA3_BIN SOURCE_DIR WORKDIR
"""
import json
import os
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    gemma3, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    ckpt = os.path.join(work, "tiny")
    subprocess.run([gemma3, "synth", "--preset", "tiny", "--seed", "5", "-o", ckpt], check=True,
                   stdout=subprocess.DEVNULL)
    script = os.path.join(src, "tools", "perplexity_deltas.sh")
    text = os.path.join(src, "tests", "data", "tokenizer", "prose_english.txt")
    out = subprocess.run([script, "--json", gemma3, ckpt, text, "256"], capture_output=True, text=True, timeout=300)
    check(out.returncode == 0, f"script exit {out.returncode}: {out.stderr}")
    j = json.loads(out.stdout)
    rows = {r["dtype"]: r for r in j["results"]}
    check(list(rows) == ["bf16", "f32", "q8_0", "q4_0"], f"dtypes {list(rows)}")
    check(j["tokens_scored"] > 1000, f"tokens_scored {j['tokens_scored']}")
    check(rows["bf16"]["delta_nll"] == 0 and rows["bf16"]["top1_agreement"] == 1, "bf16 is its own reference")
    f32, q8, q4 = rows["f32"], rows["q8_0"], rows["q4_0"]
    check(abs(f32["delta_nll"]) < 1e-4 and f32["top1_agreement"] > 0.99, f"f32 equals bf16: {f32}")
    check(abs(q8["delta_nll"]) < 0.05 and q8["top1_agreement"] > 0.8, f"q8_0 stays near bf16: {q8}")
    check(abs(q8["delta_nll"]) < abs(q4["delta_nll"]) and q8["top1_agreement"] > q4["top1_agreement"],
          f"q8_0 closer to bf16 than q4_0: {q8} vs {q4}")
    for r in rows.values():
        check(abs(r["ppl_ratio"] - 2.718281828459045 ** r["delta_nll"]) < 1e-9, f"ppl_ratio of {r['dtype']}")

    txt = subprocess.run([script, gemma3, ckpt, text, "256", "q8_0"], capture_output=True, text=True, timeout=300)
    check(txt.returncode == 0 and "q8_0" in txt.stdout and "bf16" in txt.stdout and "f32" not in txt.stdout,
          f"text form with one dtype: {txt.stdout}")
    for bad, needle in [([gemma3, ckpt, "/nonexistent.txt"], "no text file"),
                        ([gemma3, ckpt, text, "x"], "CTX"),
                        ([gemma3, ckpt, text, "256", "q3"], "q8_0"),  # gemma3's own error is passed on
                        ([gemma3], "Usage")]:
        r = subprocess.run([script] + bad, capture_output=True, text=True, timeout=120)
        check(r.returncode != 0 and needle in r.stderr and "Traceback" not in r.stderr,
              f"{bad[1:]}: exit {r.returncode}, stderr {r.stderr!r}")
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
