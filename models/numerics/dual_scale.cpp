#include "models/numerics/dual_scale.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/quantize.hpp"

namespace cimba::numerics {

namespace {

const DualScaleConfig& checked(const DualScaleConfig& c) {
  if (c.value_bits < 2 || c.value_bits > 8)
    throw InvalidArgument("dual_scale value_bits must be in 2..8, got " +
                          std::to_string(c.value_bits));
  if (!(c.inlier_pct > 0.0 && c.inlier_pct <= 100.0))
    throw InvalidArgument("dual_scale inlier_pct must be in (0, 100]");
  if (c.fixed_k && !(*c.fixed_k >= 1.0)) throw InvalidArgument("dual_scale fixed k must be >= 1");
  return c;
}

}  // namespace

DualScaleCalibrator::DualScaleCalibrator(const DualScaleConfig& config, std::int64_t total)
    : config_(checked(config)), tau_(total, config.inlier_pct / 100.0) {}

void DualScaleCalibrator::observe(const float* x, std::int64_t n) {
  tau_.observe(x, n);
  for (std::int64_t i = 0; i < n; ++i) amax_ = std::max(amax_, std::fabs(x[i]));  // as absmax
}

DualScaleParams DualScaleCalibrator::finish() const {
  const DualScaleConfig& c = config_;
  DualScaleParams p;
  p.value_bits = c.value_bits;
  p.tau = tau_.value();
  p.scale1 = scale_for_range(p.tau, c.value_bits);
  const double amax = amax_;
  if (c.fixed_k) {
    p.k = *c.fixed_k;
  } else if (p.tau > 0.0 && amax > p.tau) {
    if (c.k_round == KRound::Pow2) {
      p.k = 1.0;
      while (p.k * p.tau < amax) p.k *= 2.0;  // exact powers of two, no log2 rounding
    } else {
      p.k = amax / p.tau;
    }
  } else {
    p.k = 1.0;
  }
  p.scale2 = p.k * p.scale1;
  return p;
}

DualScaleParams calibrate_dual_scale(const float* x, std::int64_t n, const DualScaleConfig& c) {
  DualScaleCalibrator calibrator(c, n);
  calibrator.observe(x, n);
  return calibrator.finish();
}

DualScaleStats dual_scale_encode(const float* x, std::int64_t n, const DualScaleParams& p,
                                 std::int8_t* q, std::uint8_t* flag) {
  DualScaleStats st;
  st.elements = n;
  const double lo = static_cast<double>(qmin(p.value_bits)),
               hi = static_cast<double>(qmax(p.value_bits));
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    // tau = 0 is the zero-range case of NUMERICS.md 1: every inlier level is 0.
    double r = p.tau == 0.0 ? 0.0 : std::nearbyint(v / p.scale1);
    std::uint8_t f = 0;
    if (r < lo || r > hi) {
      f = 1;
      ++st.outliers;
      r = std::nearbyint(v / p.scale2);
      if (r < lo || r > hi) {
        ++st.saturated;
        r = r < lo ? lo : hi;
      }
    }
    if (q) q[i] = static_cast<std::int8_t>(r);
    if (flag) flag[i] = f;
  }
  return st;
}

DualScaleStats dual_scale_fake_quantize(const float* x, std::int64_t n, const DualScaleParams& p,
                                        float* x_hat) {
  DualScaleStats st;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int8_t q;
    std::uint8_t f;
    const DualScaleStats one = dual_scale_encode(x + i, 1, p, &q, &f);
    st.outliers += one.outliers;
    st.saturated += one.saturated;
    x_hat[i] = dual_scale_decode_one(q, f, p);
  }
  st.elements = n;
  return st;
}

}  // namespace cimba::numerics
