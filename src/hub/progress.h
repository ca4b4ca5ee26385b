// Download progress on stderr: a redrawn bar on a terminal (bytes, percent, rate, time left),
// plain lines otherwise (start, every 10 s, end), so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gemma3::hub {

// "1.5 GiB", "512.0 MiB", "12.0 KiB", "17 B".
std::string format_bytes(double bytes);
// "0:09", "12:34", "1:02:03"; "?" for negative (unknown).
std::string format_duration(double seconds);
// One bar line fitted to `width` columns. total < 0: unknown size (no percent or time left).
std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double bytes_per_second,
                                 int width);

class Progress {
 public:
  // `already`: bytes present before this run (a resumed download); the rate counts only new ones.
  Progress(std::string label, int64_t total, int64_t already, bool terminal);
  ~Progress() { abandon(); }  // an error return never leaves a half-drawn bar line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void set_done(int64_t done);  // cheap: redraws at most 10 times a second
  void finish();                // the final line
  void abandon();               // ends a bar line before an error message

  static bool stderr_is_terminal();

 private:
  using Clock = std::chrono::steady_clock;
  double rate() const;
  void draw(bool final_line);

  std::string label_;
  int64_t total_, already_, done_;
  bool terminal_;
  Clock::time_point start_, last_draw_;
  bool drew_ = false;
};

}  // namespace gemma3::hub
