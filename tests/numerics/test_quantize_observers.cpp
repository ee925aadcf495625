#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/common/error.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/rng.hpp"

using namespace cimba::numerics;

namespace {
std::vector<float> gaussian(std::int64_t n, double sigma, std::uint64_t key) {
  std::vector<float> v(n);
  for (std::int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(sigma * normal_at(key, i));
  return v;
}
}  // namespace

TEST(Quantize, RoundsHalfToEvenAndClamps) {
  // range 127 at 8 bits: s = 1, so x / s is x itself.
  const Quantizer q = Quantizer::from_range(127.0, 8);
  EXPECT_EQ(q.level(0.5), 0);  // tie -> even
  EXPECT_EQ(q.level(1.5), 2);
  EXPECT_EQ(q.level(-2.5), -2);
  EXPECT_EQ(q.level(200.0), 127);
  EXPECT_EQ(q.level(-200.0), -128);
  const std::vector<float> x = {0.5f, 300.0f, -300.0f};
  std::vector<float> lv(3), xh(3);
  EXPECT_EQ(quantize(x.data(), 3, q, lv.data(), xh.data()).saturated, 2);
  EXPECT_EQ(xh[1], 127.0f);
}

TEST(Quantize, ZeroRangeGivesScaleOneAndLevelZero) {
  const Quantizer q = Quantizer::from_range(0.0, 8);
  EXPECT_EQ(q.scale, 1.0);
  EXPECT_EQ(q.level(5.0), 0);
  EXPECT_THROW(scale_for_range(-1.0, 8), cimba::InvalidArgument);
  EXPECT_THROW(scale_for_range(NAN, 8), cimba::InvalidArgument);
  EXPECT_THROW(scale_for_range(1.0, 0), cimba::InvalidArgument);
}

TEST(Observers, PercentileInterpolatesLinearly) {
  // |x| sorted = 1, 2, 3, 4: the 0.5 quantile sits halfway between 2 and 3 (numpy: 2.5).
  const std::vector<float> x = {-4.0f, 1.0f, 3.0f, -2.0f};
  EXPECT_DOUBLE_EQ(abs_quantile(x.data(), 4, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(abs_quantile(x.data(), 4, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(abs_quantile(x.data(), 4, 0.0), 1.0);
}

TEST(Observers, StreamingQuantileEqualsTheSortedOne) {
  // Gaussian values with many repeats (rounded to 1/64), fed in uneven batches: the same value
  // as abs_quantile on the whole, for quantiles on either side (kept top or bottom) and the ends.
  std::vector<float> x = gaussian(50000, 1.0, 11);
  for (float& v : x) v = std::round(v * 64.0f) / 64.0f;
  const auto n = static_cast<std::int64_t>(x.size());
  for (double q : {0.0, 0.001, 0.25, 0.5, 0.75, 0.99, 0.9995, 1.0}) {
    StreamingAbsQuantile s(n, q);
    for (std::int64_t at = 0, step = 1; at < n; at += step, step = step * 3 + 1)
      s.observe(x.data() + at, std::min(step, n - at));
    EXPECT_EQ(s.value(), abs_quantile(x.data(), n, q)) << q;
  }
  for (std::int64_t small : {1, 2, 3}) {
    StreamingAbsQuantile s(small, 0.99);
    s.observe(x.data(), small);
    EXPECT_EQ(s.value(), abs_quantile(x.data(), small, 0.99)) << small;
  }
  StreamingAbsQuantile empty(0, 0.5);
  EXPECT_EQ(empty.value(), 0.0);
  StreamingAbsQuantile s(10, 0.5);
  s.observe(x.data(), 4);
  EXPECT_THROW(s.value(), cimba::InvalidArgument);  // 4 of 10 observed
  EXPECT_THROW(s.observe(x.data(), 7), cimba::InvalidArgument);
  EXPECT_THROW(StreamingAbsQuantile(10, 1.5), cimba::InvalidArgument);
}

TEST(Observers, PercentileEmaFollowsTheRecurrence) {
  ObserverConfig cfg;
  cfg.kind = ObserverKind::PercentileEma;
  cfg.percentile_alpha = 1.0;  // the quantile is then the batch absmax
  cfg.ema_sigma = 0.5;
  Observer o(cfg);
  const std::vector<float> a = {2.0f}, b = {4.0f}, c = {0.0f};
  o.observe(a.data(), 1);  // first batch: 2
  o.observe(b.data(), 1);  // 2 + 0.5 (4 - 2) = 3
  o.observe(c.data(), 1);  // 3 + 0.5 (0 - 3) = 1.5
  EXPECT_DOUBLE_EQ(o.range(), 1.5);
}

TEST(Observers, KlClipsHeavyTailsAndKeepsUniformData) {
  // Gaussian bulk plus a few huge outliers: entropy calibration clips far below the absmax.
  std::vector<float> x = gaussian(20000, 1.0, 7);
  x[0] = 100.0f;
  x[1] = -90.0f;
  const double r = kl_range(x.data(), x.size(), 8);
  EXPECT_LT(r, 20.0);
  EXPECT_GT(r, 2.0);
  // Uniform data on [-1, 1]: nothing to gain by clipping much.
  std::vector<float> u(20000);
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = -1.0f + 2.0f * (i + 0.5f) / u.size();
  EXPECT_GT(kl_range(u.data(), u.size(), 8), 0.9);
  EXPECT_THROW(kl_range(u.data(), u.size(), 13), cimba::InvalidArgument);
}

TEST(Observers, MseClipsAGaussianAt4Bits) {
  // The MSE-optimal 4-bit clipping of a unit Gaussian is about 2.5 sigma, well inside the
  // absmax (~3.9 for 8192 samples), so the search must pick a clipped range with less error.
  const std::vector<float> x = gaussian(8192, 1.0, 11);
  const double amax = absmax(x.data(), x.size());
  const double r = mse_range(x.data(), x.size(), 4);
  auto mse = [&](double range) {
    const Quantizer q = Quantizer::from_range(range, 4);
    double e = 0;
    for (float v : x) e += std::pow(v - q.level(v) * q.scale, 2);
    return e;
  };
  EXPECT_LT(r, amax);
  EXPECT_GE(r, amax / 2);  // the smallest candidate
  EXPECT_NEAR(r, 2.5, 0.4);
  EXPECT_LT(mse(r), mse(amax));
}

TEST(Observers, RejectBadSettings) {
  ObserverConfig cfg;
  cfg.percentile_alpha = 0.0;
  EXPECT_THROW(Observer{cfg}, cimba::InvalidArgument);
  cfg.percentile_alpha = 0.99;
  cfg.ema_sigma = 1.5;
  EXPECT_THROW(Observer{cfg}, cimba::InvalidArgument);
}
