#!/usr/bin/env python3
"""`gemma3 quantize --dtype q4_k_m|...` against the files llama-quantize wrote (tests/data/quantize).

llama.cpp is not available where the tests run, so its output is committed as golden data: per
tensor its name, GGML type, shape and the sha256 of its bytes, in file order, plus the sha256 of
the whole file (tests/data/quantize/README.md has the commands that made them).

  quantize_golden.py --record FILE.gguf --mix q4_k_m > golden.json   (from llama-quantize's output)
  quantize_golden.py --check --gemma3 BIN --workdir DIR --data tests/data/quantize
      writes the synthetic checkpoint the golden files name, runs `gemma3 quantize` for each mix
      and compares tensor by tensor (then the whole file).
  quantize_golden.py --compare OURS.gguf THEIRS.gguf
      per tensor: same type and bytes?, and where not, how many blocks differ and by how much
      after dequantization (for files too large to commit, e.g. the 270m).
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_blocks  # noqa: E402

# GGML type id -> (name, elements per block, bytes per block)
GGML_TYPES = {
    0: ("f32", 1, 4), 1: ("f16", 1, 2), 2: ("q4_0", 32, 18), 3: ("q4_1", 32, 20), 6: ("q5_0", 32, 22),
    7: ("q5_1", 32, 24), 8: ("q8_0", 32, 34), 10: ("q2_k", 256, 84), 11: ("q3_k", 256, 110),
    12: ("q4_k", 256, 144), 13: ("q5_k", 256, 176), 14: ("q6_k", 256, 210), 30: ("bf16", 1, 2),
}
SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return v[0]

    def string(self):
        n = self.take("Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, count = self.take("I"), self.take("Q")
            if et in SCALAR_SIZES:  # skipped: only the keys matter here
                self.pos += SCALAR_SIZES[et] * count
                return None
            return [self.value(et) for _ in range(count)]
        fmt = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}[t]
        return self.take(fmt)


def read_gguf(path):
    """(keys in order, {key: scalar value}, [tensor dicts with name, type, shape, bytes])."""
    with open(path, "rb") as f:
        data = f.read()
    r = Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    r.pos = 4
    r.take("I")
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    keys, values = [], {}
    for _ in range(n_kv):
        k = r.string()
        keys.append(k)
        values[k] = r.value(r.take("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        ne = [r.take("Q") for _ in range(r.take("I"))]
        infos.append((name, ne, r.take("I"), r.take("Q")))
    align = values.get("general.alignment", 32)
    start = (r.pos + align - 1) // align * align
    tensors = []
    for name, ne, t, off in infos:
        tname, be, bb = GGML_TYPES[t]
        n = int(np.prod(ne))
        nbytes = n // be * bb
        tensors.append({"name": name, "type": tname, "shape": ne,
                        "bytes": data[start + off:start + off + nbytes]})
    return keys, values, tensors, hashlib.sha256(data).hexdigest()


def record(args):
    keys, values, tensors, file_sha = read_gguf(args.record)
    golden = {
        "mix": args.mix,
        "file_type": values.get("general.file_type"),
        "file_sha256": file_sha,
        "keys": keys,
        "tensors": [{"name": t["name"], "type": t["type"], "shape": t["shape"],
                     "sha256": hashlib.sha256(t["bytes"]).hexdigest()} for t in tensors],
    }
    json.dump(golden, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr}")
    return p.stderr


def check(args):
    with open(os.path.join(args.data, "checkpoint.json")) as f:
        ckpt = json.load(f)
    os.makedirs(args.workdir, exist_ok=True)
    # The folder's name is the file's general.name, so it is part of the golden bytes.
    model = os.path.join(args.workdir, ckpt["folder"])
    run([args.gemma3, "synth", "--preset", ckpt["preset"], "--seed", str(ckpt["seed"]), "-o", model])
    failures = 0
    for mix in ckpt["mixes"]:
        with open(os.path.join(args.data, f"{mix}.json")) as f:
            golden = json.load(f)
        out = os.path.join(args.workdir, f"quant-{mix}.gguf")
        run([args.gemma3, "quantize", "-m", model, "--dtype", mix, "-o", out])
        keys, values, tensors, file_sha = read_gguf(out)
        bad = []
        if [t["name"] for t in tensors] != [t["name"] for t in golden["tensors"]]:
            bad.append("tensor order differs")
        if keys != golden["keys"]:
            bad.append(f"metadata keys differ: {keys} vs {golden['keys']}")
        if values.get("general.file_type") != golden["file_type"]:
            bad.append(f"general.file_type {values.get('general.file_type')} != {golden['file_type']}")
        by_name = {t["name"]: t for t in tensors}
        n_same = 0
        for g in golden["tensors"]:
            t = by_name.get(g["name"])
            if t is None:
                bad.append(f"{g['name']}: missing")
                continue
            ours = (t["type"], t["shape"], hashlib.sha256(t["bytes"]).hexdigest())
            if ours != (g["type"], g["shape"], g["sha256"]):
                bad.append(f"{g['name']}: ours {ours[0]} {ours[1]} {ours[2][:16]}, llama-quantize "
                           f"{g['type']} {g['shape']} {g['sha256'][:16]}")
            else:
                n_same += 1
        if not bad and file_sha != golden["file_sha256"]:
            bad.append(f"every tensor matches but the file's sha256 differs ({file_sha} vs {golden['file_sha256']})")
        types = sorted({t["type"] for t in tensors})
        print(f"{mix}: {n_same}/{len(golden['tensors'])} tensors byte-identical to llama-quantize "
              f"(types {', '.join(types)}); file {'identical' if file_sha == golden['file_sha256'] else 'differs'}")
        for b in bad:
            print(f"  FAIL {b}")
        failures += len(bad)
    failures += check_int8_mode(args, os.path.join(args.workdir, "quant-q4_k_m.gguf"))
    return 1 if failures else 0


def check_int8_mode(args, gguf):
    """--matmul-int8 on a K-quant mix (Q4_K, Q6_K, Q5_0, Q8_0 tensors, all run with int8 dot
    products in that mode): the logits move, but by at most 8% of their range (the bound the Q8_0 /
    Q4_0 reference tests hold; the exact path is bit-identical to GGML's dequantization)."""
    ids = os.path.join(args.workdir, "int8-ids.json")
    with open(ids, "w") as f:
        json.dump([2, 818, 5279, 529, 9405, 563, 496, 3364, 236761, 669, 1047, 1108, 531, 2430, 236764, 107], f)
    logits = {}
    for mode in ("exact", "int8"):
        out = os.path.join(args.workdir, f"int8-{mode}.npy")
        run([args.gemma3, "logits", "-m", gguf, "--ids-file", ids, "-o", out] + (["--matmul-int8"] if mode == "int8" else []))
        logits[mode] = np.load(out)
    delta = float(np.max(np.abs(logits["int8"] - logits["exact"])))
    spread = float(np.max(logits["exact"]) - np.min(logits["exact"]))
    top1 = float(np.mean(logits["int8"].argmax(-1) == logits["exact"].argmax(-1)))
    print(f"--matmul-int8 on q4_k_m: max |logit delta| {delta:.4g} = {delta / spread:.2%} of the range, "
          f"top-1 agreement {top1:.0%}")
    if not 0.0 < delta <= 0.08 * spread:
        print("  FAIL the int8 mode must move the logits, and by at most 8% of their range")
        return 1
    return 0


def dequantize(t):
    if t["type"] in ggml_blocks.BLOCK_BYTES:
        return ggml_blocks.dequantize(t["bytes"], t["type"], list(reversed(t["shape"]))).reshape(-1)
    if t["type"] == "q8_0":
        b = np.frombuffer(t["bytes"], np.uint8).reshape(-1, 34)
        d = b[:, :2].copy().view("<f2").astype(np.float32)
        return (b[:, 2:].view(np.int8).astype(np.float32) * d).reshape(-1)
    raise ValueError(f"no dequantizer here for {t['type']}")


def compare(args):
    _, _, ours, ours_sha = read_gguf(args.compare[0])
    _, _, theirs, theirs_sha = read_gguf(args.compare[1])
    print(f"files {'identical' if ours_sha == theirs_sha else 'differ'}")
    theirs_by = {t["name"]: t for t in theirs}
    n_same = n_blocks = n_diff_blocks = 0
    for t in ours:
        u = theirs_by.get(t["name"])
        if u is None or u["type"] != t["type"] or u["shape"] != t["shape"]:
            print(f"  {t['name']}: ours {t['type']} {t['shape']}, theirs {u and (u['type'], u['shape'])}")
            continue
        if t["bytes"] == u["bytes"]:
            n_same += 1
            continue
        _, be, bb = next(v for v in GGML_TYPES.values() if v[0] == t["type"])
        a = np.frombuffer(t["bytes"], np.uint8).reshape(-1, bb)
        b = np.frombuffer(u["bytes"], np.uint8).reshape(-1, bb)
        diff = np.any(a != b, axis=1)
        n_blocks += len(diff)
        n_diff_blocks += int(diff.sum())
        da, db = dequantize(t), dequantize(u)
        print(f"  {t['name']} ({t['type']}): {int(diff.sum())} of {len(diff)} blocks differ, "
              f"max |dequantized difference| {float(np.max(np.abs(da - db))):.3g}")
    print(f"{n_same}/{len(ours)} tensors byte-identical; {n_diff_blocks} differing blocks in the others")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--record")
    p.add_argument("--mix")
    p.add_argument("--check", action="store_true")
    p.add_argument("--gemma3")
    p.add_argument("--workdir")
    p.add_argument("--data")
    p.add_argument("--compare", nargs=2)
    args = p.parse_args(argv)
    if args.record:
        return record(args)
    if args.check:
        return check(args)
    if args.compare:
        return compare(args)
    p.error("one of --record, --check, --compare")


if __name__ == "__main__":
    sys.exit(main())
