#!/usr/bin/env python3
"""Writes tests/data/grammar/jsonschemabench_sample.jsonl: every Nth schema (sorted by file name) of
JSONSchemaBench's maskbench/data with its valid and invalid instances, skipping files over a size
cap, so the acceptance test has a fixed, small slice of the real-world corpus in the repository.

    bench/grammar/make_sample.py CORPUS_DIR [--every 40] [--max-bytes 20000] > tests/data/grammar/jsonschemabench_sample.jsonl
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("corpus")
parser.add_argument("--every", type=int, default=40)
parser.add_argument("--max-bytes", type=int, default=20000)
args = parser.parse_args()

names = sorted(n for n in os.listdir(args.corpus) if n.endswith(".json"))
for i, name in enumerate(names):
    if i % args.every:
        continue
    path = os.path.join(args.corpus, name)
    if os.path.getsize(path) > args.max_bytes:
        continue
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    tests = [{"data": t["data"], "valid": t["valid"]} for t in doc.get("tests", [])]
    if not tests:
        continue
    line = {"name": name, "schema": doc["schema"], "tests": tests}
    sys.stdout.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
