// jinja_render: renders one template with one JSON context through gemma3::jinja, for the
// corpus test against Python Jinja2 (tools/jinja_reference.py).
//
//   jinja_render TEMPLATE_FILE CONTEXT_JSON_FILE
//   jinja_render --batch JOBS_JSON_FILE
//
// A batch is [{"template": PATH, "context": {...}}, ...]; the answer on stdout is a JSON array
// with one {"text": ...} or {"error": ...} per job (templates are parsed once per path).
//
// The context object's entries become the template's globals; "messages", "tools" and
// "documents" are marked untrusted (request data), the rest (add_generation_prompt, *_token, ...)
// trusted. Prints the rendered text byte for byte on stdout and exits 0, or prints the error on
// stderr and exits 1.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jinja/template.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

gemma3::Result<std::string> render(const std::string& source, const nlohmann::ordered_json& ctx) {
  auto tmpl = gemma3::jinja::Template::parse(source);
  if (!tmpl) return gemma3::make_error("parse error: " + tmpl.error());
  std::map<std::string, gemma3::jinja::Value> globals;
  for (auto it = ctx.begin(); it != ctx.end(); ++it) {
    bool untrusted = it.key() == "messages" || it.key() == "tools" || it.key() == "documents";
    globals[it.key()] = gemma3::jinja::value_from_json(it.value(), untrusted);
  }
  auto out = tmpl->render(globals);
  if (!out) return gemma3::make_error("render error: " + out.error());
  return std::move(out->text);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--batch") {
    nlohmann::ordered_json jobs = nlohmann::ordered_json::parse(slurp(argv[2]));
    nlohmann::json answers = nlohmann::json::array();
    for (const auto& job : jobs) {
      auto r = render(slurp(job.at("template").get<std::string>()), job.at("context"));
      answers.push_back(r ? nlohmann::json{{"text", *r}} : nlohmann::json{{"error", r.error()}});
    }
    std::string out = answers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (argc != 3) {
    std::fprintf(stderr, "usage: jinja_render TEMPLATE_FILE CONTEXT_JSON_FILE | --batch JOBS_JSON_FILE\n");
    return 2;
  }
  auto r = render(slurp(argv[1]), nlohmann::ordered_json::parse(slurp(argv[2])));
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().c_str());
    return 1;
  }
  std::fwrite(r->data(), 1, r->size(), stdout);
  return 0;
}
