// Quantized replay of the real mamba-bytes-4l model (workloads/mamba1/quant_replay.hpp): exactness when
// nothing is quantized, the loss bound with an ideal ADC, the ADC-bits trend, the SSM-input
// schemes' statistics and determinism. Two 256-byte windows per run keep the suite fast.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/error.hpp"
#include "test_replay_util.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/mamba_eval.hpp"
#include "workloads/mamba1/quant_replay.hpp"

namespace cimba::workloads {
namespace {

QuantReplayConfig all_fp32() {
  QuantReplayConfig rc;
  rc.quantize = {false, false, false, false, false};
  rc.ssm_input.scheme = SsmInputScheme::Fp32;
  return rc;
}

const ReplayPoint& find_point(const QuantReplayResult& r, int layer, ReplayBlock block) {
  for (const ReplayPoint& p : r.points)
    if (p.layer == layer && p.block == block) return p;
  ADD_FAILURE() << "no point " << replay_block_name(block) << " in layer " << layer;
  return r.points.front();
}

TEST(QuantReplay, NothingQuantizedReproducesTheReferenceExactly) {
  REQUIRE_REPLAY_MODEL();
  const QuantReplayResult r =
      run_quant_replay(replay_model(), replay_windows(), all_fp32(), nullptr);
  // The replay loop's FP32 side is the reference forward: same loss as evaluate_mamba_loss.
  MambaLossOptions lo;
  lo.windows_per_batch = 8;
  const MambaLossResult ref = evaluate_mamba_loss(replay_model(), replay_windows(), lo);
  EXPECT_EQ(r.fp32_nats_per_token, ref.nats_per_token);
  EXPECT_EQ(r.nats_per_token, r.fp32_nats_per_token);
  // 4 layers x 7 points + the lm_head.
  ASSERT_EQ(r.points.size(), 4u * 7u + 1u);
  for (const ReplayPoint& p : r.points) {
    EXPECT_FALSE(p.quantized) << p.point;
    EXPECT_TRUE(std::isinf(p.end_to_end.metrics().sqnr_db)) << p.layer << " " << p.point;
  }
}

TEST(QuantReplay, IdealAdcAndFp32SsmInputStayWithinOnePercentOfFp32) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc;  // W8A12, dynamic activation ranges
  for (auto& bs : rc.linear) bs.adc.range = numerics::AdcRange::Bypass;
  rc.ssm_input.scheme = SsmInputScheme::Fp32;
  const QuantReplayResult r = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
  EXPECT_LT(std::abs(r.nats_per_token - r.fp32_nats_per_token), 0.01 * r.fp32_nats_per_token)
      << r.nats_per_token << " vs " << r.fp32_nats_per_token;
  const ReplayPoint& in_proj = find_point(r, 0, ReplayBlock::InProj);
  EXPECT_TRUE(in_proj.quantized);
  EXPECT_EQ(in_proj.adc_saturated, 0);  // bypass: no conversion clamps
  // INT8 weights x INT12 activations: a layer alone keeps > 30 dB.
  EXPECT_GT(in_proj.isolated.metrics().sqnr_db, 30.0);
  // The first layer sees the FP32 input, so isolated = end-to-end there.
  EXPECT_EQ(in_proj.isolated.metrics().sqnr_db, in_proj.end_to_end.metrics().sqnr_db);
}

TEST(QuantReplay, LossDegradesAsAdcBitsShrink) {
  REQUIRE_REPLAY_MODEL();
  // Dynamic ADC full scale, FP32 SSM input: only the column ADCs change between runs. The loss
  // over 512 bytes is a noisy measure of small errors: on 8 windows (docs/quantized-replay.md)
  // 5..12-bit ADCs all land within +-0.3% of the FP32 loss, on either side of it. So the loss is
  // required to be monotonic only up to a tolerance of 0.01 nats/byte (~0.8%), the 4-bit run
  // must be clearly worse than the 12-bit one, and the logits' SQNR against FP32 (which does not
  // average errors away) must fall strictly with every bit removed.
  std::vector<double> loss, logits_sqnr;
  const std::vector<int> bits{12, 10, 8, 6, 4};
  for (int b : bits) {
    QuantReplayConfig rc;
    for (auto& bs : rc.linear) bs.adc.bits = b;
    rc.ssm_input.scheme = SsmInputScheme::Fp32;
    rc.measure_isolated = false;
    const QuantReplayResult r = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
    loss.push_back(r.nats_per_token);
    logits_sqnr.push_back(r.points.back().end_to_end.metrics().sqnr_db);
  }
  for (std::size_t i = 1; i < loss.size(); ++i) {
    EXPECT_GE(loss[i], loss[i - 1] - 0.01) << bits[i] << " bits vs " << bits[i - 1] << " bits";
    EXPECT_LT(logits_sqnr[i], logits_sqnr[i - 1]) << bits[i] << " bits vs " << bits[i - 1];
  }
  EXPECT_GT(loss.back(), loss.front() + 0.05) << "4-bit ADC should cost clearly more";
}

TEST(QuantReplay, SsmInputSchemesReportTheirStatistics) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig base = all_fp32();
  base.ssm_input.n_ssd_groups = 8;  // Mamba2-8B's layout: G 8 x HG 4 x DG 4 = 128 scales
  base.ssm_input.head_dim = 32;     // d_inner 1536 / (8 x 32) = 6 heads per SSD group >= HG 4
  const MambaCalibration calib =
      calibrate_mamba(replay_model(), calibration_windows(), calibration_options(base));
  const std::int64_t Di = replay_model().config.intermediate_size;
  double fp32_loss = 0.0;
  std::vector<double> int8_sqnr(4, 0.0);
  for (SsmInputScheme scheme :
       {SsmInputScheme::Int8, SsmInputScheme::Group, SsmInputScheme::DualScale}) {
    QuantReplayConfig rc = base;
    rc.ssm_input.scheme = scheme;
    const QuantReplayResult r = run_quant_replay(replay_model(), replay_windows(), rc, &calib);
    fp32_loss = r.fp32_nats_per_token;
    SCOPED_TRACE(ssm_input_scheme_name(scheme));
    for (int layer = 0; layer < 4; ++layer) {
      const ReplayPoint& p = find_point(r, layer, ReplayBlock::SsmInput);
      EXPECT_TRUE(p.quantized);
      EXPECT_EQ(p.elements, 512 * Di);
      const double sqnr = p.isolated.metrics().sqnr_db;
      if (scheme == SsmInputScheme::Int8) {
        EXPECT_EQ(p.bits_per_element, 8);
        EXPECT_EQ(p.bytes_per_token, Di);
        EXPECT_EQ(p.scale_table_bytes, 4);
        EXPECT_GT(sqnr, 20.0);  // INT8 of a range ~5x the p99: ~30 dB
        int8_sqnr[static_cast<std::size_t>(layer)] = sqnr;
      } else if (scheme == SsmInputScheme::Group) {
        EXPECT_EQ(p.bits_per_element, 8);
        // NUMERICS.md 4: 4 G HG (bounds) + 4 G HG DG (bounds) + 4 G HG DG (scales) = 1152 bytes.
        EXPECT_EQ(p.scale_table_bytes, 1152);
        EXPECT_EQ(p.n_scales, 128);
        // 128 scales, but each cut from only 2 calibration windows: test values beyond a small
        // group's calibrated max clip, so the group scheme need not beat per-tensor INT8 here
        // (docs/quantized-replay.md has the 8-window figures); it must stay close to it.
        EXPECT_GT(sqnr, int8_sqnr[static_cast<std::size_t>(layer)] - 3.0) << "layer " << layer;
        EXPECT_LT(double(p.saturated) / double(p.elements), 0.01);
      } else {
        EXPECT_EQ(p.bits_per_element, 5);          // 4 value bits + 1 flag
        EXPECT_EQ(p.bytes_per_token, Di * 5 / 8);  // 960 bytes
        const double outliers = double(p.outliers) / double(p.elements);
        // tau is the calibration's 99th percentile: about 1% of the test values lie beyond it.
        EXPECT_GT(outliers, 0.002);
        EXPECT_LT(outliers, 0.05);
        EXPECT_GT(sqnr, 10.0);
      }
    }
    // Every scheme keeps the model usable: within 10% of the FP32 loss on these windows.
    EXPECT_LT(r.nats_per_token, 1.1 * fp32_loss);
  }
}

