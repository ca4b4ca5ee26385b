// Runs a corpus of JSON schemas with valid and invalid instances (JSONSchemaBench's maskbench/data
// layout: one JSON file per schema, {"schema": ..., "tests": [{"data", "valid"}]}) through the
// front end and the back end exactly as decoding sees an instance: the instance as Python's
// json.dumps writes it, tokenized with the model's tokenizer (no BOS), each token accepted by the
// Matcher (a token is accepted only when allowed), then the document must be complete.
//
//   schema_corpus --tokenizer DIR --corpus DIR [--every K] [--limit N] [--reference] [--failures FILE]
//
// --every K takes every Kth schema (sorted by file name), for a quicker run over all sources.
//
// --reference also checks every instance with the slow byte-level reference recognizer and counts
// disagreements with the Matcher. --masks computes the full-vocabulary mask before every token (as
// decoding does; the token must then be in it) and reports mask times over the schemas that
// compiled: the median of the per-schema median times, the p99 of the per-schema p99s, the maximum,
// all masks pooled (p50, p99), and the first mask of each sequence (one thread, the thread's CPU
// time). --verbose prints one stderr line per schema (front/back-end times, NFA states, lexemes,
// mask times, masks over 2 ms). Prints one JSON summary line; --failures writes one line per
// schema that is not fully correct.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "grammar/compiled_grammar.h"
#include "grammar/front_ends.h"
#include "grammar/token_table.h"
#include "grammar/matcher.h"
#include "ir_recognizer.h"
#include "python_json.h"
#include "tokenizer/tokenizer.h"

using namespace gemma3;
using namespace gemma3::grammar;
using OJson = nlohmann::ordered_json;

