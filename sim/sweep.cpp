// `cimba sweep`: validation of every point, then one child process per point.
#include "sim/sweep.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/atomic_file.hpp"
#include "sim/config.hpp"
#include "sim/sweep_calibration.hpp"
#include "sim/sweep_results.hpp"
#include "sim/sweep_spec.hpp"

extern char** environ;

namespace cimba::sim {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

/// One point to run now.
struct Job {
  const SweepPoint* point = nullptr;
  fs::path dir;
  std::vector<std::string> extra_sets;  // calib.save / calib.load of a shared calibration
  // A calibration representative: its file is written to `calib_temp` and renamed to
  // `calib_final` when the run succeeds; `waiting` (job indices) then load it.
  fs::path calib_temp, calib_final;
  std::vector<std::size_t> waiting;
  pid_t pid = -1;
  Clock::time_point started;
};

std::string last_line(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

/// Starts the program `path` with `argv`, stdin and stdout on /dev/null and stderr into
/// `stderr_file`. The child gets SIGTERM when this process ends, however it ends (even by
/// SIGKILL): orphaned points went on running and, on an immediate restart, ran twice. Throws
/// IoError when it cannot be started.
pid_t spawn(const std::string& path, const std::vector<std::string>& argv,
            const fs::path& stderr_file) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const char* const stderr_path = stderr_file.c_str();
  // posix_spawn cannot set the parent-death signal, so fork and exec; the child reports a
  // failure before exec (its errno) through a close-on-exec pipe, which exec closes unwritten.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    throw IoError(std::string("cannot start ") + path + ": pipe: " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(report[0]);
    ::close(report[1]);
    throw IoError("cannot start " + path + ": fork: " + std::strerror(error));
  }
  if (pid == 0) {  // only async-signal-safe calls until exec
    int error = 0;
    const auto redirect = [&](int target, const char* file, int flags) {
      const int fd = ::open(file, flags, 0644);
      if (fd < 0 || ::dup2(fd, target) < 0) error = errno;
      if (fd >= 0 && fd != target) ::close(fd);
    };
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) error = errno;
    if (error == 0 && ::getppid() != parent) error = ESRCH;  // the sweep died before prctl
    if (error == 0) redirect(0, "/dev/null", O_RDONLY);
    if (error == 0) redirect(1, "/dev/null", O_WRONLY);
    if (error == 0) redirect(2, stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
    if (error == 0) {
      ::execve(path.c_str(), args.data(), environ);
      error = errno;
    }
    [[maybe_unused]] const ssize_t written = ::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(report[1]);
  int error = 0;
  ssize_t got;
  do {
    got = ::read(report[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw IoError("cannot start " + path + ": " + std::strerror(error));
  }
  return pid;
}

/// The running executable's path, for messages and argv[0] (`/proc/self/exe` is what runs).
std::string running_executable_name() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string("cimba") : exe.string();
}

/// Two points must not write the same calib.save file at once.
void check_calibration_files(const SweepPlan& plan) {
  std::map<std::string, std::vector<std::string>> writers;
  for (const SweepPoint& p : plan.points)
    if (!p.config.calib.save.empty()) writers[p.config.calib.save].push_back(p.id);
  std::string problems;
  for (const auto& [file, ids] : writers) {
    if (ids.size() < 2) continue;
    problems += "\n  calib.save: " + file + " is written by " + std::to_string(ids.size()) +
                " points (" + ids[0] + ", " + ids[1] + (ids.size() > 2 ? ", ..." : "") + ")";
  }
  if (!problems.empty())
    throw ConfigError(plan.sweep_file.string() +
                      ": points would write the same calibration file at once; set calib.save "
                      "to '' in the base config (the sweep then shares calibrations itself under "
                      "DIR/calib) or sweep it per point:" +
                      problems);
}

SweepTable points_table(const SweepPlan& plan) {
  SweepTable table;
  table.keys = plan.keys;
  for (const SweepPoint& p : plan.points) {
    std::vector<std::string> values;
    for (const auto& kv : p.values) values.push_back(kv.second);
    table.rows.push_back({p.id, values});
  }
  return table;
}

/// The program every point runs: the file to exec and the name it gets as argv[0].
struct ChildProgram {
  std::string path;  // exec'd
  std::string name;  // argv[0]
};

/// The program for the children: options.executable, or exactly the running binary.
ChildProgram child_program(const SweepOptions& options) {
  // Children exec /proc/self/exe: exactly the binary that is running, even if a rebuild has
  // replaced the file on disk meanwhile.
  ChildProgram program;
  program.path =
      options.executable.empty() ? std::string("/proc/self/exe") : options.executable.string();
  program.name =
      options.executable.empty() ? running_executable_name() : options.executable.string();
  return program;
}

/// The points of this shard without a complete result, as jobs; counts selected and skipped.
std::vector<Job> select_jobs(const SweepPlan& plan, const SweepOptions& options,
                             const fs::path& out, SweepSummary& summary) {
  std::vector<Job> jobs;
  for (const SweepPoint& p : plan.points) {
    if (static_cast<int>(p.index % static_cast<std::size_t>(options.shard_count)) !=
        options.shard_index)
      continue;
    ++summary.selected;
    const fs::path dir = out / "points" / p.id;
    if (point_result_complete(dir, p.config)) {
      ++summary.skipped;
      continue;
    }
    Job job;
    job.point = &p;
    job.dir = dir;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

/// Sets up shared calibrations and returns the job indices in start order.
std::deque<std::size_t> schedule_jobs(std::vector<Job>& jobs, const SweepOptions& options,
                                      const fs::path& out, SweepSummary& summary) {
  // Calibration groups: one representative calibrates (calib.save), the others load its file.
  std::deque<std::size_t> ready;   // job indices in start order
  std::vector<std::size_t> later;  // independent jobs, after the representatives
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (options.share_calibration && can_share_calibration(jobs[j].point->config))
      groups[calibration_group_name(shared_calibration_key(jobs[j].point->config))].push_back(j);
    else
      later.push_back(j);
  }
  const fs::path calib_dir = fs::absolute(out / "calib");
  char host[256] = "host";
  ::gethostname(host, sizeof(host) - 1);
  for (const auto& [name, members] : groups) {
    const fs::path final_file = calib_dir / (name + ".safetensors");
    if (fs::exists(final_file)) {  // made by an earlier run or another shard
      ++summary.calibration_groups;
      for (std::size_t j : members) jobs[j].extra_sets = {"calib.load=" + final_file.string()};
      later.insert(later.end(), members.begin(), members.end());
    } else if (members.size() >= 2) {
      ++summary.calibration_groups;
      Job& rep = jobs[members.front()];
      rep.calib_final = final_file;
      rep.calib_temp = calib_dir / ("." + name + ".tmp-" + host + "-" + std::to_string(::getpid()) +
                                    ".safetensors");
      rep.extra_sets = {"calib.save=" + rep.calib_temp.string()};
      rep.waiting.assign(members.begin() + 1, members.end());
      ready.push_back(members.front());
    } else {
      later.push_back(members.front());
    }
  }
  std::sort(later.begin(), later.end());
  ready.insert(ready.end(), later.begin(), later.end());
  if (!groups.empty()) create_output_directory(calib_dir);
  return ready;
}

/// Prints what the sweep is about to do: points, shard, skipped, to run, shared calibrations.
void print_sweep_start(const SweepOptions& options, const SweepSummary& summary, std::size_t to_run,
                       std::ostream& progress) {
  progress << "sweep " << options.sweep_file.string() << ": " << summary.points << " points";
  if (options.shard_count > 1)
    progress << ", shard " << options.shard_index << "/" << options.shard_count << ": "
             << summary.selected;
  progress << "; " << summary.skipped << " complete (skipped), " << to_run << " to run";
  if (summary.calibration_groups > 0)
    progress << ", " << summary.calibration_groups << " shared calibration(s)";
  progress << "; -j " << options.jobs << "\n" << std::flush;
}

/// Runs the jobs as child processes, at most `max_running` at a time, and books each result.
struct PointRunner {
  std::vector<Job>& jobs;
  std::deque<std::size_t> ready;  // job indices in start order
  const ChildProgram& program;
  int max_running;
  SweepSummary& summary;
  std::ostream& progress;
  std::map<pid_t, std::size_t> running{};
  std::vector<std::string> failures{};  // "id: why"
  std::size_t done = 0;

  /// Queues the points waiting for `rep`'s calibration, loading it when there is one.
  void release(Job& rep, bool calibrated) {
    for (std::size_t w : rep.waiting) {
      jobs[w].extra_sets.clear();
      if (calibrated) jobs[w].extra_sets = {"calib.load=" + rep.calib_final.string()};
      ready.push_back(w);
    }
  }

  /// Publishes an ok representative's calibration and releases the points waiting for it.
  void hand_over_calibration(Job& job, std::ostringstream& line) {
    if (job.calib_final.empty()) return;
    std::error_code error;
    fs::rename(job.calib_temp, job.calib_final, error);
    if (!error) line << "  (calibration " << job.calib_final.filename().string() << ")";
    release(job, !error);
  }

  /// Records a failed point: failed.txt, and the waiting points calibrate themselves.
  void book_failure(Job& job, const std::string& why) {
    failures.push_back(job.point->id + ": " + why);
    try {
      write_file_atomic(job.dir / "failed.txt", why + "\n");
    } catch (const Error&) {
      // reported below anyway; failed.txt only labels the row of sweep.csv
    }
    if (!job.calib_final.empty()) {
      std::error_code ignored;
      fs::remove(job.calib_temp, ignored);
      release(job, false);  // the others calibrate themselves
    }
  }

  /// Books a finished (or unstartable) point: progress line, failed.txt, calibration hand-over.
  void finish(Job& job, bool ok, const std::string& why) {
    ++done;
    const double seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
    std::ostringstream line;
    line << "[" << done << "/" << jobs.size() << "] " << job.point->id;
    if (ok) {
      ++summary.ran;
      char when[32];
      std::snprintf(when, sizeof(when), "%.2f s", seconds);
      line << "  ok  " << when;
      hand_over_calibration(job, line);
    } else {
      ++summary.failed;
      line << "  FAILED (" << why << ")";
      book_failure(job, why);
    }
    progress << line.str() << "\n" << std::flush;
  }

  /// Writes job `j`'s config.yaml and starts its `cimba run`; books it failed if it cannot.
  void start(std::size_t j) {
    Job& job = jobs[j];
    job.started = Clock::now();
    try {
      create_output_directory(job.dir);
      std::error_code ignored;
      for (const char* name : {"result.json", "layers.csv", "failed.txt"})
        fs::remove(job.dir / name, ignored);
      write_file_atomic(job.dir / "config.yaml", render_config_yaml(job.point->config));
      std::vector<std::string> argv = {
          program.name,     "run",    (job.dir / "config.yaml").string(), "--out",
          job.dir.string(), "--quiet"};
      for (const std::string& s : job.extra_sets) {
        argv.push_back("--set");
        argv.push_back(s);
      }
      // threads 0 (every CPU) in a point: the points share the CPUs, so each runs one thread (the
      // same whatever -j, so that -j does not change result.json); a sweep may set threads.
      if (job.point->config.threads == 0) {
        argv.push_back("--set");
        argv.push_back("threads=1");
      }
      job.pid = spawn(program.path, argv, job.dir / "stderr.txt");
      running[job.pid] = j;
    } catch (const Error& e) {
      finish(job, false, std::string("not started: ") + e.what());
    }
  }

  /// Waits for one child to end and books it (returns early on EINTR or a child not ours).
  void wait_for_one() {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) return;
      throw IoError(std::string("waitpid: ") + std::strerror(errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) return;  // not one of ours
    Job& job = jobs[it->second];
    running.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    finish(job, ok, ok ? "" : exit_text(status) + ": " + last_line(job.dir / "stderr.txt"));
  }

  /// Runs every job; on an error, waits for the running children before rethrowing.
  void run_all() {
    try {
      while (!ready.empty() || !running.empty()) {
        while (!ready.empty() && static_cast<int>(running.size()) < max_running) {
          const std::size_t next = ready.front();
          ready.pop_front();
          start(next);
        }
        if (running.empty()) continue;
        wait_for_one();
      }
    } catch (...) {
      // Never leave children behind: wait for the running points (their results stay valid).
      for (const auto& [pid, j] : running) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
      }
      throw;
    }
  }
};

/// Wall time since `started` and the CPU time of the children, e.g. "12.3 s wall, 40.1 CPU-s in
/// points".
std::string timing_text(Clock::time_point started) {
  // CPU time of the children against wall time: how well -j was used (timings are only printed,
  // never written into results, which stay deterministic).
  rusage children{};
  ::getrusage(RUSAGE_CHILDREN, &children);
  const double cpu_seconds = double(children.ru_utime.tv_sec) + double(children.ru_stime.tv_sec) +
                             1e-6 * double(children.ru_utime.tv_usec + children.ru_stime.tv_usec);
  char timing[96];
  std::snprintf(timing, sizeof(timing), "%.1f s wall, %.1f CPU-s in points",
                std::chrono::duration<double>(Clock::now() - started).count(), cpu_seconds);
  return timing;
}

/// Throws SweepPointsFailed listing the failed points, if any of the `job_count` jobs failed.
void check_no_failures(const std::vector<std::string>& failures, std::size_t job_count,
                       const fs::path& out) {
  if (failures.empty()) return;
  std::string message = std::to_string(failures.size()) + " of " + std::to_string(job_count) +
                        " points failed (stderr in " +
                        (out / "points" / "<id>" / "stderr.txt").string() +
                        "; the other results are in sweep.csv):";
  for (const std::string& f : failures) message += "\n  " + f;
  throw SweepPointsFailed(message);
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  int index = -1, count = 0;
  try {
    std::size_t used_i = 0, used_n = 0;
    if (slash != std::string::npos) {
      index = std::stoi(text.substr(0, slash), &used_i);
      count = std::stoi(text.substr(slash + 1), &used_n);
      if (used_i != slash || used_n != text.size() - slash - 1) count = 0;
    }
  } catch (const std::exception&) {
    count = 0;
  }
  if (count < 1 || index < 0 || index >= count)
    throw ConfigError("--shard: '" + text +
                      "' is not i/N with 0 <= i < N (e.g. --shard 0/4 runs points 0, 4, 8, ...)");
  return {index, count};
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return std::max(1u, std::thread::hardware_concurrency());
}

SweepSummary run_sweep(const SweepOptions& options, std::ostream& progress) {
  // ---- everything that can be wrong with the sweep, before anything is written ----
  const SweepPlan plan = load_sweep_file(options.sweep_file);
  check_calibration_files(plan);
  if (options.jobs < 1) throw ConfigError("-j: expected a number of processes >= 1");
  const ChildProgram program = child_program(options);

  SweepSummary summary;
  summary.points = plan.points.size();
  const fs::path out = options.out_dir;
  create_output_directory(out / "points");
  write_file_atomic(out / "points.csv", render_points_csv(points_table(plan)));

  // ---- what to run ----
  std::vector<Job> jobs = select_jobs(plan, options, out, summary);
  std::deque<std::size_t> ready = schedule_jobs(jobs, options, out, summary);
  print_sweep_start(options, summary, jobs.size(), progress);

  // ---- run ----
  const Clock::time_point sweep_started = Clock::now();
  PointRunner runner{jobs, std::move(ready), program, options.jobs, summary, progress};
  runner.run_all();

  const SweepMerge merged = merge_sweep_directory(out);
  const std::string timing = timing_text(sweep_started);
  progress << "wrote " << (out / "sweep.csv").string() << ": " << merged.ok << " ok, "
           << merged.failed << " failed, " << merged.pending << " pending of " << summary.points
           << " points (" << timing << ")\n"
           << std::flush;
  check_no_failures(runner.failures, jobs.size(), out);
  return summary;
}

int sweep_command(const std::vector<std::string>& args) {
  po::options_description visible("Options", 100, 50);
  std::string shard = "0/1";
  visible.add_options()  //
      ("jobs,j", po::value<int>()->value_name("N"),
       "points run at a time, each in its own process (default: the available cores)")  //
      ("shard", po::value<std::string>(&shard)->value_name("i/N"),
       "run only the points whose index % N == i (0 <= i < N), e.g. one Slurm array task")  //
      ("out", po::value<std::string>()->value_name("DIR"),
       "sweep directory (default: sweep-out/<name of the sweep file>)")  //
      ("merge", po::value<std::string>()->value_name("DIR"),
       "rebuild DIR/sweep.csv from the point results in DIR and exit (e.g. after shards)")  //
      ("list", po::bool_switch(),
       "validate every point, print points.csv (id and swept values) and exit; writes nothing")  //
      ("no-shared-calibration", po::bool_switch(),
       "calibrate every point itself instead of once per calibration group")  //
      ("quiet,q", po::bool_switch(), "print nothing but errors")              //
      ("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("sweep", po::value<std::vector<std::string>>(), "sweep file");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("sweep", -1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), values);
    po::notify(values);
  } catch (const po::error& e) {
    throw ConfigError(std::string(e.what()) + "; run 'cimba sweep --help' for usage");
  }
  if (values.count("help") != 0) {
    std::cout << "Usage: cimba sweep SWEEP.yaml [-j N] [--shard i/N] [--out DIR]\n"
                 "       cimba sweep --merge DIR\n\n"
                 "Runs every point of a sweep file (a base config and axes over config keys) as "
                 "its own\n'cimba run', N at a time, and merges the results into DIR/sweep.csv. "
                 "Every point is\nvalidated before any runs; complete points of an earlier run "
                 "are skipped (resume).\nFile format, outputs, sharding and calibration sharing: "
                 "docs/sweep.md.\n\n"
              << visible
              << "\nExamples:\n"
                 "  cimba sweep configs/sweeps/linear-adc-bits.yaml -j 2 --out out/adc\n"
                 "  cimba sweep configs/sweeps/linear-adc-bits.yaml --shard 1/4 --out out/adc\n"
                 "  cimba sweep --merge out/adc\n"
                 "\nExit status: 0 every point ok, 2 invalid sweep file or point (nothing run), "
                 "1 some\npoint failed or another error.\n";
    return 0;
  }
  const bool quiet = values["quiet"].as<bool>();
  std::ostringstream discard;
  std::ostream& progress = quiet ? static_cast<std::ostream&>(discard) : std::cout;
  const std::vector<std::string> files = values.count("sweep") != 0
                                             ? values["sweep"].as<std::vector<std::string>>()
                                             : std::vector<std::string>{};
  if (values.count("merge") != 0) {
    if (!files.empty() || values.count("jobs") != 0 || values.count("shard") != 0 ||
        values.count("out") != 0)
      throw ConfigError(
          "--merge DIR takes no sweep file and no other option; run 'cimba sweep --help' for "
          "usage");
    const fs::path dir = values["merge"].as<std::string>();
    const SweepMerge merged = merge_sweep_directory(dir);
    progress << "wrote " << (dir / "sweep.csv").string() << ": " << merged.ok << " ok, "
             << merged.failed << " failed, " << merged.pending << " pending of "
             << merged.ok + merged.failed + merged.pending << " points\n";
    return 0;
  }
  if (files.size() != 1)
    throw ConfigError(std::string(files.empty() ? "no sweep file given"
                                                : "expected one sweep file, got " +
                                                      std::to_string(files.size())) +
                      "; run 'cimba sweep --help' for usage");
  if (values["list"].as<bool>()) {
    const SweepPlan plan = load_sweep_file(files.front());
    check_calibration_files(plan);
    std::cout << render_points_csv(points_table(plan));
    return 0;
  }
  SweepOptions options;
  options.sweep_file = files.front();
  options.out_dir = values.count("out") != 0 ? fs::path(values["out"].as<std::string>())
                                             : fs::path("sweep-out") / options.sweep_file.stem();
  options.jobs = values.count("jobs") != 0 ? values["jobs"].as<int>() : available_cores();
  if (options.jobs < 1)
    throw ConfigError("-j: " + std::to_string(options.jobs) + " processes; expected >= 1");
  std::tie(options.shard_index, options.shard_count) = parse_shard(shard);
  options.share_calibration = !values["no-shared-calibration"].as<bool>();
  run_sweep(options, progress);
  return 0;
}

}  // namespace cimba::sim
