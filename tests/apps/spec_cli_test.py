#!/usr/bin/env python3
"""--spec on the command line, on a synthetic tiny checkpoint (whose greedy text repeats itself):
`gemma3 generate` prints the same text with --spec ngram as with --spec off (greedy and sampled),
and `gemma3 bench --spec ngram --json` reports identical tokens, accepted drafts and fewer forward
passes for greedy text. Bad --spec values are refused with a message naming the flag.

Usage: spec_cli_test.py GEMMA3_BIN WORKDIR
"""
import json
import os
import subprocess
import sys

gemma3, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
model = os.path.join(work, "tiny")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, ok=True):
    p = subprocess.run([gemma3, *args], capture_output=True, text=True, timeout=300)
    if ok and p.returncode != 0:
        print(p.stderr)
        raise SystemExit(f"gemma3 {' '.join(args)} failed with {p.returncode}")
    return p


if not os.path.isdir(model):
    run("synth", "--preset", "tiny", "--seed", "3", "-o", model)

for extra in ([], ["--temp", "0.8", "--seed", "5"], ["--temp", "0.7", "--top-k", "40", "--repeat-penalty", "1.2"]):
    base = ["generate", "-m", model, "-p", "The cat sat on the mat and the cat", "-n", "60", *extra]
    off = run(*base, "--spec", "off").stdout
    on = run(*base, "--spec", "ngram").stdout
    check(off == on, f"generate {extra}: output differs with --spec ngram:\n{off!r}\n{on!r}")
    check(len(off) > 0, f"generate {extra}: no output")

j = json.loads(run("bench", "-m", model, "--spec", "ngram", "-p", "16", "-n", "64", "-r", "2", "--json").stdout)
check(j["identical"] is True, "bench: tokens should be identical")
check(j["spec_off"]["tokens"] == j["spec_ngram"]["tokens"] == 128, f"bench: 2 x 64 tokens each side, got {j}")
check(j["spec_off"]["drafted"] == 0, "bench: nothing drafted with spec off")
check(j["spec_ngram"]["accepted"] > 0, f"bench: greedy tiny text should accept drafts: {j['spec_ngram']}")
check(j["spec_ngram"]["passes"] < j["spec_off"]["passes"], f"bench: fewer passes expected: {j}")
check(j["speedup"] > 0, "bench: speedup should be positive")

for cmd in (["generate", "-m", model, "-p", "x", "--spec", "medusa"], ["bench", "-m", model, "--spec", "eagle"]):
    p = run(*cmd, ok=False)
    check(p.returncode != 0 and "--spec" in p.stderr, f"{cmd[0]} --spec bad: want an error naming --spec, got {p.returncode} {p.stderr!r}")

if failures:
    sys.exit(f"{len(failures)} failure(s)")
print("ok")
