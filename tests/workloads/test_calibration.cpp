// Calibration of the quantized Mamba replay (workloads/mamba1/calibration.hpp) on the real
// mamba-bytes-4l model: what the observers record, determinism, and the safetensors round trip
// (save -> load gives the same numbers and the same replay, bit for bit).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/common/error.hpp"
#include "test_replay_util.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/quant_replay.hpp"

namespace cimba::workloads {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("cimba_calib_" + std::to_string(::getpid()) + "_" + name);
}

bool same(const LinearCalibration& a, const LinearCalibration& b) {
  return a.range_x == b.range_x && a.acc_full_scale == b.acc_full_scale;
}

bool same(const MambaCalibration& a, const MambaCalibration& b) {
  if (a.layers.size() != b.layers.size() || a.windows != b.windows || a.tokens != b.tokens ||
      a.fingerprint != b.fingerprint || !same(a.lm_head, b.lm_head))
    return false;
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    for (std::size_t k = 0; k < 4; ++k)
      if (!same(a.layers[l].linear[k], b.layers[l].linear[k])) return false;
    const SsmInputCalibration &x = a.layers[l].ssm_input, &y = b.layers[l].ssm_input;
    if (x.int8_range != y.int8_range || x.channel_absmax != y.channel_absmax ||
        x.dual.value_bits != y.dual.value_bits || x.dual.tau != y.dual.tau ||
        x.dual.scale1 != y.dual.scale1 || x.dual.k != y.dual.k || x.dual.scale2 != y.dual.scale2)
      return false;
  }
  return true;
}

/// Static everything: calibrated activation ranges and ADC full scales, int8 SSM input.
QuantReplayConfig static_config() {
  QuantReplayConfig rc;
  rc.static_range_x = true;
  for (auto& bs : rc.linear) bs.adc.range = numerics::AdcRange::Static;
  return rc;
}

TEST(MambaCalibration, RangesAreTheObservedMaximaOfTheReferenceActivations) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc = static_config();
  const MambaCalibration c =
      calibrate_mamba(replay_model(), calibration_windows(), calibration_options(rc));
  ASSERT_EQ(c.layers.size(), 4u);
  EXPECT_EQ(c.windows, 2);
  EXPECT_EQ(c.tokens, 512);
  // The absmax observer's ranges are max|x| of the FP32 reference at each point.
  double mixer_in = 0.0, u0 = 0.0, out_in = 0.0;
  std::vector<double> channel(1536, 0.0);
  MambaForwardOptions fo;
  fo.observer = [&](int layer, const std::string& point, const numerics::MatrixF& v) {
    if (layer != 0) return;
    const double m = v.cwiseAbs().maxCoeff();
    if (point == "mixer.in") mixer_in = std::max(mixer_in, m);
    if (point == "out_proj.in") out_in = std::max(out_in, m);
    if (point == "conv1d.out") {
      u0 = std::max(u0, m);
      for (Eigen::Index c2 = 0; c2 < v.cols(); ++c2)
        channel[static_cast<std::size_t>(c2)] =
            std::max(channel[static_cast<std::size_t>(c2)],
                     static_cast<double>(v.col(c2).cwiseAbs().maxCoeff()));
    }
  };
  mamba_forward(replay_model(), calibration_windows().inputs, 2, 256, fo);
  EXPECT_EQ(c.linear(0, LinearKind::InProj).range_x, mixer_in);
  EXPECT_EQ(c.linear(0, LinearKind::XProj).range_x, u0);
  EXPECT_EQ(c.linear(0, LinearKind::OutProj).range_x, out_in);
  EXPECT_EQ(c.layers[0].ssm_input.int8_range, u0);
  EXPECT_EQ(c.layers[0].ssm_input.channel_absmax, channel);
  // Dual scale: tau is a percentile below the max, k a power of two covering max / tau.
  const numerics::DualScaleParams& d = c.layers[0].ssm_input.dual;
  EXPECT_GT(d.tau, 0.0);
  EXPECT_LT(d.tau, u0);
  EXPECT_GE(d.k * d.tau, u0);
  EXPECT_EQ(std::exp2(std::round(std::log2(d.k))), d.k);
  // ADC full scales: one per slice (2 for W8A12 with 8-bit slices overlapping by 4) and row tile
  // (1: rows_per_adc 0 = the whole column), positive.
  for (int l = 0; l < 4; ++l)
    for (LinearKind k : {LinearKind::InProj, LinearKind::XProj, LinearKind::DtProj,
                         LinearKind::OutProj, LinearKind::LmHead}) {
      const auto& fs = c.linear(l, k).acc_full_scale;
      ASSERT_EQ(fs.size(), 2u);
      ASSERT_EQ(fs[0].size(), 1u);
      EXPECT_GT(fs[0][0], 0.0);
      EXPECT_GT(fs[1][0], 0.0);
    }
}

TEST(MambaCalibration, SaveLoadRoundTripGivesIdenticalNumbersAndReplay) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc = static_config();
  rc.quantize = {true, false, false, true, false};  // in_proj and out_proj: enough, faster
  rc.linear[0].rows_per_adc = 256;                  // 3 row tiles of the 768 in_proj rows
  rc.linear[3].rows_per_adc = 256;                  // 6 row tiles of the 1536 out_proj rows
  MambaCalibration a =
      calibrate_mamba(replay_model(), calibration_windows(), calibration_options(rc));
  a.fingerprint = {{"quant.a_bits", "12"}, {"calib.observer", "absmax"}};
  EXPECT_EQ(a.linear(1, LinearKind::InProj).acc_full_scale[0].size(), 3u);
  EXPECT_EQ(a.linear(1, LinearKind::OutProj).acc_full_scale[1].size(), 6u);
  // Deterministic: a second calibration gives the same numbers bit for bit.
  MambaCalibration again =
      calibrate_mamba(replay_model(), calibration_windows(), calibration_options(rc));
  again.fingerprint = a.fingerprint;
  EXPECT_TRUE(same(a, again));

  const auto file = temp_file("roundtrip.safetensors");
  save_calibration(a, file);
  const MambaCalibration b = load_calibration(file);
  std::filesystem::remove(file);
  EXPECT_TRUE(same(a, b));

  // Equal numbers give an equal replay; checked once on the scheme that rebuilds the most from
  // them (group tables cut from the loaded per-channel absmax) with the linears static.
  rc.ssm_input.scheme = SsmInputScheme::Group;
  const QuantReplayResult ra = run_quant_replay(replay_model(), replay_windows(), rc, &a);
  const QuantReplayResult rb = run_quant_replay(replay_model(), replay_windows(), rc, &b);
  EXPECT_EQ(ra.nats_per_token, rb.nats_per_token);
  EXPECT_EQ(ra.window_nats, rb.window_nats);
}

TEST(MambaCalibration, LoadRejectsOtherFiles) {
  const auto file = temp_file("other.safetensors");
  write_safetensors(file, {make_tensor_f32("W", {1}, {1.0f})});
  EXPECT_THROW(load_calibration(file), FormatError);
  std::filesystem::remove(file);
  EXPECT_THROW(load_calibration(temp_file("missing.safetensors")), IoError);
}

}  // namespace
}  // namespace cimba::workloads
