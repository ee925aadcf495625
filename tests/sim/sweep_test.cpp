// Sweep files without running anything: range syntax, grid / zip expansion, point ids, validation
// of every point, points.csv, and the calibration fingerprint.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"
#include "sim/sweep.hpp"
#include "sim/sweep_calibration.hpp"
#include "sim/sweep_results.hpp"
#include "sim/sweep_spec.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::error_message;
using testing::ScratchDir;

std::vector<long long> range(const std::string& text) {
  return expand_int_range(text, "here").value_or(std::vector<long long>{-999});
}

std::vector<std::string> ids(const SweepPlan& plan) {
  std::vector<std::string> out;
  for (const SweepPoint& p : plan.points) out.push_back(p.id);
  return out;
}

TEST(SweepRange, InclusiveBoundsAndStep) {
  EXPECT_EQ(range("4..14").size(), 11u);  // 4, 5, ..., 14
  EXPECT_EQ(range("4..14").front(), 4);
  EXPECT_EQ(range("4..14").back(), 14);
  EXPECT_EQ(range("4..12:4"), (std::vector<long long>{4, 8, 12}));
  EXPECT_EQ(range("4..13:4"), (std::vector<long long>{4, 8, 12}));  // the end need not be hit
  EXPECT_EQ(range("-2..1"), (std::vector<long long>{-2, -1, 0, 1}));
  EXPECT_EQ(range("7..7"), (std::vector<long long>{7}));
  EXPECT_FALSE(expand_int_range("4", "here"));
  EXPECT_FALSE(expand_int_range("int8", "here"));
  EXPECT_FALSE(expand_int_range("0.5..1.5", "here"));  // integers only
  EXPECT_NE(error_message<ConfigError>([] {
              expand_int_range("9..4", "f.yaml:3:5: k");
            }).find("f.yaml:3:5: k: range '9..4' runs backwards"),
            std::string::npos);
  EXPECT_NE(error_message<ConfigError>([] { expand_int_range("1..8:0", "k"); }).find("step >= 1"),
            std::string::npos);
}

TEST(SweepSpec, AStrayCommaIsNotAOnePointSweep) {
  ScratchDir dir;
  const std::string message =
      error_message<ConfigError>([&] { parse_sweep(",", dir.path() / "s.yaml"); });
  EXPECT_NE(message.find("expected one YAML document"), std::string::npos) << message;
}

TEST(SweepSpec, ADirectoryIsAConfigErrorNamingIt) {
  ScratchDir dir;
  const std::string message = error_message<ConfigError>([&] { load_sweep_file(dir.path()); });
  EXPECT_EQ(message, "sweep file is a directory: " + dir.path().string());
}

TEST(SweepSpec, GridIsTheCartesianProductLastKeyFastest) {
  ScratchDir dir;
  const SweepPlan plan = parse_sweep(
      "grid:\n"
      "  hw.cim.adc.bits: [4..6]\n"
      "  hw:\n"
      "    cim:\n"
      "      adc: {range: [dynamic, static]}\n",
      dir.path() / "s.yaml");
  // 3 bits x 2 ranges = 6 points.
  ASSERT_EQ(plan.points.size(), 6u);
  EXPECT_EQ(plan.keys, (std::vector<std::string>{"hw.cim.adc.bits", "hw.cim.adc.range"}));
  EXPECT_EQ(ids(plan),
            (std::vector<std::string>{"p0000-bits=4-range=dynamic", "p0001-bits=4-range=static",
                                      "p0002-bits=5-range=dynamic", "p0003-bits=5-range=static",
                                      "p0004-bits=6-range=dynamic", "p0005-bits=6-range=static"}));
  EXPECT_EQ(plan.points[3].config.hw.cim.adc.bits, 5);
  EXPECT_EQ(plan.points[3].config.hw.cim.adc.range, AdcRangeMode::Static);
  EXPECT_EQ(plan.points[3].values[1],
            (std::pair<std::string, std::string>{"hw.cim.adc.range", "static"}));
}

