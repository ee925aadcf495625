// The one list of calibration-relevant keys (sim/calibration_fingerprint): what each family's
// calibration file records, and what calib.load accepts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "sim/calibration_fingerprint.hpp"
#include "sim/config.hpp"

namespace cimba::sim {
namespace {

RunConfig config(const std::vector<std::string>& sets) {
  return load_run_config(std::nullopt, sets);
}

std::vector<std::string> keys_of(const std::map<std::string, std::string>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

TEST(CalibrationFingerprint, MambaRecordsTheKeysItsCalibrationReads) {
  const auto fp =
      calibration_fingerprint(config({"workload.mamba.model=m"}), CalibrationFamily::Mamba);
  const std::vector<std::string> expected{"calib.ema_sigma",
                                          "calib.observer",
                                          "calib.percentile_alpha",
                                          "hw.cim.rows_per_adc",
                                          "quant.a_bits",
                                          "quant.a_range",
                                          "quant.input_encoding",
                                          "quant.layers.dt_proj.a_bits",
                                          "quant.layers.dt_proj.w_bits",
                                          "quant.layers.in_proj.a_bits",
                                          "quant.layers.in_proj.w_bits",
                                          "quant.layers.lm_head.a_bits",
                                          "quant.layers.lm_head.w_bits",
                                          "quant.layers.out_proj.a_bits",
                                          "quant.layers.out_proj.w_bits",
                                          "quant.layers.x_proj.a_bits",
                                          "quant.layers.x_proj.w_bits",
                                          "quant.overlap_bits",
                                          "quant.slice_bits",
                                          "quant.w_bits",
                                          "quant.w_clip_pct",
                                          "quant.weight_encoding",
                                          "quant.weight_slice_bits",
                                          "workload.mamba.batch_windows",
                                          "workload.mamba.calib_text",
                                          "workload.mamba.calib_windows",
                                          "workload.mamba.model",
                                          "workload.mamba.out_proj_rescale",
                                          "workload.mamba.window",
                                          "workload.ssm_input.fixed_k",
                                          "workload.ssm_input.inlier_pct",
                                          "workload.ssm_input.k_round",
                                          "workload.ssm_input.value_bits"};
  std::vector<std::string> got;
  for (const std::string& k : keys_of(fp))  // jit linear types' keys are not listed above
    if (k.rfind("quant.layers.", 0) != 0 || k.find("_proj.") != std::string::npos ||
        k.find("lm_head.") != std::string::npos)
      got.push_back(k);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(fp.at("hw.cim.rows_per_adc"), "256");  // 0 = hw.cim.rows
  EXPECT_EQ(fp.count("hw.cim.adc.bits"), 0u);      // absmax: the bits do not matter
  const auto kl = calibration_fingerprint(config({"workload.mamba.model=m", "calib.observer=kl"}),
                                          CalibrationFamily::Mamba);
  EXPECT_EQ(kl.count("hw.cim.adc.bits"), 1u);  // KL searches a threshold for the bits
  EXPECT_EQ(kl.count("quant.layers.in_proj.adc_bits"), 1u);
}

TEST(CalibrationFingerprint, JitRecordsItsKeysUnderRunAndOnlyQuantizedTypes) {
  const auto fp = calibration_fingerprint(config({"workload.kind=jit", "workload.jit.model=j"}),
                                          CalibrationFamily::Jit);
  for (const char* k : {"run.seed", "run.workload.jit.model", "run.hw.cim.adc.bits",
                        "run.hw.cim.adc.range", "run.quant.layers.qkv.quantize",
                        "run.quant.layers.w3.adc_bits", "run.quant.weight_slice_bits"})
    EXPECT_EQ(fp.count(k), 1u) << k;
  for (const char* k : {"run.workload.mamba.model", "run.quant.layers.in_proj.w_bits",
                        "run.quant.layers.adaLN.w_bits", "run.hw.cim.rows"})
    EXPECT_EQ(fp.count(k), 0u) << k;  // adaLN stays FP32 by default
  const auto on = calibration_fingerprint(
      config({"workload.kind=jit", "workload.jit.model=j", "quant.layers.adaLN.quantize=true"}),
      CalibrationFamily::Jit);
  EXPECT_EQ(on.count("run.quant.layers.adaLN.w_bits"), 1u);
}

TEST(CalibrationFingerprint, LoadAcceptsEqualOrOlderFilesAndNamesEveryDifference) {
  const RunConfig base = config({"workload.mamba.model=m", "calib.load=c.safetensors"});
  auto recorded = calibration_fingerprint(base, CalibrationFamily::Mamba);
  EXPECT_NO_THROW(check_calibration_fingerprint(recorded, base, CalibrationFamily::Mamba));
  recorded.erase("quant.weight_slice_bits");  // a file written before the key existed
  EXPECT_NO_THROW(check_calibration_fingerprint(recorded, base, CalibrationFamily::Mamba));
  const RunConfig other = config({"workload.mamba.model=m", "calib.load=c.safetensors",
                                  "quant.a_bits=10", "quant.weight_slice_bits=2"});
  try {
    check_calibration_fingerprint(recorded, other, CalibrationFamily::Mamba);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("calib.load: c.safetensors was calibrated with other settings"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("quant.a_bits: file 12, this run 10"), std::string::npos) << m;
    EXPECT_NE(m.find("quant.weight_slice_bits: not recorded in the file (this run: 2)"),
              std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace cimba::sim
