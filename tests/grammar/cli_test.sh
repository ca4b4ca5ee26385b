#!/bin/sh
# `gemma3 grammar` end to end: documents walked token by token with full masks are accepted exactly
# when they satisfy the constraint; the summary line carries the timings; unsupported constraints
# and bad options exit non-zero with a message.   usage: cli_test.sh GEMMA3_BINARY TOKENIZER_DIR
set -u
bin=$1
dir=$2
data=$(dirname "$0")/cli
failures=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# accepted NAME EXPECTED_FILE ARGS...: the per-line verdicts equal the expected ones.
accepted() {
  name=$1 expected=$2
  shift 2
  if ! "$bin" grammar -m "$dir" --json "$@" >"$out" 2>"$err"; then fail "$name: exit $? ($(cat "$err"))"; return; fi
  got=$(grep '"accepted"' "$out" | sed 's/.*"accepted": \([a-z]*\).*/\1/')
  if [ "$got" != "$(cat "$expected")" ]; then fail "$name: verdicts '$got', expected '$(cat "$expected")'"; return; fi
  if ! tail -n 1 "$out" | grep -q '"compile_us".*"tokens".*"mask_us".*"p50".*"p99".*"max"'; then
    fail "$name: no summary line: $(tail -n 1 "$out")"; return
  fi
  echo "ok   $name"
}

# refused NAME STDERR_SUBSTRING ARGS...: exit status 1 and the message names the problem.
refused() {
  name=$1 want=$2
  shift 2
  "$bin" grammar -m "$dir" "$@" >"$out" 2>"$err"
  status=$?
  if [ "$status" -ne 1 ]; then fail "$name: exit status $status, expected 1"; return; fi
  if ! grep -q -- "$want" "$err"; then fail "$name: stderr '$(cat "$err")' lacks '$want'"; return; fi
  echo "ok   $name"
}

accepted schema "$data/person.expected" --schema "$data/person.schema.json" --instances "$data/person.instances.jsonl"
printf 'true\nfalse\nfalse\n' >"$err.want"
printf '2024-01-31\n2024-1-31\n2024-01-31x\n' >"$err.in"
accepted regex "$err.want" --regex '[0-9]{4}-[0-9]{2}-[0-9]{2}' --instances "$err.in"
printf 'true\ntrue\nfalse\n' >"$err.want"
printf 'positive\nnegative\nneutral\n' >"$err.in"
accepted choice "$err.want" --choice '["positive", "negative"]' --instances "$err.in"
rm -f "$err.want" "$err.in"
refused no-constraint "exactly one of" --instances "$data/person.instances.jsonl"
refused no-instances "--instances" --schema "$data/person.schema.json"
refused missing-schema "cannot read" --schema "$data/nope.json" --instances "$data/person.instances.jsonl"
printf '{"type": "array", "uniqueItems": true, "items": {"type": "object"}}' >"$err.schema"
refused unsupported-keyword "uniqueItems" --schema "$err.schema" --instances "$data/person.instances.jsonl"
rm -f "$err.schema"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
