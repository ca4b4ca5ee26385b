// Latency histograms and the Prometheus text exposition of the engine's counters.
// Not thread-safe by themselves: the engine guards them with its stats mutex.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gemma3 {

struct EngineStats;

// Cumulative-bucket histogram in the Prometheus sense (le = upper bound, +Inf implied).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  int64_t count() const { return count_; }
  double sum() const { return sum_; }
  // Appends "# HELP/# TYPE" and the _bucket/_sum/_count lines.
  void write_prometheus(std::string* out, const char* name, const char* help) const;

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // (bounds_.size() + 1,) per bucket, not cumulative; last = +Inf
  double sum_ = 0.0;
  int64_t count_ = 0;
};

struct LatencyMetrics {
  Histogram time_to_first_token{{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}};
  Histogram inter_token_latency{{0.001, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}};
  Histogram request_duration{{0.01, 0.05, 0.1, 0.3, 0.5, 1.0, 1.5, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0}};
};

// gemma3_requests_running, gemma3_requests_waiting, gemma3_prompt_tokens_total,
// gemma3_generation_tokens_total, gemma3_kv_cache_usage_ratio, gemma3_prefix_cache_hits_total (prompt
// tokens served from the prefix cache), gemma3_requests_finished_total, gemma3_requests_cancelled_total,
// gemma3_preemptions_total, gemma3_engine_steps_total, gemma3_spec_draft_tokens_total,
// gemma3_spec_accepted_tokens_total, gemma3_forced_tokens_total and the three latency histograms.
std::string format_prometheus(const EngineStats& stats, const LatencyMetrics& latency);

}  // namespace gemma3
