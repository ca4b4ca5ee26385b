#!/usr/bin/python3
"""Compares the built `gemma3` program against the independent NumPy reference (gemma3_reference.py)
on a synthetic checkpoint written by `gemma3 synth`.

Checks (--check, comma-separated):
  synth       write the checkpoint (done on demand by the others too; a CTest fixture runs it once)
  logits      `gemma3 logits --mode prefill|decode|chunked` on seeded random ids: every position's
              logits within max|delta| <= rel_tol * max|reference logit|
  greedy      `gemma3 generate --temp 0 --ids`: identical greedy continuation
  perplexity  `gemma3 perplexity --ctx N --json --argmax` on a fixed text (tokens from
              `gemma3 tokenize --add-bos`): same tokens_scored, nll within rel_tol, same argmax
An argmax that differs only where the reference's top logits tie within the logits tolerance is
reported as a near-tie and accepted (greedy then stops comparing: the sequences have diverged).

Usage: compare_with_engine.py --gemma3 build/gemma3 --preset tiny --workdir DIR --check logits
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gemma3_reference as ref  # noqa: E402
from quantized_weights import ROUNDTRIPS, quantize_reference_weights  # noqa: E402

STOP_IDS = (1, 106)  # <eos>, <end_of_turn>: the engine may stop on these

# ~100 Gemma tokens of varied text: several --ctx 16 windows.
PERPLEXITY_TEXT = (
    "The lighthouse keeper wrote in his log every evening at nine o'clock. On the 14th of March, "
    "1887, he noted a strong north-westerly wind, waves of about 4.5 metres, and three ships "
    "passing south towards the harbour. \"Visibility poor; lamp cleaned twice,\" he added. Years "
    "later, researchers used these notes to reconstruct the storm's path, comparing them with "
    "records from Bergen, Aberdeen and Den Helder. Their résumé of the data fits on one page.\n"
)

PRESET_DEFAULTS = {
    # n_tokens crosses the sliding window (tiny: 8, 270m: 512) in every mode.
    "tiny": {"n_tokens": 40, "decode_tokens": 40, "prompt_tokens": 20, "greedy_tokens": 64},
    # 270m decode: a short prefix by default (one forward per token); tiny covers decode across
    # the window, and --decode-tokens 560 does it here.
    "270m": {"n_tokens": 560, "decode_tokens": 32, "prompt_tokens": 20, "greedy_tokens": 24},
    "1b": {"n_tokens": 560, "decode_tokens": 64, "prompt_tokens": 20, "greedy_tokens": 16},
}


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def run_engine(args, cmd, stdin_path=None, timeout=900):
    extra = args.engine_args.split() if cmd[0] in ("logits", "generate", "perplexity") else []
    full = [args.gemma3] + cmd + extra
    log("  $ " + " ".join(full) + (f" < {stdin_path}" if stdin_path else ""))
    t0 = time.time()
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        res = subprocess.run(full, stdin=stdin, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"`{' '.join(full)}` timed out after {timeout} s")
    finally:
        if stdin_path:
            stdin.close()
    if res.returncode != 0:
        raise CheckFailed(f"`{' '.join(full)}` exited with {res.returncode}\n"
                          f"--- stderr ---\n{res.stderr[-4000:]}\n--- stdout ---\n{res.stdout[-2000:]}")
    log(f"    ({time.time() - t0:.1f} s)")
    return res.stdout


def last_json(stdout, what):
    """The last stdout line that parses as JSON (programs may print progress before it)."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    try:
        return json.loads(stdout)
    except ValueError:
        raise CheckFailed(f"{what}: no JSON on stdout:\n{stdout[-2000:]}")


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


# ----------------------------------------------------------------------------------------------

def ensure_checkpoint(args):
    """Writes the synthetic checkpoint once (into a temporary folder renamed when complete)."""
    ckpt = os.path.join(args.workdir, f"ckpt-{args.preset}-seed{args.seed}")
    if args.fresh:
        shutil.rmtree(ckpt, ignore_errors=True)
    if os.path.exists(os.path.join(ckpt, "config.json")):
        return ckpt
    os.makedirs(args.workdir, exist_ok=True)
    partial = f"{ckpt}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    run_engine(args, ["synth", "--preset", args.preset, "--seed", str(args.seed), "-o", partial])
    if not os.path.exists(os.path.join(partial, "config.json")):
        raise CheckFailed(f"gemma3 synth wrote no config.json into {partial}")
    try:
        os.rename(partial, ckpt)
    except OSError:  # another process finished first
        shutil.rmtree(partial, ignore_errors=True)
    return ckpt


