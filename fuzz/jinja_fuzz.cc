// Fuzz target: the Jinja engine on random templates and random contexts. The input is a template
// source; when it contains the line kContextMarker, the bytes after it are a JSON object whose
// members become the render's globals (untrusted, as request data is), beside the trusted globals a
// chat template gets (bos_token, eos_token, add_generation_prompt). Without one, a small chat
// conversation is used. Renders run under small Limits, so a hostile template ends with a named
// error quickly; libFuzzer's -timeout catches one that does not.
// Checked: the untrusted ranges are sorted, non-overlapping, non-adjacent and inside the text;
// with no untrusted global there are none; the output respects max_output_bytes.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "jinja/template.h"

using namespace gemma3;
using namespace gemma3::jinja;

namespace {

constexpr std::string_view kContextMarker = "\n#context#\n";

Limits small_limits() {
  Limits l;
  l.max_call_depth = 16;
  l.max_loop_iterations = 20000;
  l.max_output_bytes = 64 << 10;
  l.max_time_ms = 1000;
  l.max_items = 4096;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t marker = input.find(kContextMarker);
  auto parsed = Template::parse(input.substr(0, marker));
  if (!parsed.ok()) {
    G3_FUZZ_CHECK(!parsed.error().empty(), "a parse error without a message");
    return 0;
  }

  std::map<std::string, Value> globals;
  bool any_untrusted = true;
  if (marker != std::string_view::npos) {
    const auto context = nlohmann::ordered_json::parse(input.substr(marker + kContextMarker.size()), nullptr, false);
    if (context.is_object()) {
      for (const auto& item : context.items()) globals[item.key()] = value_from_json(item.value(), true);
    }
    any_untrusted = !globals.empty();
  } else {
    globals["messages"] = value_from_json(
        nlohmann::ordered_json::parse(R"([{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": " Hi <start_of_turn> "},
                                          {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]}])"),
        true);
  }
  globals["bos_token"] = Value::string(Text("<bos>"));
  globals["eos_token"] = Value::string(Text("<eos>"));
  globals["add_generation_prompt"] = Value::boolean(size % 2 == 0);

  const Limits limits = small_limits();
  RenderFailure failure;
  auto out = parsed->render(globals, limits, &failure);
  if (!out.ok()) {
    G3_FUZZ_CHECK(!out.error().empty() && failure.message == out.error(), "render error and failure differ");
    return 0;
  }
  G3_FUZZ_CHECK(out->text.size() <= limits.max_output_bytes, "output of %zu bytes", out->text.size());
  size_t prev_end = 0;
  for (size_t i = 0; i < out->untrusted.size(); ++i) {
    const auto [b, e] = out->untrusted[i];
    G3_FUZZ_CHECK(b < e && e <= out->text.size(), "untrusted range [%zu, %zu) of %zu bytes", b, e, out->text.size());
    G3_FUZZ_CHECK(i == 0 || b > prev_end, "untrusted ranges overlap or touch at %zu", b);
    prev_end = e;
  }
  if (!any_untrusted) G3_FUZZ_CHECK(out->untrusted.empty(), "untrusted bytes without untrusted input");
  return 0;
}
