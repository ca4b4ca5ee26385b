// ThreadPool: the kernels' fork/join workers. One parallel region at a time; the calling thread
// takes part as thread 0, so a pool of n threads starts n - 1 workers.
//
// Why not OpenMP: libgomp's barrier spins for up to ~300k iterations before sleeping. On an idle
// machine that is fast, but when the cores are shared (other processes, a busy server) the
// spinning threads steal the cores the working thread needs, and decode fell from 45 to 1.4 tok/s
// under a load average of 10. Here a waiting worker spins only briefly (long enough to catch the
// next region of a forward pass, which follows within microseconds), then yields, then sleeps on a
// futex (std::atomic::wait).
//
// Thread-safety: run() may be called from any thread. When another thread is already inside run()
// (or a kernel calls run() from inside a region), the call runs its whole range on the caller
// instead of waiting, so concurrent callers never deadlock and results do not change (every
// kernel's output is independent of how its range is split).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace gemma3 {

class ThreadPool {
 public:
  // fn(context, thread_index, n_threads): thread_index in [0, n_threads).
  using RegionFn = void (*)(void* context, int thread_index, int n_threads);

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn on min(n_threads, size()) threads (the caller is thread 0) and returns when all are
  // done. n_threads <= 1 runs fn(context, 0, 1) on the caller.
  void run(int n_threads, RegionFn fn, void* context);

  // Convenience: f(thread_index, n_threads) for any callable.
  template <class F>
  void run(int n_threads, F&& f) {
    run(n_threads, [](void* c, int t, int n) { (*static_cast<F*>(c))(t, n); }, &f);
  }

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one region at a time; try_lock fails -> run on the caller

  // The current region, published by bumping epoch_ (release) and read after seeing it (acquire).
  RegionFn fn_ = nullptr;
  void* context_ = nullptr;
  int n_active_ = 0;
  std::atomic<uint32_t> epoch_{0};
  std::atomic<int> pending_{0};   // workers of the current region that have not finished
  std::atomic<bool> stop_{false};
};

// The process-wide pool sized by num_threads() (ops/parallel.h); resized on the next call after
// set_num_threads() changes the count.
ThreadPool& kernel_pool();

// Splits [0, n) into contiguous ranges, one per thread (at most n / min_per_thread threads), and
// calls f(begin, end) on each. Ranges are a pure function of (n, thread count).
template <class F>
void parallel_for(size_t n, size_t min_per_thread, F&& f);

}  // namespace gemma3

#include "ops/parallel.h"

namespace gemma3 {

template <class F>
void parallel_for(size_t n, size_t min_per_thread, F&& f) {
  if (n == 0) return;
  size_t threads = static_cast<size_t>(num_threads());
  if (min_per_thread > 0) threads = std::min(threads, std::max<size_t>(1, n / min_per_thread));
  if (threads <= 1) {
    f(size_t{0}, n);
    return;
  }
  kernel_pool().run(static_cast<int>(threads), [&](int t, int nt) {
    const size_t begin = n * static_cast<size_t>(t) / static_cast<size_t>(nt);
    const size_t end = n * static_cast<size_t>(t + 1) / static_cast<size_t>(nt);
    if (begin < end) f(begin, end);
  });
}

}  // namespace gemma3
