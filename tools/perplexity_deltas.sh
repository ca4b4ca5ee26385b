#!/usr/bin/env bash
# How much each weight format costs in quality: `gemma3 perplexity --json --argmax` on the same text
# with the matrices re-encoded at load (--dtype), against bf16. Prints, per dtype: mean NLL, its
# change from bf16 (Δnll, nats per token), the perplexity ratio exp(Δnll), and how often the most
# likely next token is the same as bf16's (top-1 agreement). With --json, one JSON object instead.
#
# Usage: tools/perplexity_deltas.sh [--json] GEMMA3_BIN MODEL TEXT_FILE [CTX] [DTYPES...]
#   DTYPES default to: f32 q8_0 q4_0 (bf16 always runs first, as the reference).
# e.g.   tools/perplexity_deltas.sh build/gemma3 /tmp/g3-270m tests/data/tokenizer/prose_english.txt
#
# On synthetic (random) weights the perplexity itself is meaningless (~vocab size), but the deltas
# still measure how far each format's logits move from bf16's on the same tokens.
set -euo pipefail
json=0
if [[ "${1:-}" == "--json" ]]; then json=1; shift; fi
if [[ $# -lt 3 ]]; then
  sed -n "7,8p" "$0" | sed "s/^# //" >&2
  exit 2
fi
bin=$1 model=$2 text=$3
ctx=${4:-512}
shift $(( $# >= 4 ? 4 : 3 ))
dtypes=("$@")
[[ ${#dtypes[@]} -eq 0 ]] && dtypes=(f32 q8_0 q4_0)
[[ -x "$bin" ]] || { echo "perplexity_deltas: $bin is not an executable" >&2; exit 2; }
[[ -f "$text" ]] || { echo "perplexity_deltas: no text file $text" >&2; exit 2; }
[[ "$ctx" =~ ^[0-9]+$ ]] || { echo "perplexity_deltas: CTX must be a number, got '$ctx'" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dtype in bf16 "${dtypes[@]}"; do
  if ! "$bin" perplexity -m "$model" -f "$text" --ctx "$ctx" --dtype "$dtype" --json --argmax \
      >"$tmp/$dtype.json" 2>"$tmp/$dtype.err"; then
    echo "perplexity_deltas: gemma3 perplexity --dtype $dtype failed:" >&2
    cat "$tmp/$dtype.err" >&2
    exit 1
  fi
done

/usr/bin/python3 - "$tmp" "$json" "$model" "$text" "$ctx" bf16 "${dtypes[@]}" <<'PY'
import json, math, os, sys
tmp, as_json, model, text, ctx, *dtypes = sys.argv[1:]
runs = {d: json.load(open(os.path.join(tmp, d + ".json"))) for d in dtypes}
ref = runs["bf16"]
rows = []
for d in dtypes:
    r = runs[d]
    if r["tokens_scored"] != ref["tokens_scored"]:
        sys.exit(f"perplexity_deltas: {d} scored {r['tokens_scored']} tokens, bf16 {ref['tokens_scored']}")
    agree = sum(a == b for a, b in zip(r["argmax"], ref["argmax"])) / len(ref["argmax"])
    d_nll = r["nll"] - ref["nll"]
    rows.append({"dtype": d, "nll": r["nll"], "ppl": r["ppl"], "delta_nll": d_nll,
                 "ppl_ratio": math.exp(d_nll), "top1_agreement": agree})
if as_json == "1":
    print(json.dumps({"model": model, "text": text, "ctx": int(ctx), "tokens_scored": ref["tokens_scored"],
                      "results": rows}))
else:
    print(f"{model} on {text}: {ref['tokens_scored']} tokens, ctx {ctx}")
    print(f"{'dtype':6} {'nll':>10} {'ppl':>12} {'Δnll':>10} {'ppl ratio':>10} {'top-1 = bf16':>13}")
    for r in rows:
        print(f"{r['dtype']:6} {r['nll']:10.5f} {r['ppl']:12.2f} {r['delta_nll']:+10.5f} {r['ppl_ratio']:10.5f}"
              f" {100 * r['top1_agreement']:12.1f}%")
PY