TEST(SweepSpec, ZipGroupsAdvanceTogetherAndMultiplyWithTheGrid) {
  ScratchDir dir;
  const SweepPlan plan = parse_sweep(
      "grid:\n"
      "  seed: [1, 2]\n"
      "zip:\n"
      "  - {quant.w_bits: [4, 6, 8], quant.a_bits: [8, 10, 12]}\n"
      "  - hw.cim.adc.noise_lsb: [0.0, 0.5]\n"
      "    hw.cim.adc.enob: [0, 6.5]\n",
      dir.path() / "s.yaml");
  // 2 seeds x 3 (w, a) pairs x 2 (noise, enob) pairs = 12 points.
  ASSERT_EQ(plan.points.size(), 12u);
  EXPECT_EQ(plan.keys, (std::vector<std::string>{"seed", "quant.w_bits", "quant.a_bits",
                                                 "hw.cim.adc.noise_lsb", "hw.cim.adc.enob"}));
  const SweepPoint& p = plan.points[3];  // seed 1, (6, 10), (0.5, 6.5)
  EXPECT_EQ(p.id, "p0003-seed=1-w_bits=6-a_bits=10-noise_lsb=0.5-enob=6.5");
  EXPECT_EQ(p.config.quant.w_bits, 6);
  EXPECT_EQ(p.config.quant.a_bits, 10);
  EXPECT_DOUBLE_EQ(p.config.hw.cim.adc.enob, 6.5);
  // Values in points.csv are the resolved values as docs/config.md writes them.
  EXPECT_EQ(plan.points[0].values[3].second, "0.0");
  EXPECT_EQ(plan.points[0].values[4].second, "0.0");
  EXPECT_EQ(plan.points[11].id.substr(0, 6), "p0011-");
}

TEST(SweepSpec, BaseFileIsRelativeToTheSweepFileAndInlineBaseWorksToo) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "sweeps");
  dir.write("base.yaml",
            "quant: {a_bits: 10, slice_bits: 6}\nhw: {cim: {adc: {bits: 7}}}\n"
            "workload: {kind: linear}\n");
  const SweepPlan from_file =
      parse_sweep("base: ../base.yaml\ngrid: {seed: [3]}\n", dir.path() / "sweeps" / "s.yaml");
  ASSERT_EQ(from_file.points.size(), 1u);
  EXPECT_EQ(from_file.points[0].config.quant.a_bits, 10);
  EXPECT_EQ(from_file.points[0].config.hw.cim.adc.bits, 7);
  EXPECT_EQ(from_file.points[0].config.seed, 3u);

  // `set:` overrides single keys of the base for every point; nested sections keep the base's
  // other keys (hw.cim.adc.bits stays 7).
  const SweepPlan with_set = parse_sweep(
      "base: ../base.yaml\nset:\n  hw: {cim: {rows_per_adc: 128}}\n  quant.a_bits: 11\n"
      "grid: {seed: [3]}\n",
      dir.path() / "sweeps" / "s.yaml");
  ASSERT_EQ(with_set.points.size(), 1u);
  EXPECT_EQ(with_set.points[0].config.quant.a_bits, 11);
  EXPECT_EQ(with_set.points[0].config.quant.slice_bits, 6);
  EXPECT_EQ(with_set.points[0].config.hw.cim.adc.bits, 7);
  EXPECT_EQ(with_set.points[0].config.hw.cim.rows_per_adc, 128);
  EXPECT_EQ(with_set.keys, (std::vector<std::string>{"seed"}));
  EXPECT_NE(error_message<ConfigError>([&] {
              parse_sweep("set: {seed: 2}\ngrid: {seed: [3]}\n", dir.path() / "s.yaml");
            }).find("seed: both fixed (set) and swept"),
            std::string::npos);

  const SweepPlan inline_base = parse_sweep(
      "base:\n  quant: {a_bits: 10, slice_bits: 6}\n  hw.cim.adc.bits: 7\n", dir.path() / "s.yaml");
  ASSERT_EQ(inline_base.points.size(), 1u);  // no axes: the base itself
  EXPECT_EQ(inline_base.points[0].id, "p0000");
  EXPECT_EQ(
      render_config_yaml(inline_base.points[0].config),
      render_config_yaml(load_run_config(
          std::nullopt, {"seed=1", "quant.a_bits=10", "quant.slice_bits=6", "hw.cim.adc.bits=7"})));
}

