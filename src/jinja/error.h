// RenderError: how the evaluator reports a failure internally. It is thrown inside the engine and
// caught at Template::render, which turns it into a Result error (no exception leaves the module).
#pragma once

#include <string>
#include <utility>

namespace gemma3::jinja {

struct RenderError {
  enum class Source {
    kTemplate,        // undefined attribute, type error, unsupported operation, ...
    kRaiseException,  // the template called raise_exception(msg): `message` is msg exactly
    kLimit,           // a Limits bound was exceeded: the message names the limit
  };
  std::string message;
  Source source = Source::kTemplate;
  int line = 0;   // 1-based template line; 0 when not known yet (filled in by the evaluator)
};

[[noreturn]] inline void fail(std::string message) {
  throw RenderError{std::move(message), RenderError::Source::kTemplate, 0};
}

}  // namespace gemma3::jinja
