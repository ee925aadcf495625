#include "models/numerics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cimba::numerics {

void ErrorAccumulator::add(const float* ref, const float* y, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    const double r = ref[i], v = y[i], d = r - v;
    ref_sq += r * r;
    y_sq += v * v;
    dot += r * v;
    err_sq += d * d;
    max_abs = std::max(max_abs, std::fabs(d));
  }
  n += count;
}

ErrorMetrics ErrorAccumulator::metrics() const {
  ErrorMetrics m;
  m.max_abs_error = max_abs;
  m.sqnr_db =
      err_sq == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(ref_sq / err_sq);
  m.cosine = (ref_sq == 0.0 && y_sq == 0.0)   ? 1.0
             : (ref_sq == 0.0 || y_sq == 0.0) ? 0.0
                                              : dot / std::sqrt(ref_sq * y_sq);
  m.rel_l2_error = ref_sq == 0.0 ? (err_sq == 0.0 ? 0.0 : std::numeric_limits<double>::infinity())
                                 : std::sqrt(err_sq / ref_sq);
  return m;
}

ErrorMetrics compare(const float* ref, const float* y, std::int64_t n) {
  ErrorAccumulator acc;
  acc.add(ref, y, n);
  return acc.metrics();
}

}  // namespace cimba::numerics
