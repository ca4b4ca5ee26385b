#!/usr/bin/env bash
# pp/tg tokens/s of `gemma3 bench` against llama.cpp's `llama-bench` on the same GGUF file and
# threads, alternating (gemma3, llama.cpp, gemma3, ...) so both see the same machine state; prints
# each run and the ratios of the medians. Not part of CI (it needs a llama.cpp build).
#
#   bench/compare/vs_llama_cpp.sh --llama-bin DIR --model FILE.gguf [--threads 2] [--rounds 3]
#       [--pp 512] [--tg 128] [--gemma3 build/gemma3] [-- extra gemma3 bench options, e.g. --matmul-int8]
#
# llama.cpp: any build with llama-bench (e.g. the source bundled in the npm package node-llama-cpp,
# llama/gitRelease.bundle: `git clone` it, cmake -DGGML_NATIVE=ON, build the llama-bench target).
set -euo pipefail
llama_bin= model= threads=2 rounds=3 pp=512 tg=128 gemma3=build/gemma3
while [[ $# -gt 0 ]]; do
  case $1 in
    --llama-bin) llama_bin=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --pp) pp=$2; shift 2 ;;
    --tg) tg=$2; shift 2 ;;
    --gemma3) gemma3=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x $llama_bin/llama-bench && -f $model && -x $gemma3 ]] || {
  echo "usage: $0 --llama-bin DIR --model FILE.gguf [--threads N] [--rounds R] [--gemma3 PATH] [-- gemma3 bench options]" >&2; exit 2; }

ours_pp=() ours_tg=() theirs_pp=() theirs_tg=()
for ((r = 1; r <= rounds; ++r)); do
  read -r opp otg < <("$gemma3" bench -m "$model" -t "$threads" -p "$pp" -n "$tg" --no-probe --json "$@" 2>/dev/null |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["pp_tok_s"], j["tg_tok_s"])')
  read -r lpp ltg < <("$llama_bin/llama-bench" -m "$model" -t "$threads" -p "$pp" -n "$tg" -r 1 -o json 2>/dev/null |
    python3 -c '
import json,sys
rows=json.load(sys.stdin); pp=[r["avg_ts"] for r in rows if r["n_prompt"]>0]; tg=[r["avg_ts"] for r in rows if r["n_gen"]>0]
print(pp[0], tg[0])')
  printf 'round %d: gemma3 pp%d %8.1f tg%d %7.1f | llama.cpp pp%d %8.1f tg%d %7.1f tok/s\n' \
    "$r" "$pp" "$opp" "$tg" "$otg" "$pp" "$lpp" "$tg" "$ltg"
  ours_pp+=("$opp"); ours_tg+=("$otg"); theirs_pp+=("$lpp"); theirs_tg+=("$ltg")
done
python3 - "${ours_pp[*]}" "${ours_tg[*]}" "${theirs_pp[*]}" "${theirs_tg[*]}" <<'PY'
import statistics, sys
op, ot, lp, lt = ([float(x) for x in a.split()] for a in sys.argv[1:5])
m = statistics.median
print(f"median: gemma3 pp {m(op):.1f} tg {m(ot):.1f} | llama.cpp pp {m(lp):.1f} tg {m(lt):.1f} tok/s")
print(f"ratio gemma3/llama.cpp: pp {m(op)/m(lp):.2f}x  tg {m(ot)/m(lt):.2f}x  "
      f"(per round pp {', '.join(f'{a/b:.2f}' for a, b in zip(op, lp))}; tg {', '.join(f'{a/b:.2f}' for a, b in zip(ot, lt))})")
PY
