// ResponseStore: count, byte and age bounds, LRU order, erase, and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/responses/response_store.h"

namespace gemma3 {
namespace {

using nlohmann::ordered_json;
using Clock = ResponseStore::Clock;

struct FakeClock {
  Clock::time_point now{};
  std::function<Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

ordered_json conversation(const std::string& text) {
  return ordered_json::array({{{"role", "user"}, {"content", text}}});
}

TEST(ResponseStore, KeepsAndReturnsEntries) {
  ResponseStore store(ResponseStoreLimits{});
  EXPECT_TRUE(store.put("resp_1", {{"id", "resp_1"}}, conversation("a")));
  auto e = store.get("resp_1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->response["id"], "resp_1");
  EXPECT_EQ(e->conversation, conversation("a"));
  EXPECT_GT(e->bytes, 0u);
  EXPECT_EQ(store.bytes(), e->bytes);
  EXPECT_EQ(store.get("resp_2"), nullptr);
  // Replacing an id keeps one entry.
  EXPECT_TRUE(store.put("resp_1", {{"id", "resp_1"}, {"v", 2}}, conversation("b")));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.get("resp_1")->response["v"], 2);
  EXPECT_TRUE(store.erase("resp_1"));
  EXPECT_FALSE(store.erase("resp_1"));
  EXPECT_EQ(store.get("resp_1"), nullptr);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(ResponseStore, CountBoundEvictsLeastRecentlyUsed) {
  ResponseStoreLimits limits;
  limits.max_count = 3;
  ResponseStore store(limits);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store.put(id, ordered_json::object(), conversation(id)));
  ASSERT_NE(store.get("a"), nullptr);   // a is now the most recently used
  ASSERT_TRUE(store.put("d", ordered_json::object(), conversation("d")));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.get("b"), nullptr);
  EXPECT_NE(store.get("a"), nullptr);
  EXPECT_NE(store.get("c"), nullptr);
  EXPECT_NE(store.get("d"), nullptr);

  limits.max_count = 0;
  ResponseStore none(limits);
  EXPECT_FALSE(none.put("a", ordered_json::object(), conversation("a")));
  EXPECT_EQ(none.size(), 0u);
}

TEST(ResponseStore, ByteBound) {
  ResponseStoreLimits limits;
  limits.max_bytes = 300;
  ResponseStore store(limits);
  const std::string big(100, 'x');
  ASSERT_TRUE(store.put("a", ordered_json::object(), conversation(big)));
  ASSERT_TRUE(store.put("b", ordered_json::object(), conversation(big)));
  const size_t one = store.get("a")->bytes;
  ASSERT_LT(2 * one, 300u);
  ASSERT_GT(3 * one, 300u);
  ASSERT_TRUE(store.put("c", ordered_json::object(), conversation(big)));
  EXPECT_LE(store.bytes(), 300u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.get("b"), nullptr);   // a was used after b
  // An entry larger than the whole budget is refused and evicts nothing.
  EXPECT_FALSE(store.put("huge", ordered_json::object(), conversation(std::string(400, 'y'))));
  EXPECT_EQ(store.size(), 2u);
}

TEST(ResponseStore, EntriesExpire) {
  FakeClock clock;
  ResponseStoreLimits limits;
  limits.ttl = std::chrono::seconds(60);
  ResponseStore store(limits, clock.fn());
  ASSERT_TRUE(store.put("a", ordered_json::object(), conversation("a")));
  clock.now += std::chrono::seconds(30);
  ASSERT_TRUE(store.put("b", ordered_json::object(), conversation("b")));
  clock.now += std::chrono::seconds(29);
  EXPECT_NE(store.get("a"), nullptr);   // reading does not extend the age
  clock.now += std::chrono::seconds(1);
  EXPECT_EQ(store.get("a"), nullptr);
  EXPECT_NE(store.get("b"), nullptr);
  clock.now += std::chrono::seconds(30);
  EXPECT_FALSE(store.erase("b"));   // expired: reads as absent
  ASSERT_TRUE(store.put("c", ordered_json::object(), conversation("c")));
  EXPECT_EQ(store.size(), 1u);
}

TEST(ResponseStore, ConcurrentPutsGetsAndErases) {
  ResponseStoreLimits limits;
  limits.max_count = 50;
  ResponseStore store(limits);
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string id = "r" + std::to_string((t * 7 + i) % 80);
        store.put(id, {{"id", id}}, conversation(id));
        if (auto e = store.get("r" + std::to_string(i % 80))) found += e->response["id"] == e->id;
        if (i % 9 == 0) store.erase("r" + std::to_string((i + t) % 80));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(store.size(), 50u);
  EXPECT_GT(found.load(), 0);
}

}  // namespace
}  // namespace gemma3
