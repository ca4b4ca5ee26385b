// ThreadPool: the kernels' fork/join workers. One parallel region at a time; the calling thread
// takes part, so a pool of n threads starts n - 1 workers.
//
// A region is a number of chunks that threads claim one at a time from a shared counter. Why:
// - When the cores are shared (other processes, a busy server), a worker may not be running when
//   a region starts. With a static split the caller would wait for that worker's share; here the
//   caller simply claims the remaining chunks, and a worker that wakes late finds nothing to do.
//   The caller waits only for chunks already being worked on.
// - Uneven work (attention, whose cost grows with the position) balances itself.
// Results never depend on which thread runs a chunk: every kernel writes each output from one
// chunk, with arithmetic fixed by the chunk's content (see matmul.h's determinism contract).
//
// Why not OpenMP: libgomp's barrier spins for up to ~300k iterations before sleeping, and with a
// static split the whole region waits for its slowest thread. Under a load average of 10 decode
// fell from 45 to 1.4 tok/s. Here a waiting worker spins only briefly (long enough to catch the
// next region of a forward pass, which follows within microseconds), then yields, then sleeps on a
// futex (std::atomic::wait).
//
// Thread-safety: run_chunks() may be called from any thread. When another thread's region is
// running (or a kernel calls it from inside a chunk), the call runs all its chunks on the caller
// instead of waiting, so concurrent callers never deadlock and results do not change.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "ops/parallel.h"

namespace gemma3 {

class ThreadPool {
 public:
  using ChunkFn = void (*)(void* context, size_t chunk);

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(context, c) once for every c in [0, n_chunks), on at most max_threads threads (the
  // caller included), and returns when all calls have returned.
  void run_chunks(size_t n_chunks, int max_threads, ChunkFn fn, void* context);

  template <class F>
  void run_chunks(size_t n_chunks, int max_threads, F&& f) {
    run_chunks(n_chunks, max_threads, [](void* c, size_t i) { (*static_cast<std::remove_reference_t<F>*>(c))(i); },
               const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  void worker_loop(int index);
  void claim_and_run();

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one region at a time; try_lock fails -> run on the caller

  // The current region. Written by the caller only while no worker is inside a region
  // (in_region_ == 0, open_ == false), read by workers only after they entered and saw open_.
  std::atomic<ChunkFn> fn_{nullptr};
  std::atomic<void*> context_{nullptr};
  std::atomic<size_t> n_chunks_{0};
  std::atomic<int> max_threads_{0};
  std::atomic<size_t> next_chunk_{0};

  std::atomic<uint32_t> epoch_{0};  // bumped to wake the workers for a new region
  std::atomic<bool> open_{false};   // chunks of the current region may still be claimed
  std::atomic<int> in_region_{0};   // workers between "entered" and "left"
  std::atomic<bool> stop_{false};
};

// The process-wide pool sized by num_threads() (ops/parallel.h); resized on the next call after
// set_num_threads() changes the count (do that while no kernel is running).
ThreadPool& kernel_pool();

// Splits [0, n) into contiguous ranges of at least min_per_chunk items (a few per thread, so a
// late thread does not hold the others up) and calls f(begin, end) on each, in parallel. The
// ranges are a pure function of (n, min_per_chunk, thread count).
template <class F>
void parallel_for(size_t n, size_t min_per_chunk, F&& f) {
  if (n == 0) return;
  const size_t threads = static_cast<size_t>(num_threads());
  size_t chunks = std::min(threads * 4, std::max<size_t>(1, n / std::max<size_t>(1, min_per_chunk)));
  if (threads <= 1 || chunks <= 1) {
    f(size_t{0}, n);
    return;
  }
  kernel_pool().run_chunks(chunks, static_cast<int>(threads), [&](size_t c) {
    const size_t begin = n * c / chunks, end = n * (c + 1) / chunks;
    if (begin < end) f(begin, end);
  });
}

}  // namespace gemma3
