// `cimba run` with workload.kind: mamba on the real mamba-bytes-4l model (sim/run.cpp): the
// result files, determinism, calib.save -> calib.load, and the config errors that need the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/run.hpp"
#include "test_helpers.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::sim {
namespace {

using testing::error_message;
using testing::ScratchDir;

const std::string kModel =
    (std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mamba-bytes-4l").string();

#define REQUIRE_MODEL()                                                        \
  if (!std::filesystem::exists(std::filesystem::path(kModel) / "config.json")) \
  GTEST_SKIP() << "needs " << kModel << " (shared data, not in the repository)"

/// A short mamba run: 2 windows of 256 bytes, 2 calibration windows.
RunConfig mamba_config(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> sets{"workload.kind=mamba", "workload.mamba.model=" + kModel,
                                "workload.mamba.windows=2", "workload.mamba.calib_windows=2"};
  sets.insert(sets.end(), extra.begin(), extra.end());
  return load_run_config(std::nullopt, sets);
}

TEST(RunMamba, ModelDefaultsToTheBuiltinModelAndAnEmptyOneIsNamed) {
  EXPECT_EQ(load_run_config(std::nullopt, {"workload.kind=mamba"}).workload.mamba.model,
            "builtin:mamba-bytes-4l");
  const std::string message = error_message<ConfigError>([] {
    load_run_config(std::nullopt, {"workload.kind=mamba", "workload.mamba.model="});
  });
  EXPECT_NE(message.find("workload.mamba.model: required when workload.kind is mamba"),
            std::string::npos)
      << message;
}

TEST(RunMamba, CalibrationFileKeysBelongToTheMambaWorkload) {
  const std::string message = error_message<ConfigError>([] {
    load_run_config(std::nullopt, {"workload.kind=linear", "calib.save=c.st"});
  });
  EXPECT_NE(message.find("calib.save: only the mamba"), std::string::npos) << message;
}

TEST(RunMamba, GroupLayoutIsCheckedAgainstTheModelAndNamesTheKey) {
  REQUIRE_MODEL();
  // d_inner 1536 / (G 8 x head_dim 64) = 3 heads per SSD group: 4 head groups cannot be cut.
  const RunConfig config =
      mamba_config({"workload.ssm_input.scheme=group", "workload.ssm_input.n_ssd_groups=8"});
  const std::string message = error_message<ConfigError>([&] { execute_run(config); });
  EXPECT_EQ(
      message.rfind("workload.ssm_input.n_head_groups: 4 exceeds the 3 heads per SSD group", 0), 0u)
      << message;
}

TEST(RunMamba, WritesMetricsAndOneRowPerLayerAndPointByteIdenticallyTwice) {
  REQUIRE_MODEL();
  // ADC noise on: determinism must hold for the seeded noise too.
  const RunConfig config = mamba_config({"hw.cim.adc.noise_lsb=0.5", "seed=3"});
  const RunOutput a = execute_run(config);
  const RunOutput b = execute_run(config);
  EXPECT_EQ(a.result.dump(2), b.result.dump(2));
  EXPECT_EQ(a.layers_csv, b.layers_csv);

  const auto& m = a.result["metrics"];
  const double loss = m["loss_nats_per_byte"], ref = m["loss_fp32_nats_per_byte"];
  EXPECT_DOUBLE_EQ(m["loss_delta_nats_per_byte"].get<double>(), loss - ref);
  EXPECT_NEAR(m["perplexity"].get<double>(), std::exp(loss), 1e-12);
  EXPECT_LT(std::abs(loss - ref), 0.02 * ref);  // W8A12, 10-bit ADC, int8 SSM input
  EXPECT_EQ(a.result["workload"]["predicted_bytes"], 512);
  EXPECT_EQ(a.result["calibration"]["source"], "computed");
  EXPECT_EQ(a.result["ssm_input"]["scheme"], "int8");
  EXPECT_EQ(a.result["ssm_input"]["bytes_per_token_per_layer"], 1536);
  // 4 layers x 7 points (in_proj, ssm_input, x_proj, dt_proj, ssm, out_proj, residual) + lm_head,
  // and the CSV has the same rows under one header.
  EXPECT_EQ(a.result["layers"].size(), 29u);
  EXPECT_EQ(std::count(a.layers_csv.begin(), a.layers_csv.end(), '\n'), 30);
  EXPECT_EQ(a.layers_csv.rfind("layer,block,point,quantized,", 0), 0u);
  EXPECT_EQ(a.result["layers"][1]["block"], "ssm_input");
  EXPECT_EQ(a.result["layers"][28]["block"], "lm_head");
  EXPECT_EQ(a.result["layers"][28]["quantized"], false);  // lm_head stays FP32 by default

  const RunOutput other_seed = execute_run(mamba_config({"hw.cim.adc.noise_lsb=0.5", "seed=4"}));
  EXPECT_NE(other_seed.result["metrics"]["loss_nats_per_byte"], m["loss_nats_per_byte"]);
}

TEST(RunMamba, SavedCalibrationLoadsToIdenticalResultsAndRejectsOtherSettings) {
  REQUIRE_MODEL();
  ScratchDir dir;
  const std::string file = (dir.path() / "calib.safetensors").string();
  const std::vector<std::string> static_all{"quant.a_range=static", "hw.cim.adc.range=static",
                                            "workload.ssm_input.scheme=dual_scale"};
  std::vector<std::string> save = static_all, load = static_all;
  save.push_back("calib.save=" + file);
  load.push_back("calib.load=" + file);
  const RunOutput saved = execute_run(mamba_config(save));
  ASSERT_TRUE(std::filesystem::exists(file));
  const RunOutput loaded = execute_run(mamba_config(load));
  EXPECT_EQ(loaded.result["calibration"]["source"], "loaded");
  EXPECT_EQ(saved.result["metrics"].dump(), loaded.result["metrics"].dump());
  EXPECT_EQ(saved.result["layers"].dump(), loaded.result["layers"].dump());
  EXPECT_EQ(saved.layers_csv, loaded.layers_csv);

  // A run whose calibration would differ is refused, naming the key.
  load.push_back("quant.a_bits=14");
  const std::string message = error_message<ConfigError>([&] { execute_run(mamba_config(load)); });
  EXPECT_NE(message.find("quant.a_bits: file 12, this run 14"), std::string::npos) << message;

  // A file written before quant.input_encoding / weight_slice_bits / weight_encoding existed has
  // no fingerprint entries for them: it was calibrated with their defaults, so it still loads for
  // the defaults and is refused, naming the file and the key, for anything else.
  const workloads::SafetensorsFile f = workloads::SafetensorsFile::read(file);
  auto meta = f.metadata();
  for (const char* key :
       {"quant.input_encoding", "quant.weight_slice_bits", "quant.weight_encoding"})
    ASSERT_EQ(meta.erase(std::string("fingerprint.") + key), 1u) << key;
  std::vector<workloads::Tensor> tensors;
  for (const auto& name : f.names()) tensors.push_back(f.at(name));
  workloads::write_safetensors(file, tensors, meta);
  load.pop_back();
  const RunOutput old_file = execute_run(mamba_config(load));
  EXPECT_EQ(saved.result["metrics"].dump(), old_file.result["metrics"].dump());
  load.push_back("quant.weight_slice_bits=4");
  const std::string sliced = error_message<ConfigError>([&] { execute_run(mamba_config(load)); });
  EXPECT_NE(sliced.find(file), std::string::npos) << sliced;
  EXPECT_NE(sliced.find("recalibrate"), std::string::npos) << sliced;
  EXPECT_NE(sliced.find("quant.weight_slice_bits: not recorded in the file (this run: 4)"),
            std::string::npos)
      << sliced;
}

}  // namespace
}  // namespace cimba::sim
