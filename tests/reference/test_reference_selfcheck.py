#!/usr/bin/python3
"""Self-checks of the NumPy reference (gemma3_reference.py) on small random checkpoints.

The reference is the oracle for the C++ engine, so it gets its own tests: internal consistency
(prefix / KV-cache / chunked / window-size invariances), a second deliberately naive forward pass
(per-token, per-key loops, RoPE as explicit pair rotations), primitive values, and the loaders
(sharded files, multimodal prefixes, config defaults). Run: /usr/bin/python3 test_reference_selfcheck.py
"""

import copy
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import checkpoint_writer as cw  # noqa: E402
import gemma3_reference as ref  # noqa: E402


def max_rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / max(1e-30, float(np.max(np.abs(b)))))


def naive_forward(model, ids):
    """A second, loop-based forward pass over the same weights: attention per query position and
    per key, RoPE as a rotation of the pairs (i, i + d/2). Slow; for tiny models only."""
    cfg = model.cfg
    D, half = cfg.head_dim, cfg.head_dim // 2
    eps = cfg.rms_norm_eps

    def norm(v, w):
        v = v.astype(np.float64)
        return v / math.sqrt(float(np.mean(v * v)) + eps) * (1.0 + w)

    def rope(vec, pos, base, factor):
        out = vec.copy()
        for i in range(half):
            theta = (pos / factor) * base ** (-2.0 * i / D)
            c, s = math.cos(theta), math.sin(theta)
            a, b = vec[i], vec[i + half]
            out[i], out[i + half] = a * c - b * s, b * c + a * s
        return out

    def gelu(v):
        return 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))

    n = len(ids)
    group = cfg.num_heads // cfg.num_kv_heads
    xs = [model.embed[t].astype(np.float64) * float(model.embed_scale) for t in ids]
    for li, L in enumerate(model.layers):
        base, factor = cfg.rope[cfg.layer_types[li]]
        qs, ks, vs = [], [], []
        for p in range(n):
            r = norm(xs[p], L["in_norm"])
            q = (L["wq"] @ r).reshape(cfg.num_heads, D)
            k = (L["wk"] @ r).reshape(cfg.num_kv_heads, D)
            v = (L["wv"] @ r).reshape(cfg.num_kv_heads, D)
            qs.append([rope(norm(q[h], L["q_norm"]), p, base, factor) for h in range(cfg.num_heads)])
            ks.append([rope(norm(k[h], L["k_norm"]), p, base, factor) for h in range(cfg.num_kv_heads)])
            vs.append(v)
        new_xs = []
        for p in range(n):
            lo = max(0, p - cfg.sliding_window + 1) if L["sliding"] else 0
            heads = []
            for h in range(cfg.num_heads):
                kv = h // group
                scores = [float(qs[p][h] @ ks[t][kv]) / math.sqrt(cfg.query_pre_attn_scalar)
                          for t in range(lo, p + 1)]
                m = max(scores)
                w = [math.exp(s - m) for s in scores]
                z = sum(w)
                heads.append(sum((wi / z) * vs[t][kv] for wi, t in zip(w, range(lo, p + 1))))
            a = L["wo"] @ np.concatenate(heads)
            x = xs[p] + norm(a, L["post_attn_norm"])
            r = norm(x, L["pre_ff_norm"])
            mlp = L["w_down"] @ (gelu(L["w_gate"] @ r) * (L["w_up"] @ r))
            new_xs.append(x + norm(mlp, L["post_ff_norm"]))
        xs = new_xs
    w = model.lm_head if model.lm_head is not None else model.embed
    return np.stack([w @ norm(x, model.final_norm) for x in xs])


class ReferenceSelfCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="gemma3_ref_selfcheck_")
        cls.cfg = dict(cw.TINY_CONFIG)
        cls.tensors = cw.random_tensors(cls.cfg, seed=1)
        cls.dir = cls.path("tied")
        cw.write_checkpoint(cls.dir, cls.cfg, cls.tensors)
        cls.model = ref.Gemma3Reference(cls.dir)
        # Untied head: greedy continuations vary more than with tied random embeddings.
        cfg_untied = dict(cls.cfg, tie_word_embeddings=False)
        cls.dir_untied = cls.path("untied")
        cw.write_checkpoint(cls.dir_untied, cfg_untied, cw.random_tensors(cfg_untied, seed=2, lm_head=True))
        cls.untied = ref.Gemma3Reference(cls.dir_untied)
        rng = np.random.default_rng(7)
        cls.ids = [2] + [int(t) for t in rng.integers(0, cls.cfg["vocab_size"], 39)]  # 40 > window 8

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp.name, name)

    # --- primitives -------------------------------------------------------------------------

    def test_primitives(self):
        self.assertAlmostEqual(float(ref.gelu_tanh(np.float32(1.0))), 0.8411920, places=6)
        self.assertAlmostEqual(float(ref.gelu_tanh(np.float32(-2.0))), -0.0454023, places=6)
        # bf16 embedding scale for hidden 640 (sqrt = 25.298) is 25.25; f32 stays exact.
        self.assertEqual(ref._round_to_dtype(math.sqrt(640), "BF16"), np.float32(25.25))
        self.assertEqual(ref._round_to_dtype(8.0, "BF16"), np.float32(8.0))
        bits = np.array([0x3F80, 0xC000, 0x0001, 0x7F7F], np.uint16)
        np.testing.assert_array_equal(ref.f32_to_bf16_bits(ref.bf16_bits_to_f32(bits)), bits)
        x = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
        y = ref.rms_norm(x, np.array([0, 1, 0, -1], np.float32), 0.0)
        rms = math.sqrt(7.5)
        np.testing.assert_allclose(y, [1 / rms, 4 / rms, 3 / rms, 0.0], rtol=1e-6, atol=1e-7)
        inv = ref.rope_inv_freq(8, 10000.0, 1.0)
        np.testing.assert_allclose(inv, [1, 0.1, 0.01, 0.001], rtol=1e-6)
        np.testing.assert_allclose(ref.rope_inv_freq(8, 10000.0, 4.0), inv / 4, rtol=1e-6)

    def test_rope_is_pair_rotation(self):
        rng = np.random.default_rng(3)
        x = rng.standard_normal((1, 1, 8)).astype(np.float32)
        inv = ref.rope_inv_freq(8, 10000.0, 1.0)
        cos, sin = ref.rope_cos_sin(np.array([5]), inv)
        y = ref.apply_rope(x, cos, sin)[0, 0]
        for i in range(4):
            th = 5 * inv[i]
            a, b = x[0, 0, i], x[0, 0, i + 4]
            self.assertAlmostEqual(float(y[i]), a * math.cos(th) - b * math.sin(th), places=5)
            self.assertAlmostEqual(float(y[i + 4]), b * math.cos(th) + a * math.sin(th), places=5)

    # --- forward consistency ----------------------------------------------------------------

    def test_matches_naive_loop_forward(self):
        for model in (self.model, self.untied):
            got = model.forward(self.ids[:20])
            want = naive_forward(model, self.ids[:20])
            self.assertLess(max_rel_diff(got, want), 2e-5)

    def test_prefix_rows_equal(self):
        full = self.model.forward(self.ids)
        for k in (1, 7, 8, 9, 25):
            self.assertLess(max_rel_diff(self.model.forward(self.ids[:k]), full[:k]), 1e-5, k)

    def test_decode_and_chunked_match_prefill(self):
        full = self.model.forward(self.ids)
        cache = self.model.new_cache()
        rows = [self.model.forward([t], cache)[0] for t in self.ids]
        self.assertLess(max_rel_diff(np.stack(rows), full), 1e-5)
        cache = self.model.new_cache()
        chunks = [self.model.forward(self.ids[i:i + 5], cache) for i in range(0, len(self.ids), 5)]
        self.assertLess(max_rel_diff(np.concatenate(chunks), full), 1e-5)

    def test_cached_greedy_equals_uncached(self):
        prompt = self.ids[:12]
        for model in (self.model, self.untied):
            cached = model.greedy(prompt, 24)
            self.assertEqual(cached, model.greedy(prompt, 24, use_cache=False))
            self.assertEqual(len(cached), 24)
        self.assertGreater(len(set(self.untied.greedy(prompt, 24))), 3)

    def test_window_irrelevant_below_sequence_length(self):
        ids = self.ids[:12]
        base = None
        for window in (12, 13, 40, 4096):
            d = self.path(f"window{window}")
            cw.write_checkpoint(d, dict(self.cfg, sliding_window=window), self.tensors)
            got = ref.Gemma3Reference(d).forward(ids)
            if base is None:
                base = got
            np.testing.assert_array_equal(got, base, err_msg=f"sliding_window={window}")
        # ...and a window shorter than the sequence does change the logits after it.
        short = self.model.forward(ids)  # window 8
        np.testing.assert_array_equal(short[:8], base[:8])
        self.assertGreater(max_rel_diff(short[8:], base[8:]), 1e-3)

    def test_perplexity_windows(self):
        m = self.model
        full = m.forward(self.ids)
        want = [-ref.log_softmax_row(full[i])[self.ids[i + 1]] for i in range(len(self.ids) - 1)]
        big = m.perplexity(self.ids, ctx=len(self.ids))
        self.assertEqual(big["tokens_scored"], len(self.ids) - 1)
        self.assertAlmostEqual(big["nll"], float(np.mean(want)), places=5)
        self.assertAlmostEqual(big["ppl"], math.exp(big["nll"]), places=5)
        self.assertEqual(big["argmax"], [int(np.argmax(r)) for r in full[:-1]])
        small = m.perplexity(self.ids, ctx=16)  # windows of BOS + 15 text tokens: 15, 15, 9
        self.assertEqual(small["tokens_scored"], len(self.ids) - 1)
        self.assertEqual(small["argmax"][:15], big["argmax"][:15])
        second = m.forward([self.ids[0]] + self.ids[16:31])
        self.assertEqual(small["argmax"][15:30], [int(np.argmax(r)) for r in second[:15]])
        self.assertNotAlmostEqual(small["nll"], big["nll"], places=4)

    # --- loaders and config -----------------------------------------------------------------

    def test_sharded_f32_and_multimodal_layouts_load_identically(self):
        want = self.model.forward(self.ids[:10])
        sharded = self.path("sharded")
        cw.write_checkpoint(sharded, self.cfg, self.tensors, shards=3)
        np.testing.assert_array_equal(ref.Gemma3Reference(sharded).forward(self.ids[:10]), want)
        # f32 storage of bf16-exact values: same numbers except the embedding scale, which is
        # no longer rounded to bf16 (sqrt(64) = 8 is exact in both, so logits are identical).
        f32 = self.path("f32")
        rounded = {n: ref.bf16_bits_to_f32(ref.f32_to_bf16_bits(a)) for n, a in self.tensors.items()}
        cw.write_checkpoint(f32, self.cfg, rounded, dtype="F32")
        np.testing.assert_array_equal(ref.Gemma3Reference(f32).forward(self.ids[:10]), want)
        mm_cfg = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                  "text_config": dict(self.cfg, model_type="gemma3_text")}
        for prefix in ("language_model.model.", "model.language_model."):
            d = self.path("mm_" + prefix.replace(".", "_"))
            cw.write_checkpoint(d, mm_cfg, self.tensors,
                                rename=lambda n, p=prefix: p + n[len("model."):])
            np.testing.assert_array_equal(ref.Gemma3Reference(d).forward(self.ids[:10]), want)

    def test_config_defaults_and_layer_types(self):
        cfg = ref.TextConfig({"num_hidden_layers": 13, "sliding_window": 512})
        self.assertEqual([i for i, t in enumerate(cfg.layer_types) if t == "full_attention"], [5, 11])
        self.assertTrue(cfg.tie_word_embeddings)
        self.assertEqual(cfg.rope, {"full_attention": (1e6, 1.0), "sliding_attention": (1e4, 1.0)})
        self.assertEqual(cfg.query_pre_attn_scalar, 256)
        self.assertIsNone(cfg.final_logit_softcapping)
        self.assertEqual(cfg.rms_norm_eps, 1e-6)
        scaled = ref.TextConfig({"rope_scaling": {"rope_type": "linear", "factor": 8.0}})
        self.assertEqual(scaled.rope["full_attention"], (1e6, 8.0))
        self.assertEqual(scaled.rope["sliding_attention"], (1e4, 1.0))
        new_style = ref.TextConfig({"rope_parameters": {
            "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6},
            "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}})
        self.assertEqual(new_style.rope, scaled.rope)
        explicit = ref.TextConfig({"num_hidden_layers": 3,
                                   "layer_types": ["full_attention", "sliding_attention", "full_attention"]})
        self.assertEqual(explicit.layer_types[1], "sliding_attention")
        with self.assertRaises(ref.ConfigError):
            ref.TextConfig({"num_hidden_layers": 2, "layer_types": ["full_attention"]})
        with self.assertRaises(ref.ConfigError):
            ref.TextConfig({"hidden_activation": "silu"})

    def test_explicit_layer_types_equal_derived(self):
        d = self.path("explicit_types")
        types = ["sliding_attention"] * 5 + ["full_attention"]
        cw.write_checkpoint(d, dict(self.cfg, layer_types=types), self.tensors)
        np.testing.assert_array_equal(ref.Gemma3Reference(d).forward(self.ids[:20]),
                                      self.model.forward(self.ids[:20]))

    def test_softcapping_and_rope_scaling_take_effect(self):
        d = self.path("capped")
        cw.write_checkpoint(d, dict(self.cfg, final_logit_softcapping=5.0,
                                    rope_scaling={"rope_type": "linear", "factor": 4.0}), self.tensors)
        m = ref.Gemma3Reference(d)
        got = m.forward(self.ids[:20])
        self.assertLessEqual(float(np.max(np.abs(got))), 5.0)
        self.assertLess(max_rel_diff(got, naive_forward_capped(m, self.ids[:20], 5.0)), 2e-5)

    def test_errors_name_the_problem(self):
        d = self.path("broken")
        bad = dict(self.tensors)
        bad["model.norm.weight"] = np.zeros(3, np.float32)
        cw.write_checkpoint(d, self.cfg, bad)
        with self.assertRaisesRegex(ref.ConfigError, "model.norm.weight.*expected \\[64\\]"):
            ref.Gemma3Reference(d)
        missing = dict(self.tensors)
        del missing["model.layers.3.mlp.up_proj.weight"]
        cw.write_checkpoint(d, self.cfg, missing)
        with self.assertRaisesRegex(ref.ConfigError, "model.layers.3.mlp.up_proj.weight"):
            ref.Gemma3Reference(d)

    # --- CLI --------------------------------------------------------------------------------

    def test_cli(self):
        ids_file = self.path("ids.json")
        with open(ids_file, "w") as f:
            json.dump(self.ids, f)
        out = self.path("logits.npy")
        script = os.path.join(HERE, "gemma3_reference.py")
        res = subprocess.run([sys.executable, script, "--model", self.dir_untied, "--ids-file", ids_file,
                              "--logits-out", out, "--greedy", "5", "--perplexity", "--ctx", "16"],
                             capture_output=True, text=True, check=True)
        lines = res.stdout.strip().splitlines()
        self.assertEqual(json.loads(lines[0]), self.untied.greedy(self.ids, 5))
        ppl = json.loads(lines[1])
        self.assertEqual(sorted(ppl), ["argmax", "nll", "ppl", "tokens_scored"])
        logits = np.load(out)
        self.assertEqual(logits.shape, (len(self.ids), self.cfg["vocab_size"]))
        self.assertEqual(logits.dtype, np.float32)
        bad = subprocess.run([sys.executable, script, "--model", self.path("nowhere"),
                              "--ids-file", ids_file, "--greedy", "1"], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("config.json", bad.stderr)


def naive_forward_capped(model, ids, cap):
    return np.tanh(naive_forward(model, ids) / cap) * cap


if __name__ == "__main__":
    unittest.main(verbosity=2)
