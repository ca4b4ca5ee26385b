#include "engine/metrics.h"

#include <charconv>

#include "engine/engine.h"

namespace gemma3 {
namespace {

void append_number(std::string* out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  out->append(buf, r.ptr);
}

void metric(std::string* out, const char* name, const char* type, const char* help, double value) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
  *out += name;
  *out += ' ';
  append_number(out, value);
  *out += '\n';
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::write_prometheus(std::string* out, const char* name, const char* help) const {
  const std::string n = name;
  *out += "# HELP " + n + " " + help + "\n# TYPE " + n + " histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    *out += n + "_bucket{le=\"";
    if (i < bounds_.size()) {
      append_number(out, bounds_[i]);
    } else {
      *out += "+Inf";
    }
    *out += "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += n + "_sum ";
  append_number(out, sum_);
  *out += "\n" + n + "_count " + std::to_string(count_) + "\n";
}

std::string format_prometheus(const EngineStats& s, const LatencyMetrics& latency) {
  std::string out;
  out.reserve(8192);
  metric(&out, "gemma3_requests_running", "gauge", "Sequences holding KV cache blocks.", s.running);
  metric(&out, "gemma3_requests_waiting", "gauge", "Requests queued, not yet scheduled (incl. preempted).", s.waiting);
  metric(&out, "gemma3_kv_cache_usage_ratio", "gauge", "Fraction of KV blocks referenced (max over pools).", s.kv_usage_ratio);
  metric(&out, "gemma3_prompt_tokens_total", "counter", "Prompt tokens of admitted requests.", static_cast<double>(s.prompt_tokens_total));
  metric(&out, "gemma3_generation_tokens_total", "counter", "Tokens generated.", static_cast<double>(s.generation_tokens_total));
  metric(&out, "gemma3_prefix_cache_hits_total", "counter", "Prompt tokens served from the prefix cache.",
         static_cast<double>(s.prefix_cache_hits_total));
  metric(&out, "gemma3_requests_finished_total", "counter", "Requests finished with stop or length.",
         static_cast<double>(s.requests_finished_total));
  metric(&out, "gemma3_requests_cancelled_total", "counter", "Requests cancelled by their client.",
         static_cast<double>(s.requests_cancelled_total));
  metric(&out, "gemma3_preemptions_total", "counter", "Sequences preempted for lack of KV blocks.",
         static_cast<double>(s.preemptions_total));
  metric(&out, "gemma3_engine_steps_total", "counter", "Forward passes run.", static_cast<double>(s.steps_total));
  metric(&out, "gemma3_spec_draft_tokens_total", "counter", "Speculative (prompt-lookup) tokens verified.",
         static_cast<double>(s.spec_draft_tokens_total));
  metric(&out, "gemma3_spec_accepted_tokens_total", "counter", "Speculative tokens accepted by the verifier.",
         static_cast<double>(s.spec_accepted_tokens_total));
  metric(&out, "gemma3_forced_tokens_total", "counter", "Tokens an output grammar forced (appended without sampling).",
         static_cast<double>(s.forced_tokens_total));
  latency.time_to_first_token.write_prometheus(&out, "gemma3_time_to_first_token_seconds", "Time from submit to the first generated token.");
  latency.inter_token_latency.write_prometheus(&out, "gemma3_inter_token_latency_seconds", "Time between consecutive generated tokens of a request.");
  latency.request_duration.write_prometheus(&out, "gemma3_request_duration_seconds", "Time from submit to the last token.");
  return out;
}

}  // namespace gemma3
