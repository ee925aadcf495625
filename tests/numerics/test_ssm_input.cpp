// conv1d, dual-scale, group scales and the approximate scan functions.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/error.hpp"
#include "models/numerics/conv1d.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/group_scales.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/rng.hpp"
#include "models/numerics/selective_scan.hpp"

using namespace cimba::numerics;

TEST(Conv1d, IsCausalWithLeftPadding) {
  // One channel, kernel 4 = [1, 2, 3, 4], bias 0.5, x = [1, 0, 0, 0, 2], no SiLU:
  // out[t] = 0.5 + sum_k w[k] x[t - 3 + k]; out[0] = 0.5 + 4*1 = 4.5; out[1] = 0.5 + 3 = 3.5;
  // out[2] = 2.5; out[3] = 1.5; out[4] = 0.5 + 4*2 = 8.5.
  const float x[5] = {1, 0, 0, 0, 2}, w[4] = {1, 2, 3, 4}, b = 0.5f;
  float out[5];
  conv1d_causal(x, 1, 5, w, 4, &b, out, false);
  EXPECT_FLOAT_EQ(out[0], 4.5f);
  EXPECT_FLOAT_EQ(out[1], 3.5f);
  EXPECT_FLOAT_EQ(out[3], 1.5f);
  EXPECT_FLOAT_EQ(out[4], 8.5f);
  float tm[5];
  conv1d_causal_token_major(x, 5, 1, w, 4, &b, tm, true);
  EXPECT_FLOAT_EQ(tm[4], 8.5f / (1.0f + std::exp(-8.5f)));
  EXPECT_THROW(conv1d_causal(x, 0, 5, w, 4, &b, out), cimba::InvalidArgument);
}

TEST(DualScale, PowerOfTwoKAndFixedK) {
  std::vector<float> x(1000);
  for (int i = 0; i < 1000; ++i) x[i] = static_cast<float>((i % 100) * 0.01);  // |x| < 1
  x[0] = 5.0f;                                                                 // one outlier
  DualScaleConfig cfg;
  const DualScaleParams p = calibrate_dual_scale(x.data(), 1000, cfg);
  // tau ~ 0.99, max/tau ~ 5.05 -> k = 8 (next power of two).
  EXPECT_EQ(p.k, 8.0);
  EXPECT_DOUBLE_EQ(p.scale2, 8.0 * p.scale1);
  std::vector<std::int8_t> q(1000);
  std::vector<std::uint8_t> f(1000);
  const DualScaleStats st = dual_scale_encode(x.data(), 1000, p, q.data(), f.data());
  EXPECT_EQ(f[0], 1);
  EXPECT_GE(st.outliers, 1);
  EXPECT_NEAR(dual_scale_decode_one(q[0], f[0], p), 5.0, p.scale2 / 2 + 1e-6);
  cfg.fixed_k = 3.0;
  EXPECT_EQ(calibrate_dual_scale(x.data(), 1000, cfg).k, 3.0);
  cfg.fixed_k.reset();
  cfg.value_bits = 9;
  EXPECT_THROW(calibrate_dual_scale(x.data(), 1000, cfg), cimba::InvalidArgument);
}

TEST(DualScale, StreamingCalibrationEqualsTheWholeTensor) {
  std::vector<float> x(30000);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(normal_at(5, i) * (i % 97 == 0 ? 8.0 : 1.0));  // heavy tail
  for (const double pct : {99.0, 50.0, 100.0}) {
    DualScaleConfig cfg;
    cfg.inlier_pct = pct;
    DualScaleCalibrator c(cfg, 30000);
    for (int b = 0; b < 3; ++b) c.observe(x.data() + b * 10000, 10000);
    const DualScaleParams s = c.finish(), w = calibrate_dual_scale(x.data(), 30000, cfg);
    EXPECT_EQ(s.tau, w.tau) << pct;
    EXPECT_EQ(s.k, w.k) << pct;
    EXPECT_EQ(s.scale1, w.scale1) << pct;
    EXPECT_EQ(s.scale2, w.scale2) << pct;
  }
  DualScaleConfig bad;
  bad.inlier_pct = 0.0;
  EXPECT_THROW(DualScaleCalibrator(bad, 10), cimba::InvalidArgument);
}

TEST(GroupScales, EqualSizeAndKMeansSplits) {
  const std::vector<double> v = {1, 1.1, 1.2, 5, 5.1, 9};
  EXPECT_EQ(split_sorted(v, 3, Grouping::EqualSize), (std::vector<std::int32_t>{2, 4, 6}));
  // k-means finds the natural clusters {1, 1.1, 1.2} {5, 5.1} {9}.
  EXPECT_EQ(split_sorted(v, 3, Grouping::KMeans), (std::vector<std::int32_t>{3, 5, 6}));
  EXPECT_THROW(split_sorted(v, 7, Grouping::EqualSize), cimba::InvalidArgument);
}

