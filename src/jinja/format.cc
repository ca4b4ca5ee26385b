// Python string formatting: printf-style `fmt % args` (and the `format` filter) and str.format().
// Provenance: the format string's literal bytes keep theirs, each substituted value keeps its own
// (a string argument's bytes), padding is trusted.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "jinja/builtins.h"
#include "jinja/pystr.h"

namespace gemma3::jinja {
namespace {

struct Spec {
  char32_t fill = ' ';
  char align = 0;      // '<', '>', '^', '=' or 0 (default for the type)
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int64_t width = -1;
  int64_t precision = -1;
  bool comma = false;
  char type = 0;
};

std::string group_thousands(std::string digits) {
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    if ((n - i - 1) % 3 == 0 && i != n - 1) out.push_back(',');
  }
  return out;
}

// A number formatted by `spec` (the sign is handled here, padding by the caller).
std::string format_number(const Value& v, const Spec& spec, bool& negative) {
  char type = spec.type;
  if (v.is_int() || v.is_bool()) {
    int64_t i = v.as_int();
    if (type == 0 || type == 'd' || type == 'n') {
      negative = i < 0;
      uint64_t mag = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      std::string s = std::to_string(mag);
      return spec.comma ? group_thousands(s) : s;
    }
    if (type == 'x' || type == 'X' || type == 'o' || type == 'b') {
      negative = i < 0;
      uint64_t mag = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      std::string s;
      int base = type == 'o' ? 8 : type == 'b' ? 2 : 16;
      do {
        int d = static_cast<int>(mag % base);
        s.insert(s.begin(), static_cast<char>(d < 10 ? '0' + d : (type == 'X' ? 'A' : 'a') + d - 10));
        mag /= base;
      } while (mag);
      if (spec.alt) s = std::string("0") + (type == 'o' ? 'o' : type == 'b' ? 'b' : type) + s;
      return s;
    }
    if (type == 'c') return std::string(1, static_cast<char>(i));
  }
  if (!v.is_number()) fail("Unknown format code '" + std::string(1, type ? type : 's') + "' for object of type '" + v.type_name() + "'");
  if (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b' || type == 'c')
    fail("Unknown format code '" + std::string(1, type) + "' for object of type 'float'");
  double d = v.as_float();
  negative = std::signbit(d) && !std::isnan(d);
  double mag = std::fabs(d);
  if (type == 0 && spec.precision < 0) {
    std::string r = float_repr(mag);
    return r;
  }
  char t = type == 0 ? 'g' : type == '%' ? 'f' : type;
  if (type == '%') mag *= 100;
  int prec = spec.precision < 0 ? 6 : static_cast<int>(std::min<int64_t>(spec.precision, 300));
  char fmt[16];
  std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", spec.alt ? "#" : "", prec, t);
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, mag);
  std::string s = buf;
  if (spec.comma) {
    size_t dot = s.find_first_not_of("0123456789");
    s = group_thousands(s.substr(0, dot)) + (dot == std::string::npos ? "" : s.substr(dot));
  }
  if (type == '%') s += "%";
  return s;
}

// Applies width/fill/alignment: `body` keeps its provenance, padding is trusted.
Text pad(Interp& in, Text body, const Spec& spec, bool numeric, std::string sign_prefix) {
  int64_t len = static_cast<int64_t>(py::length(body.s) + sign_prefix.size());
  if (spec.width > len) in.check_string_size(body.s.size() + static_cast<size_t>(spec.width) * 4);
  char align = spec.align ? spec.align : (numeric ? '>' : '<');
  char32_t fill = spec.fill;
  if (spec.zero && !spec.align) {
    align = '=';
    fill = '0';
  }
  int64_t total = spec.width > len ? spec.width - len : 0;
  std::string fill_s;
  py::append_utf8(fill_s, fill);
  auto fills = [&](int64_t n) {
    std::string s;
    for (int64_t i = 0; i < n; ++i) s += fill_s;
    return s;
  };
  Text out;
  if (align == '=') {
    out.append(sign_prefix, false);
    out.append(fills(total), false);
    out.append(body);
    return out;
  }
  int64_t left = align == '>' ? total : align == '^' ? total / 2 : 0;
  out.append(fills(left), false);
  out.append(sign_prefix, false);
  out.append(body);
  out.append(fills(total - left), false);
  return out;
}

Text format_value(Interp& in, const Value& v, const Spec& spec) {
  bool stringy = spec.type == 's' || (spec.type == 0 && !v.is_number());
  if (stringy) {
    Text t = to_text(v);
    if (spec.precision >= 0) {
      auto offs = py::cp_offsets(t.s);
      if (static_cast<int64_t>(offs.size()) - 1 > spec.precision) t = t.slice(0, offs[spec.precision]);
    }
    return pad(in, std::move(t), spec, false, "");
  }
  bool negative = false;
  std::string body = format_number(v, spec, negative);
  std::string sign = negative ? "-" : spec.sign == '+' ? "+" : spec.sign == ' ' ? " " : "";
  return pad(in, Text(std::move(body)), spec, true, sign);
}

// Parses a format spec "[[fill]align][sign][#][0][width][,][.precision][type]".
Spec parse_spec(std::string_view s) {
  Spec spec;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (!s.empty()) {
    size_t j = 0;
    char32_t cp = py::next_cp(s, j);
    if (j < s.size() && is_align(s[j])) {
      spec.fill = cp;
      spec.align = s[j];
      i = j + 1;
    } else if (is_align(s[0])) {
      spec.align = s[0];
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) spec.sign = s[i++];
  if (i < s.size() && s[i] == '#') spec.alt = true, ++i;
  if (i < s.size() && s[i] == '0') spec.zero = true, ++i;
  auto number = [&]() {
    int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      n = n * 10 + (s[i++] - '0');
      if (n > 1'000'000'000) fail("format width or precision too large");
    }
    return n;
  };
  if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) spec.width = number();
  if (i < s.size() && s[i] == ',') spec.comma = true, ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) fail("Format specifier missing precision");
    spec.precision = number();
  }
  if (i < s.size()) spec.type = s[i++];
  if (i != s.size()) fail("Invalid format specifier '" + std::string(s) + "'");
  return spec;
}

}  // namespace

