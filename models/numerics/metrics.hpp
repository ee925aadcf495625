#pragma once
// Accuracy of a quantized result against its FP32 reference (NUMERICS.md 2, "Report").
#include <cstdint>

namespace cimba::numerics {

struct ErrorMetrics {
  double sqnr_db = 0.0;        // 10 log10(sum ref^2 / sum (ref - y)^2); +inf when equal
  double cosine = 0.0;         // <ref, y> / (|ref| |y|); 1 when both are zero
  double max_abs_error = 0.0;  // max |ref - y|
  double rel_l2_error = 0.0;   // |ref - y| / |ref| (0 when both are zero)
};

/// Streaming form: add pieces of a tensor (in a fixed order for reproducible sums), then read the
/// metrics of everything added.
struct ErrorAccumulator {
  double ref_sq = 0.0, err_sq = 0.0, dot = 0.0, y_sq = 0.0, max_abs = 0.0;
  std::int64_t n = 0;
  void add(const float* ref, const float* y, std::int64_t count);
  ErrorMetrics metrics() const;
};

/// Compares n values in double precision.
ErrorMetrics compare(const float* ref, const float* y, std::int64_t n);

}  // namespace cimba::numerics
