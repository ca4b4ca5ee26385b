#!/usr/bin/env python3
"""Mask and compile times of `gemma3 grammar` over JSONSchemaBench / MaskBench schemas.

Usage: maskbench_times.py --gemma3 BIN --model DIR --data DIR [--every K] [--limit N]
DIR holds MaskBench files (guidance-ai/jsonschemabench, maskbench/data/*.json: a schema and its
valid/invalid test documents). Every K-th file (sorted by name) is used, at most N of them. Each
schema's documents are written as json.dumps writes them and walked by `gemma3 grammar`, which
computes the full-vocabulary mask before every token. Prints per-corpus counts and the timing
summary: median of the per-schema median mask times, the 99th percentile of the per-schema p99s,
the maximum, and the median compile time. Correctness numbers are the front end's concern; they are
printed as a side count only (schemas whose every document was classified right).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))] if v else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemma3", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--limit", type=int, default=1000000)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    files = sorted(f for f in os.listdir(a.data) if f.endswith(".json"))[:: a.every][: a.limit]
    p50s, p99s, maxes, compiles = [], [], [], []
    n_ok = n_refused = n_crash = n_right = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            with open(os.path.join(a.data, name)) as f:
                case = json.load(f)
            schema_path = os.path.join(tmp, "schema.json")
            inst_path = os.path.join(tmp, "instances.jsonl")
            with open(schema_path, "w") as f:
                json.dump(case["schema"], f)
            tests = case.get("tests", [])
            with open(inst_path, "w") as f:
                for t in tests:
                    f.write(json.dumps(t["data"]) + "\n")
            try:
                r = subprocess.run([a.gemma3, "grammar", "-m", a.model, "--schema", schema_path,
                                    "--instances", inst_path, "--json"],
                                   capture_output=True, text=True, timeout=a.timeout)
            except subprocess.TimeoutExpired:
                n_crash += 1
                print(f"{name}: timeout", file=sys.stderr)
                continue
            if r.returncode == 1:
                n_refused += 1
                continue
            if r.returncode != 0:
                n_crash += 1
                print(f"{name}: exit {r.returncode}: {r.stderr[-300:]}", file=sys.stderr)
                continue
            lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
            summary = lines[-1]
            n_ok += 1
            if all(l["accepted"] == t["valid"] for l, t in zip(lines[:-1], tests)):
                n_right += 1
            compiles.append(summary["compile_us"])
            if summary["tokens"] > 0:
                p50s.append(summary["mask_us"]["p50"])
                p99s.append(summary["mask_us"]["p99"])
                maxes.append(summary["mask_us"]["max"])
    print(json.dumps({
        "schemas": len(files), "compiled": n_ok, "refused": n_refused, "crashed_or_timeout": n_crash,
        "all_documents_right": n_right,
        "mask_us_median_of_medians": round(statistics.median(p50s), 1) if p50s else None,
        "mask_us_median_of_p99": round(statistics.median(p99s), 1) if p99s else None,
        "mask_us_p99_of_p99": round(pct(p99s, 0.99), 1),
        "mask_us_max": round(max(maxes), 1) if maxes else None,
        "compile_us_median": round(statistics.median(compiles), 1) if compiles else None,
        "compile_us_p99": round(pct(compiles, 0.99), 1),
    }))


if __name__ == "__main__":
    main()
