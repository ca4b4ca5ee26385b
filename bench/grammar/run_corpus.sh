#!/usr/bin/env bash
# Runs JSONSchemaBench's real-world schemas (maskbench/data: ~11k schemas with valid and invalid
# instances) through the grammar front and back ends, as decoding sees each instance (json.dumps
# text, the Gemma 3 tokenizer, every token accepted by the Matcher). Not part of CI: the corpus is
# not in this repository. Get it with
#     git clone https://github.com/guidance-ai/jsonschemabench
# then
#     bench/grammar/run_corpus.sh PATH/TO/jsonschemabench [BUILD_DIR] [--every K] [--limit N] [--reference]
# Prints the JSON summary (shares, invalid accepted, refusal reasons, compile times) and writes one
# line per schema that is not fully correct to BUILD_DIR/schema_corpus_failures.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:?usage: run_corpus.sh JSONSCHEMABENCH_DIR [BUILD_DIR] [--limit N] [--reference]}
build=${2:-build}
shift $(( $# >= 2 ? 2 : 1 ))
cmake --build "$build" --target schema_corpus >/dev/null
tokenizer=$(tools/fetch_tokenizer.sh)
"$build/bench/schema_corpus" --tokenizer "$tokenizer" --corpus "$corpus/maskbench/data" \
  --failures "$build/schema_corpus_failures.tsv" "$@"
