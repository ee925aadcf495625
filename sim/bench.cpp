#include "sim/bench.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "workloads/mamba1/hw_bench.hpp"
#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/rng.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace po = boost::program_options;

namespace {

double seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Gaussian matrix from the counter-based generator (deterministic inputs for every run).
nm::MatrixF random_matrix(std::int64_t rows, std::int64_t cols, double sigma, std::uint64_t key) {
  nm::MatrixF m(rows, cols);
  for (std::int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(sigma * nm::normal_at(key, static_cast<std::uint64_t>(i)));
  return m;
}

// The mamba-130m in_proj shape: N=1024 tokens, K=768, M=3072.
constexpr std::int64_t kBenchN = 1024, kBenchK = 768, kBenchM = 3072;

// "kernel avx512_vnni" (the slice-product kernel a layer runs).
std::string kernel_note(const nm::BitSerialLinear& layer) {
  return std::string("kernel ") + nm::to_string(layer.kernel());
}

// A bit-serial linear on the mamba-130m in_proj shape against the same product as one plain
// Eigen float GEMM, in the same run, single thread. Weight programming (quantizing, slicing and
// packing W) is done once in setup, as in a replay.
Benchmark bitserial_vs_gemm(std::string name, std::string description, double target,
                            nm::BitSerialConfig cfg) {
  Benchmark b;
  b.name = std::move(name);
  b.description = std::move(description);
  b.baseline_name = "eigen float GEMM";
  b.subject_name = "bitserial_linear";
  b.target = target;
  cfg.threads = 1;
  auto note = std::make_shared<std::string>();
  b.setup = [cfg, note] {
    auto X = std::make_shared<nm::MatrixF>(random_matrix(kBenchN, kBenchK, 1.0, 1));
    auto W = std::make_shared<nm::MatrixF>(random_matrix(kBenchM, kBenchK, 0.02, 2));
    auto layer = std::make_shared<nm::BitSerialLinear>(*W, cfg);
    *note = kernel_note(*layer);
    auto Y_gemm = std::make_shared<nm::MatrixF>(kBenchN, kBenchM);
    auto Y_cim = std::make_shared<nm::MatrixF>(kBenchN, kBenchM);
    std::function<void()> baseline = [X, W, Y_gemm] { Y_gemm->noalias() = *X * W->transpose(); };
    std::function<void()> subject = [X, layer, Y_cim] { layer->forward_into(*X, nullptr, *Y_cim); };
    return std::make_pair(baseline, subject);
  };
  b.note = [note] { return *note; };
  return b;
}

// The CrossSim comparison (issue 14): INT8 input in 1-bit two's-complement planes (8 slices, the
// top one signed), one INT8 analog weight, an 8-bit dynamic ADC per (plane, 256-row tile).
nm::BitSerialConfig one_bit_config() {
  nm::BitSerialConfig cfg;
  cfg.w_bits = 8;
  cfg.a_bits = 8;
  cfg.slice_bits = 1;
  cfg.overlap_bits = 0;
  cfg.adc.bits = 8;
  cfg.adc.range = nm::AdcRange::Dynamic;
  cfg.rows_per_adc = 256;
  return cfg;
}

// Target 5: twice as fast as CrossSim's 0.54 s on this shape (one float GEMM: ~51 ms).
Benchmark bitserial_1b_benchmark() {
  return bitserial_vs_gemm("bitserial-1b",
                           "bit-serial CIM linear, mamba-130m in_proj shape, INT8 input in 1-bit "
                           "two's-complement planes (8 slice products), INT8 weight, 8-bit dynamic "
                           "ADC, 256 rows/ADC, vs one Eigen float GEMM",
                           5.0, one_bit_config());
}

// Threads inside one forward: bitserial-1b with 2 threads (subject) against 1 (baseline);
// figure: the speed-up t(1) / t(2), target >= 1.7 on a 2-core machine.
Benchmark bitserial_threads_benchmark() {
  Benchmark b;
  b.name = "bitserial-threads";
  b.description = "speed-up of bitserial-1b with threads = 2 over threads = 1 (same results)";
  b.baseline_name = "threads = 1";
  b.subject_name = "threads = 2";
  b.target = 1.7;
  b.target_is_minimum = true;
  b.figure = [](double base, double subj) { return base / subj; };
  b.figure_name = "speed-up";
  auto note = std::make_shared<std::string>();
  b.setup = [note] {
    nm::BitSerialConfig cfg = one_bit_config();
    auto X = std::make_shared<nm::MatrixF>(random_matrix(kBenchN, kBenchK, 1.0, 1));
    auto W = std::make_shared<nm::MatrixF>(random_matrix(kBenchM, kBenchK, 0.02, 2));
    cfg.threads = 1;
    auto one = std::make_shared<nm::BitSerialLinear>(*W, cfg);
    cfg.threads = 2;
    auto two = std::make_shared<nm::BitSerialLinear>(*W, cfg);
    *note = kernel_note(*two);
    auto Y1 = std::make_shared<nm::MatrixF>(kBenchN, kBenchM);
    auto Y2 = std::make_shared<nm::MatrixF>(kBenchN, kBenchM);
    std::function<void()> baseline = [X, one, Y1] { one->forward_into(*X, nullptr, *Y1); };
    std::function<void()> subject = [X, two, Y2] { two->forward_into(*X, nullptr, *Y2); };
    return std::make_pair(baseline, subject);
  };
  b.note = [note] { return *note; };
  return b;
}

// W8A12, two overlapped 8-bit slices, 10-bit dynamic ADC, 256 rows per ADC. Target 1.0 (issue
// 14): the two integer slice products, quantize, slice, ADC and shift-add within one float GEMM.
Benchmark bitserial_benchmark() {
  nm::BitSerialConfig cfg;
  cfg.w_bits = 8;
  cfg.a_bits = 12;
  cfg.slice_bits = 8;
  cfg.overlap_bits = 4;
  cfg.adc.bits = 10;
  cfg.adc.range = nm::AdcRange::Dynamic;
  cfg.rows_per_adc = 256;
  return bitserial_vs_gemm("bitserial",
                           "bit-serial CIM linear, mamba-130m in_proj (1024x768 -> 3072), W8A12, "
                           "2 slices, 10-bit dynamic ADC, 256 rows/ADC, vs one Eigen float GEMM",
                           1.0, cfg);
}

// NeuroSim / ISAAC-style macro on the same shape: INT8 input in 1-bit sign-magnitude planes (7
// slices, NUMERICS.md 2.7), 8-bit weights in four 2-bit offset digit columns (2.8), each of the
// 7 x 4 = 28 slice products converted per 256-row tile by an 8-bit dynamic ADC. Target 7 (issue
// 14): four integer slice products per float GEMM.
Benchmark bitserial_sliced_benchmark() {
  nm::BitSerialConfig cfg;
  cfg.w_bits = 8;
  cfg.a_bits = 8;
  cfg.slice_bits = 1;
  cfg.overlap_bits = 0;
  cfg.input_encoding = nm::InputEncoding::SignMagnitude;
  cfg.weight_slice_bits = 2;
  cfg.weight_encoding = nm::WeightEncoding::Offset;
  cfg.adc.bits = 8;
  cfg.adc.range = nm::AdcRange::Dynamic;
  cfg.rows_per_adc = 256;
  return bitserial_vs_gemm("bitserial-sliced",
                           "bit-serial CIM linear, mamba-130m in_proj shape, INT8 input as 1-bit "
                           "sign-magnitude planes x 2-bit offset weight columns (28 slice "
                           "products), 8-bit dynamic ADC, 256 rows/ADC, vs one Eigen float GEMM",
                           7.0, cfg);
}

// One mamba-130m-shaped Mamba1 layer (d_model 768, d_inner 1536, d_state 16, dt_rank 48,
// L = 1024, random weights) played through the full SystemC hardware model (subject) and through
// the functional path alone (baseline: the same numerics calls in program order, no SystemC).
// Figure: the SystemC overhead as a fraction of the hardware run's wall time,
// (t_hw - t_functional) / t_hw; target 0.10.
Benchmark hw_benchmark() {
  Benchmark b;
  b.name = "hw";
  b.description =
      "mamba-130m-shaped layer (L=1024) through the SystemC hardware model vs the "
      "functional path alone; figure: SystemC overhead fraction of wall time";
  b.baseline_name = "functional path";
  b.subject_name = "hardware model";
  b.target = 0.10;
  b.figure = [](double base, double subj) { return (subj - base) / subj; };
  b.setup = [] {
    auto bench = std::make_shared<hw::HwBench>(hw::make_mamba1_hw_bench());
    std::function<void()> baseline = [bench] { bench->run_functional(); };
    std::function<void()> subject = [bench] { bench->run_hardware(); };
    return std::make_pair(baseline, subject);
  };
  return b;
}

// A fresh directory under the system's temp directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw IoError("bench: cannot create a temporary directory " + pattern + ": " +
                    std::strerror(errno));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The last `n` lines of a text file ("" when it cannot be read).
std::string last_lines(const std::string& path, std::size_t n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += "\n  " + lines[i];
  return out;
}

// Peak resident set size of a child process running this executable (/proc/self/exe) with
// `args`, its stdout and stderr in `log`. Throws IoError when it cannot be started, Error when it
// does not exit with 0 (the message ends with the log's last lines).
struct ChildPeak {
  std::int64_t max_rss_bytes = 0;
  double seconds = 0.0;
};

ChildPeak run_self_child(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> words{"cimba"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw IoError(std::string("bench: cannot start /proc/self/exe: ") + std::strerror(rc));
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0)
    if (errno != EINTR)
      throw IoError(std::string("bench: waiting for the child failed: ") + std::strerror(errno));
  ChildPeak peak;
  peak.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error("bench: the child `cimba " + args.front() + "` " +
                (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                   : "was killed by signal " + std::to_string(WTERMSIG(status))) +
                "; the end of its output:" + last_lines(log, 10));
  peak.max_rss_bytes = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
  return peak;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Peak memory of the accuracy + hardware run at a long window: `cimba run` of random:mamba-130m
// at L = 2048 (4 windows, calibration computed on 8 windows, the hardware layers and the
// quantized replay) in a child process, whose own peak RSS the kernel reports (wait4). Figure:
// peak RSS / 2 GiB, target 1.
Benchmark replay_rss_benchmark() {
  Benchmark b;
  b.name = "replay-rss";
  b.description =
      "memory: peak RSS of a child `cimba run` of random:mamba-130m at workload.mamba.window=2048 "
      "(calibration, hardware layers, quantized replay) / 2 GiB; runs once (about 9 min)";
  b.baseline_name = "limit 2 GiB";
  b.subject_name = "cimba run (child)";
  b.target = 1.0;
  b.measure = [] {
    const TempDir dir("cimba-bench-rss-");
    const std::string out = (dir.path() / "out").string();
    const std::string log = (dir.path() / "run.log").string();
    const ChildPeak peak =
        run_self_child({"run", "--quiet", "--set", "workload.mamba.model=random:mamba-130m",
                        "--set", "workload.mamba.window=2048", "--out", out},
                       log);
    char line[160];
    std::snprintf(line, sizeof line, "peak RSS %.1f MiB of `cimba run` (limit 2048 MiB), %.0f s",
                  static_cast<double>(peak.max_rss_bytes) / (1024.0 * 1024.0), peak.seconds);
    return BenchMeasurement{static_cast<double>(peak.max_rss_bytes) / (2.0 * kGiB), line};
  };
  return b;
}

}  // namespace

const std::vector<Benchmark>& all_benchmarks() {
  static const std::vector<Benchmark> benches = {
      bitserial_benchmark(),         bitserial_1b_benchmark(), bitserial_sliced_benchmark(),
      bitserial_threads_benchmark(), hw_benchmark(),           replay_rss_benchmark()};
  return benches;
}

BenchResult run_benchmark(const Benchmark& bench, int repetitions) {
  if (bench.measure) {  // measured once: a peak is not a noisy timing
    const BenchMeasurement m = bench.measure();
    BenchResult res;
    res.name = bench.name;
    res.repetitions = 1;
    res.ratio = m.figure;
    res.target = bench.target;
    res.detail = m.detail;
    return res;
  }
  auto [baseline, subject] = bench.setup();
  seconds(baseline);  // warm-up: caches, page faults, thread-local buffers
  seconds(subject);
  std::vector<double> tb, ts;
  for (int r = 0; r < repetitions; ++r) {  // interleaved, so load changes hit both alike
    tb.push_back(seconds(baseline));
    ts.push_back(seconds(subject));
  }
  BenchResult res;
  res.name = bench.name;
  res.repetitions = repetitions;
  res.baseline_median_s = median(tb);
  res.subject_median_s = median(ts);
  res.ratio = bench.figure ? bench.figure(res.baseline_median_s, res.subject_median_s)
                           : res.subject_median_s / res.baseline_median_s;
  res.target = bench.target;
  res.target_is_minimum = bench.target_is_minimum;
  if (bench.note) res.note = bench.note();
  return res;
}

int bench_command(const std::vector<std::string>& args) {
  po::options_description opts(
      "cimba bench [NAME...] [options]\n\n"
      "Runs the benchmarks (all, or the NAMEs given) and ends with one\n"
      "line per benchmark: 'bench <name>: ratio <x> (target <= <y>)', the\n"
      "ratio of median times of the subject and its baseline measured in the\n"
      "same run (a speed-up, baseline over subject, for bitserial-threads:\n"
      "target >= <y>), or for a memory benchmark (replay-rss, run once) the\n"
      "peak RSS over its limit; the bit-serial benchmarks end the line with\n"
      "the slice-product kernel that ran. Exit code 0 when every ratio meets\n"
      "its target.\n\nOptions");
  int repetitions = 7;
  opts.add_options()("help,h", "show this help")("list", "list the benchmarks and exit")(
      "repetitions,r", po::value<int>(&repetitions)->default_value(7),
      "timed baseline/subject pairs per benchmark (median taken), 1..1000");
  po::options_description hidden;
  hidden.add_options()("name", po::value<std::vector<std::string>>()->multitoken(), "");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("name", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(std::string("bench: ") + e.what() + " (see cimba bench --help)");
  }
  if (vm.count("help")) {
    std::cout << opts << "\nBenchmarks:\n";
    for (const auto& b : all_benchmarks())
      std::cout << "  " << b.name << ": " << b.description << "\n";
    return 0;
  }
  if (vm.count("list")) {
    for (const auto& b : all_benchmarks()) std::cout << b.name << "\t" << b.description << "\n";
    return 0;
  }
  if (repetitions < 1 || repetitions > 1000)
    throw ConfigError("bench: --repetitions must be in 1..1000, got " +
                      std::to_string(repetitions));
  std::vector<const Benchmark*> selected;
  if (vm.count("name")) {
    for (const auto& name : vm["name"].as<std::vector<std::string>>()) {
      auto it = std::find_if(all_benchmarks().begin(), all_benchmarks().end(),
                             [&](const Benchmark& b) { return b.name == name; });
      if (it == all_benchmarks().end()) {
        std::string known;
        for (const auto& b : all_benchmarks()) known += (known.empty() ? "" : ", ") + b.name;
        throw ConfigError("bench: unknown benchmark '" + name + "' (known: " + known + ")");
      }
      selected.push_back(&*it);
    }
  } else {
    for (const auto& b : all_benchmarks()) selected.push_back(&b);
  }
  std::vector<BenchResult> results;
  for (const Benchmark* b : selected) {
    const BenchResult r = run_benchmark(*b, repetitions);
    if (!r.detail.empty()) {
      std::printf("%-12s %s\n", r.name.c_str(), r.detail.c_str());
      std::fflush(stdout);
      results.push_back(r);
      continue;
    }
    std::printf("%-12s %-24s median %10.3f ms\n%-12s %-24s median %10.3f ms  (%d repetitions)\n",
                r.name.c_str(), b->baseline_name.c_str(), r.baseline_median_s * 1e3, "",
                b->subject_name.c_str(), r.subject_median_s * 1e3, r.repetitions);
    results.push_back(r);
  }
  bool ok = true;
  for (const auto& r : results) {
    std::printf("bench %s: ratio %.3f (target %s %g)%s%s\n", r.name.c_str(), r.ratio,
                r.target_is_minimum ? ">=" : "<=", r.target, r.note.empty() ? "" : ", ",
                r.note.c_str());
    ok = ok && r.pass();
  }
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace cimba::sim