TEST(SweepSpec, QuotedRangeIsAStringAndIdsStaySafeForFileNames) {
  ScratchDir dir;
  const SweepPlan plan = parse_sweep(
      "grid:\n  workload.linear.file: ['4..5', builtin:linear_example, a/b c.safetensors]\n",
      dir.path() / "s.yaml");
  ASSERT_EQ(plan.points.size(), 3u);
  EXPECT_EQ(plan.points[0].config.workload.linear.file, "4..5");
  EXPECT_EQ(plan.points[1].id, "p0001-file=builtin_linear_example");
  EXPECT_EQ(plan.points[2].id, "p0002-file=a_b_c.safetensors");
}

TEST(SweepSpec, InvalidPointsAreNamedWithTheirValuesAndTheKey) {
  ScratchDir dir;
  const std::string message = error_message<ConfigError>([&] {
    parse_sweep("base: {quant: {a_bits: 12}}\ngrid:\n  seed: [1, 2]\n  hw.cim.adc.bits: [8, 17]\n",
                dir.path() / "s.yaml");
  });
  const std::string file = (dir.path() / "s.yaml").string();
  EXPECT_EQ(message.rfind(file + ": 2 of 4 points are invalid; nothing was run", 0), 0u) << message;
  EXPECT_NE(message.find("point p0001-seed=1-bits=17 (seed=1, hw.cim.adc.bits=17):\n  " + file +
                         ":4:24: hw.cim.adc.bits: 17 is out of range"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("point p0003-seed=2-bits=17"), std::string::npos) << message;
  EXPECT_EQ(message.find("p0000"), std::string::npos) << message;
}

TEST(SweepSpec, FileErrorsNameTheLine) {
  ScratchDir dir;
  const auto error = [&](const std::string& text) {
    return error_message<ConfigError>([&] { parse_sweep(text, "s.yaml"); });
  };
  EXPECT_EQ(error("grid:\n  hw.cim.adc.bitz: [4]\n"),
            "s.yaml:2:3: hw.cim.adc.bitz: unknown key; did you mean hw.cim.adc.bits? (every key: "
            "docs/config.md)");
  EXPECT_NE(error("grid:\n  hw.cim.adc: [4]\n").find("hw.cim.adc: is a section, not a key"),
            std::string::npos);
  EXPECT_NE(error("grid:\n  seed: []\n").find("s.yaml:2:9: seed: empty list"), std::string::npos);
  EXPECT_NE(
      error("grids:\n  seed: [1]\n").find("s.yaml:1:1: 'grids': unknown key; did you mean grid?"),
      std::string::npos);
  EXPECT_NE(error("grid: {seed: [1]}\nzip: [{seed: [2]}]\n").find("seed: swept twice"),
            std::string::npos);
  EXPECT_NE(error("zip:\n  - {seed: [1, 2], quant.w_bits: [4]}\n")
                .find("zip group 1: lists of different lengths (seed: 2 values, quant.w_bits: 1)"),
            std::string::npos);
  EXPECT_NE(error("base: missing.yaml\n").find("base: config file not found"), std::string::npos);
  EXPECT_NE(error("base: {hw: {cim: {adc: {bitz: 4}}}}\n").find("s.yaml:1:25"), std::string::npos);
}

TEST(SweepRun, APointThatCannotStartFailsAndTheOthersAreStillTried) {
  // No child can start (the executable is missing): every point fails with the reason, the
  // sweep finishes, writes sweep.csv with status failed and throws SweepPointsFailed (exit 1).
  ScratchDir dir;
  SweepOptions options;
  options.sweep_file = dir.write("s.yaml", "grid: {seed: [1, 2]}\n");
  options.out_dir = dir.path() / "out";
  options.jobs = 2;
  options.executable = dir.path() / "no-such-cimba";
  std::ostringstream progress;
  const std::string message =
      error_message<SweepPointsFailed>([&] { run_sweep(options, progress); });
  EXPECT_NE(message.find("2 of 2 points failed"), std::string::npos) << message;
  EXPECT_NE(message.find("p0000-seed=1: not started: cannot start"), std::string::npos) << message;
  EXPECT_NE(progress.str().find("[2/2] p0001-seed=2  FAILED (not started: "), std::string::npos)
      << progress.str();
  EXPECT_EQ(testing::read_text(options.out_dir / "sweep.csv"),
            "point,seed,status\np0000-seed=1,1,failed\np0001-seed=2,2,failed\n");
}

TEST(SweepShard, ParsesIndexOverCount) {
  EXPECT_EQ(parse_shard("0/1"), (std::pair<int, int>{0, 1}));
  EXPECT_EQ(parse_shard("3/4"), (std::pair<int, int>{3, 4}));
  for (const char* bad : {"4/4", "-1/4", "1", "a/b", "1/0", "1/2x"})
    EXPECT_NE(error_message<ConfigError>([&] { parse_shard(bad); }).find("--shard"),
              std::string::npos)
        << bad;
}

TEST(SweepResults, PointsCsvRoundTripsWithQuoting) {
  SweepTable table;
  table.keys = {"workload.linear.file", "seed"};
  table.rows = {{"p0000-file=a", {"a,b.safetensors", "1"}}, {"p0001-file=q", {"say \"hi\"", "2"}}};
  const std::string text = render_points_csv(table);
  EXPECT_EQ(text,
            "point,workload.linear.file,seed\n"
            "p0000-file=a,\"a,b.safetensors\",1\n"
            "p0001-file=q,\"say \"\"hi\"\"\",2\n");
  const SweepTable back = parse_points_csv(text, "points.csv");
  EXPECT_EQ(back.keys, table.keys);
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.rows[1].values[0], "say \"hi\"");
  EXPECT_THROW(parse_points_csv("id,seed\n", "points.csv"), FormatError);
  EXPECT_THROW(parse_points_csv("point,seed\np0,1,2\n", "points.csv"), FormatError);
  EXPECT_THROW(parse_points_csv("point\n../x\n", "points.csv"), FormatError);
}

