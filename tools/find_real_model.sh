#!/usr/bin/env bash
# Prints the folder of real (non-synthetic) Gemma 3 270M weights, the way `gemma3 -m` without a
# path searches; exits 1 when there are none.
set -uo pipefail
hub="${HF_HUB_CACHE:-${HF_HOME:-$HOME/.cache/huggingface}/hub}"
[[ -n "${HF_HOME:-}" && -z "${HF_HUB_CACHE:-}" ]] && hub="$HF_HOME/hub"
for dir in gemma-3-270m-it gemma-3-270m "$hub"/models--google--gemma-3-270m-it/snapshots/* "$hub"/models--google--gemma-3-270m/snapshots/*; do
  if [[ -f "$dir/config.json" ]] && ! grep -q gemma3_synthetic "$dir/config.json"; then echo "$dir"; exit 0; fi
done
exit 1
