// The `format`s ajv-formats checks in full mode, as regular expressions written here from their
// definitions (RFC 3339 dates and times with ajv's day-of-month, leap-year and time-zone checks;
// RFC 3986 URIs; ajv's email, uuid, IPv4, IPv6 and hostname rules). Where ajv's check is not a regular language
// of reasonable size, the pattern is a documented SUBSET (never accepting what ajv rejects):
//   - time / date-time: a leap second (:60) is accepted only at 23:59:60 UTC written with a zero
//     offset (Z, +00, +00:00, +0000, -00...); ajv also accepts it at the equivalent local times.
//   - date-time: the date and time are separated by T or t; ajv also splits on whitespace, which
//     RFC 3339 and other validators (Python's jsonschema) reject, so a space is refused here.
//   - hostname: ajv bounds the whole name to 253 characters (a lookahead); here a name has at most
//     4 labels of up to 62 characters, or 8 of up to 30, 16 of up to 14, 32 of up to 6, 64 of up to
//     2, or 127 of 1 (each combination fits in 253).
#include "grammar/schema_lowering.h"

namespace gemma3::grammar {
namespace {

const std::string kLeapYear = "(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)";
const std::string kDate =
    "(?:\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))"
    "|" + kLeapYear + "-02-29)";
const std::string kOffset = "[+-](?:[01]\\d|2[0-3])(?::?[0-5]\\d)?";
const std::string kZeroOffset = "(?:z|[+-]00(?::?00)?)";
const std::string kClock = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?";
const std::string kLeapSecond = "23:59:60(?:\\.\\d+)?";

std::string time_pattern(bool zone_required) {
  const std::string q = zone_required ? "" : "?";
  return "(?:" + kClock + "(?:z|" + kOffset + ")" + q + "|" + kLeapSecond + kZeroOffset + q + ")";
}

const std::string kByte = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const std::string kIpv4 = "(?:" + kByte + "\\.){3}" + kByte;

// RFC 4291 text forms: eight groups, or "::" standing for one or more zero groups, with the last
// two groups optionally written as an IPv4 address.
std::string ipv6_pattern() {
  const std::string h = "[0-9a-f]{1,4}";
  std::string out = "(?:(?:" + h + ":){7}" + h + "|(?:" + h + ":){6}" + kIpv4;
  for (int left = 0; left <= 7; ++left) {
    const std::string l = left == 0 ? "" : "(?:" + h + ":){" + std::to_string(left - 1) + "}" + h;
    const int right_max = 7 - left;   // groups after "::"
    std::string r = right_max == 0 ? "" : "(?:" + h + "(?::" + h + "){0," + std::to_string(right_max - 1) + "})?";
    out += "|" + l + "::" + r;
    if (left <= 5) {
      const int before_v4 = 5 - left;   // groups between "::" and the IPv4 part
      out += "|" + l + "::(?:" + h + ":){0," + std::to_string(before_v4) + "}" + kIpv4;
    }
  }
  return out + ")";
}

std::string hostname_pattern() {
  std::string out = "(?:";
  const std::pair<int, int> shapes[] = {{4, 62}, {8, 30}, {16, 14}, {32, 6}, {64, 2}, {127, 1}};
  bool first = true;
  for (auto [labels, length] : shapes) {
    const std::string label = length == 1 ? "[a-z0-9]" : "[a-z0-9](?:[a-z0-9-]{0," + std::to_string(length - 2) + "}[a-z0-9])?";
    out += (first ? "" : "|") + label + "(?:\\." + label + "){0," + std::to_string(labels - 1) + "}\\.?";
    first = false;
  }
  return out + ")";
}

// RFC 3986 URIs with ajv's choices: a scheme is required, "//" or a single "/" may introduce the
// authority, IPv4 octets may have leading zeros, and the path after the scheme is never empty.
std::string uri_pattern() {
  const std::string pct = "%[0-9a-f]{2}";
  const std::string unreserved_sub = "a-z0-9\\-._~!$&'()*+,;=";
  const std::string pchar = "(?:[" + unreserved_sub + ":@]|" + pct + ")";
  const std::string octet = "(?:25[0-5]|2[0-4]\\d|[01]?\\d\\d?)";
  const std::string v4 = "(?:" + octet + "\\.){3}" + octet;
  const std::string h = "[0-9a-f]{1,4}";
  // RFC 3986's IPv6address: the last 32 bits as two groups or an IPv4 address.
  const std::string ls32 = "(?:" + h + ":" + h + "|" + v4 + ")";
  std::string v6 = "(?:(?:" + h + ":){6}" + ls32 + "|::(?:" + h + ":){5}" + ls32 + "|(?:" + h + ")?::(?:" + h + ":){4}" + ls32;
  for (int k = 1; k <= 4; ++k) {
    const int groups = 4 - k;   // explicit groups after "::" before ls32
    v6 += "|(?:(?:" + h + ":){0," + std::to_string(k) + "}" + h + ")?::" +
          (groups > 0 ? "(?:" + h + ":){" + std::to_string(groups) + "}" : "") + ls32;
  }
  v6 += "|(?:(?:" + h + ":){0,5}" + h + ")?::" + h + "|(?:(?:" + h + ":){0,6}" + h + ")?::)";
  const std::string ip_literal = "\\[(?:" + v6 + "|v[0-9a-f]+\\.[" + unreserved_sub + ":]+)\\]";
  const std::string host = "(?:" + ip_literal + "|" + v4 + "|(?:[" + unreserved_sub + "]|" + pct + ")*)";
  const std::string userinfo = "(?:(?:[" + unreserved_sub + ":]|" + pct + ")*@)?";
  const std::string segment = pchar + "*", segment_nz = pchar + "+";
  const std::string hier = "(?:/?/" + userinfo + host + "(?::\\d*)?(?:/" + segment + ")*" + "|/(?:" + segment_nz + "(?:/" + segment +
                           ")*)?|" + segment_nz + "(?:/" + segment + ")*)";
  const std::string tail = "(?:\\?(?:[" + unreserved_sub + ":@/?]|" + pct + ")*)?(?:#(?:[" + unreserved_sub + ":@/?]|" + pct + ")*)?";
  return "[a-z][a-z0-9+\\-.]*:" + hier + tail;
}

const std::string kEmailLocal = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
const std::string kEmailLabel = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";

// ECMAScript \s: the separator ajv's date-time splits on, besides t.
const std::string kSpace = "[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]";

}  // namespace

Result<std::optional<FormatPattern>> format_pattern(const std::string& format) {
  using P = std::optional<FormatPattern>;
  if (format == "date") return P(FormatPattern{kDate, false});
  if (format == "time") return P(FormatPattern{time_pattern(true), true});
  if (format == "iso-time") return P(FormatPattern{time_pattern(false), true});
  if (format == "date-time") return P(FormatPattern{kDate + "t" + time_pattern(true), true});
  if (format == "iso-date-time") return P(FormatPattern{kDate + "(?:t|" + kSpace + ")" + time_pattern(false), true});
  if (format == "email") {
    return P(FormatPattern{kEmailLocal + "(?:\\." + kEmailLocal + ")*@(?:" + kEmailLabel + "\\.)+" + kEmailLabel, true});
  }
  if (format == "uuid") return P(FormatPattern{"(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", true});
  if (format == "ipv4") return P(FormatPattern{kIpv4, false});
  if (format == "ipv6") return P(FormatPattern{ipv6_pattern(), true});
  if (format == "hostname") return P(FormatPattern{hostname_pattern(), true});
  if (format == "uri") return P(FormatPattern{uri_pattern(), true});
  if (format == "json-pointer") return P(FormatPattern{"(?:/(?:[^~/]|~0|~1)*)*", false});
  if (format == "relative-json-pointer") return P(FormatPattern{"(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)", false});
  // Formats ajv-formats checks, and those of the JSON Schema specification (a validator with a
  // format checker asserts them), that have no pattern here.
  for (const char* refused : {"uri-reference", "uri-template", "url", "duration", "regex", "byte",
                              "json-pointer-uri-fragment", "iri", "iri-reference", "idn-email", "idn-hostname"}) {
    if (format == refused) return make_error("format '" + format + "' is not supported");
  }
  // password, binary, the numeric formats (int32 ... for numbers only) and unknown formats assert
  // nothing about strings.
  return P();
}

}  // namespace gemma3::grammar
