#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan + coverage) and runs them, one at a time:
#   1. replay: every committed input, fuzz/corpus/T/* and fuzz/regressions/T/*, run once each;
#   2. fuzz:   T for SECONDS, starting from those inputs; new inputs go to BUILD/corpus/T (not to
#              the repository), a crash, leak, timeout or failed check to BUILD/artifacts/T/.
# Prints one line per target (executions, coverage, new inputs) and writes them to BUILD/fuzz-report.txt.
# Exit status 1 when any input crashed.
#
# usage: fuzz/run.sh [--seconds N] [--build DIR] [--jobs J] [TARGET...]
#   --seconds N  fuzzing time per target (default 600; `make fuzz-smoke` uses 5; 0 = replay only)
#   --build DIR  the sanitizer build folder (default build-san, as `make test` builds it)
#   --jobs J     build parallelism (default: nproc)
#   --no-build   run the targets as built
#   TARGET       e.g. gguf request (default: every fuzz/*_fuzz.cc)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
build=build-san
jobs=$(nproc)
build_first=1
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --no-build) build_first=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" _fuzz.cc)"); done
fi

((build_first)) && tools/configure_sanitized.sh "$build"
((build_first)) && cmake --build "$build" -j "$jobs" --target "${targets[@]/%/_fuzz}"

symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
[[ -x "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

report="$build/fuzz-report.txt"
: >"$report"
failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/${t}_fuzz"
  inputs=()
  for dir in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
    [[ -d "$dir" ]] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$dir" -type f -print0 | sort -z)
  done
  log="$build/logs/$t"
  mkdir -p "$build/logs" "$build/corpus/$t" "$build/artifacts/$t"
  # A deep JSON or a large GGUF may take a while under ASan; a minute per input is a hang.
  common=(-timeout=60 -rss_limit_mb=4096 -artifact_prefix="$build/artifacts/$t/")
  [[ -f "fuzz/$t.dict" ]] && common+=(-dict="fuzz/$t.dict")

  if ((${#inputs[@]})) && ! nice -n 10 "$bin" "${common[@]}" "${inputs[@]}" >"$log.replay" 2>&1; then
    echo "FAIL $t: a committed input fails (log: $log.replay)" | tee -a "$report"
    tail -n 40 "$log.replay"
    failed+=("$t")
    continue
  fi
  if ((seconds > 0)); then
    seeds=()
    for dir in "fuzz/corpus/$t" "fuzz/regressions/$t"; do [[ -d "$dir" ]] && seeds+=("$dir"); done
    # Short (smoke) runs use a fixed seed: the same mutations every time, so `make test` does not
    # flip between runs; long runs explore with a fresh seed each time.
    seed=()
    ((seconds < 60)) && seed=(-seed=1)
    if ! nice -n 10 "$bin" "${common[@]}" "${seed[@]}" -max_total_time="$seconds" -print_final_stats=1 \
         "$build/corpus/$t" "${seeds[@]}" >"$log.fuzz" 2>&1; then
      echo "FAIL $t: fuzzing found a failing input in $build/artifacts/$t/ (log: $log.fuzz)" | tee -a "$report"
      grep -E -A30 "ERROR: |fuzz check failed|runtime error" "$log.fuzz" | head -n 60
      failed+=("$t")
      continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.fuzz")
    last=$(grep -E "^#[0-9]+" "$log.fuzz" | tail -n 1 | grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*")
    echo "ok   $t: ${#inputs[@]} committed inputs replayed; fuzzed ${seconds} s: ${runs:-0} runs, ${last:-no stats}" | tee -a "$report"
  else
    echo "ok   $t: ${#inputs[@]} committed inputs replayed" | tee -a "$report"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz/run.sh: failing targets: ${failed[*]}" >&2
  exit 1
fi
