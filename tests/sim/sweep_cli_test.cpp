// `cimba sweep` end to end on the linear workload (about 10 ms per point): parallel child runs,
// validation before anything runs, shards + merge, resume, failing points, -j independence.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sim/config.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::Outcome;
using testing::read_text;
using testing::run_cimba;
using testing::ScratchDir;
namespace fs = std::filesystem;

// 5 ADC resolutions x 2 full-scale modes = 10 points of the shipped linear layer.
const char* const kSweep =
    "base:\n"
    "  workload: {kind: linear}\n"
    "  quant: {a_bits: 12, a_range: static, slice_bits: 8, overlap_bits: 4}\n"
    "  hw: {cim: {rows_per_adc: 256}}\n"
    "grid:\n"
    "  hw.cim.adc.bits: [4..8]\n"
    "  hw.cim.adc.range: [dynamic, static]\n";

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

Outcome sweep(const ScratchDir& dir, const fs::path& file, const fs::path& out,
              const std::string& options = "-j 2") {
  return run_cimba(dir, "sweep " + q(file) + " --out " + q(out) + " " + options);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

TEST(CimbaSweep, RunsEveryPointAndMergesTheirMetrics) {
  ScratchDir dir;
  const fs::path file = dir.write("adc.yaml", kSweep), out = dir.path() / "out";
  const Outcome r = sweep(dir, file, out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("10 points; 0 complete (skipped), 10 to run; -j 2"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("10 ok, 0 failed, 0 pending of 10 points"), std::string::npos) << r.out;

  const std::vector<std::string> csv = lines(read_text(out / "sweep.csv"));
  ASSERT_EQ(csv.size(), 11u);  // header + 10 points
  EXPECT_EQ(csv[0],
            "point,hw.cim.adc.bits,hw.cim.adc.range,status,sqnr_db,cosine,max_abs_error,"
            "adc_conversions,adc_saturated,adc_saturation_rate");
  EXPECT_EQ(csv[4].substr(0, csv[4].find(",ok,") + 4), "p0003-bits=5-range=static,5,static,ok,");
  EXPECT_EQ(read_text(out / "points.csv").substr(0, 65),
            "point,hw.cim.adc.bits,hw.cim.adc.range\np0000-bits=4-range=dynamic");

  // Each point: its resolved config (which loads back equal) and the files of `cimba run`.
  const fs::path point = out / "points" / "p0003-bits=5-range=static";
  for (const char* name : {"config.yaml", "result.json", "layers.csv", "stderr.txt"})
    EXPECT_TRUE(fs::exists(point / name)) << name;
  const RunConfig config = load_run_config(point / "config.yaml", {});
  EXPECT_EQ(config.hw.cim.adc.bits, 5);
  EXPECT_EQ(config.hw.cim.adc.range, AdcRangeMode::Static);
  EXPECT_EQ(config.hw.cim.rows_per_adc, 256);
  const auto result = nlohmann::json::parse(read_text(point / "result.json"));
  EXPECT_EQ(result["config"]["hw"]["cim"]["adc"]["bits"], 5);
  EXPECT_EQ(read_text(point / "stderr.txt"), "");
  // The metric cells are result.json's numbers: sqnr_db of this point.
  const std::string row = csv[4];
  EXPECT_NE(row.find(",ok," + result["metrics"]["sqnr_db"].dump() + ","), std::string::npos) << row;
}

TEST(CimbaSweep, AnInvalidPointFailsTheSweepBeforeAnythingRuns) {
  ScratchDir dir;
  const fs::path file = dir.write("bad.yaml",
                                  "grid:\n"
                                  "  hw.cim.adc.bits: [8, 17]\n"
                                  "  seed: [1, 2]\n");
  const fs::path out = dir.path() / "out";
  const Outcome r = sweep(dir, file, out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("2 of 4 points are invalid; nothing was run"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("point p0002-bits=17-seed=1 (hw.cim.adc.bits=17, seed=1):"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("bad.yaml:2:24: hw.cim.adc.bits: 17 is out of range"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out)) << "nothing written";
}

TEST(CimbaSweep, TwoShardsMergedEqualTheUnshardedRunByteForByte) {
  ScratchDir dir;
  const fs::path file = dir.write("adc.yaml", kSweep);
  ASSERT_EQ(sweep(dir, file, dir.path() / "whole").exit_code, 0);

  const fs::path sharded = dir.path() / "sharded";
  const Outcome first = sweep(dir, file, sharded, "-j 1 --shard 0/2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("10 points, shard 0/2: 5;"), std::string::npos) << first.out;
  // Points 0, 2, 4, 6, 8 ran; the others are pending until the second shard.
  EXPECT_TRUE(fs::exists(sharded / "points" / "p0002-bits=5-range=dynamic" / "result.json"));
  EXPECT_FALSE(fs::exists(sharded / "points" / "p0001-bits=4-range=static"));
  EXPECT_NE(read_text(sharded / "sweep.csv").find("p0001-bits=4-range=static,4,static,pending,"),
            std::string::npos);
  ASSERT_EQ(sweep(dir, file, sharded, "-j 1 --shard 1/2").exit_code, 0);
  fs::remove(sharded / "sweep.csv");
  const Outcome merge = run_cimba(dir, "sweep --merge " + q(sharded));
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_NE(merge.out.find("10 ok, 0 failed, 0 pending of 10 points"), std::string::npos);
  EXPECT_EQ(read_text(sharded / "sweep.csv"), read_text(dir.path() / "whole" / "sweep.csv"));
}

TEST(CimbaSweep, ResumeRerunsOnlyMissingCorruptOrStaleResults) {
  ScratchDir dir;
  const fs::path file = dir.write("adc.yaml", kSweep), out = dir.path() / "out";
  ASSERT_EQ(sweep(dir, file, out).exit_code, 0);
  const std::string original = read_text(out / "sweep.csv");

  // Mark every result as old; a re-run point gets a new one.
  const auto old_time = fs::file_time_type::clock::now() - std::chrono::hours(24);
  std::vector<fs::path> results;
  for (const auto& entry : fs::directory_iterator(out / "points")) {
    results.push_back(entry.path() / "result.json");
    fs::last_write_time(results.back(), old_time);
  }
  ASSERT_EQ(results.size(), 10u);
  const fs::path missing = out / "points" / "p0001-bits=4-range=static";
  const fs::path corrupt = out / "points" / "p0006-bits=7-range=dynamic";
  const fs::path stale = out / "points" / "p0009-bits=8-range=static";
  fs::remove(missing / "result.json");
  std::ofstream(corrupt / "result.json") << "{\"config\": ";  // truncated: not parseable
  {
    auto result = nlohmann::ordered_json::parse(read_text(stale / "result.json"));
    result["config"]["seed"] = 7;  // a result of another config (e.g. the sweep file changed)
    std::ofstream(stale / "result.json") << result.dump(2);
    fs::last_write_time(stale / "result.json", old_time);
  }

  const Outcome r = sweep(dir, file, out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("7 complete (skipped), 3 to run"), std::string::npos) << r.out;
  for (const fs::path& result : results) {
    const bool rerun = result.parent_path() == missing || result.parent_path() == corrupt ||
                       result.parent_path() == stale;
    EXPECT_EQ(fs::last_write_time(result) > old_time + std::chrono::hours(1), rerun) << result;
  }
  EXPECT_EQ(read_text(out / "sweep.csv"), original);
}

TEST(CimbaSweep, AFailingPointIsReportedAndTheOthersFinish) {
  ScratchDir dir;
  const fs::path gone = dir.path() / "gone.safetensors";  // valid config, missing at run time
  const fs::path file = dir.write(
      "files.yaml",
      "set: {workload.kind: linear}\ngrid:\n  workload.linear.file: [builtin:linear_example, " +
          gone.string() + "]\n  hw.cim.adc.bits: [6, 8]\n");
  const fs::path out = dir.path() / "out";
  const Outcome r = sweep(dir, file, out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("2 of 4 points failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":   p0002-file="), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":   p0003-file="), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": exit 1: cimba: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(gone.string()), std::string::npos) << "the child's last stderr line";
  EXPECT_NE(r.out.find("2 ok, 2 failed, 0 pending of 4 points"), std::string::npos) << r.out;

  const std::vector<std::string> csv = lines(read_text(out / "sweep.csv"));
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_NE(csv[1].find(",builtin:linear_example,6,ok,"), std::string::npos) << csv[1];
  EXPECT_NE(csv[4].find(",8,failed,"), std::string::npos) << csv[4];
  for (const auto& entry : fs::directory_iterator(out / "points")) {
    const bool failed = entry.path().filename().string().rfind("p0002", 0) == 0 ||
                        entry.path().filename().string().rfind("p0003", 0) == 0;
    EXPECT_EQ(fs::exists(entry.path() / "result.json"), !failed) << entry.path();
    EXPECT_EQ(fs::exists(entry.path() / "failed.txt"), failed) << entry.path();
    EXPECT_TRUE(fs::exists(entry.path() / "config.yaml"));
  }
  // The file appears: a re-run retries only the failed points.
  ASSERT_TRUE(fs::copy_file(
      fs::path(CIMBA_SOURCE_DIR) / "workloads" / "data" / "linear_example.safetensors", gone));
  const Outcome again = sweep(dir, file, out);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("2 complete (skipped), 2 to run"), std::string::npos) << again.out;
  EXPECT_EQ(read_text(out / "sweep.csv").find("failed"), std::string::npos);
}

TEST(CimbaSweep, ParallelismDoesNotChangeTheResults) {
  ScratchDir dir;
  const fs::path file = dir.write("adc.yaml", kSweep);
  ASSERT_EQ(sweep(dir, file, dir.path() / "j1", "-j 1").exit_code, 0);
  ASSERT_EQ(sweep(dir, file, dir.path() / "j2", "-j 2").exit_code, 0);
  ASSERT_EQ(sweep(dir, file, dir.path() / "j4", "-j 4").exit_code, 0);
  const std::string j1 = read_text(dir.path() / "j1" / "sweep.csv");
  EXPECT_EQ(read_text(dir.path() / "j2" / "sweep.csv"), j1);
  EXPECT_EQ(read_text(dir.path() / "j4" / "sweep.csv"), j1);
  EXPECT_EQ(read_text(dir.path() / "j1" / "points" / "p0005-bits=6-range=static" / "result.json"),
            read_text(dir.path() / "j4" / "points" / "p0005-bits=6-range=static" / "result.json"));
}

// The pid of a child of `parent` (0 when it has none yet), from /proc.
pid_t child_of(pid_t parent) {
  std::ifstream in("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                   "/children");
  pid_t child = 0;
  in >> child;
  return child;
}

// True while `pid` exists and is not a zombie (a process reparented to init waits there).
bool running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST(CimbaSweep, ItsChildrenDieWithAKilledSweep) {
  // A killed sweep left its `cimba run` children running; a restart then ran their points twice.
  ScratchDir dir;
  // Points of the built-in Mamba run over all 435 validation windows: minutes, if left alone.
  const fs::path file =
      dir.write("slow.yaml", "base: {workload: {mamba: {windows: 0}}}\ngrid:\n  seed: [1, 2]\n");
  const fs::path out = dir.path() / "out";
  const pid_t sweep = ::fork();
  ASSERT_GE(sweep, 0);
  if (sweep == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(CIMBA_BINARY, "cimba", "sweep", file.c_str(), "--out", out.c_str(), "-j", "1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_t point = 0;
  for (int i = 0; i < 300 && point == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    point = child_of(sweep);
  }
  ::kill(sweep, SIGKILL);
  int status = 0;
  ::waitpid(sweep, &status, 0);
  ASSERT_GT(point, 0) << "the sweep started no point within 30 s";
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !running(point);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "point process " << point << " outlived its sweep by 10 s";
  if (!gone) ::kill(point, SIGKILL);
}

TEST(CimbaSweep, UsageErrorsExitTwoAndMergeNeedsASweepDirectory) {
  ScratchDir dir;
  const fs::path file = dir.write("adc.yaml", kSweep);
  EXPECT_EQ(run_cimba(dir, "sweep").exit_code, 2);
  EXPECT_EQ(sweep(dir, file, dir.path() / "o", "-j 0").exit_code, 2);
  EXPECT_EQ(sweep(dir, file, dir.path() / "o", "--shard 2/2").exit_code, 2);
  EXPECT_EQ(run_cimba(dir, "sweep " + q(dir.path() / "none.yaml")).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir.path() / "o"));
  const Outcome merge = run_cimba(dir, "sweep --merge " + q(dir.path()));
  EXPECT_EQ(merge.exit_code, 1);
  EXPECT_NE(merge.err.find("points.csv: not found"), std::string::npos) << merge.err;
  // --list validates and prints the points without writing anything.
  const Outcome list = run_cimba(dir, "sweep " + q(file) + " --list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.substr(0, 65),
            "point,hw.cim.adc.bits,hw.cim.adc.range\np0000-bits=4-range=dynamic");
  EXPECT_EQ(lines(list.out).size(), 11u);
  const Outcome help = run_cimba(dir, "sweep --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--shard"), std::string::npos);
  EXPECT_NE(run_cimba(dir, "--help").out.find("  sweep "), std::string::npos);
}

}  // namespace
}  // namespace cimba::sim
