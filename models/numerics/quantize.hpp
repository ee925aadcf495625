#pragma once
// Symmetric quantizer (NUMERICS.md 1): s = range / qmax(b); q = clamp(round(x / s), qmin, qmax);
// x_hat = q * s. Round half to even; x / s evaluated in double; a zero range yields s = 1.
#include <cmath>
#include <cstdint>

namespace cimba::numerics {

/// qmax(b) = 2^(b-1) - 1 and qmin(b) = -2^(b-1) for signed b-bit integers (b in 1..31).
constexpr std::int64_t qmax(int bits) { return (std::int64_t{1} << (bits - 1)) - 1; }
constexpr std::int64_t qmin(int bits) { return -(std::int64_t{1} << (bits - 1)); }

/// Throws InvalidArgument unless 1 <= bits <= 31 (`what` names the parameter in the message).
void check_bits(int bits, const char* what);

/// Quantization step for a range: range / qmax(bits), or 1 when the range is zero (or when
/// qmax(bits) is 0, i.e. 1-bit signed, where the only non-negative level is 0).
/// Throws InvalidArgument for a negative or non-finite range.
double scale_for_range(double range, int bits);

/// A b-bit symmetric quantizer. Built from a range, it follows the spec's zero-range rule:
/// s = 1 and every level is 0 (never NaN); built from a scale (a stored table entry) it always
/// divides.
struct Quantizer {
  int bits = 8;
  double scale = 1.0;
  bool zero_range = false;

  static Quantizer from_range(double range, int bits) {
    return Quantizer{bits, scale_for_range(range, bits), range == 0.0};
  }
  static Quantizer from_scale(double scale, int bits) { return Quantizer{bits, scale, false}; }

  /// Unclamped rounded level round(x / s) (0 for a zero range).
  double rounded(double x) const { return zero_range ? 0.0 : std::nearbyint(x / scale); }
  /// clamp(round(x / s), qmin, qmax).
  std::int64_t level(double x) const {
    const double r = rounded(x);
    const double lo = static_cast<double>(qmin(bits)), hi = static_cast<double>(qmax(bits));
    return static_cast<std::int64_t>(r < lo ? lo : (r > hi ? hi : r));
  }
};

/// Result of quantizing a tensor.
struct QuantizeStats {
  std::int64_t saturated = 0;  // elements whose rounded level fell outside [qmin, qmax]
};

/// Quantizes n values: q[i] = level (as float), x_hat[i] = level * scale (either may be nullptr).
QuantizeStats quantize(const float* x, std::int64_t n, const Quantizer& quantizer, float* q,
                       float* x_hat);

/// Fake-quantizes in place (x <- x_hat) with a quantizer built from `range`; returns the stats.
QuantizeStats fake_quantize_inplace(float* x, std::int64_t n, double range, int bits);

}  // namespace cimba::numerics