namespace {

// "keyword 'X'" or "format 'X'" from an error, to group refusals.
std::string reason_of(const std::string& error) {
  static const std::regex kKeyword("(keyword|format) '([^']+)'");
  std::smatch m;
  if (std::regex_search(error, m, kKeyword)) return m[1].str() + " " + m[2].str();
  if (error.find("$ref") != std::string::npos) return "$ref";
  if (error.find("max_") != std::string::npos) return "limit";
  return error.substr(0, 60);
}

// This thread's CPU time: mask times on the shared, loaded VM are measured in CPU time, which a
// descheduled process does not accumulate (wall time once showed a 46 s "mask").
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_dir, corpus_dir, failures_path;
  size_t limit = SIZE_MAX, every = 1;
  bool reference = false, verbose = false;   // --verbose: one stderr line per schema (sizes, times)
  bool masks = false;                        // --masks: time a full mask before every token
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--tokenizer" && i + 1 < argc) tokenizer_dir = argv[++i];
    else if (a == "--corpus" && i + 1 < argc) corpus_dir = argv[++i];
    else if (a == "--limit" && i + 1 < argc) limit = std::stoul(argv[++i]);
    else if (a == "--every" && i + 1 < argc) every = std::max<size_t>(1, std::stoul(argv[++i]));
    else if (a == "--failures" && i + 1 < argc) failures_path = argv[++i];
    else if (a == "--reference") reference = true;
    else if (a == "--verbose") verbose = true;
    else if (a == "--masks") masks = true;
    else {
      std::fprintf(stderr, "usage: schema_corpus --tokenizer DIR --corpus DIR [--every K] [--limit N] [--reference] [--verbose] [--masks] [--failures FILE]\n");
      return 2;
    }
  }
  auto tokenizer = Tokenizer::load(tokenizer_dir);
  if (!tokenizer) {
    std::fprintf(stderr, "%s\n", tokenizer.error().c_str());
    return 1;
  }
  auto table = build_token_table(**tokenizer);
  const std::vector<int32_t> end_ids = {(*tokenizer)->eos_id()};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (every > 1) {
    std::vector<std::filesystem::path> kept;
    for (size_t i = 0; i < files.size(); i += every) kept.push_back(files[i]);
    files = std::move(kept);
  }
  if (files.size() > limit) files.resize(limit);
  std::ofstream failures;
  if (!failures_path.empty()) failures.open(failures_path);

  int schemas = 0, with_tests = 0, refused_front = 0, refused_back = 0, correct = 0;
  long valid_total = 0, valid_rejected = 0, invalid_total = 0, invalid_accepted = 0, reference_disagreements = 0;
  std::map<std::string, int> reasons;
  std::vector<double> front_ms, back_ms;
  std::vector<double> mask_p50, mask_p99, first_mask_us, all_mask_us;   // --masks: per schema; first mask of each sequence
  double mask_max = 0;
  long masks_total = 0, mask_disagreements = 0;
  std::vector<uint32_t> mask(mask_words(*table));
  for (const auto& path : files) {
    std::ifstream in(path);
    OJson doc;
    try {
      doc = OJson::parse(in);
    } catch (const std::exception&) {
      continue;
    }
    ++schemas;
    const OJson tests = doc.value("tests", OJson::array());
    if (!tests.empty()) ++with_tests;
    const auto t0 = std::chrono::steady_clock::now();
    auto grammar = json_schema_grammar(doc["schema"]);
    const auto t1 = std::chrono::steady_clock::now();
    front_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (!grammar) {
      ++refused_front;
      ++reasons[reason_of(grammar.error())];
      if (failures) failures << path.filename().string() << "\trefused\t" << grammar.error() << "\n";
      continue;
    }
    std::optional<testing::IrRecognizer> rec;
    Grammar for_reference = reference ? *grammar : Grammar{};
    if (reference) rec.emplace(for_reference);
    auto compiled = compile(std::move(*grammar), table);
    back_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
    if (verbose && compiled) {
      // The largest lexemes by NFA states (lexeme i spans states lexeme_start[i] .. lexeme_start[i+1]).
      const Nfa& nfa = (*compiled)->nfa;
      std::vector<std::pair<size_t, size_t>> sizes;
      for (size_t i = 0; i < nfa.lexeme_start.size(); ++i) {
        const size_t end = i + 1 < nfa.lexeme_start.size() ? nfa.lexeme_start[i + 1] : nfa.next.size();
        sizes.emplace_back(end - nfa.lexeme_start[i], i);
      }
      std::sort(sizes.rbegin(), sizes.rend());
      for (size_t i = 0; i < sizes.size() && i < 3; ++i) std::fprintf(stderr, "  lexeme %zu: %zu NFA states\n", sizes[i].second, sizes[i].first);
    }
    if (verbose) {
      std::fprintf(stderr, "%s\tfront_ms %.2f\tback_ms %.2f\tnfa_states %zu\tlexemes %zu\t%s\n", path.filename().c_str(),
                   front_ms.back(), back_ms.back(), compiled ? (*compiled)->nfa.next.size() : size_t{0},
                   compiled ? (*compiled)->nfa.lexeme_start.size() : size_t{0}, compiled ? "ok" : compiled.error().c_str());
    }
    if (!compiled) {
      ++refused_back;
      ++reasons["back end: " + reason_of(compiled.error())];
      if (failures) failures << path.filename().string() << "\tback-end\t" << compiled.error() << "\n";
      continue;
    }
    bool all_right = true;
    std::vector<double> schema_mask_us;
    for (const auto& t : tests) {
      const bool valid = t.value("valid", false);
      const std::string text = testing::python_dumps(t["data"]);
      Matcher m(*compiled, end_ids);
      bool accepted = true;
      bool first = true;
      size_t prefix_bytes = 0;   // bytes of the instance accepted so far (--verbose slow masks)
      for (int32_t id : (*tokenizer)->encode(text, false)) {
        if (masks) {
          const double m0 = thread_cpu_us();
          m.fill_mask(mask);
          const double us = thread_cpu_us() - m0;
          schema_mask_us.push_back(us);
          if (first) first_mask_us.push_back(us);
          if (verbose && us > 2000) {
            std::fprintf(stderr, "  slow mask %.0f us after: %s\n", us, text.substr(0, prefix_bytes).c_str());
          }
          first = false;
          const bool in_mask = (mask[static_cast<size_t>(id) / 32] >> (id % 32)) & 1u;
          if (!in_mask) {
            accepted = false;
            if (m.accept(id)) ++mask_disagreements;
            break;
          }
        }
        prefix_bytes += table->bytes(id).size();
        if (!m.accept(id)) {
          accepted = false;
          break;
        }
      }
      accepted = accepted && m.is_complete();
      if (rec && rec->accepts(text) != accepted) {
        ++reference_disagreements;
        if (failures) failures << path.filename().string() << "\treference-disagrees\t" << text.substr(0, 200) << "\n";
      }
      (valid ? valid_total : invalid_total)++;
      if (valid && !accepted) ++valid_rejected, all_right = false;
      if (!valid && accepted) ++invalid_accepted, all_right = false;
      if (failures && valid != accepted) {
        failures << path.filename().string() << (valid ? "\tvalid-rejected\t" : "\tINVALID-ACCEPTED\t") << text.substr(0, 300) << "\n";
      }
    }
    correct += all_right ? 1 : 0;
    if (!schema_mask_us.empty()) {
      mask_p50.push_back(percentile(schema_mask_us, 0.5));
      mask_p99.push_back(percentile(schema_mask_us, 0.99));
      mask_max = std::max(mask_max, percentile(schema_mask_us, 1.0));
      masks_total += schema_mask_us.size();
      all_mask_us.insert(all_mask_us.end(), schema_mask_us.begin(), schema_mask_us.end());
      if (verbose) {
        std::fprintf(stderr, "%s\tmasks %zu\tmask_us p50 %.1f p99 %.1f max %.1f\n", path.filename().c_str(), schema_mask_us.size(),
                     mask_p50.back(), mask_p99.back(), percentile(schema_mask_us, 1.0));
      }
    }
  }
  nlohmann::json top = nlohmann::json::array();
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [r, n] : reasons) sorted.emplace_back(n, r);
  std::sort(sorted.rbegin(), sorted.rend());
  for (size_t i = 0; i < sorted.size() && i < 15; ++i) top.push_back({{"reason", sorted[i].second}, {"schemas", sorted[i].first}});
  nlohmann::json summary = {
      {"schemas", schemas}, {"with_tests", with_tests}, {"fully_correct", correct},
      {"fully_correct_share", schemas ? static_cast<double>(correct) / schemas : 0.0},
      {"refused_front_end", refused_front}, {"refused_back_end", refused_back},
      {"valid_instances", valid_total}, {"valid_rejected", valid_rejected},
      {"invalid_instances", invalid_total}, {"invalid_accepted", invalid_accepted},
      {"front_end_ms", {{"p50", percentile(front_ms, 0.5)}, {"p99", percentile(front_ms, 0.99)}}},
      {"back_end_compile_ms", {{"p50", percentile(back_ms, 0.5)}, {"p99", percentile(back_ms, 0.99)}}},
      {"top_refusals", top}};
  if (reference) summary["reference_disagreements"] = reference_disagreements;
  if (masks) {
    summary["mask_us"] = {{"schemas", mask_p50.size()}, {"masks", masks_total},
                          {"median_of_schema_p50", percentile(mask_p50, 0.5)},
                          {"p99_of_schema_p99", percentile(mask_p99, 0.99)}, {"max", mask_max},
                          {"all_masks_p50", percentile(all_mask_us, 0.5)}, {"all_masks_p99", percentile(all_mask_us, 0.99)},
                          {"first_mask_p50", percentile(first_mask_us, 0.5)},
                          {"first_mask_p99", percentile(first_mask_us, 0.99)},
                          {"accepted_outside_mask", mask_disagreements}};
  }
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}
