// `cimba run` with workload.kind: jit on the real jit-mnist-tiny model and MNIST test set
// (sim/families/jit.cpp): result files with accuracy and hardware metrics, one layers row per
// timestep, block and linear, determinism, calib.save -> calib.load, and the config errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/run.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::error_message;
using testing::ScratchDir;

const std::filesystem::path kData(CIMBA_SHARED_DATA_DIR);
const std::string kModel = (kData / "jit-mnist-tiny").string();
const std::string kMnist = (kData / "mnist").string();

#define REQUIRE_JIT_DATA()                                                                   \
  if (!std::filesystem::exists(std::filesystem::path(kModel) / "config.json") ||             \
      !std::filesystem::exists(std::filesystem::path(kMnist) / "t10k-labels-idx1-ubyte.gz")) \
  GTEST_SKIP() << "needs " << kModel << " and " << kMnist << " (shared data, not in the repository)"

/// A short jit run: 2 images x 2 timesteps, 1 sample of 3 steps, static ranges and ADC
/// calibrated on 8 images (so the calibration path runs), 256-row tiles as the hardware.
RunConfig jit_config(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> sets{"workload.kind=jit",
                                "workload.jit.model=" + kModel,
                                "workload.jit.mnist=" + kMnist,
                                "workload.jit.eval.images=2",
                                "workload.jit.eval.timesteps=0.3, 0.7",
                                "workload.jit.sample.count=1",
                                "workload.jit.sample.steps=3",
                                "workload.jit.calib_images=8",
                                "workload.jit.calib_batch=4",
                                "quant.a_range=static",
                                "hw.cim.adc.range=static",
                                "hw.cim.rows_per_adc=256"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return load_run_config(std::nullopt, sets);
}

TEST(RunJit, MissingModelOrMnistIsAConfigErrorNamingTheKey) {
  // No data needed: the keys are checked before anything is read.
  const RunConfig no_model =
      load_run_config(std::nullopt, {"workload.kind=jit", "workload.jit.mnist=somewhere"});
  std::string message = error_message<ConfigError>([&] { execute_run(no_model); });
  EXPECT_EQ(message.rfind("workload.jit.model: required when workload.kind is jit", 0), 0u)
      << message;
  const RunConfig no_mnist =
      load_run_config(std::nullopt, {"workload.kind=jit", "workload.jit.model=somewhere"});
  message = error_message<ConfigError>([&] { execute_run(no_mnist); });
  EXPECT_EQ(message.rfind("workload.jit.mnist: required when workload.kind is jit", 0), 0u)
      << message;
}

TEST(RunJit, MalformedListsNameTheKey) {
  const RunConfig bad_t =
      load_run_config(std::nullopt, {"workload.kind=jit", "workload.jit.model=m",
                                     "workload.jit.mnist=d", "workload.jit.eval.timesteps=0.1,x"});
  std::string message = error_message<ConfigError>([&] { execute_run(bad_t); });
  EXPECT_EQ(message.rfind("workload.jit.eval.timesteps:", 0), 0u) << message;
  const RunConfig bad_bits =
      load_run_config(std::nullopt, {"workload.kind=jit", "workload.jit.model=m",
                                     "workload.jit.mnist=d", "workload.jit.taq.bits=8,6"});
  message = error_message<ConfigError>([&] { execute_run(bad_bits); });
  EXPECT_EQ(message.rfind("workload.jit.taq.bits:", 0), 0u) << message;
}

TEST(RunJit, WritesAccuracyHardwareAndOneRowPerBlockAndLinearByteIdenticallyTwice) {
  REQUIRE_JIT_DATA();
  // ADC noise on: determinism must hold for the seeded noise too.
  const RunConfig config = jit_config({"hw.cim.adc.noise_lsb=0.5", "seed=3"});
  const RunOutput a = execute_run(config);
  const RunOutput b = execute_run(config);
  EXPECT_EQ(a.result.dump(2), b.result.dump(2));
  EXPECT_EQ(a.layers_csv, b.layers_csv);

  const auto& r = a.result;
  EXPECT_EQ(r.at("workload").at("kind"), "jit");
  EXPECT_EQ(r.at("calibration").at("source"), "computed");
  const auto& m = r.at("metrics");
  for (const char* key : {"mean_pred_x_psnr_db", "pred_x_sqnr_db", "min_linear_sqnr_db",
                          "sample_psnr_db", "sample_sqnr_db"}) {
    ASSERT_TRUE(m.at(key).is_number()) << key;
    EXPECT_GT(m.at(key).get<double>(), 15.0) << key;  // W8A12: tens of dB (docs/jit.md)
  }
  ASSERT_EQ(m.at("by_timestep").size(), 2u);
  EXPECT_EQ(m.at("by_timestep").at(0).at("t").get<double>(), 0.3);

  const auto& hw = r.at("hardware");
  const auto& t = hw.at("totals");
  EXPECT_GT(t.at("latency_cycles").get<std::int64_t>(), 0);
  EXPECT_GT(t.at("latency_ns").get<double>(), 0.0);
  EXPECT_GT(t.at("energy_pJ").get<double>(), 0.0);
  EXPECT_GT(hw.at("area").at("area_um2").get<double>(), 0.0);
  // Depth 6, every block simulated as block 0: the network call is 6 blocks.
  ASSERT_EQ(hw.at("layers").size(), 6u);
  EXPECT_EQ(t.at("latency_cycles").get<std::int64_t>(),
            6 * hw.at("layers").at(0).at("latency_cycles").get<std::int64_t>());
  EXPECT_EQ(hw.at("timestep").get<double>(), 0.7);  // the middle of {0.3, 0.7}: index 1

  // Rows: per timestep (0.3, 0.7, then all: -1) and block, qkv, proj, w12, w3, adaLN, out; the
  // block rows carry the block's hardware columns, the model-level rows none.
  std::set<std::string> seen;
  for (const auto& row : r.at("layers")) {
    const int block = row.at("block").get<int>();
    seen.insert(std::to_string(row.at("t").get<double>()) + "/" + std::to_string(block) + "/" +
                row.at("point").get<std::string>());
    if (block >= 0) {
      EXPECT_GT(row.at("hw_latency_cycles").get<std::int64_t>(), 0);
    } else {
      EXPECT_TRUE(row.at("hw_latency_cycles").is_null());
    }
  }
  for (double tt : {0.3, 0.7, -1.0})
    for (int block = 0; block < 6; ++block)
      for (const char* point : {"attn.qkv", "attn.proj", "mlp.w12", "mlp.w3", "adaLN", "out"})
        EXPECT_TRUE(seen.count(std::to_string(tt) + "/" + std::to_string(block) + "/" + point))
            << tt << " " << block << " " << point;
  EXPECT_TRUE(seen.count(std::to_string(-1.0) + "/-1/pred_x"));
  // layers.csv: a header and one line per row of `layers`.
  std::size_t lines = 0;
  for (char c : a.layers_csv) lines += c == '\n';
  EXPECT_EQ(lines, r.at("layers").size() + 1);
  EXPECT_NE(a.summary.find("pred_x       PSNR vs FP32"), std::string::npos) << a.summary;
}

TEST(RunJit, SavedCalibrationLoadsToTheSameResultAndRefusesOtherSettings) {
  REQUIRE_JIT_DATA();
  ScratchDir dir;
  const std::string file = (dir.path() / "jit_cal.safetensors").string();
  const std::vector<std::string> small{"workload.jit.sample.count=0",
                                       "workload.jit.eval.timesteps=0.5"};
  std::vector<std::string> save = small, load = small, other = small;
  save.push_back("calib.save=" + file);
  load.push_back("calib.load=" + file);
  other.push_back("calib.load=" + file);
  other.push_back("quant.a_bits=10");
  const RunOutput saved = execute_run(jit_config(save));
  const RunOutput loaded = execute_run(jit_config(load));
  EXPECT_EQ(loaded.result.at("calibration").at("source"), "loaded");
  EXPECT_EQ(saved.result.at("metrics").dump(), loaded.result.at("metrics").dump());
  EXPECT_EQ(saved.layers_csv, loaded.layers_csv);
  const std::string message = error_message<ConfigError>([&] { execute_run(jit_config(other)); });
  EXPECT_NE(message.find("quant.a_bits: file 12, this run 10"), std::string::npos) << message;
}

}  // namespace
}  // namespace cimba::sim
