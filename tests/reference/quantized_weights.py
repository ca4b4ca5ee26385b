"""Gives the NumPy reference the weights the engine computes with under `--dtype q8_0|q4_0`: every
matrix the engine re-encodes (the 7 per block, the embedding, an untied LM head) is quantized with
GGML's reference quantizer for the type (written from the public format description) and widened
back to f32. The widening is exact (an int times an f16 scale), so the engine's exact mode must
match this reference to the usual 1e-3, and a precision mode that approximates the activations
(--matmul-int8) is measured against the same weights, not against the f32 checkpoint's.
"""
import numpy as np

F32 = np.float32


def _blocks(x):
    x = np.ascontiguousarray(x, dtype=F32)
    if x.shape[-1] % 32:
        raise ValueError(f"rows of {x.shape[-1]} are not a multiple of 32")
    return x.reshape(-1, 32)


def roundtrip_q8_0(x):
    """GGML's quantize_row_q8_0_ref then dequantize: d = amax/127 (kept as f16), q = round(x/d)."""
    b = _blocks(x)
    amax = np.max(np.abs(b), axis=1, keepdims=True)
    d = (amax / F32(127)).astype(F32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, F32(0), F32(1) / d).astype(F32)
    v = (b * inv).astype(F32)
    q = np.sign(v) * np.floor(np.abs(v) + F32(0.5))  # C roundf: halves away from zero
    d16 = d.astype(np.float16).astype(F32)
    return (q.astype(F32) * d16).astype(F32).reshape(x.shape)


def roundtrip_q4_0(x):
    """GGML's quantize_row_q4_0_ref then dequantize: d = (signed value of largest magnitude) / -8."""
    b = _blocks(x)
    first_max = np.argmax(np.abs(b), axis=1)  # the first of equal magnitudes (GGML's strict >)
    mx = b[np.arange(len(b)), first_max][:, None]
    d = (mx / F32(-8)).astype(F32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, F32(0), F32(1) / d).astype(F32)
    q = np.minimum(np.trunc((b * inv).astype(F32) + F32(8.5)), F32(15))
    d16 = d.astype(np.float16).astype(F32)
    return ((q - F32(8)) * d16).astype(F32).reshape(x.shape)


ROUNDTRIPS = {"q8_0": roundtrip_q8_0, "q4_0": roundtrip_q4_0}
MATRICES = ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")


def quantize_reference_weights(model, dtype):
    """Replaces the matrices of a loaded Gemma3Reference in place by their `dtype` round trip."""
    rt = ROUNDTRIPS[dtype]
    model.embed = rt(model.embed)
    if model.lm_head is not None:
        model.lm_head = rt(model.lm_head)
    for layer in model.layers:
        for name in MATRICES:
            layer[name] = rt(layer[name])
