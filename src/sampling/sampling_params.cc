// validate_sampling_params: the request-boundary check of SamplingParams (declared in sampler.h).
#include <cmath>
#include <cstdio>
#include <string>

#include "sampling/sampler.h"

namespace gemma3 {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status check_range(const char* field, float value, float lo, float hi) {
  if (!std::isfinite(value) || value < lo || value > hi) {
    return make_error(std::string(field) + " must be between " + number(lo) + " and " + number(hi) + " (got " +
                      number(value) + ")");
  }
  return ok_status();
}

}  // namespace

Status validate_sampling_params(const SamplingParams& p, int32_t vocab_size) {
  if (vocab_size <= 0) return make_error("vocabulary size must be positive");
  G3_TRY(check_range("temperature", p.temperature, 0.0f, 2.0f));
  G3_TRY(check_range("top_p", p.top_p, 0.0f, 1.0f));
  if (p.top_k < -1) {
    return make_error("top_k must be -1 or 0 (off) or a positive number of tokens (got " + std::to_string(p.top_k) + ")");
  }
  G3_TRY(check_range("min_p", p.min_p, 0.0f, 1.0f));
  if (!std::isfinite(p.repetition_penalty) || p.repetition_penalty <= 0.0f) {
    return make_error("repetition_penalty must be a positive number (got " + number(p.repetition_penalty) + ")");
  }
  G3_TRY(check_range("presence_penalty", p.presence_penalty, -2.0f, 2.0f));
  G3_TRY(check_range("frequency_penalty", p.frequency_penalty, -2.0f, 2.0f));
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || id >= vocab_size) {
      return make_error("logit_bias key " + std::to_string(id) + " is not a token id (vocabulary size " +
                        std::to_string(vocab_size) + ")");
    }
    if (!std::isfinite(bias) || bias < -100.0f || bias > 100.0f) {
      return make_error("logit_bias value for token " + std::to_string(id) + " must be between -100 and 100 (got " +
                        number(bias) + ")");
    }
  }
  return ok_status();
}

}  // namespace gemma3
