#pragma once
// Dual-scale quantization of the SSM input and its dequant MUX (NUMERICS.md 5).
#include <cstdint>
#include <optional>

#include "models/numerics/observers.hpp"

namespace cimba::numerics {

enum class KRound { Pow2, None };

struct DualScaleConfig {
  int value_bits = 4;             // b, signed, 2..8 (b + 1 bits stored per element with the flag)
  double inlier_pct = 99.0;       // tau = this percentile of |x|, in (0, 100]
  KRound k_round = KRound::Pow2;  // k = max|x| / tau rounded up to a power of two (a shift in hw)
  std::optional<double> fixed_k;  // a fixed k (e.g. a uniform "scale enhancement" factor), >= 1
};

struct DualScaleParams {
  int value_bits = 4;
  double tau = 0.0, scale1 = 1.0, k = 1.0, scale2 = 1.0;
};

/// Calibrates tau, scale1 = tau / qmax(b) (1 for tau = 0), k and scale2 = k scale1 on x.
DualScaleParams calibrate_dual_scale(const float* x, std::int64_t n, const DualScaleConfig& config);

/// calibrate_dual_scale over batches of a stream whose total element count is known up front,
/// holding only the magnitudes beyond the tau percentile (StreamingAbsQuantile) and the running
/// max|x|: finish() equals calibrate_dual_scale on the concatenated batches bit for bit. Throws
/// InvalidArgument as calibrate_dual_scale for bad settings, and for a stream that does not
/// match `total`.
class DualScaleCalibrator {
 public:
  DualScaleCalibrator(const DualScaleConfig& config, std::int64_t total);
  void observe(const float* x, std::int64_t n);
  DualScaleParams finish() const;

 private:
  DualScaleConfig config_;
  StreamingAbsQuantile tau_;
  float amax_ = 0.0f;
};

struct DualScaleStats {
  std::int64_t elements = 0;
  std::int64_t outliers = 0;   // flag = 1
  std::int64_t saturated = 0;  // outliers clamped at scale2
  double outlier_fraction() const { return elements ? double(outliers) / double(elements) : 0.0; }
  /// Storage bits per element: value_bits + 1 flag bit.
  static int bits_per_element(int value_bits) { return value_bits + 1; }
};

/// Encode: q1 = round(x / scale1); inlier (flag 0, q = q1) when qmin(b) <= q1 <= qmax(b), else
/// flag 1 and q = clamp(round(x / scale2), qmin(b), qmax(b)). q and flag may be nullptr.
DualScaleStats dual_scale_encode(const float* x, std::int64_t n, const DualScaleParams& params,
                                 std::int8_t* q, std::uint8_t* flag);

/// The dequant MUX: x_hat = q * (flag ? scale2 : scale1).
inline float dual_scale_decode_one(std::int8_t q, std::uint8_t flag, const DualScaleParams& p) {
  return static_cast<float>(static_cast<double>(q) * (flag ? p.scale2 : p.scale1));
}

/// Encode + decode in one pass (x_hat may alias x).
DualScaleStats dual_scale_fake_quantize(const float* x, std::int64_t n,
                                        const DualScaleParams& params, float* x_hat);

}  // namespace cimba::numerics
