#!/usr/bin/env bash
# pp/tg tokens/s of `gemma3 bench` against llama.cpp's `llama-bench` on the same GGUF file and
# threads, alternating (gemma3, llama.cpp, gemma3, ...) so both see the same machine state; prints
# each run and the ratios of the medians. Not part of CI (it needs a llama.cpp build).
#
#   bench/compare/vs_llama_cpp.sh --llama-bin DIR --model FILE.gguf [--threads 2] [--rounds 3]
#       [--pp 512] [--tg 128] [--depth 512] [--gemma3 build/gemma3] [-- extra gemma3 bench options, e.g. --matmul-int8]
#
# As llama-bench measures them: pp (a prompt from an empty cache), tg (decode from an empty cache:
# `gemma3 bench -p 1`), and tg@depth (decode after `depth` cached tokens: llama-bench -d, `gemma3
# bench -p depth`; --depth 0 skips it).
#
# llama.cpp: any build with llama-bench (e.g. the source bundled in the npm package node-llama-cpp,
# llama/gitRelease.bundle: `git clone` it, cmake -DGGML_NATIVE=ON, build the llama-bench target).
set -euo pipefail
llama_bin= model= threads=2 rounds=3 pp=512 tg=128 depth=512 gemma3=build/gemma3
while [[ $# -gt 0 ]]; do
  case $1 in
    --llama-bin) llama_bin=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --pp) pp=$2; shift 2 ;;
    --tg) tg=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --gemma3) gemma3=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x $llama_bin/llama-bench && -f $model && -x $gemma3 ]] || {
  echo "usage: $0 --llama-bin DIR --model FILE.gguf [--threads N] [--rounds R] [--gemma3 PATH] [-- gemma3 bench options]" >&2; exit 2; }

ours() {  # gemma3 bench -p $1 -n $2: prints the field $3 of its JSON
  "$gemma3" bench -m "$model" -t "$threads" -p "$1" -n "$2" --no-probe --json "${extra[@]}" 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])"
}
theirs() {  # llama-bench -p $1 -n $2 -d $3: prints its tokens/s
  "$llama_bin/llama-bench" -m "$model" -t "$threads" -p "$1" -n "$2" -d "$3" -r 1 -o json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["avg_ts"])'
}
extra=("$@")
names=(pp tg) ; [[ $depth -gt 0 ]] && names+=(tg@d$depth)
declare -A o t
for ((r = 1; r <= rounds; ++r)); do
  o[pp]+=" $(ours "$pp" 0 pp_tok_s)";             t[pp]+=" $(theirs "$pp" 0 0)"
  o[tg]+=" $(ours 1 "$tg" tg_tok_s)";             t[tg]+=" $(theirs 0 "$tg" 0)"
  if [[ $depth -gt 0 ]]; then
    o[tg@d$depth]+=" $(ours "$depth" "$tg" tg_tok_s)"; t[tg@d$depth]+=" $(theirs 0 "$tg" "$depth")"
  fi
  line="round $r:"
  for n in "${names[@]}"; do
    line+=$(printf ' %s %.1f vs %.1f |' "$n" "${o[$n]##* }" "${t[$n]##* }")
  done
  echo "$line (gemma3 vs llama.cpp tok/s)"
done
for n in "${names[@]}"; do
  python3 - "$n" "${o[$n]}" "${t[$n]}" <<'PY'
import statistics, sys
name, ours, theirs = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
m = statistics.median
print(f"{name:>9}: gemma3 {m(ours):8.1f} | llama.cpp {m(theirs):8.1f} tok/s | ratio {m(ours)/m(theirs):.2f}x "
      f"(per round {', '.join(f'{a/b:.2f}' for a, b in zip(ours, theirs))})")
PY
done
