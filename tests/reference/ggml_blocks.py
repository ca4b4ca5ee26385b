"""GGML's legacy (Q4_1, Q5_0, Q5_1) and K-quant (Q2_K .. Q6_K) block formats in NumPy, written from
the public format description (ggml-common.h's block layouts, dequantize_row_* semantics), for the
tests: dequantizers in float32 with each product/offset rounded on its own, exactly as GGML's C
computes them; GGML's reference quantizers for the legacy types; and random_blocks(), valid blocks
with random quants and sane f16 scales, to check dequantization of the K-quants without needing
llama-quantize's quantizer search.
"""
import numpy as np

F32 = np.float32
BLOCK_BYTES = {"q4_1": 20, "q5_0": 22, "q5_1": 24, "q2_k": 84, "q3_k": 110, "q4_k": 144, "q5_k": 176, "q6_k": 210}
BLOCK_ELEMS = {t: (32 if t in ("q4_1", "q5_0", "q5_1") else 256) for t in BLOCK_BYTES}
GGML_TYPES = {"q4_1": 3, "q5_0": 6, "q5_1": 7, "q2_k": 10, "q3_k": 11, "q4_k": 12, "q5_k": 13, "q6_k": 14}
# F16 fields (byte offset) of each block, for random_blocks().
F16_FIELDS = {"q4_1": (0, 2), "q5_0": (0,), "q5_1": (0, 2), "q2_k": (80, 82), "q3_k": (108,), "q4_k": (0, 2),
              "q5_k": (0, 2), "q6_k": (208,)}

# Element e of a 256-block in the 2-bit/6-bit layouts: half h, crumb s, byte l.
_E = np.arange(256)
_H, _S, _L = _E // 128, (_E % 128) // 32, _E % 32


def _f16(blocks, off):
    return blocks[:, off:off + 2].copy().view("<f2").astype(F32)  # (n, 1)


def _blocks(data, t):
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, BLOCK_BYTES[t])


def _legacy_q(blocks, qs_off, qh_off=None):
    qs = blocks[:, qs_off:qs_off + 16].astype(np.int32)
    q = np.concatenate([qs & 15, qs >> 4], axis=1)
    if qh_off is not None:
        qh = blocks[:, qh_off:qh_off + 4].copy().view("<u4").astype(np.int64)  # (n, 1)
        q = q | (((qh >> np.arange(32)) & 1) << 4).astype(np.int32)
    return q


def _scale_min_k4(sc):
    """(n, 12) packed bytes -> (n, 8) 6-bit scales and mins."""
    sc = sc.astype(np.int32)
    s = np.empty((sc.shape[0], 8), np.int32)
    m = np.empty_like(s)
    for j in range(8):
        if j < 4:
            s[:, j], m[:, j] = sc[:, j] & 63, sc[:, j + 4] & 63
        else:
            s[:, j] = (sc[:, j + 4] & 15) | ((sc[:, j - 4] >> 6) << 4)
            m[:, j] = (sc[:, j + 4] >> 4) | ((sc[:, j] >> 6) << 4)
    return s, m


