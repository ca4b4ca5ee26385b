#include "server/generation_session.h"

#include <algorithm>

namespace gemma3 {

namespace {

ApiError stream_ended_early() {
  ApiError e = internal_error("The generation ended before finishing (the server is shutting down).");
  e.status = 503;
  e.type = "service_unavailable";
  e.code = "shutting_down";
  return e;
}

}  // namespace

GenerationSession::GenerationSession(SessionOptions options, std::vector<std::unique_ptr<TokenStream>> streams)
    : options_(std::move(options)) {
  choices_.resize(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    choices_[i].stream = std::move(streams[i]);
    if (options_.make_tool_parser) choices_[i].tool_parser = options_.make_tool_parser();
  }
  options_.prompt_tokens.resize(choices_.size(), 0);
  if (options_.n < 1) options_.n = 1;
}

GenerationSession::~GenerationSession() { cancel(); }

ApiError GenerationSession::ended_early_error() { return stream_ended_early(); }

void GenerationSession::cancel() {
  for (Choice& c : choices_) {
    if (!c.finished && c.stream) c.stream->cancel();
  }
}

const char* GenerationSession::object_name() const {
  return options_.kind == ApiKind::kChat ? "chat.completion.chunk" : "text_completion";
}

Usage GenerationSession::usage() const {
  Usage u;
  for (size_t i = 0; i < choices_.size(); ++i) {
    u.completion_tokens += choices_[i].completion_tokens;
    // n choices share one prompt: count it (and its cache hits) once, as OpenAI does.
    if (i % static_cast<size_t>(options_.n) == 0) {
      u.prompt_tokens += options_.prompt_tokens[i];
      u.cached_tokens += choices_[i].cached_prompt_tokens;
    }
  }
  return u;
}

void GenerationSession::note_first_token(const OutputDelta& delta) {
  if (ttft_ms_ || (delta.completion_tokens == 0 && delta.text.empty())) return;
  ttft_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - options_.start).count();
}

// Calls are ids "call_" + 24 hex digits, unique within the response (and, being random, beyond).
void GenerationSession::parse_tool_calls(Choice& c, OutputDelta& delta, std::vector<ToolCallOutput>* calls) {
  std::vector<toolcall::ParserEvent> events;
  c.tool_parser->feed(delta.text, events);
  // A truncated output (max_tokens) never yields a half call: the parser drops it.
  if (delta.finish) c.tool_parser->finish(*delta.finish == FinishReason::kLength, events);
  delta.text.clear();
  for (toolcall::ParserEvent& e : events) {
    if (e.kind == toolcall::ParserEvent::Kind::kContent) {
      delta.text += e.content;
    } else {
      calls->push_back({make_response_id("call_"), std::move(e.call.name), std::move(e.call.arguments_json)});
    }
  }
}

// OpenAI streams a call as a first fragment (id, type, name) and the arguments in pieces; clients
// concatenate them. Pieces end on UTF-8 character boundaries, so each is valid JSON string text.
void GenerationSession::stream_tool_call(int32_t index, int32_t tool_index, const ToolCallOutput& call, std::string* out) {
  constexpr size_t kPiece = 48;
  const bool usage_null = options_.include_usage;
  *out += sse_event(chat_tool_call_chunk(options_.meta, index, tool_index, &call, "", usage_null));
  const std::string& args = call.arguments;
  for (size_t begin = 0; begin < args.size();) {
    size_t end = std::min(args.size(), begin + kPiece);
    while (end < args.size() && (static_cast<unsigned char>(args[end]) & 0xC0) == 0x80) ++end;
    *out += sse_event(chat_tool_call_chunk(options_.meta, index, tool_index, nullptr,
                                           std::string_view(args).substr(begin, end - begin), usage_null));
    begin = end;
  }
}

void GenerationSession::apply(int32_t index, OutputDelta& delta, std::string* out) {
  Choice& c = choices_[index];
  note_first_token(delta);
  c.completion_tokens = delta.completion_tokens;
  c.cached_prompt_tokens = delta.cached_prompt_tokens;
  const bool usage_null = options_.include_usage;
  std::vector<ToolCallOutput> new_calls;
  if (c.tool_parser) parse_tool_calls(c, delta, &new_calls);
  if (out) {
    if (!delta.text.empty() || !delta.logprobs.empty()) {
      ChoiceOutput piece;
      piece.index = index;
      piece.text = std::move(delta.text);
      piece.logprobs = std::move(delta.logprobs);
      piece.text_offset = c.text_bytes;
      c.text_bytes += static_cast<int32_t>(piece.text.size());
      *out += sse_event(options_.kind == ApiKind::kChat
                            ? chat_delta_chunk(options_.meta, piece, options_.logprobs, usage_null)
                            : text_delta_chunk(options_.meta, piece, options_.logprobs, usage_null));
    }
    for (const ToolCallOutput& call : new_calls) {
      stream_tool_call(index, static_cast<int32_t>(c.tool_calls.size()), call, out);
      c.tool_calls.push_back({call.id, call.name, {}});   // counted; the arguments are sent
    }
    if (delta.finish) {
      *out += sse_event(options_.kind == ApiKind::kChat
                            ? chat_finish_chunk(options_.meta, index, *delta.finish, usage_null, !c.tool_calls.empty())
                            : text_finish_chunk(options_.meta, index, *delta.finish, usage_null));
    }
  } else {
    c.text += delta.text;
    for (TokenLogprobInfo& t : delta.logprobs) c.logprobs.push_back(std::move(t));
    for (ToolCallOutput& call : new_calls) c.tool_calls.push_back(std::move(call));
  }
  if (delta.finish) {
    c.finished = true;
    c.finish = delta.finish;
  }
}