TEST(GroupScales, CalibrationTablesAndChannelLookupAgree) {
  // G = 2, H = 4 heads, P = 8 dims: 64 channels with distinct ranges.
  const GroupLayout layout = GroupLayout::for_mamba1(64, 2, 8);
  ASSERT_EQ(layout.heads_per_group, 4);
  std::vector<double> range(64);
  for (int c = 0; c < 64; ++c) range[c] = 0.1 + std::fmod(c * 7.3, 11.0);
  const GroupTables t = calibrate_group_scales(range, layout, 2, 4, Grouping::EqualSize);
  // Table bytes: 4 (G HG + G HG DG) + 4 G HG DG = 4 (4 + 16) + 64 = 144.
  EXPECT_EQ(t.table_bytes(), 144);
  // Spec defaults (G=8, HG=4, DG=4): 128 + 512 + 512 = 1152 bytes.
  GroupTables d;
  d.G = 8;
  d.HG = 4;
  d.DG = 4;
  EXPECT_EQ(d.table_bytes(), 1152);
  // Every channel's scale covers its range: range <= 127 * scale.
  for (int c = 0; c < 64; ++c)
    EXPECT_LE(range[c], 127.0 * group_lookup_channel(t, c).scale * (1 + 1e-6));
  // The largest channel's group scale is exactly its range / 127.
  int top = static_cast<int>(std::max_element(range.begin(), range.end()) - range.begin());
  EXPECT_NEAR(group_lookup_channel(t, top).scale, range[top] / 127.0, 1e-6);
  EXPECT_THROW(calibrate_group_scales(range, layout, 5, 4, Grouping::EqualSize),
               cimba::InvalidArgument);
  EXPECT_THROW(GroupLayout::for_mamba1(60, 2, 8), cimba::InvalidArgument);
}

TEST(ScanFunctions, ApproximationsConvergeToExp) {
  double previous = 1e9;
  for (int segments : {8, 32, 128}) {
    ScanConfig cfg;
    cfg.exp_impl = ExpImpl::Pwl;
    cfg.exp_segments = segments;
    const ScanFunctions f(cfg);
    double worst = 0;
    for (double x = -15.9; x < 0; x += 0.01)
      worst = std::max(worst, std::fabs(f.exp(x) - std::exp(x)));
    // Linear interpolation error <= h^2/8 max|exp''| = h^2/8 with h = 16/segments.
    EXPECT_LE(worst, std::pow(16.0 / segments, 2) / 8 + 1e-6);
    EXPECT_LT(worst, previous);
    previous = worst;
  }
  ScanConfig lut;
  lut.exp_impl = ExpImpl::Lut;
  lut.lut_entries = 1024;
  const ScanFunctions fl(lut);
  // Cell-centre lookup: error <= (h/2) max|exp'| = 8/1024.
  for (double x = -15.9; x < 0; x += 0.01)
    ASSERT_LE(std::fabs(fl.exp(x) - std::exp(x)), 8.0 / 1024 + 1e-6);
  EXPECT_EQ(fl.exp(-20.0f), 0.0f);
  EXPECT_EQ(fl.softplus(30.0f), 30.0f);
}

TEST(SelectiveScan, ApproximateExpStaysCloseToExact) {
  const int D = 8, N = 4, L = 32;
  std::vector<float> u(D * L), dr(D * L), z(D * L), alog(D * N), b(N * L), c(N * L), dv(D, 1.0f);
  for (int i = 0; i < D * L; ++i) {
    u[i] = static_cast<float>(normal_at(1, i));
    dr[i] = static_cast<float>(normal_at(2, i) - 2.0);
    z[i] = static_cast<float>(normal_at(3, i));
  }
  for (int i = 0; i < D * N; ++i) alog[i] = std::log(1.0f + i % N);
  for (int i = 0; i < N * L; ++i) {
    b[i] = static_cast<float>(normal_at(4, i));
    c[i] = static_cast<float>(normal_at(5, i));
  }
  std::vector<float> exact(D * L), approx(D * L);
  selective_scan_bdl(1, D, N, L, u.data(), dr.data(), nullptr, alog.data(), b.data(), c.data(),
                     dv.data(), z.data(), exact.data(), ScanConfig{});
  ScanConfig cfg;
  cfg.exp_impl = ExpImpl::Pwl;
  cfg.exp_segments = 256;
  selective_scan_bdl(1, D, N, L, u.data(), dr.data(), nullptr, alog.data(), b.data(), c.data(),
                     dv.data(), z.data(), approx.data(), cfg);
  const ErrorMetrics m = compare(exact.data(), approx.data(), D * L);
  EXPECT_GT(m.sqnr_db, 40.0);
  EXPECT_LT(m.sqnr_db, 200.0);  // it is an approximation, not the exact path
}
