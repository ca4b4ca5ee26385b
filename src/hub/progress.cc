#include "hub/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace gemma3::hub {

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char text[32];
  if (u == 0) std::snprintf(text, sizeof text, "%.0f B", bytes);
  else std::snprintf(text, sizeof text, "%.1f %s", bytes, units[u]);
  return text;
}

std::string format_duration(double seconds) {
  if (seconds < 0) return "?";
  long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double bytes_per_second,
                                 int width) {
  std::string amounts = format_bytes(static_cast<double>(done));
  if (total >= 0) amounts += " / " + format_bytes(static_cast<double>(total));
  std::string tail = "  " + format_bytes(bytes_per_second) + "/s";
  if (total >= 0) {
    double left = bytes_per_second > 0 ? static_cast<double>(total - done) / bytes_per_second : -1;
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(total > 0 ? 100 * done / total : 100));
    amounts = std::string(pct) + "  " + amounts;
    tail += "  ETA " + format_duration(left);
  }
  std::string name = label.size() > 40 ? "..." + label.substr(label.size() - 37) : label;
  std::string line = name + "  " + amounts + tail;
  int bar = width - static_cast<int>(line.size()) - 4;
  if (total > 0 && bar >= 10) {
    bar = std::min(bar, 40);
    int filled = static_cast<int>(static_cast<double>(bar) * static_cast<double>(done) / static_cast<double>(total));
    filled = std::clamp(filled, 0, bar);
    std::string bar_text = " [" + std::string(filled, '=') + std::string(bar - filled, ' ') + "]";
    line = name + bar_text + " " + amounts + tail;
  }
  if (static_cast<int>(line.size()) > width && width > 0) line.resize(width);
  return line;
}

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, int64_t already, bool terminal)
    : label_(std::move(label)), total_(total), already_(already), done_(already), terminal_(terminal),
      start_(Clock::now()), last_draw_(start_) {
  if (!terminal_) {
    std::string size = total_ >= 0 ? format_bytes(static_cast<double>(total_)) : "unknown size";
    if (already_ > 0)
      std::fprintf(stderr, "downloading %s (%s), resuming at %s\n", label_.c_str(), size.c_str(),
                   format_bytes(static_cast<double>(already_)).c_str());
    else
      std::fprintf(stderr, "downloading %s (%s)\n", label_.c_str(), size.c_str());
  } else {
    draw(false);
  }
}

double Progress::rate() const {
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  return seconds > 0 ? static_cast<double>(done_ - already_) / seconds : 0.0;
}

void Progress::set_done(int64_t done) {
  done_ = done;
  auto now = Clock::now();
  auto since = now - last_draw_;
  if (terminal_ ? since < std::chrono::milliseconds(100) : since < std::chrono::seconds(10)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::draw(bool final_line) {
  if (terminal_) {
    int width = 100;
    struct winsize ws {};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col - 1;
    std::string line = format_progress_line(label_, done_, total_, rate(), width);
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final_line ? "\n" : "");
    drew_ = !final_line;
  } else if (!final_line) {
    std::fprintf(stderr, "  %s\n", format_progress_line(label_, done_, total_, rate(), 1000).c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (terminal_) {
    draw(true);
    return;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "downloaded %s: %s in %.1f s (%s/s)\n", label_.c_str(),
               format_bytes(static_cast<double>(done_ - already_)).c_str(), seconds, format_bytes(rate()).c_str());
}

void Progress::abandon() {
  if (terminal_ && drew_) std::fprintf(stderr, "\n");
  drew_ = false;
}

}  // namespace gemma3::hub
