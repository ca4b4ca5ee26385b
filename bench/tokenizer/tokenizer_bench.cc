// Tokenizer speed: loading the 33 MB tokenizer.json (target < 0.5 s) and encoding 1 MB of English
// (target < 0.5 s), plus decode. The tokenizer folder comes from $GEMMA3_TOKENIZER_DIR, else the
// cache tools/fetch_tokenizer.sh fills ($GEMMA3_CACHE_DIR, $XDG_CACHE_HOME/gemma3 or
// ~/.cache/gemma3, then tokenizer-gemma3-3.7.2).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "tokenizer/tokenizer.h"

namespace {

std::filesystem::path tokenizer_dir() {
  if (const char* dir = std::getenv("GEMMA3_TOKENIZER_DIR")) return dir;
  std::filesystem::path cache;
  if (const char* c = std::getenv("GEMMA3_CACHE_DIR")) cache = c;
  else if (const char* x = std::getenv("XDG_CACHE_HOME")) cache = std::filesystem::path(x) / "gemma3";
  else cache = std::filesystem::path(std::getenv("HOME") ? std::getenv("HOME") : ".") / ".cache" / "gemma3";
  return cache / "tokenizer-gemma3-3.7.2";
}

const gemma3::Tokenizer* shared_tokenizer() {
  static std::unique_ptr<gemma3::Tokenizer> tok = [] {
    auto loaded = gemma3::Tokenizer::load(tokenizer_dir());
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().c_str());
      std::exit(1);
    }
    return std::move(loaded).value();
  }();
  return tok.get();
}

// About 1 MB of English-like prose: sentences drawn from a fixed word list, seeded, with
// punctuation, capitals, numbers and paragraph breaks, so the text is not one repeated block.
std::string english_text(size_t n_bytes) {
  static const char* kWords[] = {
      "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
      "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
      "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
      "will", "would", "who", "so", "no", "model", "language", "tokenizer", "engine", "inference", "memory",
      "question", "answer", "river", "mountain", "history", "government", "development", "information",
      "understanding", "particularly", "nevertheless", "approximately", "architecture", "performance",
      "experiment", "measurement", "September", "London", "Python", "quickly", "beautiful", "children"};
  std::mt19937 rng(42);
  std::uniform_int_distribution<size_t> word(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> len(5, 25), roll(0, 99);
  std::string out;
  out.reserve(n_bytes + 256);
  while (out.size() < n_bytes) {
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
      std::string w = kWords[word(rng)];
      if (i == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      out += w;
      if (roll(rng) < 4) out.append(" ").append(std::to_string(roll(rng) * 37));
      out += (i + 1 < n) ? (roll(rng) < 8 ? ", " : " ") : (roll(rng) < 10 ? "?" : ".");
    }
    out += roll(rng) < 15 ? "\n\n" : " ";
  }
  return out;
}

void BM_LoadTokenizer(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = gemma3::Tokenizer::load(tokenizer_dir());
    if (!loaded) state.SkipWithError(loaded.error().c_str());
    benchmark::DoNotOptimize(loaded);
  }
}
// CPU is the whole process's: the merges are resolved on the loading thread and a helper
// (tokenizer/merge_resolver.h). On a shared machine wall time mostly measures the neighbours;
// CPU time is the better estimate of an idle machine's wall time (plus what the helper overlaps).
BENCHMARK(BM_LoadTokenizer)->Unit(benchmark::kMillisecond)->Iterations(5)->MeasureProcessCPUTime()->UseRealTime();

void BM_Encode1MBEnglish(benchmark::State& state) {
  const auto* tok = shared_tokenizer();
  const std::string text = english_text(1 << 20);
  size_t n_ids = 0;
  for (auto _ : state) n_ids = tok->encode(text).size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["ids"] = static_cast<double>(n_ids);
}
BENCHMARK(BM_Encode1MBEnglish)->Unit(benchmark::kMillisecond);

void BM_EncodeChatTurn(benchmark::State& state) {
  const auto* tok = shared_tokenizer();
  const std::string text = "<start_of_turn>user\n" + english_text(600) + "<end_of_turn>\n<start_of_turn>model\n";
  for (auto _ : state) benchmark::DoNotOptimize(tok->encode(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_EncodeChatTurn)->Unit(benchmark::kMicrosecond);

void BM_Decode1MBEnglish(benchmark::State& state) {
  const auto* tok = shared_tokenizer();
  const std::string text = english_text(1 << 20);
  const auto ids = tok->encode(text);
  for (auto _ : state) benchmark::DoNotOptimize(tok->decode(ids));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Decode1MBEnglish)->Unit(benchmark::kMillisecond);

}  // namespace
