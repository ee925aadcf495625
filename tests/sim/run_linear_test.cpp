// `cimba run` on the linear workload, end to end: results, determinism, calibration, and failures
// that leave nothing partial behind.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/run.hpp"
#include "test_helpers.hpp"
#include "workloads/io/builtin_data.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::sim {
namespace {

using testing::Outcome;
// The linear workload as these tests knew it when it was the default: dynamic ranges.
const char* const kLinear =
    "--set workload.kind=linear --set quant.a_range=dynamic --set hw.cim.adc.range=dynamic ";

std::vector<std::string> linear(std::vector<std::string> sets) {
  sets.insert(sets.begin(),
              {"workload.kind=linear", "quant.a_range=dynamic", "hw.cim.adc.range=dynamic"});
  return sets;
}
using testing::read_text;
using testing::run_cimba;
using testing::ScratchDir;
namespace fs = std::filesystem;

TEST(RunLinear, BuiltinLayerWritesBothResultFiles) {
  ScratchDir dir;
  ASSERT_EQ(run_cimba(dir, std::string("run ") + kLinear + "--out '" +
                               (dir.path() / "out").string() + "'")
                .exit_code,
            0);
  const auto result = nlohmann::json::parse(read_text(dir.path() / "out" / "result.json"));
  EXPECT_EQ(result["tool"], "cimba");
  EXPECT_EQ(result["seed"], 1);
  EXPECT_EQ(result["config"]["hw"]["cim"]["adc"]["bits"], 10);
  // x_proj of mamba-bytes-4l layer 0 at W8A12 with a 10-bit ADC: accurate, not exact.
  const double sqnr = result["metrics"]["sqnr_db"];
  EXPECT_GT(sqnr, 30.0);
  EXPECT_LT(sqnr, 80.0);
  // 64 tokens x 80 outputs x 3 slices (12 bits in plain 4-bit digits) x 1 row tile = 15360.
  EXPECT_EQ(result["metrics"]["adc_conversions"], 15360);
  const std::string csv = read_text(dir.path() / "out" / "layers.csv");
  EXPECT_EQ(csv.substr(0, csv.find(',')), "layer");
  EXPECT_NE(csv.find("\nlinear,linear,linear_out,64,1536,80,3,1,"), std::string::npos) << csv;
}

TEST(RunLinear, SameConfigAndSeedGiveByteIdenticalResults) {
  const RunConfig cfg =
      load_run_config(std::nullopt, linear({"hw.cim.adc.noise_lsb=0.7", "seed=5"}));
  const RunOutput a = execute_run(cfg), b = execute_run(cfg);
  EXPECT_EQ(a.result.dump(), b.result.dump());
  EXPECT_EQ(a.layers_csv, b.layers_csv);
  // Another seed draws other noise.
  const RunOutput c =
      execute_run(load_run_config(std::nullopt, linear({"hw.cim.adc.noise_lsb=0.7", "seed=6"})));
  EXPECT_NE(a.result["metrics"]["sqnr_db"], c.result["metrics"]["sqnr_db"]);
}

TEST(RunLinear, FewerAdcBitsLoseAccuracy) {
  double previous = 1e9;
  for (int bits : {12, 8, 6, 4}) {
    const RunOutput out = execute_run(
        load_run_config(std::nullopt, linear({"hw.cim.adc.bits=" + std::to_string(bits)})));
    const double sqnr = out.result["metrics"]["sqnr_db"];
    EXPECT_LT(sqnr, previous) << bits << " bits";
    previous = sqnr;
  }
}

TEST(RunLinear, StaticCalibrationIsRecordedAndUsed) {
  const RunOutput out = execute_run(load_run_config(
      std::nullopt,
      {"workload.kind=linear", "quant.a_range=static", "hw.cim.adc.range=static",
       "hw.cim.rows_per_adc=512", "calib.observer=percentile_ema", "calib.batch_rows=16"}));
  const auto& cal = out.result["calibration"];
  ASSERT_TRUE(cal.contains("range_x"));
  // 1536 rows in tiles of 512: 3 row tiles for each of the 3 slices.
  ASSERT_EQ(cal["acc_full_scale"].size(), 3u);
  EXPECT_EQ(cal["acc_full_scale"][0].size(), 3u);
  // percentile_ema (alpha 0.9995) clips: the calibrated range is below the input's absmax.
  const auto x =
      workloads::SafetensorsFile::read(workloads::resolve_data_path("builtin:linear_example"))
          .f32("X");
  double absmax = 0;
  for (float v : x) absmax = std::max(absmax, double(std::fabs(v)));
  EXPECT_LT(cal["range_x"].get<double>(), absmax);
  EXPECT_GT(cal["range_x"].get<double>(), 0.3 * absmax);
  EXPECT_GT(out.result["metrics"]["adc_saturated"].get<long>() +
                out.result["layers"][0]["act_saturated"].get<long>(),
            0);
}

TEST(RunLinear, MissingTensorOrFileFailsWithoutPartialResults) {
  ScratchDir dir;
  const fs::path out = dir.path() / "out";
  Outcome r = run_cimba(dir, std::string("run ") + kLinear +
                                 "--set workload.linear.weight=nope --out '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no tensor named 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("workload.linear.weight"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "result.json"));
  EXPECT_FALSE(fs::exists(out / "layers.csv"));
  EXPECT_FALSE(fs::exists(out)) << "a failed run leaves no empty --out folder it made";
  r = run_cimba(dir, std::string("run ") + kLinear +
                         "--set workload.linear.file=/nonexistent.safetensors --out '" +
                         out.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "result.json"));
  // Input and weight of different widths.
  const fs::path bad = dir.path() / "bad.safetensors";
  workloads::write_safetensors(bad, {workloads::make_tensor_f32("W", {2, 3}, {1, 2, 3, 4, 5, 6}),
                                     workloads::make_tensor_f32("X", {1, 2}, {1, 2})});
  r = run_cimba(dir, std::string("run ") + kLinear + "--set workload.linear.file='" + bad.string() +
                         "' --out '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("2 features but weight 'W' has 3 columns"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "result.json"));
}

TEST(RunLinear, UnwritableOutputDirectoryFailsBeforeRunning) {
  ScratchDir dir;
  const fs::path file = dir.write("occupied", "a file, not a directory");
  const Outcome r = run_cimba(dir, std::string("run ") + kLinear + "--out '" + file.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\n"), r.err.size() - 1) << "one clear line: " << r.err;
}

}  // namespace
}  // namespace cimba::sim
