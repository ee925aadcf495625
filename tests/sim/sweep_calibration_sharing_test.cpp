// `cimba sweep` on the mamba workload (a tiny random model): points whose calibration
// fingerprints are equal calibrate once (calib.save by a representative, calib.load by the
// others) and give byte-identical results to calibrating every point itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "test_helpers.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::sim {
namespace {

using testing::Outcome;
using testing::read_text;
using testing::run_cimba;
using testing::ScratchDir;
namespace fs = std::filesystem;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

/// A 2-layer byte-level Mamba1 (d_model 32, d_inner 64) with random weights, and a sweep over
/// it: 3 ADC resolutions x 2 calibration window counts x 2 SSM-input schemes = 12 points. With
/// the absmax observer only calib_windows changes the calibration: 2 groups of 6 points.
fs::path write_mamba_sweep(const ScratchDir& dir) {
  workloads::MambaConfig c;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.state_size = 4;
  c.time_step_rank = 4;
  c.conv_kernel = 4;
  c.num_hidden_layers = 2;
  c.vocab_size = 256;
  workloads::MambaRandomOptions random;
  random.seed = 11;
  workloads::write_random_mamba(dir.path() / "model", c, random);
  return dir.write("mamba.yaml",
                   "base:\n"
                   "  workload:\n"
                   "    kind: mamba\n"
                   "    mamba: {model: " +
                       (dir.path() / "model").string() +
                       ", window: 32, windows: 2, batch_windows: 2}\n"
                       "  quant: {a_range: static}\n"
                       "  hw: {cim: {adc: {range: static}}}\n"
                       "grid:\n"
                       "  hw.cim.adc.bits: [6..8]\n"
                       "  workload.mamba.calib_windows: [1, 2]\n"
                       "  workload.ssm_input.scheme: [int8, dual_scale]\n");
}

std::map<std::string, int> calibration_sources(const fs::path& out) {
  std::map<std::string, int> count;
  for (const auto& entry : fs::directory_iterator(out / "points")) {
    const auto result = nlohmann::json::parse(read_text(entry.path() / "result.json"));
    ++count[result["calibration"]["source"].get<std::string>()];
  }
  return count;
}

TEST(CimbaSweepCalibration, EqualFingerprintsCalibrateOnceWithIdenticalResults) {
  ScratchDir dir;
  const fs::path file = write_mamba_sweep(dir);
  const fs::path shared = dir.path() / "shared", own = dir.path() / "own";
  const Outcome r = run_cimba(dir, "sweep " + q(file) + " -j 2 --out " + q(shared));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("12 to run, 2 shared calibration(s)"), std::string::npos) << r.out;
  // One representative per group computed and saved it; the 10 others loaded it.
  EXPECT_EQ(calibration_sources(shared),
            (std::map<std::string, int>{{"computed", 2}, {"loaded", 10}}));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(shared / "calib")) {
    EXPECT_EQ(entry.path().extension(), ".safetensors");
    EXPECT_EQ(entry.path().filename().string().front(), 'c') << "no temp file left";
    ++files;
  }
  EXPECT_EQ(files, 2);

  const Outcome alone =
      run_cimba(dir, "sweep " + q(file) + " -j 2 --no-shared-calibration --out " + q(own));
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(calibration_sources(own), (std::map<std::string, int>{{"computed", 12}}));
  EXPECT_FALSE(fs::exists(own / "calib"));
  EXPECT_EQ(read_text(shared / "sweep.csv"), read_text(own / "sweep.csv"));
  EXPECT_NE(read_text(own / "sweep.csv").find(",loss_delta_nats_per_byte,"), std::string::npos);

  // A re-run finds every result complete (the calib.save / calib.load the sweep passed do not
  // make the results stale).
  const Outcome again = run_cimba(dir, "sweep " + q(file) + " -j 2 --out " + q(shared));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("12 complete (skipped), 0 to run"), std::string::npos) << again.out;
}

TEST(CimbaSweepCalibration, ShardsReuseACalibrationAnotherShardMade) {
  ScratchDir dir;
  const fs::path file = write_mamba_sweep(dir);
  const fs::path out = dir.path() / "out";
  ASSERT_EQ(run_cimba(dir, "sweep " + q(file) + " -j 2 --shard 0/2 --out " + q(out)).exit_code, 0);
  const Outcome second = run_cimba(dir, "sweep " + q(file) + " -j 2 --shard 1/2 --out " + q(out));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // Shard 0 made both group files; shard 1 loads them for all of its 6 points.
  EXPECT_EQ(calibration_sources(out),
            (std::map<std::string, int>{{"computed", 2}, {"loaded", 10}}));
  const fs::path own = dir.path() / "own";
  ASSERT_EQ(
      run_cimba(dir, "sweep " + q(file) + " --no-shared-calibration --out " + q(own)).exit_code, 0);
  EXPECT_EQ(read_text(out / "sweep.csv"), read_text(own / "sweep.csv"));
}

}  // namespace
}  // namespace cimba::sim
