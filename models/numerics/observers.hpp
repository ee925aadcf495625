#pragma once
// Calibration observers (NUMERICS.md 6): absmax, percentile_ema, kl, mse. Each returns the
// quantization range (a magnitude) that section 1 turns into a scale.
#include <cstdint>
#include <vector>

namespace cimba::numerics {

enum class ObserverKind { Absmax, PercentileEma, Kl, Mse };

/// Linear-interpolation quantile of |x| (NumPy's and PyTorch's default): q in [0, 1].
/// Sorts a copy. Returns 0 for an empty input.
double abs_quantile(const float* x, std::int64_t n, double q);
/// Same on already-sorted ascending magnitudes.
double sorted_quantile(const std::vector<double>& sorted, double q);

/// max |x| (0 for an empty input).
double absmax(const float* x, std::int64_t n);

/// abs_quantile over a stream of batches whose total element count is known up front, without
/// holding them all: only the order statistics on the smaller side of the quantile are kept
/// (about min(q, 1 - q) of the elements, e.g. 1% for q = 0.99). value() equals abs_quantile on
/// the concatenated batches bit for bit. Throws InvalidArgument for q outside [0, 1], a negative
/// total, more elements than announced, or value() before all of them were observed.
class StreamingAbsQuantile {
 public:
  StreamingAbsQuantile(std::int64_t total, double q);
  void observe(const float* x, std::int64_t n);
  std::int64_t observed() const { return observed_; }
  double value() const;

 private:
  void prune();
  std::int64_t total_ = 0, observed_ = 0;
  double q_ = 0.0;
  std::int64_t lo_ = 0, hi_ = 0;  // ranks (ascending) the interpolation reads
  bool keep_top_ = true;          // keep the largest (else the smallest) magnitudes
  std::size_t keep_ = 0;          // how many: total - lo (top) or hi + 1 (bottom)
  std::vector<float> kept_;       // |x| candidates; after a prune, the `keep_` extreme ones
  bool pruned_ = false;
  float bound_ = 0.0f;  // after a prune: the kept side's innermost value
};

/// TensorRT entropy calibration on one tensor: 2048-bin histogram of |x| on [0, absmax]; for each
/// candidate i from 2^(bits-1) to 2048 the reference distribution is bins [0, i) with the
/// outliers (bins >= i) folded into bin i-1, the candidate is that distribution quantized to
/// 2^(bits-1) levels and expanded back over the non-empty bins; the range is i * bin_width
/// (the upper edge of the last kept bin) of the candidate with the least KL divergence
/// (smallest i on ties).
double kl_range(const float* x, std::int64_t n, int bits);

/// MSE search on one tensor: candidates r_j = absmax * (0.5 + 0.5 j / 63), j = 0..63; the range
/// with the least mean squared quantization error at `bits` (smallest j on ties).
double mse_range(const float* x, std::int64_t n, int bits);

/// Settings of an observer.
struct ObserverConfig {
  ObserverKind kind = ObserverKind::Absmax;
  double percentile_alpha = 0.9995;  // percentile_ema: quantile of |x| per batch
  double ema_sigma = 0.01;           // percentile_ema: range += sigma * (cur - range)
  int bits = 8;                      // kl / mse: the bit width the range is chosen for
};

/// Running observer over calibration batches:
///  - absmax: running max of |x|;
///  - percentile_ema: cur = quantile(|x|, alpha); first batch range = cur, then
///    range += sigma * (cur - range);
///  - kl, mse: the per-batch range of kl_range / mse_range, averaged over batches (a batch is
///    the unit these searches are defined on; with one batch it is exactly the search result).
class Observer {
 public:
  explicit Observer(const ObserverConfig& config);
  void observe(const float* x, std::int64_t n);
  /// The range so far; 0 before any batch.
  double range() const;
  std::int64_t batches() const { return batches_; }
  const ObserverConfig& config() const { return config_; }

 private:
  ObserverConfig config_;
  double range_ = 0.0;
  double sum_ = 0.0;
  std::int64_t batches_ = 0;
};

}  // namespace cimba::numerics
