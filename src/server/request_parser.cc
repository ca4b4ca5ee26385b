#include "server/request_parser.h"

#include <cmath>
#include <limits>

#include "util/json_depth.h"

namespace gemma3 {

namespace {

using nlohmann::json;

std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer (" + value.dump() + ")";
    case json::value_t::number_float: return "a number (" + value.dump() + ")";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "null";
  }
}

std::string format_number(double v) {
  json j = v;
  return j.dump();
}

// Reads the optional fields of one request object. The first error sticks; later reads are no-ops
// that return nullopt, so a parser reads every field and checks `error` once at the end.
class FieldReader {
 public:
  explicit FieldReader(const json& body) : body_(body) {}

  const json* get(const char* name) const {
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void fail(std::string param, std::string message) {
    if (!error_) error_ = invalid_field(std::move(param), std::move(message));
  }
  bool failed() const { return error_.has_value(); }
  const ApiError& error() const { return *error_; }

  std::optional<double> number(const char* name, double lo, double hi) {
    const json* v = get(name);
    if (!v || failed()) return std::nullopt;
    if (!v->is_number()) {
      fail(name, std::string("'") + name + "' must be a number, got " + describe(*v) + ".");
      return std::nullopt;
    }
    double x = v->get<double>();
    if (!(x >= lo && x <= hi)) {
      fail(name, std::string("'") + name + "' must be between " + format_number(lo) + " and " + format_number(hi) +
                     ", got " + v->dump() + ".");
      return std::nullopt;
    }
    return x;
  }

  std::optional<int64_t> integer(const char* name, int64_t lo, int64_t hi) {
    const json* v = get(name);
    if (!v || failed()) return std::nullopt;
    auto r = as_integer(*v, name, lo, hi);
    return r;
  }

  std::optional<int64_t> as_integer(const json& v, const std::string& param, int64_t lo, int64_t hi) {
    bool integral_float = v.is_number_float() && std::isfinite(v.get<double>()) &&
                          v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 9e15;
    if (!v.is_number_integer() && !integral_float) {
      fail(param, "'" + param + "' must be an integer, got " + describe(v) + ".");
      return std::nullopt;
    }
    int64_t x = 0;
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(param, "'" + param + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                        v.dump() + ".");
        return std::nullopt;
      }
      x = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      x = v.get<int64_t>();
    } else {
      x = static_cast<int64_t>(v.get<double>());
    }
    if (x < lo || x > hi) {
      fail(param, "'" + param + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                      v.dump() + ".");
      return std::nullopt;
    }
    return x;
  }

  std::optional<bool> boolean(const char* name) {
    const json* v = get(name);
    if (!v || failed()) return std::nullopt;
    if (!v->is_boolean()) {
      fail(name, std::string("'") + name + "' must be a boolean, got " + describe(*v) + ".");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::optional<std::string> string(const char* name) {
    const json* v = get(name);
    if (!v || failed()) return std::nullopt;
    if (!v->is_string()) {
      fail(name, std::string("'") + name + "' must be a string, got " + describe(*v) + ".");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

 private:
  const json& body_;
  std::optional<ApiError> error_;
};

void read_stop(FieldReader& r, std::vector<std::string>* stop) {
  const json* v = r.get("stop");
  if (!v || r.failed()) return;
  auto add = [&](const json& s) {
    if (!s.is_string()) {
      r.fail("stop", "'stop' must be a string or an array of strings, got " + describe(s) + " in it.");
      return;
    }
    if (s.get_ref<const std::string&>().empty()) {
      r.fail("stop", "'stop' strings must not be empty.");
      return;
    }
    stop->push_back(s.get<std::string>());
  };
  if (v->is_string()) {
    add(*v);
  } else if (v->is_array()) {
    if (v->size() > static_cast<size_t>(kMaxStopStrings)) {
      r.fail("stop", "'stop' may hold at most " + std::to_string(kMaxStopStrings) + " strings, got " +
                         std::to_string(v->size()) + ".");
      return;
    }
    for (const json& s : *v) add(s);
  } else {
    r.fail("stop", "'stop' must be a string or an array of strings, got " + describe(*v) + ".");
  }
}

void read_logit_bias(FieldReader& r, int32_t vocab_size, std::vector<std::pair<int32_t, float>>* out) {
  const json* v = r.get("logit_bias");
  if (!v || r.failed()) return;
  if (!v->is_object()) {
    r.fail("logit_bias", "'logit_bias' must be an object mapping token ids to biases, got " + describe(*v) + ".");
    return;
  }
  if (v->size() > kMaxLogitBias) {
    r.fail("logit_bias", "'logit_bias' may hold at most " + std::to_string(kMaxLogitBias) + " entries.");
    return;
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    const std::string& key = it.key();
    int64_t id = -1;
    bool digits = !key.empty() && key.size() <= 10;
    for (char c : key) digits = digits && c >= '0' && c <= '9';
    if (digits) id = std::stoll(key);
    if (!digits || id >= vocab_size) {
      r.fail("logit_bias", "'logit_bias' keys must be token ids in [0, " + std::to_string(vocab_size) + "), got '" +
                               key + "'.");
      return;
    }
    const json& bias = it.value();
    if (!bias.is_number() || !(bias.get<double>() >= -100.0 && bias.get<double>() <= 100.0)) {
      r.fail("logit_bias", "'logit_bias' values must be numbers between -100 and 100, got " + bias.dump() +
                               " for token " + key + ".");
      return;
    }
    out->emplace_back(static_cast<int32_t>(id), bias.get<float>());
  }
}

// Reads the fields both routes share. `chat` selects how logprobs / top_logprobs are spelled.
CommonParams read_common(FieldReader& r, int32_t vocab_size, bool chat) {
  CommonParams p;
  p.model = r.string("model");
  r.string("user");   // type-checked, otherwise unused
  SamplingParams& s = p.sampling;
  if (auto v = r.number("temperature", 0.0, 2.0)) s.temperature = static_cast<float>(*v);
  if (auto v = r.number("top_p", 0.0, 1.0)) {
    if (*v <= 0.0) r.fail("top_p", "'top_p' must be greater than 0 and at most 1, got 0.");
    s.top_p = static_cast<float>(*v);
  }
  if (auto v = r.integer("top_k", -1, vocab_size)) s.top_k = static_cast<int>(*v < 0 ? 0 : *v);   // -1/0: off
  if (auto v = r.number("min_p", 0.0, 1.0)) s.min_p = static_cast<float>(*v);
  if (auto v = r.number("repetition_penalty", 0.0, 2.0)) {
    if (*v <= 0.0) r.fail("repetition_penalty", "'repetition_penalty' must be greater than 0, got 0.");
    s.repetition_penalty = static_cast<float>(*v);
  }
  if (auto v = r.number("presence_penalty", -2.0, 2.0)) s.presence_penalty = static_cast<float>(*v);
  if (auto v = r.number("frequency_penalty", -2.0, 2.0)) s.frequency_penalty = static_cast<float>(*v);
  read_logit_bias(r, vocab_size, &s.logit_bias);
  if (const json* seed = r.get("seed"); seed && !r.failed()) {
    if (seed->is_number_unsigned()) {
      s.seed = seed->get<uint64_t>();
    } else if (auto v = r.as_integer(*seed, "seed", std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::max())) {
      s.seed = static_cast<uint64_t>(*v);
    }
  }

  auto max_tokens = r.integer("max_tokens", 1, std::numeric_limits<int32_t>::max());
  auto max_completion = r.integer("max_completion_tokens", 1, std::numeric_limits<int32_t>::max());
  if (max_completion) {
    p.max_tokens = static_cast<int32_t>(*max_completion);
  } else if (max_tokens) {
    p.max_tokens = static_cast<int32_t>(*max_tokens);
  }
  read_stop(r, &p.stop);
  if (auto v = r.integer("n", 1, kMaxChoices)) p.n = static_cast<int32_t>(*v);
  if (auto v = r.boolean("stream")) p.stream = *v;
  if (const json* so = r.get("stream_options"); so && !r.failed()) {
    if (!so->is_object()) {
      r.fail("stream_options", "'stream_options' must be an object, got " + describe(*so) + ".");
    } else if (!p.stream) {
      r.fail("stream_options", "'stream_options' is only allowed when 'stream' is true.");
    } else if (auto it = so->find("include_usage"); it != so->end() && !it->is_null()) {
      if (!it->is_boolean()) {
        r.fail("stream_options.include_usage", "'stream_options.include_usage' must be a boolean, got " + describe(*it) + ".");
      } else {
        p.include_usage = it->get<bool>();
      }
    }
  }

  if (chat) {
    if (auto v = r.boolean("logprobs")) p.logprobs = *v;
    if (auto v = r.integer("top_logprobs", 0, kMaxTopLogprobs)) {
      if (!p.logprobs && *v > 0) r.fail("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
      p.top_logprobs = static_cast<int32_t>(*v);
    }
  } else if (auto v = r.integer("logprobs", 0, kMaxTopLogprobs)) {
    p.logprobs = true;
    p.top_logprobs = static_cast<int32_t>(*v);
  }
  return p;
}

// One prompt given as token ids: a non-empty array of integers in [0, vocab).
std::optional<std::vector<int32_t>> read_ids(FieldReader& r, const json& array, int32_t vocab_size) {
  if (array.empty()) {
    r.fail("prompt", "'prompt' token arrays must not be empty.");
    return std::nullopt;
  }
  std::vector<int32_t> ids;
  ids.reserve(array.size());
  for (const json& t : array) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= vocab_size) {
      r.fail("prompt", "'prompt' token ids must be integers in [0, " + std::to_string(vocab_size) + "), got " +
                           t.dump() + ".");
      return std::nullopt;
    }
    ids.push_back(t.get<int32_t>());
  }
  return ids;
}

std::vector<PromptInput> read_prompts(FieldReader& r, int32_t vocab_size) {
  std::vector<PromptInput> prompts;
  const json* v = r.get("prompt");
  if (r.failed()) return prompts;
  const char* expected = "'prompt' must be a string, an array of strings, an array of token ids or an array of "
                         "arrays of token ids";
  if (!v) {
    r.fail("prompt", "'prompt' is required.");
  } else if (v->is_string()) {
    prompts.emplace_back(v->get<std::string>());
  } else if (!v->is_array() || v->empty()) {
    r.fail("prompt", std::string(expected) + (v->is_array() ? "; got an empty array." : ", got " + describe(*v) + "."));
  } else if (v->front().is_number()) {
    if (auto ids = read_ids(r, *v, vocab_size)) prompts.emplace_back(std::move(*ids));
  } else {
    for (const json& item : *v) {
      if (item.is_string()) {
        prompts.emplace_back(item.get<std::string>());
      } else if (item.is_array()) {
        auto ids = read_ids(r, item, vocab_size);
        if (!ids) break;
        prompts.emplace_back(std::move(*ids));
      } else {
        r.fail("prompt", std::string(expected) + "; got " + describe(item) + " in the array.");
        break;
      }
    }
  }
  return prompts;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// A parsed value is copied and destroyed recursively, so a body of 100,000 '[' would overflow the
// stack: it is refused before parsing (util/json_depth.h).
constexpr size_t kMaxJsonDepth = 256;

ApiResult<nlohmann::json> parse_json_body(std::string_view body) {
  if (!is_valid_utf8(body)) return invalid_body("The request body is not valid UTF-8.");
  if (json_nesting_depth(body) > kMaxJsonDepth) {
    return invalid_body("The request body nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) +
                        " levels.");
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid_body("The request body is not valid JSON.");
  if (!parsed.is_object()) return invalid_body("The request body must be a JSON object.");
  return parsed;
}

ApiResult<ChatRequest> parse_chat_request(const nlohmann::json& body, int32_t vocab_size) {
  FieldReader r(body);
  ChatRequest request;
  const json* messages = r.get("messages");
  if (!messages) {
    r.fail("messages", "'messages' is required.");
  } else if (!messages->is_array() || messages->empty()) {
    r.fail("messages", "'messages' must be a non-empty array of messages, got " +
                           (messages->is_array() ? std::string("an empty array") : describe(*messages)) + ".");
  } else {
    request.messages = *messages;
  }
  request.common = read_common(r, vocab_size, /*chat=*/true);
  if (r.failed()) return r.error();
  return request;
}

ApiResult<CompletionRequest> parse_completion_request(const nlohmann::json& body, int32_t vocab_size) {
  FieldReader r(body);
  CompletionRequest request;
  request.prompts = read_prompts(r, vocab_size);
  request.common = read_common(r, vocab_size, /*chat=*/false);
  if (auto echo = r.boolean("echo"); echo && *echo) r.fail("echo", "'echo' is not supported.");
  if (auto suffix = r.string("suffix"); suffix && !suffix->empty()) r.fail("suffix", "'suffix' is not supported.");
  if (!r.failed() && request.prompts.size() * request.common.n > static_cast<size_t>(kMaxPromptsTimesN)) {
    r.fail("n", "At most " + std::to_string(kMaxPromptsTimesN) + " choices per request (prompts x n), got " +
                    std::to_string(request.prompts.size() * request.common.n) + ".");
  }
  if (r.failed()) return r.error();
  return request;
}

ApiResult<std::vector<GenerationRequest>> expand_requests(const CommonParams& params,
                                                          const std::vector<std::vector<int32_t>>& prompts,
                                                          const ExpandOptions& options) {
  std::vector<GenerationRequest> requests;
  requests.reserve(prompts.size() * params.n);
  const int64_t context = options.context_length;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int64_t prompt_len = static_cast<int64_t>(prompts[p].size());
    if (prompt_len >= context) {
      return context_length_exceeded(options.prompt_param, prompt_len, params.max_tokens.value_or(1), context);
    }
    int64_t max_tokens = 0;
    if (params.max_tokens) {
      max_tokens = *params.max_tokens;
      if (prompt_len + max_tokens > context) {
        return context_length_exceeded("max_tokens", prompt_len, max_tokens, context);
      }
    } else {
      max_tokens = std::min<int64_t>(context - prompt_len, options.default_max_tokens);
    }
    for (int32_t i = 0; i < params.n; ++i) {
      GenerationRequest g;
      g.request_id = options.request_id + "-" + std::to_string(p * params.n + i);
      g.prompt = prompts[p];
      g.sampling = params.sampling;
      // n choices of one prompt must differ: consecutive seeds from the given one, or from a
      // random base when none was given (a single choice keeps the engine's own default).
      if (params.sampling.seed) {
        g.sampling.seed = *params.sampling.seed + static_cast<uint64_t>(i);
      } else if (params.n > 1) {
        g.sampling.seed = options.random_seed + static_cast<uint64_t>(i);
      }
      g.max_tokens = static_cast<int32_t>(max_tokens);
      g.stop = params.stop;
      g.logprobs = params.logprobs;
      g.top_logprobs = params.top_logprobs;
      requests.push_back(std::move(g));
    }
  }
  return requests;
}

}  // namespace gemma3