ApiResult<nlohmann::json> GenerationSession::collect() {
  // The engine runs every choice concurrently; reading them one after another costs nothing
  // because undelivered deltas are merged in the handle.
  for (size_t i = 0; i < choices_.size(); ++i) {
    Choice& c = choices_[i];
    while (!c.finished) {
      OutputDelta delta;
      bool timed_out = false;
      if (c.stream->next(&delta, std::chrono::milliseconds(1000), &timed_out)) {
        apply(static_cast<int32_t>(i), delta, nullptr);
      } else if (!timed_out) {
        cancel();
        return stream_ended_early();
      }
    }
  }
  complete_ = true;
  return build_response();
}

std::optional<ApiResult<nlohmann::json>> GenerationSession::try_collect() {
  for (size_t i = 0; i < choices_.size(); ++i) {
    Choice& c = choices_[i];
    while (!c.finished) {
      OutputDelta delta;
      bool timed_out = false;
      if (c.stream->next(&delta, std::chrono::milliseconds(0), &timed_out)) {
        apply(static_cast<int32_t>(i), delta, nullptr);
      } else if (timed_out) {
        break;
      } else {
        cancel();
        return ApiResult<nlohmann::json>(stream_ended_early());
      }
    }
  }
  for (const Choice& c : choices_) {
    if (!c.finished) return std::nullopt;
  }
  complete_ = true;
  return ApiResult<nlohmann::json>(build_response());
}

bool GenerationSession::set_notify(const std::function<void()>& notify) {
  bool all = true;
  for (Choice& c : choices_) {
    if (c.stream && !c.stream->set_notify(notify)) all = false;
  }
  return all;
}

std::string GenerationSession::abort_stream() {
  if (ended_) return "";
  cancel();
  ended_ = true;
  std::string out = failure_event();
  out += kSseDone;
  return out;
}

nlohmann::json GenerationSession::build_response() {
  std::vector<ChoiceOutput> outputs(choices_.size());
  for (size_t i = 0; i < choices_.size(); ++i) {
    outputs[i].index = static_cast<int32_t>(i);
    outputs[i].text = std::move(choices_[i].text);
    outputs[i].logprobs = std::move(choices_[i].logprobs);
    outputs[i].finish = choices_[i].finish;
    outputs[i].tool_calls = std::move(choices_[i].tool_calls);
  }
  return options_.kind == ApiKind::kChat ? chat_completion_json(options_.meta, outputs, options_.logprobs, usage())
                                         : text_completion_json(options_.meta, outputs, options_.logprobs, usage());
}

std::string GenerationSession::failure_event() const { return sse_event(stream_ended_early().to_json()); }

bool GenerationSession::pump(std::string* out, std::chrono::milliseconds wait) {
  if (ended_) return false;
  if (!started_) {
    started_ = true;
    if (options_.kind == ApiKind::kChat) {
      for (size_t i = 0; i < choices_.size(); ++i) {
        *out += sse_event(chat_role_chunk(options_.meta, static_cast<int32_t>(i), options_.include_usage));
      }
    }
    return true;
  }
  // Take whatever every choice has ready without waiting; if nobody had anything, block on one
  // unfinished choice (rotating, so n > 1 streams all make progress).
  bool progressed = false, failed = false;
  for (size_t i = 0; i < choices_.size() && !failed; ++i) {
    Choice& c = choices_[i];
    if (c.finished) continue;
    OutputDelta delta;
    bool timed_out = false;
    if (c.stream->next(&delta, std::chrono::milliseconds(0), &timed_out)) {
      apply(static_cast<int32_t>(i), delta, out);
      progressed = true;
    } else if (!timed_out) {
      failed = true;
    }
  }
  if (!progressed && !failed) {
    size_t n = choices_.size();
    for (size_t k = 0; k < n; ++k) {
      size_t i = (rotate_ + k) % n;
      if (choices_[i].finished) continue;
      rotate_ = i + 1;
      const auto slice = n > 1 ? std::min(wait, std::chrono::milliseconds(10)) : wait;
      OutputDelta delta;
      bool timed_out = false;
      if (choices_[i].stream->next(&delta, slice, &timed_out)) {
        apply(static_cast<int32_t>(i), delta, out);
      } else if (!timed_out) {
        failed = true;
      }
      break;
    }
  }
  if (failed) {
    cancel();
    *out += failure_event();
    *out += kSseDone;
    ended_ = true;
    return false;
  }
  for (const Choice& c : choices_) {
    if (!c.finished) return true;
  }
  complete_ = true;
  if (options_.include_usage) *out += sse_event(usage_chunk(options_.meta, object_name(), usage()));
  *out += kSseDone;
  ended_ = true;
  return false;
}

}  // namespace gemma3
