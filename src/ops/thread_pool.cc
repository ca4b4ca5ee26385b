#include "ops/thread_pool.h"

#include <immintrin.h>

#include <memory>

namespace gemma3 {

namespace {

// ~20-40 µs of pause instructions: the gap between two regions of one forward pass (a norm, a
// residual add) is shorter, so a worker usually catches the next region without sleeping.
constexpr int kSpinIterations = 4000;
constexpr int kYieldIterations = 16;

// Waits until `value` differs from `old`: spin, then yield, then futex.
template <class T>
T wait_for_change(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpinIterations; ++i) {
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    _mm_pause();
  }
  for (int i = 0; i < kYieldIterations; ++i) {
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    std::this_thread::yield();
  }
  for (;;) {
    value.wait(old, std::memory_order_acquire);
    T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

thread_local bool t_inside_region = false;

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run(int n_threads, RegionFn fn, void* context) {
  n_threads = std::min(n_threads, size());
  if (n_threads <= 1 || t_inside_region) {
    fn(context, 0, 1);
    return;
  }
  std::unique_lock<std::mutex> lock(run_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread's region is running: do ours alone
    fn(context, 0, 1);
    return;
  }
  fn_ = fn;
  context_ = context;
  n_active_ = n_threads;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
  epoch_.notify_all();

  t_inside_region = true;
  fn(context, 0, n_threads);
  t_inside_region = false;

  for (int left = pending_.load(std::memory_order_acquire); left != 0;) left = wait_for_change(pending_, left);
}

void ThreadPool::worker_loop(int index) {
  t_inside_region = true;  // a kernel called from a worker never re-enters the pool
  // Not epoch_.load(): the first region may be published before this thread gets here, and it
  // must still be run. A new pool's epoch starts at 0.
  uint32_t seen = 0;
  for (;;) {
    seen = wait_for_change(epoch_, seen);
    if (stop_.load(std::memory_order_relaxed)) return;
    if (index < n_active_) fn_(context_, index, n_active_);
    // Every worker acknowledges every region (idle ones too), so the caller can reuse fn_ and
    // context_ as soon as pending_ reaches zero.
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

ThreadPool& kernel_pool() {
  static std::mutex mutex;
  static std::unique_ptr<ThreadPool> pool;
  const int wanted = num_threads();
  std::lock_guard<std::mutex> lock(mutex);
  if (!pool || pool->size() != wanted) pool = std::make_unique<ThreadPool>(wanted);
  return *pool;
}

}  // namespace gemma3
