#!/usr/bin/python3
"""GGUF files (written by gguf_writer.py, independent of the engine) against the same checkpoint
in safetensors, through the built `gemma3` program.

Checks (--check):
  files      write the synthetic tiny checkpoint and its GGUF conversions into WORKDIR (fixture)
  logits     `gemma3 logits` of the BF16 GGUF (also one with general.alignment 256) == the bf16
             safetensors checkpoint, bit for bit;
             F32 and F16 GGUFs within a float tolerance of it (F16 rounds some weights)
  quant      Q8_0 and Q4_0 GGUFs against an F32 safetensors checkpoint holding exactly the
             dequantized weights (so only the kernels' arithmetic may differ), within a tolerance
  tokenizer  the GGUF's own vocabulary (tokenize / detokenize -m FILE.gguf) == tokenizer.json's on
             every tests/data/tokenizer/*.txt file, with special tokens parsed and with --plain
  cli        generate (greedy ids), perplexity, chat template and bench run on -m FILE.gguf and agree
             with the safetensors folder
  quantize   `gemma3 quantize` (the engine's own GGUF writer) gives byte-identical files to this
             independent writer for every dtype, a separate embedding type and alignment 256, and
             refuses bad input with a message, leaving no file behind

Known, documented differences of a GGUF vocabulary, removed from the corpus text before comparing
(and checked separately): <image_soft_token> (id 262144) lies past the model's 262,144 tokens, so
llama.cpp's converter drops it; "<mask>" is CONTROL in GGUF ("looks special" to the converter)
where tokenizer.json has it non-special.

Usage: gguf_compare.py --gemma3 BIN --workdir DIR --check files|logits|quant|tokenizer|cli|quantize
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gguf_writer  # noqa: E402
import checkpoint_writer  # noqa: E402

CORPUS = sorted(glob.glob(os.path.join(HERE, "..", "data", "tokenizer", "*.txt")))
DTYPES = ("bf16", "f32", "f16", "q8_0", "q4_0")
UNMAPPABLE = ("<image_soft_token>", "<mask>")


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run(args, cmd, stdin_bytes=None, timeout=600):
    full = [args.gemma3] + cmd
    t0 = time.time()
    try:
        res = subprocess.run(full, input=stdin_bytes, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"`{' '.join(full)}` timed out after {timeout} s")
    if res.returncode != 0:
        raise CheckFailed(f"`{' '.join(full)}` exited with {res.returncode}: {res.stderr.decode(errors='replace')[-3000:]}")
    log(f"  $ {' '.join(full)}  ({time.time() - t0:.1f} s)")
    return res.stdout.decode("utf-8", errors="surrogateescape")


def paths(args):
    ckpt = os.path.join(args.workdir, "tiny")
    return ckpt, {d: os.path.join(args.workdir, f"tiny-{d}.gguf") for d in DTYPES}


def check_files(args):
    ckpt, ggufs = paths(args)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    run(args, ["synth", "--preset", "tiny", "--seed", "3", "-o", ckpt])
    for d, path in ggufs.items():
        t0 = time.time()
        gguf_writer.convert(ckpt, path, dtype=d)
        log(f"  wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, {time.time() - t0:.1f} s)")
    # A non-default general.alignment (tensor offsets and the data section move).
    gguf_writer.convert(ckpt, os.path.join(args.workdir, "tiny-bf16-align256.gguf"), dtype="bf16", alignment=256)
    # An F32 safetensors twin of each quantized file: exactly the weights the GGUF holds.
    tensors = gguf_writer.read_checkpoint(ckpt)
    with open(os.path.join(ckpt, "config.json")) as f:
        config = json.load(f)
    for d in ("q8_0", "q4_0"):
        twin = os.path.join(args.workdir, f"tiny-dequant-{d}")
        held = {n: (a if n.endswith("norm.weight") else gguf_writer.round_trip(a, d)) for n, a in tensors.items()}
        checkpoint_writer.write_checkpoint(twin, config, held, dtype="F32")
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(ckpt, f), twin)
        log(f"  wrote {twin}")


def logits(args, model, ids_file, out, mode="prefill"):
    run(args, ["logits", "-m", model, "--ids-file", ids_file, "-o", out, "--mode", mode])
    return np.load(out)


def ids_file(args):
    path = os.path.join(args.workdir, "ids.json")
    rng = np.random.default_rng(7)
    ids = [2] + [int(t) for t in rng.integers(3, 262144, 39)]  # 40 ids: past the tiny window (8)
    with open(path, "w") as f:
        json.dump(ids, f)
    return path


def rel_diff(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def check_logits(args):
    ckpt, ggufs = paths(args)
    ids = ids_file(args)
    failures = []
    for mode in ("prefill", "decode"):
        want = logits(args, ckpt, ids, os.path.join(args.workdir, f"st-{mode}.npy"), mode)
        files = dict(ggufs, align256=os.path.join(args.workdir, "tiny-bf16-align256.gguf"))
        for d, tol in (("bf16", 0.0), ("align256", 0.0), ("f32", 1e-5), ("f16", 1e-3)):
            got = logits(args, files[d], ids, os.path.join(args.workdir, f"{d}-{mode}.npy"), mode)
            if got.shape != want.shape:
                failures.append(f"{d} {mode}: shape {got.shape} != {want.shape}")
                continue
            r = rel_diff(got, want)
            same = bool(np.array_equal(got, want))
            log(f"  {d:5s} {mode:8s} bit-identical={same} max|delta|/max|logit| = {r:.3g} (limit {tol:g})")
            if (tol == 0.0 and not same) or r > tol:
                failures.append(f"{d} {mode}: relative difference {r:.3g} > {tol:g}")
    if failures:
        raise CheckFailed("; ".join(failures))


def check_quant(args):
    _, ggufs = paths(args)
    ids = ids_file(args)
    failures = []
    for d, tol in (("q8_0", 2e-2), ("q4_0", 2e-2)):
        twin = os.path.join(args.workdir, f"tiny-dequant-{d}")
        want = logits(args, twin, ids, os.path.join(args.workdir, f"dq-{d}.npy"))
        got = logits(args, ggufs[d], ids, os.path.join(args.workdir, f"{d}.npy"))
        r = rel_diff(got, want)
        agree = float((got.argmax(axis=1) == want.argmax(axis=1)).mean())
        log(f"  {d}: max|delta|/max|logit| = {r:.3g} (limit {tol:g}), argmax agreement {agree:.3f}")
        if r > tol:
            failures.append(f"{d}: relative difference {r:.3g} > {tol:g}")
    if failures:
        raise CheckFailed("; ".join(failures))


def tokenize(args, model, text, plain):
    cmd = ["tokenize", "-m", model] + (["--plain"] if plain else [])
    return json.loads(run(args, cmd, text))


def stress_text():
    """Seeded text that leans on what a vocabulary rebuilt from scores could get wrong: runs of
    spaces, newlines and tabs of every length up to 40 (their merges rank above all learned ones),
    mixed runs, the added tokens beside words, and words split at odd places."""
    rng = np.random.default_rng(11)
    words = ["the", "lighthouse", "keeper", "ing", "tion", "日本語", "naïve", "x", "<b>", "</p>", "<start_of_turn>",
             "<end_of_turn>", "<unused3>", "\u00e9", "42", "3.14", "def", "{", "}", "é", "🙂", "<bos>", "[multimodal]"]
    parts = []
    for _ in range(3000):
        r = rng.random()
        if r < 0.4:
            parts.append(str(rng.choice([" ", "\n", "\t"])) * int(rng.integers(1, 41)))
        elif r < 0.5:
            parts.append("".join(str(rng.choice([" ", "\n", "\t"])) for _ in range(int(rng.integers(2, 9)))))
        else:
            parts.append(str(rng.choice(words)))
    return "".join(parts).encode("utf-8")


def check_tokenizer(args):
    ckpt, ggufs = paths(args)
    gguf = ggufs["q4_0"]  # the vocabulary is the same in every file; the smallest loads fastest
    failures = []
    stress = os.path.join(args.workdir, "stress.txt")
    with open(stress, "wb") as f:
        f.write(stress_text())
    for path in CORPUS + [stress]:
        with open(path, "rb") as f:
            text = f.read()
        for tok in UNMAPPABLE:
            text = text.replace(tok.encode(), b"")
        for plain in (False, True):
            want = tokenize(args, ckpt, text, plain)
            got = tokenize(args, gguf, text, plain)
            name = f"{os.path.basename(path)}{' --plain' if plain else ''}"
            if got != want:
                at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                failures.append(f"{name}: ids differ at {at}: gguf {got[at:at + 5]} json {want[at:at + 5]}")
                continue
            back = run(args, ["detokenize", "-m", gguf], json.dumps(got).encode())
            want_back = run(args, ["detokenize", "-m", ckpt], json.dumps(want).encode())
            if back != want_back:
                failures.append(f"{name}: detokenize differs")
                continue
            log(f"  ok {name}: {len(got)} ids")
    # The documented differences, so a change in them is noticed.
    got = tokenize(args, gguf, b"<image_soft_token>", False)
    if 262144 in got or len(got) < 2:
        failures.append(f"<image_soft_token> should be plain text in the GGUF vocabulary, got {got}")
    if tokenize(args, gguf, b"<mask>", False) != [4] or tokenize(args, gguf, b"<mask>", True) == [4]:
        failures.append("<mask> should be a special (control) token in the GGUF vocabulary")
    if failures:
        raise CheckFailed("\n".join(failures))


def check_cli(args):
    ckpt, ggufs = paths(args)
    gguf = ggufs["bf16"]
    failures = []
    gen = ["generate", "--temp", "0", "-n", "12", "--ids", "-p", "The lighthouse keeper wrote"]
    a, b = run(args, gen + ["-m", ckpt]), run(args, gen + ["-m", gguf])
    log(f"  generate: safetensors {a.strip()} gguf {b.strip()}")
    if a != b:
        failures.append("greedy generate differs")
    chat = ["generate", "--temp", "0", "-n", "6", "--ids", "--chat", "-p", "Hello"]
    if run(args, chat + ["-m", ckpt]) != run(args, chat + ["-m", gguf]):
        failures.append("greedy --chat generate differs")
    text_file = os.path.join(args.workdir, "ppl.txt")
    with open(text_file, "w") as f:
        f.write("The lighthouse keeper wrote in his log every evening at nine o'clock, noting the wind and the ships.\n")
    ppl = ["perplexity", "-f", text_file, "--ctx", "16", "--json"]
    pa, pb = json.loads(run(args, ppl + ["-m", ckpt]).strip().splitlines()[-1]), json.loads(run(args, ppl + ["-m", gguf]).strip().splitlines()[-1])
    log(f"  perplexity: safetensors {pa} gguf {pb}")
    if pa != pb:
        failures.append("perplexity differs")
    msgs = json.dumps([{"role": "user", "content": "Hi there"}]).encode()
    if run(args, ["template", "--ids", "-m", ckpt], msgs) != run(args, ["template", "--ids", "-m", gguf], msgs):
        failures.append("template --ids differs")
    bench = json.loads(run(args, ["bench", "-m", gguf, "-p", "16", "-n", "4", "--json"]).strip().splitlines()[-1])
    log(f"  bench on gguf: {bench}")
    if failures:
        raise CheckFailed("; ".join(failures))


def first_difference(a, b):
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"sizes {len(a)} vs {len(b)}, first difference at byte {at}"


def check_quantize(args):
    ckpt, ggufs = paths(args)
    failures = []
    cases = [(d, [], ggufs[d]) for d in DTYPES]
    mixed = os.path.join(args.workdir, "tiny-q4_0-embd-q8_0-align256.gguf")
    gguf_writer.convert(ckpt, mixed, dtype="q4_0", embd_dtype="q8_0", alignment=256)
    cases.append(("q4_0", ["--embd-dtype", "q8_0", "--alignment", "256"], mixed))
    for dtype, extra, want_path in cases:
        out = os.path.join(args.workdir, "ours.gguf")
        run(args, ["quantize", "-m", ckpt, "--dtype", dtype, "-o", out] + extra)
        with open(out, "rb") as f:
            got = f.read()
        with open(want_path, "rb") as f:
            want = f.read()
        name = " ".join([dtype] + extra)
        if got != want:
            failures.append(f"{name}: {first_difference(got, want)}")
        else:
            log(f"  ok {name}: {len(got)} bytes identical")
        os.remove(out)
    # What llama.cpp fixes for Gemma 3 but this checkpoint changes (the layer pattern, the local
    # RoPE base, softcapping) goes into extra keys; the bf16 file must give the same logits bit for
    # bit as the safetensors folder it came from.
    odd = os.path.join(args.workdir, "tiny-odd")
    shutil.rmtree(odd, ignore_errors=True)
    shutil.copytree(ckpt, odd)
    with open(os.path.join(odd, "config.json")) as f:
        config = json.load(f)
    config["layer_types"] = ["sliding_attention", "full_attention"] * 3
    config["rope_local_base_freq"] = 20000.0
    config["final_logit_softcapping"] = 30.0
    config["attn_logit_softcapping"] = 50.0
    with open(os.path.join(odd, "config.json"), "w") as f:
        json.dump(config, f)
    odd_gguf = os.path.join(args.workdir, "tiny-odd.gguf")
    run(args, ["quantize", "-m", odd, "--dtype", "bf16", "-o", odd_gguf])
    ids = ids_file(args)
    want = logits(args, odd, ids, os.path.join(args.workdir, "odd-st.npy"))
    got = logits(args, odd_gguf, ids, os.path.join(args.workdir, "odd-gguf.npy"))
    plain = logits(args, ckpt, ids, os.path.join(args.workdir, "odd-plain.npy"))
    if np.array_equal(want, plain):
        failures.append("the changed config did not change the logits (the check would prove nothing)")
    if not np.array_equal(got, want):
        failures.append(f"non-default config: GGUF logits differ from the safetensors (rel {rel_diff(got, want):.3g})")
    else:
        log("  ok non-default layer pattern / local RoPE base / softcapping: logits bit-identical")
    # Bad input: a clear message, exit status 1, and nothing written.
    bad = [(["--dtype", "q5_k"], "--dtype"), (["--alignment", "24"], "--alignment"),
           (["-m", os.path.join(args.workdir, "no-such-model")], "no-such-model"),
           (["-m", ggufs["bf16"]], "already a GGUF file"), (["--embd-dtype", "q6_k"], "--embd-dtype")]
    for extra, needle in bad:
        out = os.path.join(args.workdir, "bad.gguf")
        cmd = [args.gemma3, "quantize", "-m", ckpt, "-o", out] + extra
        res = subprocess.run(cmd, capture_output=True, timeout=120)
        err = res.stderr.decode(errors="replace")
        if res.returncode != 1 or needle not in err or os.path.exists(out) or os.path.exists(out + ".part"):
            failures.append(f"{' '.join(extra)}: exit {res.returncode}, stderr {err.strip()!r}")
    res = subprocess.run([args.gemma3, "quantize", "-m", ckpt, "-o", os.path.join(args.workdir, "no-dir", "x.gguf")],
                         capture_output=True, timeout=120)
    if res.returncode != 1 or b"cannot create" not in res.stderr:
        failures.append(f"unwritable output: exit {res.returncode}, stderr {res.stderr!r}")
    if failures:
        raise CheckFailed("; ".join(failures))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gemma3", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--check", required=True, choices=["files", "logits", "quant", "tokenizer", "cli", "quantize"])
    args = p.parse_args(argv)
    try:
        {"files": check_files, "logits": check_logits, "quant": check_quant, "tokenizer": check_tokenizer,
         "cli": check_cli, "quantize": check_quantize}[args.check](args)
    except CheckFailed as e:
        log(f"FAIL {args.check}: {e}")
        return 1
    log(f"PASS {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