TEST(QuantReplay, GroupLayoutTheModelCannotHoldIsRejected) {
  REQUIRE_REPLAY_MODEL();
  // Mamba1 d_inner 1536 with head_dim 64 and G = 8: 3 heads per SSD group, so HG 4 cannot be cut.
  SsmInputQuantConfig c;
  c.scheme = SsmInputScheme::Group;
  c.n_ssd_groups = 8;
  c.head_dim = 64;
  c.n_head_groups = 4;
  EXPECT_THROW(check_group_layout(1536, c), InvalidArgument);
  c.n_head_groups = 3;
  EXPECT_NO_THROW(check_group_layout(1536, c));
  c.head_dim = 100;  // does not divide 192
  EXPECT_THROW(check_group_layout(1536, c), InvalidArgument);
}

TEST(QuantReplay, StaticPointsNeedACalibration) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc;  // int8 static SSM input by default
  EXPECT_TRUE(rc.needs_calibration());
  EXPECT_THROW(QuantReplayHooks(replay_model(), rc, nullptr), InvalidArgument);
  rc.ssm_input.static_range = false;
  EXPECT_FALSE(rc.needs_calibration());
}

TEST(QuantReplay, SameConfigAndSeedGiveIdenticalResultsWithNoise) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc;
  rc.ssm_input.static_range = false;                 // dynamic int8
  rc.quantize = {false, false, false, true, false};  // out_proj only: fast
  for (auto& bs : rc.linear) bs.adc.noise_lsb = 0.5;
  rc.seed = 7;
  const QuantReplayResult a = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
  const QuantReplayResult b = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
  EXPECT_EQ(a.nats_per_token, b.nats_per_token);
  EXPECT_EQ(a.window_nats, b.window_nats);
  rc.seed = 8;  // another noise draw gives another (close) result
  const QuantReplayResult c = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
  EXPECT_NE(a.nats_per_token, c.nats_per_token);
  EXPECT_NEAR(a.nats_per_token, c.nats_per_token, 0.02);
}

TEST(QuantReplay, ApproximatedScanIsComparedWithTheExactScanOnItsOwnInputs) {
  REQUIRE_REPLAY_MODEL();
  QuantReplayConfig rc = all_fp32();
  rc.scan.exp_impl = numerics::ExpImpl::Lut;
  rc.scan.lut_entries = 64;
  const QuantReplayResult r = run_quant_replay(replay_model(), replay_windows(), rc, nullptr);
  const ReplayPoint& scan = find_point(r, 0, ReplayBlock::Scan);
  EXPECT_TRUE(scan.quantized);
  EXPECT_TRUE(scan.has_isolated);
  const double sqnr = scan.isolated.metrics().sqnr_db;
  EXPECT_TRUE(std::isfinite(sqnr));
  // Layer 0's scan inputs are the reference's: isolated = end-to-end there.
  EXPECT_DOUBLE_EQ(sqnr, scan.end_to_end.metrics().sqnr_db);
}

}  // namespace
}  // namespace cimba::workloads
