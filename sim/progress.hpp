#pragma once
// A progress line with an ETA on stderr for the long steps of a run (calibration, the replay of
// the windows, the layers on the hardware). It only draws when asked to (a terminal and not
// --quiet: see progress_enabled); it never touches results. The rendering and the ETA arithmetic
// are pure functions of (done, total, elapsed), tested with an injected clock.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

namespace cimba::sim {

/// Seconds since an arbitrary origin; monotonic.
using ProgressClock = std::function<double()>;
/// std::chrono::steady_clock in seconds.
double steady_seconds();

/// Remaining seconds if the remaining work goes at the rate of the work done so far:
/// elapsed x (total - done) / done. nullopt while nothing is done or the total is unknown (0).
std::optional<double> progress_eta_seconds(std::int64_t done, std::int64_t total, double elapsed_s);

/// "1.2 s", "42 s", "3 min 05 s", "1 h 02 min".
std::string format_duration(double seconds);

/// One progress line, e.g.
///   "hardware layers [##########----------] 2/4  50%  3.1 s, ETA 3.1 s"
/// and for an unknown total (0): "calibration (8 windows) ... 3.1 s".
std::string render_progress(const std::string& label, std::int64_t done, std::int64_t total,
                            double elapsed_s, int bar_width = 20);

/// Whether a run should draw progress: stderr is a terminal and the run is not quiet.
bool progress_enabled(bool quiet);

/// A progress line drawn on `out` (nullptr: draws nothing, every call is a no-op). A background
/// thread redraws the line every `redraw_s` seconds so that the elapsed time moves during a step
/// that cannot report its own progress; it stops in finish() and in the destructor.
class Progress {
 public:
  explicit Progress(std::ostream* out, ProgressClock clock = steady_seconds,
                    double redraw_s = 0.25);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Starts a step of `total` units (0: unknown), replacing the current line.
  void start(const std::string& label, std::int64_t total = 0);
  /// Marks `n` more units done and redraws.
  void advance(std::int64_t n = 1);
  /// Ends the step: draws its final line and moves to the next line.
  void finish();
  /// The current line (what the next draw writes).
  std::string line() const;

 private:
  void draw_locked();
  void ticker();

  std::ostream* out_;
  ProgressClock clock_;
  double redraw_s_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string label_;
  std::int64_t done_ = 0, total_ = 0;
  double started_s_ = 0.0;
  bool active_ = false, stop_ = false;
  std::size_t drawn_width_ = 0;
  std::thread thread_;
};

}  // namespace cimba::sim
