#!/bin/sh
# `gemma3 tokenize` / `gemma3 detokenize` end to end: the flags, and that bad input gives a message
# on stderr and exit status 1 (never a crash).   usage: cli_test.sh GEMMA3_BINARY TOKENIZER_DIR
set -u
bin=$1
dir=$2
failures=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT

# check NAME EXPECTED_STATUS EXPECTED_STDOUT|- STDERR_SUBSTRING|- INPUT ARGS...
check() {
  name=$1 want_status=$2 want_out=$3 want_err=$4 input=$5
  shift 5
  out=$(printf "$input" | "$bin" "$@" -m "$dir" 2>"$err")
  status=$?
  if [ "$status" -ne "$want_status" ]; then
    echo "FAIL $name: exit status $status, expected $want_status ($(cat "$err"))"; failures=$((failures + 1)); return
  fi
  if [ "$want_out" != "-" ] && [ "$out" != "$want_out" ]; then
    echo "FAIL $name: stdout '$out', expected '$want_out'"; failures=$((failures + 1)); return
  fi
  if [ "$want_err" != "-" ] && ! grep -q -- "$want_err" "$err"; then
    echo "FAIL $name: stderr '$(cat "$err")' lacks '$want_err'"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

check tokenize-basic        0 '[9259,1902]'   - 'Hello world' tokenize
check tokenize-add-bos      0 '[2,9259,1902]' - 'Hello world' tokenize --add-bos
check tokenize-empty        0 '[]'            - ''            tokenize
check tokenize-special      0 '[2,105]'       - '<bos><start_of_turn>' tokenize
check tokenize-plain        0 '[236820,46757,236813]' - '<bos>' tokenize --plain
check tokenize-invalid-utf8 1 - 'not valid UTF-8: byte 0xFF at offset 2' 'ab\377' tokenize
check tokenize-truncated    1 - 'offset 3'    'abc\344\270' tokenize
check tokenize-surrogate    1 - 'not valid UTF-8' '\355\240\200' tokenize
check tokenize-overlong     1 - 'not valid UTF-8' '\300\257' tokenize
check tokenize-bad-option   1 - 'unknown option' 'x' tokenize --bogus
check detokenize-basic      0 'Hello world'   - '[9259,1902]' detokenize
check detokenize-special    0 '<bos>Hello'    - '[2,9259]'    detokenize
check detokenize-skip       0 'Hello'         - '[2,9259,1]'  detokenize --skip-special
check detokenize-bytes      0 '中'            - '[466,422,411]' detokenize
check detokenize-empty      0 ''              - '[]'          detokenize
check detokenize-too-big    1 - 'not a token id' '[1,262145]' detokenize
check detokenize-negative   1 - 'not a token id' '[-1]'       detokenize
check detokenize-float      1 - 'not a token id' '[1.5]'      detokenize
check detokenize-not-json   1 - 'one JSON array' 'hello'      detokenize
check detokenize-object     1 - 'one JSON array' '{"ids":[1]}' detokenize
out=$(printf 'x' | "$bin" tokenize -m /nonexistent/gemma3-model 2>"$err"); status=$?
if [ "$status" -ne 1 ] || ! grep -q "/nonexistent/gemma3-model" "$err"; then
  echo "FAIL missing-model: status $status, stderr '$(cat "$err")'"; failures=$((failures + 1))
else
  echo "ok   missing-model"
fi

[ "$failures" -eq 0 ] || { echo "$failures failures"; exit 1; }
