#include "jinja/template.h"

#include "jinja/interp.h"
#include "jinja/parser.h"

namespace gemma3::jinja {

Result<Template> Template::parse(std::string_view source) {
  auto root = parse_template(source);
  if (!root) return std::move(root).take_error();
  return Template(std::shared_ptr<const Node>(std::move(*root)));
}

Result<RenderOutput> Template::render(const std::map<std::string, Value>& globals, const Limits& limits,
                                      RenderFailure* failure) const {
  Interp interp(globals, limits);
  try {
    Text text = interp.render(*root_);
    return RenderOutput{std::move(text.s), std::move(text.untrusted)};
  } catch (const RenderError& e) {
    int line = e.line ? e.line : interp.current_line;
    std::string message = e.source == RenderError::Source::kRaiseException
                              ? e.message
                              : "line " + std::to_string(line) + ": " + e.message;
    if (failure) {
      failure->kind = e.source == RenderError::Source::kRaiseException ? RenderFailure::Kind::kRaiseException
                      : e.source == RenderError::Source::kLimit        ? RenderFailure::Kind::kLimit
                                                                       : RenderFailure::Kind::kTemplate;
      failure->message = message;
      failure->line = line;
    }
    return make_error(std::move(message));
  }
}

}  // namespace gemma3::jinja
