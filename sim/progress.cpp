#include "sim/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace cimba::sim {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::optional<double> progress_eta_seconds(std::int64_t done, std::int64_t total,
                                           double elapsed_s) {
  if (total <= 0 || done <= 0) return std::nullopt;
  if (done >= total) return 0.0;
  return elapsed_s * static_cast<double>(total - done) / static_cast<double>(done);
}

std::string format_duration(double seconds) {
  char buf[64];
  if (!(seconds >= 0.0)) seconds = 0.0;
  if (seconds < 10.0) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 60.0) {
    std::snprintf(buf, sizeof buf, "%.0f s", std::floor(seconds));
  } else if (seconds < 3600.0) {
    const long s = static_cast<long>(seconds);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    const long m = static_cast<long>(seconds / 60.0);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", m / 60, m % 60);
  }
  return buf;
}

std::string render_progress(const std::string& label, std::int64_t done, std::int64_t total,
                            double elapsed_s, int bar_width) {
  std::string s = label;
  if (total <= 0) return s + " ... " + format_duration(elapsed_s);
  const std::int64_t shown = std::min(std::max<std::int64_t>(done, 0), total);
  const int filled = static_cast<int>(static_cast<double>(bar_width) * static_cast<double>(shown) /
                                      static_cast<double>(total));
  s += " [" + std::string(static_cast<std::size_t>(filled), '#') +
       std::string(static_cast<std::size_t>(bar_width - filled), '-') + "] " +
       std::to_string(shown) + "/" + std::to_string(total);
  char pct[16];
  std::snprintf(pct, sizeof pct, " %3d%%", static_cast<int>(100 * shown / total));
  s += pct;
  s += "  " + format_duration(elapsed_s);
  if (const auto eta = progress_eta_seconds(shown, total, elapsed_s))
    s += shown < total ? ", ETA " + format_duration(*eta) : ", done";
  return s;
}

bool progress_enabled(bool quiet) { return !quiet && ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::ostream* out, ProgressClock clock, double redraw_s)
    : out_(out), clock_(std::move(clock)), redraw_s_(redraw_s) {
  if (out_ != nullptr && redraw_s_ > 0.0) thread_ = std::thread([this] { ticker(); });
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (active_ && out_ != nullptr) *out_ << "\n" << std::flush;
    active_ = false;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Progress::start(const std::string& label, std::int64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_ && out_ != nullptr) *out_ << "\n";
  label_ = label;
  total_ = total;
  done_ = 0;
  started_s_ = clock_();
  active_ = true;
  drawn_width_ = 0;
  draw_locked();
}

void Progress::advance(std::int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  draw_locked();
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_) return;
  if (total_ > 0) done_ = total_;
  draw_locked();
  if (out_ != nullptr) *out_ << "\n" << std::flush;
  active_ = false;
}

std::string Progress::line() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return render_progress(label_, done_, total_, clock_() - started_s_);
}

void Progress::draw_locked() {
  if (out_ == nullptr || !active_) return;
  const std::string text = render_progress(label_, done_, total_, clock_() - started_s_);
  // Carriage return, the line, and spaces over what is left of a longer previous line.
  *out_ << "\r" << text;
  if (drawn_width_ > text.size()) *out_ << std::string(drawn_width_ - text.size(), ' ');
  *out_ << std::flush;
  drawn_width_ = text.size();
}

void Progress::ticker() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::duration<double>(redraw_s_), [this] { return stop_; });
    if (!stop_) draw_locked();
  }
}

}  // namespace cimba::sim
