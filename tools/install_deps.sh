#!/usr/bin/env bash
# Installs what building and testing need, only where it is missing: Debian packages (apt), the
# npm packages of the reference tests, and the Gemma 3 tokenizer files. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config nlohmann-json3-dev libsimdjson-dev libcpp-httplib-dev libboost-dev libcurl4-openssl-dev libssl-dev libopenblas0-pthread
          libgtest-dev libgmock-dev libbenchmark-dev python3 python3-numpy python3-jinja2 ca-certificates
          chromium nginx libnginx-mod-http-js clang libclang-rt-14-dev llvm-14)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages of the reference tests (tokenizer JS port, OpenAI client, playwright-core driving the
# system chromium for the chat page), pinned by lock files.
for dir in tests/js tests/server tests/web tests/deploy tests/grammar/js; do
  if [[ -f "$dir/package.json" && ! -d "$dir/node_modules" ]]; then
    if [[ -f "$dir/package-lock.json" ]]; then (cd "$dir" && npm ci --silent --no-audit --no-fund)
    else (cd "$dir" && npm install --silent --no-audit --no-fund); fi
  fi
done

tools/fetch_tokenizer.sh >/dev/null
