// Python's json.dumps, as the corpora write their instances: json.dumps(v) uses ", " and ": " and
// escapes non-ASCII as \uXXXX; separators=(",", ":") is the compact form. Shared by the acceptance
// tests and bench/grammar/schema_corpus.
#pragma once

#include <charconv>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace gemma3::grammar::testing {

// Python's repr of a float: shortest round-trip digits, fixed notation for decimal exponents
// -4..15, else d.ddde+XX with at least two exponent digits.
inline std::string python_float(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, end);
  const size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp = std::stoi(sci.substr(e + 1));
  const bool neg = mant[0] == '-';
  if (neg) mant = mant.substr(1);
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out = digits + std::string(static_cast<size_t>(exp + 1) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exp + 1)) + "." + digits.substr(static_cast<size_t>(exp + 1));
    }
  } else {
    out = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" + (exp < 0 ? "-" : "+") +
          (std::abs(exp) < 10 ? "0" : "") + std::to_string(std::abs(exp));
  }
  return (neg ? "-" : "") + out;
}

// pretty: ", " / ": " separators (json.dumps default), else compact; ensure_ascii: \uXXXX escapes.
inline std::string python_dumps(const nlohmann::ordered_json& v, bool pretty = true, bool ensure_ascii = true) {
  using J = nlohmann::ordered_json;
  switch (v.type()) {
    case J::value_t::object: {
      std::string s = "{";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        if (!first) s += pretty ? ", " : ",";
        first = false;
        s += python_dumps(J(k), pretty, ensure_ascii) + (pretty ? ": " : ":") + python_dumps(x, pretty, ensure_ascii);
      }
      return s + "}";
    }
    case J::value_t::array: {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? (pretty ? ", " : ",") : "") + python_dumps(v[i], pretty, ensure_ascii);
      return s + "]";
    }
    case J::value_t::number_float: return python_float(v.get<double>());
    case J::value_t::string: return ensure_ascii ? v.dump(-1, ' ', true) : v.dump();
    default: return v.dump();
  }
}

}  // namespace gemma3::grammar::testing
