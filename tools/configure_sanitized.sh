#!/usr/bin/env bash
# Configures the one sanitizer build that `make test` compiles: clang, ASan + UBSan, libFuzzer's
# coverage on every library, the GoogleTest suites and the fuzz targets in the same tree. One tree
# instead of a GCC ASan tree for the tests and a second clang tree for the fuzz targets halves the
# sanitizer compile, the longest part of CI on 2 cores.
#
# Debug (assertions on) at -O1, the level ASan's documentation suggests: the suite runs ~3x faster
# than at -O0. Line tables only: stack traces still name the line, and the build is smaller.
#
# usage: tools/configure_sanitized.sh DIR   (does nothing when DIR is already configured)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: tools/configure_sanitized.sh DIR}"
[[ -f "$build/CMakeCache.txt" ]] && exit 0
command -v clang++ >/dev/null || { echo "configure_sanitized.sh: clang++ is needed (tools/install_deps.sh installs it)" >&2; exit 1; }
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" -DGEMMA3_FUZZ=ON -DGEMMA3_BUILD_BENCH=OFF >/dev/null
