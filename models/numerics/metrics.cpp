#include "models/numerics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cimba::numerics {

ErrorMetrics compare(const float* ref, const float* y, std::int64_t n) {
  double ref2 = 0.0, y2 = 0.0, dot = 0.0, err2 = 0.0, max_err = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double r = ref[i], v = y[i], d = r - v;
    ref2 += r * r;
    y2 += v * v;
    dot += r * v;
    err2 += d * d;
    max_err = std::max(max_err, std::fabs(d));
  }
  ErrorMetrics m;
  m.max_abs_error = max_err;
  m.sqnr_db =
      err2 == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(ref2 / err2);
  m.cosine = (ref2 == 0.0 && y2 == 0.0)   ? 1.0
             : (ref2 == 0.0 || y2 == 0.0) ? 0.0
                                          : dot / std::sqrt(ref2 * y2);
  m.rel_l2_error = ref2 == 0.0 ? (err2 == 0.0 ? 0.0 : std::numeric_limits<double>::infinity())
                               : std::sqrt(err2 / ref2);
  return m;
}

}  // namespace cimba::numerics