def dequantize(data, t, shape):
    """Bytes of `t` blocks -> float32 array of `shape`, bit for bit GGML's dequantize_row_*."""
    b = _blocks(data, t)
    if t == "q4_1":
        y = _legacy_q(b, 4).astype(F32) * _f16(b, 0) + _f16(b, 2)
    elif t == "q5_0":
        y = (_legacy_q(b, 6, 2) - 16).astype(F32) * _f16(b, 0)
    elif t == "q5_1":
        y = _legacy_q(b, 8, 4).astype(F32) * _f16(b, 0) + _f16(b, 2)
    elif t == "q2_k":
        sc = b[:, 0:16].astype(np.int32)[:, _E // 16]
        q = (b[:, 16:80].astype(np.int32)[:, 32 * _H + _L] >> (2 * _S)) & 3
        dl = _f16(b, 80) * (sc & 15).astype(F32)
        ml = _f16(b, 82) * (sc >> 4).astype(F32)
        y = dl * q.astype(F32) - ml
    elif t == "q3_k":
        packed = b[:, 96:108].astype(np.int32)
        sc = np.empty((b.shape[0], 16), np.int32)
        for j in range(16):
            low = packed[:, j] & 15 if j < 8 else packed[:, j - 8] >> 4
            high = (packed[:, 8 + j % 4] >> (2 * (j // 4))) & 3
            sc[:, j] = (low | (high << 4)) - 32
        hbit = (b[:, 0:32].astype(np.int32)[:, _L] >> (4 * _H + _S)) & 1
        q = ((b[:, 32:96].astype(np.int32)[:, 32 * _H + _L] >> (2 * _S)) & 3) - np.where(hbit == 1, 0, 4)
        y = (_f16(b, 108) * sc[:, _E // 16].astype(F32)) * q.astype(F32)
    elif t in ("q4_k", "q5_k"):
        s, m = _scale_min_k4(b[:, 4:16])
        j = _E // 32
        qs_off = 16 if t == "q4_k" else 48
        byte = b[:, qs_off:qs_off + 128].astype(np.int32)[:, 32 * (j // 2) + _L]
        q = np.where(j % 2 == 0, byte & 15, byte >> 4)
        if t == "q5_k":
            q = q + 16 * ((b[:, 16:48].astype(np.int32)[:, _L] >> j) & 1)
        y = (_f16(b, 0) * s[:, j].astype(F32)) * q.astype(F32) - _f16(b, 2) * m[:, j].astype(F32)
    elif t == "q6_k":
        ql = b[:, 0:128].astype(np.int32)[:, 64 * _H + 32 * (_S % 2) + _L]
        low = np.where(_S < 2, ql & 15, ql >> 4)
        high = (b[:, 128:192].astype(np.int32)[:, 32 * _H + _L] >> (2 * _S)) & 3
        q = (low | (high << 4)) - 32
        sc = b[:, 192:208].copy().view(np.int8).astype(F32)[:, _E // 16]
        y = (_f16(b, 208) * sc) * q.astype(F32)
    else:
        raise ValueError(t)
    return np.asarray(y, dtype=F32).reshape(shape)


def quantize(x, t):
    """(rows, cols) float32 -> bytes: GGML's reference quantizers for Q4_1 / Q5_0 / Q5_1."""
    blk = np.ascontiguousarray(x, dtype=F32).reshape(-1, 32)
    n = blk.shape[0]
    out = np.zeros((n, BLOCK_BYTES[t]), np.uint8)
    if t == "q5_0":
        first_max = np.argmax(np.abs(blk), axis=1)  # first of equal magnitudes (GGML's strict <)
        d = (blk[np.arange(n), first_max][:, None] / F32(-16)).astype(F32)
        with np.errstate(divide="ignore"):
            inv = np.where(d == 0, F32(0), F32(1) / d).astype(F32)
        q = np.minimum(np.trunc((blk * inv).astype(F32) + F32(16.5)).astype(np.int32), 31)
        out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
        qh_off, qs_off = 2, 6
    elif t in ("q4_1", "q5_1"):
        bits = 4 if t == "q4_1" else 5
        lo = blk.min(axis=1, keepdims=True)
        hi = blk.max(axis=1, keepdims=True)
        d = ((hi - lo) / F32((1 << bits) - 1)).astype(F32)
        with np.errstate(divide="ignore"):
            inv = np.where(d == 0, F32(0), F32(1) / d).astype(F32)
        q = np.trunc(((blk - lo).astype(F32) * inv).astype(F32) + F32(0.5)).astype(np.int32)
        if bits == 4:
            q = np.minimum(q, 15)
        out[:, 0:2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
        out[:, 2:4] = lo.astype("<f2").view(np.uint8).reshape(-1, 2)
        qh_off, qs_off = (None, 4) if bits == 4 else (4, 8)
    else:
        raise ValueError(f"no reference quantizer here for {t}")
    out[:, qs_off:qs_off + 16] = ((q[:, :16] & 15) | ((q[:, 16:] & 15) << 4)).astype(np.uint8)
    if qh_off is not None:
        qh = (((q >> 4) & 1).astype(np.uint64) << np.arange(32, dtype=np.uint64)).sum(axis=1).astype("<u4")
        out[:, qh_off:qh_off + 4] = qh.view(np.uint8).reshape(-1, 4)
    return out.tobytes()


def random_blocks(t, n_blocks, rng):
    """Valid blocks of `t`: random quant bits and scale bytes, f16 fields in [1e-3, 0.05)."""
    out = rng.integers(0, 256, size=(n_blocks, BLOCK_BYTES[t]), dtype=np.uint8)
    for off in F16_FIELDS[t]:
        v = rng.uniform(1e-3, 0.05, size=n_blocks).astype("<f2")
        out[:, off:off + 2] = v.view(np.uint8).reshape(-1, 2)
    return out.tobytes()