class Context:
    def __init__(self, args):
        self.args = args
        self.ckpt = ensure_checkpoint(args)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            t0 = time.time()
            self._model = ref.Gemma3Reference(self.ckpt)
            if self.args.reference_weights:
                quantize_reference_weights(self._model, self.args.reference_weights)
            log(f"  reference loaded {self.ckpt} in {time.time() - t0:.1f} s")
        return self._model

    def random_ids(self, n, stream):
        """[BOS] + n-1 seeded random ids over the whole vocabulary (large ids included)."""
        rng = np.random.default_rng([self.args.seed, stream])
        vocab = self.model.cfg.vocab_size
        return [2] + [int(t) for t in rng.integers(3, vocab, n - 1)]

    def path(self, name):
        # Runs with different --engine-args may share the workdir at once (ctest -j): own files each.
        tag = re.sub(r"[^A-Za-z0-9]+", "_", self.args.engine_args).strip("_")
        return os.path.join(self.args.workdir, f"{self.args.preset}-seed{self.args.seed}{'-' + tag if tag else ''}-{name}")


def compare_logits(name, got, want, rel_tol):
    """got, want (n, V). Raises CheckFailed with diagnostics unless max|got-want| <= rel_tol*max|want|."""
    if got.shape != want.shape:
        raise CheckFailed(f"{name}: engine logits have shape {got.shape}, reference {want.shape}")
    scale = float(np.max(np.abs(want)))
    threshold = rel_tol * scale
    worst, worst_pos, per_row = -1.0, (0, 0), np.empty(len(want))
    for r0 in range(0, len(want), 64):  # row blocks: keeps temporaries small for (600, 262144)
        d = np.abs(np.asarray(got[r0:r0 + 64], dtype=np.float32) - want[r0:r0 + 64])
        if not np.all(np.isfinite(d)):
            bad = np.argwhere(~np.isfinite(d))[0]
            raise CheckFailed(f"{name}: non-finite engine logit at position {r0 + bad[0]}, id {bad[1]}")
        per_row[r0:r0 + len(d)] = d.max(axis=1)
        i = int(np.argmax(d))
        if d.flat[i] > worst:
            worst, worst_pos = float(d.flat[i]), (r0 + i // d.shape[1], i % d.shape[1])
    p, v = worst_pos
    summary = (f"{name}: max|delta| = {worst:.3g} at position {p}, id {v} "
               f"(engine {float(got[p, v]):.6g}, reference {float(want[p, v]):.6g}); "
               f"threshold {threshold:.3g} = {rel_tol:g} * max|logit| {scale:.4g}")
    if worst > threshold:
        failing = np.nonzero(per_row > threshold)[0]
        raise CheckFailed(summary + f"\n  {len(failing)} of {len(want)} positions exceed it; first "
                          f"{failing[:10].tolist()}; per-position max|delta| there: "
                          f"{[float('%.3g' % per_row[i]) for i in failing[:10]]}")
    log("  PASS " + summary)


def near_tie(row, chosen, tol):
    """True when `chosen` is within tol of the reference row's maximum (a legitimate argmax flip)."""
    return float(row[chosen]) >= float(np.max(row)) - tol


def check_logits(ctx):
    args = ctx.args
    ids = ctx.random_ids(args.n_tokens, stream=1)
    lengths = {m: min(args.decode_tokens, len(ids)) if m == "decode" else len(ids) for m in args.modes}
    t0 = time.time()
    # Prefix invariance (checked by the self-test): rows [0, n) of a longer sequence's logits are
    # the logits of its first n ids, so one reference pass serves every mode.
    want = ctx.model.forward(ids[:max(lengths.values())])  # (n, V)
    log(f"  reference logits for {len(want)} tokens in {time.time() - t0:.1f} s")
    for mode in args.modes:
        n = lengths[mode]
        ids_file, out = ctx.path(f"logits-{mode}-ids.json"), ctx.path(f"logits-{mode}.npy")
        write_json(ids_file, ids[:n])
        if os.path.exists(out):
            os.remove(out)
        run_engine(args, ["logits", "-m", ctx.ckpt, "--ids-file", ids_file, "-o", out, "--mode", mode])
        got = np.load(out, mmap_mode="r")
        if got.dtype != np.float32:
            raise CheckFailed(f"logits[{mode}]: {out} has dtype {got.dtype}, expected float32")
        compare_logits(f"logits[{mode}, {n} tokens]", got, want[:n], args.rel_tol)
        del got
        if not args.keep:
            os.remove(out)


def check_greedy(ctx):
    args = ctx.args
    prompt = ctx.random_ids(args.prompt_tokens, stream=2)
    rows = []
    t0 = time.time()
    want = ctx.model.greedy(prompt, args.greedy_tokens, rows_out=rows)
    log(f"  reference greedy {len(want)} tokens in {time.time() - t0:.1f} s: {want}")
    ids_file = ctx.path("greedy-prompt.json")
    write_json(ids_file, prompt)
    got = last_json(run_engine(args, ["generate", "-m", ctx.ckpt, "--prompt-ids-file", ids_file,
                                      "-n", str(args.greedy_tokens), "--temp", "0", "--ids"]),
                    "generate --ids")
    if not isinstance(got, list) or not all(isinstance(t, int) for t in got):
        raise CheckFailed(f"greedy: engine printed {got!r}, expected a JSON array of ids")
    log(f"  engine greedy: {got}")
    for i, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        row = rows[i]
        tol = args.rel_tol * float(np.max(np.abs(row)))
        detail = (f"step {i}: engine {g} (reference logit {float(row[g]):.6g}), reference {w} "
                  f"(logit {float(row[w]):.6g}), tolerance {tol:.3g}")
        if near_tie(row, g, tol):
            log(f"  PASS greedy: identical for {i} steps, then a near-tie at {detail}")
            return
        raise CheckFailed(f"greedy: continuations differ at {detail}\n  engine    {got}\n  reference {want}")
    if len(got) == len(want):
        log(f"  PASS greedy: {len(got)} tokens identical")
        return
    stopped = len(got) < len(want) and ((got and got[-1] in STOP_IDS) or want[len(got)] in STOP_IDS)
    if stopped:
        log(f"  PASS greedy: identical until the engine stopped at a stop token after {len(got)}")
        return
    raise CheckFailed(f"greedy: engine gave {len(got)} tokens, reference {len(want)}, asked for "
                      f"{args.greedy_tokens}\n  engine    {got}\n  reference {want}")


def check_perplexity(ctx):
    args = ctx.args
    text_file = ctx.path("perplexity.txt")
    with open(text_file, "w", encoding="utf-8") as f:
        f.write(PERPLEXITY_TEXT)
    ids = last_json(run_engine(args, ["tokenize", "-m", ctx.ckpt, "--add-bos"], stdin_path=text_file),
                    "tokenize --add-bos")
    if not isinstance(ids, list) or len(ids) < 2 or ids[0] != 2:
        raise CheckFailed(f"tokenize --add-bos: expected [2, ...], got {str(ids)[:200]}")
    log(f"  {len(ids)} tokens (with BOS), --ctx {args.ctx}: {(len(ids) - 2) // (args.ctx - 1) + 1} windows")
    rows = []
    t0 = time.time()
    want = ctx.model.perplexity(ids, args.ctx, rows_out=rows)
    log(f"  reference in {time.time() - t0:.1f} s: nll {want['nll']:.6f}, ppl {want['ppl']:.4f}")
    got = last_json(run_engine(args, ["perplexity", "-m", ctx.ckpt, "-f", text_file, "--ctx",
                                      str(args.ctx), "--json", "--argmax"]), "perplexity --json")
    for key in ("tokens_scored", "nll", "ppl", "argmax"):
        if key not in got:
            raise CheckFailed(f"perplexity: engine JSON lacks '{key}': {str(got)[:300]}")
    log(f"  engine: tokens_scored {got['tokens_scored']}, nll {got['nll']:.6f}, ppl {got['ppl']:.4f}")
    if got["tokens_scored"] != want["tokens_scored"]:
        raise CheckFailed(f"perplexity: tokens_scored engine {got['tokens_scored']}, reference "
                          f"{want['tokens_scored']} ({len(ids)} ids incl. BOS)")
    nll_rel = abs(got["nll"] - want["nll"]) / max(abs(want["nll"]), 1e-12)
    for key in ("nll", "ppl"):
        rel = abs(got[key] - want[key]) / max(abs(want[key]), 1e-12)
        if rel > args.nll_rel_tol:
            raise CheckFailed(f"perplexity: {key} engine {got[key]:.7g}, reference {want[key]:.7g}, "
                              f"relative difference {rel:.3g} > {args.nll_rel_tol:g}")
    if len(got["argmax"]) != len(want["argmax"]):
        raise CheckFailed(f"perplexity: engine argmax has {len(got['argmax'])} entries, expected "
                          f"{len(want['argmax'])}")
    ties = 0
    for i, (g, w) in enumerate(zip(got["argmax"], want["argmax"])):
        if g == w:
            continue
        tol = args.rel_tol * float(np.max(np.abs(rows[i])))
        if not near_tie(rows[i], g, tol):
            raise CheckFailed(f"perplexity: argmax differs at scored position {i} (window "
                              f"{i // (args.ctx - 1)}): engine {g} (reference logit "
                              f"{float(rows[i][g]):.6g}), reference {w} (logit {float(rows[i][w]):.6g})")
        ties += 1
    log(f"  PASS perplexity: nll within {args.nll_rel_tol:g} (relative {nll_rel:.3g}), argmax identical at "
        f"{len(want['argmax']) - ties} positions" + (f", {ties} near-ties" if ties else ""))


CHECKS = {"logits": check_logits, "greedy": check_greedy, "perplexity": check_perplexity}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gemma3", required=True, help="path of the built gemma3 program")
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESET_DEFAULTS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", required=True, help="folder for the checkpoint and scratch files")
    ap.add_argument("--check", default="logits,greedy,perplexity",
                    help="comma-separated: synth, logits, greedy, perplexity")
    ap.add_argument("--modes", default="prefill,decode,chunked",
                    help="comma-separated logits modes to compare (prefill, decode, chunked)")
    ap.add_argument("--n-tokens", type=int, help="ids per logits comparison")
    ap.add_argument("--decode-tokens", type=int, help="ids for --mode decode (a prefix)")
    ap.add_argument("--prompt-tokens", type=int)
    ap.add_argument("--greedy-tokens", type=int)
    ap.add_argument("--ctx", type=int, default=16, help="perplexity window")
    ap.add_argument("--rel-tol", type=float, default=1e-3)
    ap.add_argument("--nll-rel-tol", type=float,
                    help="perplexity: nll and ppl within this relative difference (default --rel-tol)")
    ap.add_argument("--engine-args", default="",
                    help="extra options for the engine's logits/generate/perplexity runs, e.g. '--kv-dtype bf16'")
    ap.add_argument("--reference-weights", choices=sorted(ROUNDTRIPS),
                    help="give the reference the matrices the engine computes with under --dtype "
                         "(GGML's quantizer, widened back); pass the same --dtype in --engine-args")
    ap.add_argument("--fresh", action="store_true",
                    help="re-synthesize the checkpoint even if the workdir has one")
    ap.add_argument("--keep", action="store_true", help="keep the engine's .npy outputs")
    args = ap.parse_args(argv)
    for key, value in PRESET_DEFAULTS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.nll_rel_tol is None:
        args.nll_rel_tol = args.rel_tol
    args.modes = [m for m in args.modes.split(",") if m]
    args.gemma3 = os.path.abspath(args.gemma3)
    checks = [c for c in args.check.split(",") if c]
    unknown = [c for c in checks if c != "synth" and c not in CHECKS]
    if unknown:
        ap.error(f"unknown check(s) {unknown}")
    bad_modes = [m for m in args.modes if m not in ("prefill", "decode", "chunked")]
    if bad_modes or not args.modes:
        ap.error(f"--modes: expected prefill, decode and/or chunked, got {args.modes}")
    if not os.access(args.gemma3, os.X_OK):
        print(f"compare_with_engine: {args.gemma3} is not an executable", file=sys.stderr)
        return 1
    os.makedirs(args.workdir, exist_ok=True)
    try:
        log(f"[{args.preset}, seed {args.seed}] checkpoint")
        ctx = Context(args)
        for c in checks:
            if c == "synth":
                continue
            log(f"[{args.preset}] {c}")
            t0 = time.time()
            CHECKS[c](ctx)
            log(f"  ({c}: {time.time() - t0:.1f} s)")
    except CheckFailed as e:
        print(f"FAIL {e}", flush=True)
        return 1
    except ref.ConfigError as e:
        print(f"FAIL reference could not load the engine's checkpoint: {e}", flush=True)
        return 1
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
