// The pure parts of src/hub: repo ids, URLs, tokens, the cache layout, file selection, progress
// text. The network side is tested end to end against a fake Hub (tests/hub/pull_test.py).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hub/digest.h"
#include "hub/hub_cache.h"
#include "hub/hub_config.h"
#include "hub/http_client.h"
#include "hub/progress.h"
#include "hub/pull.h"
#include "model/model_locator.h"

namespace gemma3::hub {
namespace {
namespace fs = std::filesystem;

// A temporary folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/hub_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

// Sets an environment variable for one scope, restoring the old value.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(const std::string& n, const std::optional<std::string>& value) : name(n) {
    if (const char* v = std::getenv(n.c_str())) old = v;
    if (value) ::setenv(n.c_str(), value->c_str(), 1);
    else ::unsetenv(n.c_str());
  }
  ~ScopedEnv() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(HubConfig, RepoIds) {
  EXPECT_TRUE(check_repo_id("google/gemma-3-270m-it"));
  EXPECT_TRUE(check_repo_id("gpt2"));
  EXPECT_TRUE(check_repo_id("a_b/c.d"));
  for (const char* bad : {"", "a/b/c", "a//b", "/a", "a/", "a--b/c", "a/b..c", "-a/b", "a/b.", "a b/c", "a/b?c"}) {
    auto s = check_repo_id(bad);
    EXPECT_FALSE(s) << bad;
    if (!s) {
      EXPECT_NE(s.error().find("not a Hugging Face repo id"), std::string::npos) << s.error();
    }
  }
  EXPECT_FALSE(check_repo_id(std::string(97, 'a')));
}

TEST(HubConfig, Urls) {
  EXPECT_EQ(model_info_url("https://h.co", "org/m", "main"), "https://h.co/api/models/org/m/revision/main");
  EXPECT_EQ(model_info_url("https://h.co", "org/m", "refs/pr/1"), "https://h.co/api/models/org/m/revision/refs%2Fpr%2F1");
  EXPECT_EQ(resolve_url("https://h.co", "org/m", "v1.0", "sub dir/a+b.json"),
            "https://h.co/org/m/resolve/v1.0/sub%20dir/a%2Bb.json");
  EXPECT_EQ(url_origin("HTTP://Host:8080/a/b?c"), "http://host:8080");
  EXPECT_EQ(url_origin("https://cdn.example/x"), "https://cdn.example");
  EXPECT_EQ(resolve_location("http://h:1/a/resolve/main/f", "/b/resolve/main/f"), "http://h:1/b/resolve/main/f");
  EXPECT_EQ(resolve_location("http://h:1/a/f", "https://cdn/x"), "https://cdn/x");
  EXPECT_TRUE(is_commit_hash(std::string(40, 'a')));
  EXPECT_FALSE(is_commit_hash("main"));
  EXPECT_FALSE(is_commit_hash(std::string(40, 'A')));
}

TEST(HubConfig, EndpointFromEnvironment) {
  {
    ScopedEnv e("HF_ENDPOINT", std::nullopt);
    EXPECT_EQ(hub_endpoint(), "https://huggingface.co");
  }
  ScopedEnv e("HF_ENDPOINT", "http://mirror.local:8080//");
  EXPECT_EQ(hub_endpoint(), "http://mirror.local:8080");
}

TEST(HubConfig, TokenPrecedence) {
  TempDir tmp;
  ScopedEnv home("HOME", tmp.path.string());
  ScopedEnv hf_home("HF_HOME", (tmp.path / "hf").string());
  ScopedEnv token_path("HF_TOKEN_PATH", std::nullopt);
  ScopedEnv token("HF_TOKEN", std::nullopt);
  ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  EXPECT_TRUE(find_token().empty());

  write(tmp.path / ".cache/huggingface/token", "hf_user\n");
  EXPECT_TRUE(find_token().empty()) << "HF_HOME is set: ~/.cache/huggingface/token is not its token file";
  {
    ScopedEnv no_hf_home("HF_HOME", std::nullopt);
    EXPECT_EQ(find_token().value, "hf_user");
    write(tmp.path / "xdg/huggingface/token", "hf_xdg");
    ScopedEnv xdg_set("XDG_CACHE_HOME", (tmp.path / "xdg").string());
    EXPECT_EQ(find_token().value, "hf_xdg");
  }
  write(tmp.path / "hf/token", "  hf_home_token \n");
  EXPECT_EQ(find_token().value, "hf_home_token");
  EXPECT_EQ(find_token().source, (tmp.path / "hf/token").string());
  write(tmp.path / "explicit", "hf_path\n");
  {
    ScopedEnv p("HF_TOKEN_PATH", (tmp.path / "explicit").string());
    EXPECT_EQ(find_token().value, "hf_path");
    ScopedEnv t("HF_TOKEN", "hf_env");
    EXPECT_EQ(find_token().value, "hf_env");
    EXPECT_EQ(find_token().source, "HF_TOKEN");
  }
}

// The cache folder is model/model_locator's, shared with `-m` and the default model search.
TEST(HubCache, CacheRootPrecedence) {
  ScopedEnv home("HOME", "/home/u");
  ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  ScopedEnv hf_home("HF_HOME", std::nullopt);
  ScopedEnv hub_cache("HF_HUB_CACHE", std::nullopt);
  EXPECT_EQ(huggingface_hub_cache(), fs::path("/home/u/.cache/huggingface/hub"));
  ScopedEnv xdg_set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(huggingface_hub_cache(), fs::path("/xdg/huggingface/hub"));
  ScopedEnv hf_home_set("HF_HOME", "/hf");
  EXPECT_EQ(huggingface_hub_cache(), fs::path("/hf/hub"));
  ScopedEnv hub_cache_set("HF_HUB_CACHE", "/cache");
  EXPECT_EQ(huggingface_hub_cache(), fs::path("/cache"));
}

TEST(HubCache, LayoutNamesAndEtags) {
  EXPECT_EQ(repo_folder_name("google/gemma-3-270m-it"), "models--google--gemma-3-270m-it");
  EXPECT_EQ(normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("abc"), "abc");
  RepoCache cache("/c/hub", "o/n");
  EXPECT_EQ(cache.blob_path("e1"), fs::path("/c/hub/models--o--n/blobs/e1"));
  EXPECT_EQ(cache.incomplete_path("e1"), fs::path("/c/hub/models--o--n/blobs/e1.incomplete"));
  EXPECT_EQ(cache.lock_path("e1"), fs::path("/c/hub/.locks/models--o--n/e1.lock"));
}

TEST(HubCache, LinksRefsAndSnapshots) {
  TempDir tmp;
  RepoCache cache(tmp.path, "o/n");
  const std::string commit(40, 'c');
  write(cache.blob_path("e1"), "{}");
  write(cache.blob_path("e2"), "weights");
  EXPECT_FALSE(cache.find_snapshot("main"));
  ASSERT_TRUE(cache.link_snapshot_file(commit, "config.json", "e1"));
  ASSERT_TRUE(cache.link_snapshot_file(commit, "sub/w.bin", "e2"));
  EXPECT_EQ(fs::read_symlink(cache.snapshot_dir(commit) / "config.json"), fs::path("../../blobs/e1"));
  EXPECT_EQ(fs::read_symlink(cache.snapshot_dir(commit) / "sub/w.bin"), fs::path("../../../blobs/e2"));
  EXPECT_TRUE(cache.snapshot_has(commit, "config.json", "e1"));
  EXPECT_FALSE(cache.snapshot_has(commit, "config.json", "e2"));
  // Relinking replaces the old link.
  ASSERT_TRUE(cache.link_snapshot_file(commit, "config.json", "e2"));
  EXPECT_TRUE(cache.snapshot_has(commit, "config.json", "e2"));

  EXPECT_FALSE(cache.find_snapshot("main")) << "no ref yet";
  EXPECT_EQ(cache.find_snapshot(commit), cache.snapshot_dir(commit));
  ASSERT_TRUE(cache.write_ref("main", commit));
  std::ifstream ref(cache.dir() / "refs/main");
  std::string text((std::istreambuf_iterator<char>(ref)), {});
  EXPECT_EQ(text, commit);
  EXPECT_EQ(cache.read_ref("main"), commit);
  EXPECT_EQ(cache.find_snapshot("main"), cache.snapshot_dir(commit));
  EXPECT_FALSE(cache.find_snapshot("v2"));
  // A snapshot without config.json is not a checkpoint.
  const std::string other(40, 'd');
  ASSERT_TRUE(cache.write_ref("dev", other));
  ASSERT_TRUE(cache.link_snapshot_file(other, "tokenizer.json", "e1"));
  EXPECT_FALSE(cache.find_snapshot("dev"));
}

TEST(Pull, SelectsCheckpointFiles) {
  std::vector<std::string> repo = {".gitattributes", "README.md", "config.json", "generation_config.json",
                                   "model.safetensors", "tokenizer.json", "tokenizer.model", "tokenizer_config.json",
                                   "special_tokens_map.json", "added_tokens.json", "onnx/model.onnx"};
  auto files = select_checkpoint_files(repo);
  ASSERT_TRUE(files) << files.error();
  std::vector<std::string> want = {"config.json", "tokenizer.json", "generation_config.json", "tokenizer_config.json",
                                   "special_tokens_map.json", "tokenizer.model", "model.safetensors"};
  EXPECT_EQ(*files, want);

  auto sharded = select_checkpoint_files({"config.json", "tokenizer.json", "model.safetensors.index.json", "a.safetensors"});
  ASSERT_TRUE(sharded);
  EXPECT_EQ(sharded->back(), "model.safetensors.index.json");

  auto no_config = select_checkpoint_files({"tokenizer.json", "model.safetensors"});
  ASSERT_FALSE(no_config);
  EXPECT_NE(no_config.error().find("no config.json"), std::string::npos);
  auto no_weights = select_checkpoint_files({"config.json", "tokenizer.json", "pytorch_model.bin"});
  ASSERT_FALSE(no_weights);
  EXPECT_NE(no_weights.error().find("model.safetensors"), std::string::npos);
}

TEST(Pull, ShardsFromIndex) {
  std::vector<std::string> repo = {"m-1.safetensors", "m-2.safetensors"};
  auto shards = shards_from_index(R"({"weight_map": {"a": "m-2.safetensors", "b": "m-1.safetensors", "c": "m-2.safetensors"}})",
                                  "index", repo);
  ASSERT_TRUE(shards) << shards.error();
  EXPECT_EQ(shards->size(), 2u);

  auto missing = shards_from_index(R"({"weight_map": {"a": "m-3.safetensors"}})", "index", repo);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("m-3.safetensors, which the repository does not have"), std::string::npos);
  auto escape = shards_from_index(R"({"weight_map": {"a": "../../etc/passwd"}})", "index", repo);
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().find("outside the repository"), std::string::npos);
  EXPECT_FALSE(shards_from_index("not json", "index", repo));
  EXPECT_FALSE(shards_from_index(R"({"weight_map": {}})", "index", repo));
  EXPECT_FALSE(shards_from_index(R"({"weight_map": {"a": 3}})", "index", repo));
}

TEST(Digest, Sha256KnownAnswers) {
  Sha256 h;
  EXPECT_EQ(h.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.reset();
  h.update("ab", 2);
  h.update("c", 1);  // streaming: the same as one update of "abc"
  EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Progress, Formatting) {
  EXPECT_EQ(format_bytes(17), "17 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(512.0 * 1024 * 1024), "512.0 MiB");
  EXPECT_EQ(format_duration(9), "0:09");
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "?");

  std::string line = format_progress_line("model.safetensors", 256 << 20, 512 << 20, 64 << 20, 100);
  EXPECT_LE(line.size(), 100u);
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("256.0 MiB / 512.0 MiB"), std::string::npos) << line;
  EXPECT_NE(line.find("64.0 MiB/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:04"), std::string::npos) << line;
  EXPECT_NE(line.find("[====="), std::string::npos) << line;

  std::string unknown = format_progress_line("f", 100, -1, 10, 100);
  EXPECT_EQ(unknown.find('%'), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find("ETA"), std::string::npos) << unknown;
  EXPECT_LE(format_progress_line("a-very-long-file-name-for-a-shard-00001-of-00009.safetensors", 1, 2, 1, 40).size(), 40u);
}

}  // namespace
}  // namespace gemma3::hub