Text percent_format(Interp& in, const Value& fmt_v, const Value& args) {
  const Text& fmt = fmt_v.text();
  std::string_view f = fmt.s;
  std::vector<Value> positional;
  const Value* mapping = nullptr;
  if (args.is_list() && args.is_tuple()) {
    positional = args.items();
  } else if (args.is_dict()) {
    mapping = &args;
    positional = {args};
  } else {
    positional = {args};
  }
  size_t next = 0;
  bool used_mapping = false;
  Text out;
  size_t lit = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    out.append_slice(fmt, lit, i);
    ++i;
    if (i >= f.size()) fail("incomplete format");
    if (f[i] == '%') {
      out.append_slice(fmt, i, i + 1);
      lit = i + 1;
      continue;
    }
    const Value* arg = nullptr;
    Value keyed;
    if (f[i] == '(') {
      size_t close = f.find(')', i);
      if (close == std::string_view::npos) fail("incomplete format key");
      if (!mapping) fail("format requires a mapping");
      const Value* found = mapping->dict().find(f.substr(i + 1, close - i - 1));
      if (!found) fail("KeyError: '" + std::string(f.substr(i + 1, close - i - 1)) + "'");
      keyed = *found;
      arg = &keyed;
      used_mapping = true;
      i = close + 1;
    }
    Spec spec;
    spec.align = '>';
    for (; i < f.size() && std::string_view("-+ #0").find(f[i]) != std::string_view::npos; ++i) {
      if (f[i] == '-') spec.align = '<';
      else if (f[i] == '+') spec.sign = '+';
      else if (f[i] == ' ' && spec.sign != '+') spec.sign = ' ';
      else if (f[i] == '#') spec.alt = true;
      else spec.zero = true;
    }
    if (spec.zero && spec.align == '>') spec.align = 0;
    while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) {
      spec.width = std::max<int64_t>(spec.width, 0) * 10 + (f[i++] - '0');
      if (spec.width > 1'000'000'000) fail("format width too large");
    }
    if (i < f.size() && f[i] == '.') {
      ++i;
      spec.precision = 0;
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) {
        spec.precision = spec.precision * 10 + (f[i++] - '0');
        if (spec.precision > 1'000'000'000) fail("format precision too large");
      }
    }
    while (i < f.size() && (f[i] == 'l' || f[i] == 'h' || f[i] == 'L')) ++i;
    if (i >= f.size()) fail("incomplete format");
    char type = f[i];
    if (!arg) {
      if (next >= positional.size()) fail("not enough arguments for format string");
      arg = &positional[next++];
    }
    Value v = *arg;
    switch (type) {
      case 's': spec.type = 's'; break;
      case 'r':
      case 'a': v = Value::string(repr(v), v.any_untrusted()); spec.type = 's'; break;
      case 'd':
      case 'i':
      case 'u':
        if (v.is_float()) v = Value::integer(static_cast<int64_t>(v.as_float()));
        if (!v.is_number()) fail(std::string("%") + type + " format: a real number is required, not " + v.type_name());
        spec.type = 'd';
        break;
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
        if (!v.is_number()) fail("must be real number, not " + v.type_name());
        v = Value::floating(v.as_float());
        spec.type = type;
        break;
      case 'x': case 'X': case 'o':
        if (!(v.is_int() || v.is_bool())) fail(std::string("%") + type + " format: an integer is required, not " + v.type_name());
        spec.type = type;
        break;
      case 'c':
        if (v.is_string() && py::length(v.str()) == 1) {
          spec.type = 's';
        } else if (v.is_int()) {
          std::string s;
          py::append_utf8(s, static_cast<char32_t>(v.as_int()));
          v = Value::string(std::move(s));
          spec.type = 's';
        } else {
          fail("%c requires int or char");
        }
        break;
      default: fail(std::string("unsupported format character '") + type + "'");
    }
    if (spec.type == 's' && spec.align == 0) spec.align = '>';
    if (spec.type == 's') spec.zero = false;
    out.append(format_value(in, v, spec));
    in.check_string_size(out.s.size());
    lit = i + 1;
  }
  out.append_slice(fmt, lit, f.size());
  // Python only complains about unused arguments for a tuple or a scalar: a list (anything with
  // __getitem__ but a str) is accepted unused.
  bool lenient = args.is_list() && !args.is_tuple();
  if (!mapping && !lenient && next < positional.size()) fail("not all arguments converted during string formatting");
  (void)used_mapping;
  return out;
}

