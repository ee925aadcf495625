#pragma once
// `cimba bench`: the project's speed targets, each measured as a ratio against a baseline timed
// in the same run (the machines are noisy; absolute times are not comparable across runs), and
// its memory targets (a peak RSS against a fixed limit).
#include <functional>
#include <string>
#include <vector>

namespace cimba::sim {

/// What a measured (not timed) benchmark gives: its figure and a line saying what was measured.
struct BenchMeasurement {
  double figure = 0.0;
  std::string detail;
};

/// One benchmark: `setup` builds the inputs once; `baseline` and `subject` are timed alternately
/// (after a warm-up of each) and the ratio of their medians is compared with `target`. A benchmark
/// with `measure` instead (e.g. a peak memory) runs it once, whatever the repetitions, and
/// compares its figure with `target`.
struct Benchmark {
  std::string name;
  std::string description;
  std::string baseline_name, subject_name;
  double target = 1.0;  // pass when figure(median baseline, median subject) <= target
  bool target_is_minimum = false;  // true: pass when the figure is >= target (a speed-up)
  /// The reported figure from the two medians; default: subject / baseline.
  std::function<double(double baseline_s, double subject_s)> figure;
  std::string figure_name = "ratio";
  /// Builds state and returns the two timed callables.
  std::function<std::pair<std::function<void()>, std::function<void()>>()> setup;
  std::function<BenchMeasurement()> measure;
  /// What ran, printed after the figure (e.g. the kernel and its instruction set); optional.
  std::function<std::string()> note;
};

/// Every registered benchmark, in execution order.
const std::vector<Benchmark>& all_benchmarks();

struct BenchResult {
  std::string name;
  double baseline_median_s = 0.0, subject_median_s = 0.0;
  double ratio = 0.0;  // the benchmark's figure (see Benchmark::figure)
  double target = 0.0;
  int repetitions = 0;
  std::string detail;  // a measured benchmark's line (empty for timed ones)
  std::string note;    // Benchmark::note after the run
  bool target_is_minimum = false;
  bool pass() const { return target_is_minimum ? ratio >= target : ratio <= target; }
};

/// Runs one benchmark with `repetitions` timed pairs (a measured one: once).
BenchResult run_benchmark(const Benchmark& bench, int repetitions);

/// Entry point of `cimba bench [NAME...] [--repetitions N] [--list]`; returns the exit code
/// (0 when every ratio meets its target, 1 otherwise).
int bench_command(const std::vector<std::string>& args);

}  // namespace cimba::sim
