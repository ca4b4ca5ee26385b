#include "util/args.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace gemma3 {

Args& Args::option(const std::string& long_name, const std::string& short_name, const std::string& help,
                   std::optional<std::string> default_value) {
  specs_.push_back({long_name, short_name, help, false, std::move(default_value)});
  return *this;
}

Args& Args::flag(const std::string& long_name, const std::string& help) {
  specs_.push_back({long_name, "", help, true, std::nullopt});
  return *this;
}

const Args::Spec* Args::find(const std::string& token) const {
  for (const auto& s : specs_) {
    if (token == "--" + s.long_name || (!s.short_name.empty() && token == "-" + s.short_name)) return &s;
  }
  return nullptr;
}

Status Args::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string token = argv[i];
    if (token == "-h" || token == "--help") {
      help_ = true;
      continue;
    }
    if (token.size() > 1 && token[0] == '-' && !(token.size() > 1 && std::isdigit(static_cast<unsigned char>(token[1])))) {
      std::string value;
      bool has_inline = false;
      if (auto eq = token.find('='); token.rfind("--", 0) == 0 && eq != std::string::npos) {
        value = token.substr(eq + 1);
        token = token.substr(0, eq);
        has_inline = true;
      }
      const Spec* spec = find(token);
      if (spec == nullptr) return make_error(program_ + ": unknown option " + token + "\n" + usage());
      if (spec->is_flag) {
        if (has_inline) return make_error(program_ + ": option " + token + " takes no value");
        values_[spec->long_name] = "1";
        continue;
      }
      if (!has_inline) {
        if (i + 1 >= argc) return make_error(program_ + ": option " + token + " needs a value");
        value = argv[++i];
      }
      values_[spec->long_name] = value;
      continue;
    }
    positional_.push_back(token);
  }
  return ok_status();
}

std::string Args::usage() const {
  std::ostringstream out;
  out << "usage: gemma3 " << program_ << " [options]\n" << summary_ << "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string names = (s.short_name.empty() ? "    " : "-" + s.short_name + ", ") + "--" + s.long_name;
    if (!s.is_flag) names += " VALUE";
    out << "  " << names;
    for (size_t pad = names.size(); pad < 28; ++pad) out << ' ';
    out << ' ' << s.help;
    if (s.default_value) out << " (default " << *s.default_value << ")";
    out << "\n";
  }
  return out.str();
}

bool Args::has(const std::string& long_name) const { return values_.count(long_name) > 0; }

std::string Args::get(const std::string& long_name) const {
  if (auto it = values_.find(long_name); it != values_.end()) return it->second;
  for (const auto& s : specs_) {
    if (s.long_name == long_name && s.default_value) return *s.default_value;
  }
  return "";
}

bool Args::is_set(const std::string& flag_name) const { return values_.count(flag_name) > 0; }

Result<long long> Args::get_int(const std::string& long_name) const {
  std::string text = get(long_name);
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return make_error(program_ + ": --" + long_name + " expects an integer, got '" + text + "'");
  return value;
}

Result<double> Args::get_double(const std::string& long_name) const {
  std::string text = get(long_name);
  try {
    size_t used = 0;
    double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    return make_error(program_ + ": --" + long_name + " expects a number, got '" + text + "'");
  }
}

}  // namespace gemma3