Text brace_format(Interp& in, const Value& fmt_v, const CallArgs& args) {
  const Text& fmt = fmt_v.text();
  std::string_view f = fmt.s;
  Text out;
  size_t auto_index = 0;
  size_t lit = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '}') {
      if (i + 1 < f.size() && f[i + 1] == '}') {
        out.append_slice(fmt, lit, i + 1);
        lit = ++i + 1;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (f[i] != '{') continue;
    if (i + 1 < f.size() && f[i + 1] == '{') {
      out.append_slice(fmt, lit, i + 1);
      lit = ++i + 1;
      continue;
    }
    out.append_slice(fmt, lit, i);
    size_t close = f.find('}', i);
    if (close == std::string_view::npos) fail("Single '{' encountered in format string");
    std::string_view field = f.substr(i + 1, close - i - 1);
    std::string_view spec_s, conv;
    if (size_t colon = field.find(':'); colon != std::string_view::npos) {
      spec_s = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (size_t bang = field.find('!'); bang != std::string_view::npos) {
      conv = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    // Field name: an index or keyword, then .attr / [key] parts.
    size_t end = field.find_first_of(".[");
    std::string_view head = field.substr(0, end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.pos.size()) fail("Replacement index " + std::to_string(auto_index) + " out of range for positional args tuple");
      v = args.pos[auto_index++];
    } else if (std::all_of(head.begin(), head.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      size_t k = std::stoul(std::string(head));
      if (k >= args.pos.size()) fail("Replacement index " + std::to_string(k) + " out of range for positional args tuple");
      v = args.pos[k];
    } else {
      auto it = std::find_if(args.kw.begin(), args.kw.end(), [&](const auto& kv) { return kv.first == head; });
      if (it == args.kw.end()) fail("KeyError: '" + std::string(head) + "'");
      v = it->second;
    }
    while (end != std::string_view::npos && end < field.size()) {
      if (field[end] == '.') {
        size_t nxt = field.find_first_of(".[", end + 1);
        v = in.get_attr(v, field.substr(end + 1, nxt == std::string_view::npos ? std::string_view::npos : nxt - end - 1));
        end = nxt;
      } else {
        size_t rb = field.find(']', end);
        if (rb == std::string_view::npos) fail("Missing ']' in format string");
        std::string_view key = field.substr(end + 1, rb - end - 1);
        bool digits = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
        v = in.get_item(v, digits ? Value::integer(std::stoll(std::string(key))) : Value::string(std::string(key)));
        end = rb + 1 < field.size() ? rb + 1 : std::string_view::npos;
      }
    }
    if (conv == "r" || conv == "a") {
      v = Value::string(repr(v), v.any_untrusted());
    } else if (conv == "s") {
      v = Value::string(to_text(v));
    } else if (!conv.empty()) {
      fail("Unknown conversion specifier " + std::string(conv));
    }
    out.append(format_value(in, v, parse_spec(spec_s)));
    in.check_string_size(out.s.size());
    lit = close + 1;
    i = close;
  }
  out.append_slice(fmt, lit, f.size());
  return out;
}

}  // namespace gemma3::jinja
