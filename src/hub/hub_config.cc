#include "hub/hub_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gemma3::hub {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

std::string hub_endpoint() {
  std::string endpoint = trim(env("HF_ENDPOINT"));
  if (endpoint.empty()) return kDefaultEndpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

HubToken find_token() {
  if (std::string t = trim(env("HF_TOKEN")); !t.empty()) return {t, "HF_TOKEN"};
  fs::path file;
  if (std::string p = env("HF_TOKEN_PATH"); !p.empty()) {
    file = p;
  } else if (std::string home = env("HF_HOME"); !home.empty()) {
    file = fs::path(home) / "token";
  } else if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) {
    file = fs::path(xdg) / "huggingface" / "token";  // huggingface_hub's HF_HOME default under XDG
  } else {
    std::string user_home = env("HOME");
    file = fs::path(user_home.empty() ? "/root" : user_home) / ".cache" / "huggingface" / "token";
  }
  std::ifstream in(file);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  std::string t = trim(text.str());
  if (t.empty()) return {};
  return {t, file.string()};
}

Status check_repo_id(const std::string& repo_id) {
  auto bad = [&](const std::string& why) {
    return make_error("'" + repo_id + "' is not a Hugging Face repo id (org/name): " + why);
  };
  if (repo_id.empty()) return bad("it is empty");
  if (repo_id.size() > 96) return bad("longer than 96 characters");
  if (std::count(repo_id.begin(), repo_id.end(), '/') > 1) return bad("more than one '/'");
  if (repo_id.find("--") != std::string::npos || repo_id.find("..") != std::string::npos)
    return bad("'--' and '..' are not allowed");
  std::stringstream parts(repo_id);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) return bad("an empty part around '/'");
    if (!std::all_of(part.begin(), part.end(), is_name_char))
      return bad("only letters, digits, '-', '_' and '.' are allowed");
    for (char edge : {part.front(), part.back()})
      if (edge == '-' || edge == '.') return bad("a part starts or ends with '-' or '.'");
  }
  if (repo_id.back() == '/') return bad("an empty part around '/'");
  return ok_status();
}

std::string url_quote(const std::string& text, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string model_info_url(const std::string& endpoint, const std::string& repo_id, const std::string& revision) {
  return endpoint + "/api/models/" + repo_id + "/revision/" + url_quote(revision, false);
}

std::string resolve_url(const std::string& endpoint, const std::string& repo_id, const std::string& revision,
                        const std::string& filename) {
  return endpoint + "/" + repo_id + "/resolve/" + url_quote(revision, false) + "/" + url_quote(filename, true);
}

std::string url_origin(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin = url.substr(0, host_end);
  std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char c) { return std::tolower(c); });
  return origin;
}

bool is_commit_hash(const std::string& revision) {
  return revision.size() == 40 &&
         std::all_of(revision.begin(), revision.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); });
}

}  // namespace gemma3::hub
