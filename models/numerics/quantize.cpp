#include "models/numerics/quantize.hpp"

#include <string>

#include "models/common/error.hpp"

namespace cimba::numerics {

void check_bits(int bits, const char* what) {
  if (bits < 1 || bits > 31)
    throw InvalidArgument(std::string(what) + " must be in 1..31, got " + std::to_string(bits));
}

double scale_for_range(double range, int bits) {
  check_bits(bits, "bits");
  if (!(range >= 0.0) || !std::isfinite(range))
    throw InvalidArgument("quantization range must be finite and >= 0, got " +
                          std::to_string(range));
  if (range == 0.0 || qmax(bits) == 0) return 1.0;
  return range / static_cast<double>(qmax(bits));
}

QuantizeStats quantize(const float* x, std::int64_t n, const Quantizer& quantizer, float* q,
                       float* x_hat) {
  check_bits(quantizer.bits, "bits");
  QuantizeStats stats;
  const double lo = static_cast<double>(qmin(quantizer.bits));
  const double hi = static_cast<double>(qmax(quantizer.bits));
  const double scale = quantizer.scale;
  for (std::int64_t i = 0; i < n; ++i) {
    double r = quantizer.rounded(static_cast<double>(x[i]));
    if (r < lo || r > hi) {
      ++stats.saturated;
      r = r < lo ? lo : hi;
    }
    if (q) q[i] = static_cast<float>(r);
    if (x_hat) x_hat[i] = static_cast<float>(r * scale);
  }
  return stats;
}

QuantizeStats fake_quantize_inplace(float* x, std::int64_t n, double range, int bits) {
  return quantize(x, n, Quantizer::from_range(range, bits), nullptr, x);
}

}  // namespace cimba::numerics