TEST(SweepResults, MergeTakesMetricsAndHardwareTotalsOfCompleteResultsOnly) {
  ScratchDir dir;
  const RunConfig config = load_run_config(std::nullopt, {"seed=4"});
  SweepTable table;
  table.keys = {"seed"};
  table.rows = {{"p0000-seed=4", {"4"}}, {"p0001-seed=5", {"5"}}, {"p0002-seed=6", {"6"}}};
  const auto point = dir.path() / "points" / "p0000-seed=4";
  std::filesystem::create_directories(point);
  std::ofstream(point / "config.yaml") << render_config_yaml(config);
  std::ofstream(point / "layers.csv") << "layer\n";
  nlohmann::ordered_json result = {
      {"config", config_to_json(config)},
      {"metrics", {{"sqnr_db", nullptr}, {"loss", 1.5}, {"ssm", {{"bits", 4}}}, {"list", {1, 2}}}},
      {"hardware",
       {{"totals", {{"latency_ns", 120.5}, {"bounding_unit", "cim"}, {"units", {1, 2}}}},
        {"area", {{"area_mm2", 0.25}}},
        {"accelerator", {{"node_nm", 22}}}}}};
  std::ofstream(point / "result.json") << result.dump(2);
  // p0001: a result of another config (stale); p0002: failed.
  const auto stale = dir.path() / "points" / "p0001-seed=5";
  std::filesystem::create_directories(stale);
  const RunConfig other = load_run_config(std::nullopt, {"seed=5"});
  std::ofstream(stale / "config.yaml") << render_config_yaml(other);
  std::ofstream(stale / "layers.csv") << "layer\n";
  std::ofstream(stale / "result.json") << result.dump(2);
  std::filesystem::create_directories(dir.path() / "points" / "p0002-seed=6");
  std::ofstream(dir.path() / "points" / "p0002-seed=6" / "failed.txt") << "exit 1: boom\n";

  const SweepMerge merged = merge_sweep_results(dir.path(), table);
  EXPECT_EQ(merged.csv,
            "point,seed,status,sqnr_db,loss,ssm.bits,hardware.totals.latency_ns,"
            "hardware.totals.bounding_unit,hardware.area.area_mm2\n"
            "p0000-seed=4,4,ok,,1.5,4,120.5,cim,0.25\n"
            "p0001-seed=5,5,pending,,,,,,\n"
            "p0002-seed=6,6,failed,,,,,,\n");
  EXPECT_EQ(merged.ok, 1u);
  EXPECT_EQ(merged.pending, 1u);
  EXPECT_EQ(merged.failed, 1u);
}

