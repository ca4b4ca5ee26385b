"""Every GGML block type the engine reads, against the NumPy description in ggml_blocks.py.

Writes a GGUF (gguf_writer.Writer) holding, for each legacy / K-quant type, a tensor of random valid
blocks ("rand.TYPE", rows of 512) and, for the types with a reference quantizer here, the NumPy
quantization of an F32 tensor "src" ("quant.TYPE"); runs gguf_dequant_dump, which writes the
engine's widening of every tensor and checks its own quantizers against "quant.*" byte for byte;
then requires every widened value to equal NumPy's dequantization bit for bit.

Usage: gguf_dequant_check.py --dump BIN --workdir DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggml_blocks  # noqa: E402
import gguf_writer  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dump", required=True)
    p.add_argument("--workdir", required=True)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rng = np.random.default_rng(14)
    rows, cols = 3, 512
    src = rng.uniform(-1.0, 1.0, size=(rows, cols)).astype(np.float32)
    src[1, :32] = 0.25  # a constant block (d = 0 for the min/max types)
    tensors = [("src", [cols, rows], 0, src.astype("<f4").tobytes())]
    want = {}
    for t, gtype in ggml_blocks.GGML_TYPES.items():
        data = ggml_blocks.random_blocks(t, rows * cols // ggml_blocks.BLOCK_ELEMS[t], rng)
        tensors.append((f"rand.{t}", [cols, rows], gtype, data))
        want[f"rand.{t}"] = ggml_blocks.dequantize(data, t, (rows, cols))
        if t in ("q4_1", "q5_0", "q5_1"):
            data = ggml_blocks.quantize(src, t)
            tensors.append((f"quant.{t}", [cols, rows], gtype, data))
            want[f"quant.{t}"] = ggml_blocks.dequantize(data, t, (rows, cols))
    path = os.path.join(a.workdir, "blocks.gguf")
    gguf_writer.Writer().write(path, tensors)
    out_dir = os.path.join(a.workdir, "dequant")
    os.makedirs(out_dir, exist_ok=True)
    res = subprocess.run([a.dump, path, out_dir], capture_output=True, text=True)
    sys.stdout.write(res.stdout)
    if res.returncode != 0:
        print(res.stderr, file=sys.stderr)
        return 1
    failures = []
    for name, expect in want.items():
        got = np.fromfile(os.path.join(out_dir, name + ".f32"), dtype="<f4").reshape(rows, cols)
        if not np.array_equal(got.view(np.uint32), expect.view(np.uint32)):
            i = int(np.argmax(got.view(np.uint32).ravel() != expect.view(np.uint32).ravel()))
            failures.append(f"{name}: element {i}: engine {got.ravel()[i]!r} != NumPy {expect.ravel()[i]!r}")
        else:
            print(f"{name}: bit-identical ({rows}x{cols}, max|x| {np.abs(expect).max():.3g})")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
