#include "models/numerics/adc.hpp"

#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/rng.hpp"

namespace cimba::numerics {

void check_adc(const AdcConfig& adc) {
  if (adc.bits < 1 || adc.bits > 16)
    throw InvalidArgument("adc bits must be in 1..16, got " + std::to_string(adc.bits));
  if (!(adc.noise_lsb >= 0.0) || !std::isfinite(adc.noise_lsb))
    throw InvalidArgument("adc noise_lsb must be finite and >= 0");
  if (adc.enob != 0.0 && !(adc.enob > 0.0 && adc.enob <= adc.bits))
    throw InvalidArgument("adc enob must be 0 (ideal) or in (0, bits]");
}

double adc_noise_sigma_lsb(const AdcConfig& adc) {
  double var = adc.noise_lsb * adc.noise_lsb;
  if (adc.enob > 0.0 && adc.enob < adc.bits) var += (std::pow(2.0, 2.0 * (adc.bits - adc.enob)) - 1.0) / 12.0;
  return std::sqrt(var);
}

AdcStats adc_convert_accumulate(const float* psum, std::int64_t n, double full_scale,
                                const AdcConfig& adc, double weight, double* acc,
                                std::uint64_t noise_key) {
  AdcStats stats;
  stats.conversions = n;
  if (adc.range == AdcRange::Bypass) {
    for (std::int64_t e = 0; e < n; ++e) acc[e] += static_cast<double>(psum[e]) * weight;
    return stats;
  }
  // Zero full scale (a static calibration that saw only zeros): every level is 0 (NUMERICS.md 1).
  if (full_scale == 0.0) return stats;
  const double s = scale_for_range(full_scale, adc.bits);
  const double inv_s = 1.0 / s;
  const double lo = static_cast<double>(qmin(adc.bits)), hi = static_cast<double>(qmax(adc.bits));
  const double out_step = s * weight;
  const double sigma = adc_noise_sigma_lsb(adc);
  std::int64_t saturated = 0;
  if (sigma == 0.0) {
    for (std::int64_t e = 0; e < n; ++e) {
      const double v = static_cast<double>(psum[e]);
      double r = v * inv_s;
      // v * (1/s) can differ from v / s by one ulp; where that could move a rounding tie, use the
      // exact division of the spec.
      const double frac = r - std::floor(r);
      if (std::fabs(frac - 0.5) < 1e-9) r = v / s;
      r = std::nearbyint(r);
      if (r < lo) {
        r = lo;
        ++saturated;
      } else if (r > hi) {
        r = hi;
        ++saturated;
      }
      acc[e] += r * out_step;
    }
  } else {
    for (std::int64_t e = 0; e < n; ++e) {
      const double v = static_cast<double>(psum[e]) + sigma * s * normal_at(noise_key, static_cast<std::uint64_t>(e));
      double r = std::nearbyint(v / s);
      if (r < lo) {
        r = lo;
        ++saturated;
      } else if (r > hi) {
        r = hi;
        ++saturated;
      }
      acc[e] += r * out_step;
    }
  }
  stats.saturated = saturated;
  return stats;
}

}  // namespace cimba::numerics