// ---- calibration fingerprint --------------------------------------------------------------

RunConfig mamba(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> sets{"workload.kind=mamba", "workload.mamba.model=m",
                                "hw.cim.adc.range=static"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return load_run_config(std::nullopt, sets);
}

TEST(SweepCalibration, RunOnlyKeysShareAndCalibrationKeysSplit) {
  const std::string base = shared_calibration_key(mamba());
  // Keys the calibration does not read: equal fingerprints.
  for (const char* same :
       {"hw.cim.adc.bits=6", "workload.ssm_input.scheme=group", "workload.ssm_input.n_dim_groups=2",
        "workload.mamba.windows=3", "workload.mamba.text=other.txt", "seed=9",
        "hw.cim.adc.noise_lsb=0.5", "ssm.exp_impl=pwl", "hw.cim.adc.range=dynamic",
        "quant.layers.x_proj.quantize=false", "quant.layers.out_proj.adc_bits=5",
        // 0 means hw.cim.rows (256) in a mamba run: the same rows per conversion
        "hw.cim.rows_per_adc=256"})
    EXPECT_EQ(shared_calibration_key(mamba({same})), base) << same;
  // Keys it reads: different fingerprints.
  for (const char* other :
       {"workload.mamba.calib_windows=3", "workload.mamba.window=128", "quant.a_range=dynamic",
        "quant.w_bits=6", "quant.layers.in_proj.a_bits=10", "hw.cim.rows=128",
        "quant.weight_slice_bits=2", "quant.weight_encoding=differential",
        "calib.observer=percentile_ema", "workload.ssm_input.value_bits=5",
        "workload.mamba.model=n", "workload.mamba.calib_text=c.txt"})
    EXPECT_NE(shared_calibration_key(mamba({other})), base) << other;
  // KL and MSE search a clipping threshold for the ADC bits: the bits split their groups.
  EXPECT_NE(shared_calibration_key(mamba({"calib.observer=kl", "hw.cim.adc.bits=6"})),
            shared_calibration_key(mamba({"calib.observer=kl"})));
  EXPECT_NE(shared_calibration_key(mamba({"calib.observer=mse", "quant.layers.x_proj.adc_bits=6"})),
            shared_calibration_key(mamba({"calib.observer=mse"})));
  EXPECT_EQ(calibration_group_name(base).size(), 17u);  // "c" + 16 hex digits
  EXPECT_EQ(calibration_group_name(base), calibration_group_name(base));
  EXPECT_NE(calibration_group_name(base), calibration_group_name(base + " "));
}

TEST(SweepCalibration, OnlyCalibratingMambaPointsWithoutTheirOwnFileShare) {
  EXPECT_TRUE(can_share_calibration(mamba()));                              // static ADC
  EXPECT_TRUE(can_share_calibration(mamba({"hw.cim.adc.range=dynamic"})));  // static int8 u
  // Everything dynamic: nothing to calibrate.
  EXPECT_FALSE(can_share_calibration(mamba(
      {"quant.a_range=dynamic", "hw.cim.adc.range=dynamic", "workload.ssm_input.range=dynamic"})));
  EXPECT_FALSE(can_share_calibration(mamba({"calib.load=x.safetensors"})));
  EXPECT_FALSE(can_share_calibration(mamba({"calib.save=x.safetensors"})));
  EXPECT_FALSE(can_share_calibration(load_run_config(
      std::nullopt, {"workload.kind=linear", "quant.a_range=static", "hw.cim.adc.range=static"})));
}

}  // namespace
}  // namespace cimba::sim
