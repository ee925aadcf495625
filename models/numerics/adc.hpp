#pragma once
// ADC transfer of the CIM column (NUMERICS.md 2.5): a symmetric B-bit quantizer on the analog
// partial sum, with optional Gaussian noise in LSB and an ENOB below B modelled as noise.
#include <cmath>
#include <cstdint>
#include <vector>

namespace cimba::numerics {

enum class AdcRange { Dynamic, Static, Bypass };

struct AdcConfig {
  int bits = 10;  // B, 1..16
  AdcRange range = AdcRange::Dynamic;
  double noise_lsb = 0.0;  // sigma of additive Gaussian noise, in LSB of the ADC
  double enob = 0.0;       // 0: ideal; else effective bits in (0, B]
};

/// Validates the ADC settings; throws InvalidArgument naming the parameter.
void check_adc(const AdcConfig& adc);

/// Total noise sigma in LSB: sqrt(noise_lsb^2 + (2^(2(B - enob)) - 1) / 12) (independent sources
/// add in variance; the ENOB term is the spec's quantization-noise equivalent).
double adc_noise_sigma_lsb(const AdcConfig& adc);

/// Counts of one batch of conversions.
struct AdcStats {
  std::int64_t conversions = 0;
  std::int64_t saturated = 0;
};

/// Converts n partial sums and accumulates the result: acc[e] += ADC(psum[e]) * weight.
/// ADC(v) = clamp(round((v + noise) / s), qmin(B), qmax(B)) * s with s = full_scale / qmax(B)
/// (s = 1 for a zero full scale); Bypass: ADC(v) = v. Noise sample e of stream `noise_key` is used
/// for element e. A conversion saturates when its rounded level leaves [qmin, qmax].
AdcStats adc_convert_accumulate(const float* psum, std::int64_t n, double full_scale,
                                const AdcConfig& adc, double weight, double* acc,
                                std::uint64_t noise_key);

/// How a term's partial sums are stored. Two small exact integer partial sums a (low) and b
/// (high) may share one float R = a + base * b (base a power of two > 2 max|a|, |R| < 2^24), so
/// that one GEMM computes both: b = round(R / base), a = R - base * b, both exact.
enum class PsumPacking { Plain, Low, High };

/// One partial-sum matrix to convert: its values, the ADC full scale, its shift-add weight 2^p
/// and its noise stream.
struct AdcTerm {
  const float* psum = nullptr;
  double full_scale = 0.0;
  double weight = 1.0;
  std::uint64_t noise_key = 0;
  PsumPacking packing = PsumPacking::Plain;
  float base = 1.0f;  // Low / High: the packing base (a power of two)
  /// Exact integer partial sums of the integer slice kernels (slice_kernels.hpp), read instead
  /// of `psum` when set (Plain packing). An int32 value v is read as float(v), the value the
  /// reference float path holds (v itself below 2^24).
  const std::int16_t* psum_i16 = nullptr;
  const std::int32_t* psum_i32 = nullptr;
  /// max |psum_i16| over the elements converted, when known (>= 0): a noiseless conversion of a
  /// small range then reads each level from a table computed with the same formula (same bits).
  std::int32_t psum_i16_peak = -1;
};

/// The partial sum a term holds at element e (unpacked; exact).
inline float unpack_psum(float r, PsumPacking packing, float base, float inv_base) {
  if (packing == PsumPacking::Plain) return r;
  const float high = std::nearbyint(r * inv_base);
  return packing == PsumPacking::High ? high : r - base * high;
}

/// Converts every term and shift-adds them, then rescales, in one cache-blocked pass:
///   y[e] = (sum_j ADC_j(psum_j[e]) * weight_j + row_offset[e / period]) * out_scale
///          + bias[e % period]
/// with ADC_j as in adc_convert_accumulate. Sums run in double, in term order (deterministic).
/// bias and row_offset (a digital per-row correction, e.g. the offset of unsigned weight cells)
/// may be nullptr. Returns the conversion counts over all terms. A part of a larger tensor is
/// converted by passing its first element's index in the whole as `index0` (the noise samples are
/// keyed by that index; bias and row_offset are indexed from the part's start, which must be a
/// row start, index0 % period == 0): converting the tensor part by part gives the same y.
AdcStats adc_convert_shift_add(const std::vector<AdcTerm>& terms, std::int64_t n,
                               const AdcConfig& adc, double out_scale, const float* bias,
                               std::int64_t period, float* y, const double* row_offset = nullptr,
                               std::int64_t index0 = 0);

}  // namespace cimba::numerics
