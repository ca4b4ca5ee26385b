#!/usr/bin/env bash
# The table in docs/PERFORMANCE.md: `gemma3 bench --json` for each weight dtype, batch 1 (pp512 /
# tg128) and batched decode (4 and 16 sequences, each with its own 128-token prompt, 64 steps),
# -r repetitions each (best reported), then one Markdown row per dtype. Raw JSON lines are kept in
# OUT_DIR for the record.
#
# Usage: tools/bench_table.sh GEMMA3_BIN MODEL [THREADS] [REPS] [OUT_DIR] [DTYPES...]
#   defaults: 2 threads, 3 repetitions, OUT_DIR /tmp/gemma3-bench, dtypes bf16 f32 q8_0 q4_0
set -euo pipefail
if [[ $# -lt 2 ]]; then
  sed -n '7,8p' "$0" | sed 's/^# //' >&2
  exit 2
fi
bin=$1 model=$2 threads=${3:-2} reps=${4:-3} out=${5:-/tmp/gemma3-bench}
shift $(( $# >= 5 ? 5 : $# ))
dtypes=("$@")
[[ ${#dtypes[@]} -eq 0 ]] && dtypes=(bf16 f32 q8_0 q4_0)
mkdir -p "$out"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for dtype in "${dtypes[@]}"; do
  common=(-m "$model" -t "$threads" -r "$reps" --dtype "$dtype" --json)
  "$bin" bench "${common[@]}" -p 512 -n 128 >"$out/$dtype.b1.json" 2>/dev/null
  "$bin" bench "${common[@]}" --no-probe -p 128 -n 64 -b 4 >"$out/$dtype.b4.json" 2>/dev/null
  "$bin" bench "${common[@]}" --no-probe -p 128 -n 64 -b 16 >"$out/$dtype.b16.json" 2>/dev/null
  echo "$dtype done, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
/usr/bin/python3 - "$out" "${dtypes[@]}" <<'PY'
import json, os, sys
out, *dtypes = sys.argv[1:]
print("| dtype | MB read/token | pp512 tok/s | % FMA peak | tg128 tok/s | % read BW | batch 4 tok/s (x batch 1) "
      "| batch 16 tok/s (x batch 1) | held weights MiB | peak RSS MiB (b1) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for d in dtypes:
    b1, b4, b16 = (json.load(open(os.path.join(out, f"{d}.{b}.json"))) for b in ("b1", "b4", "b16"))
    print(f"| {b1['dtype']} | {b1['weight_bytes'] / 1e6:.0f} | {b1['pp_tok_s']:.0f} | {100 * b1['pp_flops_fraction']:.0f}% "
          f"| {b1['tg_tok_s']:.1f} | {100 * b1['tg_bandwidth_fraction']:.0f}% "
          f"| {b4['tg_tok_s']:.0f} ({b4['batch_speedup']:.2f}x) | {b16['tg_tok_s']:.0f} ({b16['batch_speedup']:.2f}x) "
          f"| {b1['held_weight_mb']:.0f} | {b1['peak_rss_mb']:.0f} |")
m = b1["machine"]
print(f"\nmachine (last probe): read {m['read_gb_s']:.1f} GB/s, f32 FMA {m['fma_gflop_s']:.0f} GFLOP/s, "
      f"bf16 dot {m['bf16_gflop_s']:.0f} GFLOP/s; {b1['threads']} threads, {b1['kernel_features']}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
