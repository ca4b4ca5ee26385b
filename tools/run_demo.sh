#!/usr/bin/env bash
# `make run`: generate text with real Gemma 3 270M weights when they are found (./gemma-3-270m-it,
# ./gemma-3-270m, the Hugging Face cache), otherwise with a synthetic 270m checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/gemma3
model_args=()
if ! $bin tokenize --help >/dev/null 2>&1; then echo "build first (make build)" >&2; exit 1; fi
if model_dir=$(tools/find_real_model.sh 2>/dev/null); then
  echo "== using real weights in $model_dir"
  model_args=(-m "$model_dir")
else
  synth=models/synth-270m
  if [[ ! -s $synth/model.safetensors ]]; then
    echo "== no real Gemma 3 weights found; writing a synthetic 270m checkpoint to $synth"
    $bin synth --preset 270m --seed 1 -o "$synth"
  fi
  echo "== NOTE: synthetic checkpoint with RANDOM weights — the text below is random, not a bug."
  echo "   For real output: accept the licence at https://huggingface.co/google/gemma-3-270m-it, then"
  echo "   HF_TOKEN=hf_... $bin pull    (downloads them into the Hugging Face cache, where make run finds them)"
  model_args=(-m "$synth")
fi
$bin generate "${model_args[@]}" --chat -p "Write a haiku about the sea." -n 48 --temp 0
$bin bench "${model_args[@]}" -p 128 -n 32
