#include "models/numerics/observers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/quantize.hpp"

namespace cimba::numerics {

double absmax(const float* x, std::int64_t n) {
  float m = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

double sorted_quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  if (!(q >= 0.0 && q <= 1.0)) throw InvalidArgument("quantile must be in [0, 1]");
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

double abs_quantile(const float* x, std::int64_t n, double q) {
  std::vector<double> mags(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) mags[i] = std::fabs(static_cast<double>(x[i]));
  std::sort(mags.begin(), mags.end());
  return sorted_quantile(mags, q);
}

StreamingAbsQuantile::StreamingAbsQuantile(std::int64_t total, double q) : total_(total), q_(q) {
  if (!(q >= 0.0 && q <= 1.0)) throw InvalidArgument("quantile must be in [0, 1]");
  if (total < 0) throw InvalidArgument("streaming quantile: negative element count");
  if (total == 0) return;
  // The ranks sorted_quantile reads: lo = floor(q (n - 1)), hi = min(lo + 1, n - 1).
  lo_ = static_cast<std::int64_t>(std::floor(q * static_cast<double>(total - 1)));
  hi_ = std::min(lo_ + 1, total - 1);
  keep_top_ = total - lo_ <= hi_ + 1;
  keep_ = static_cast<std::size_t>(keep_top_ ? total - lo_ : hi_ + 1);
}

void StreamingAbsQuantile::observe(const float* x, std::int64_t n) {
  if (n < 0 || n > total_ - observed_)
    throw InvalidArgument("streaming quantile: " + std::to_string(observed_ + n) +
                          " elements observed, " + std::to_string(total_) + " announced");
  observed_ += n;
  // Room for a batch of candidates between prunes (amortised O(1) per element).
  const std::size_t capacity = 2 * keep_ + 4096;
  for (std::int64_t i = 0; i < n; ++i) {
    const float m = std::fabs(x[i]);
    // A value on the far side of the kept side's innermost one cannot change the kept values
    // (an equal one only replaces an equal value).
    if (pruned_ && (keep_top_ ? !(m > bound_) : !(m < bound_))) continue;
    kept_.push_back(m);
    if (kept_.size() >= capacity) prune();
  }
}

void StreamingAbsQuantile::prune() {
  if (kept_.size() <= keep_) return;
  if (keep_top_) {
    const auto nth = kept_.begin() + static_cast<std::ptrdiff_t>(kept_.size() - keep_);
    std::nth_element(kept_.begin(), nth, kept_.end());
    kept_.erase(kept_.begin(), nth);  // the keep_ largest remain, their minimum first
    bound_ = kept_.front();
  } else {
    const auto nth = kept_.begin() + static_cast<std::ptrdiff_t>(keep_ - 1);
    std::nth_element(kept_.begin(), nth, kept_.end());
    kept_.resize(keep_);  // the keep_ smallest remain, their maximum last
    bound_ = kept_.back();
  }
  pruned_ = true;
}

double StreamingAbsQuantile::value() const {
  if (observed_ != total_)
    throw InvalidArgument("streaming quantile: " + std::to_string(observed_) + " of " +
                          std::to_string(total_) + " elements observed");
  if (total_ == 0) return 0.0;
  std::vector<float> side = kept_;
  if (keep_top_) {
    const auto nth = side.begin() + static_cast<std::ptrdiff_t>(side.size() - keep_);
    std::nth_element(side.begin(), nth, side.end());
    side.erase(side.begin(), nth);
  } else {
    std::nth_element(side.begin(), side.begin() + static_cast<std::ptrdiff_t>(keep_ - 1),
                     side.end());
    side.resize(keep_);
  }
  std::sort(side.begin(), side.end());
  // side[j] is rank j + offset of the whole sorted stream; the interpolation of sorted_quantile.
  const std::int64_t offset = keep_top_ ? lo_ : 0;
  const double at_lo = static_cast<double>(side[static_cast<std::size_t>(lo_ - offset)]);
  const double at_hi = static_cast<double>(side[static_cast<std::size_t>(hi_ - offset)]);
  const double pos = q_ * static_cast<double>(total_ - 1);
  const double frac = pos - static_cast<double>(lo_);
  return at_lo + frac * (at_hi - at_lo);
}

namespace {

// Smooths a distribution so that empty bins get eps and the mass is taken evenly from the
// non-empty ones (as MXNet's entropy calibration does), so that KL(p || q) stays finite.
void smooth(std::vector<double>& d, double eps) {
  std::size_t zeros = 0;
  for (double v : d) zeros += v == 0.0;
  const std::size_t nonzeros = d.size() - zeros;
  if (zeros == 0 || nonzeros == 0) return;
  const double eps1 = eps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& v : d) v = v == 0.0 ? eps : v - eps1;
}

}  // namespace

double kl_range(const float* x, std::int64_t n, int bits) {
  check_bits(bits, "kl bits");
  constexpr int kBins = 2048;
  const int levels = static_cast<int>(std::int64_t{1} << (bits - 1));
  if (levels > kBins) throw InvalidArgument("kl observer supports at most 12 bits");
  const double amax = absmax(x, n);
  if (amax == 0.0) return 0.0;
  const double width = amax / kBins;
  std::vector<double> hist(kBins, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    int b = static_cast<int>(std::fabs(static_cast<double>(x[i])) / width);
    hist[std::min(b, kBins - 1)] += 1.0;
  }
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = kBins;
  std::vector<double> p, q;
  for (int i = levels; i <= kBins; ++i) {
    p.assign(hist.begin(), hist.begin() + i);
    double outliers = 0.0;
    for (int j = i; j < kBins; ++j) outliers += hist[j];
    p[i - 1] += outliers;
    // Quantize bins [0, i) into `levels` chunks and expand each chunk's mass evenly over its
    // non-empty bins.
    q.assign(i, 0.0);
    const int merged = i / levels;
    for (int level = 0; level < levels; ++level) {
      const int start = level * merged;
      const int stop = level == levels - 1 ? i : start + merged;
      double mass = 0.0;
      int nonempty = 0;
      for (int j = start; j < stop; ++j) {
        mass += hist[j];
        nonempty += hist[j] != 0.0;
      }
      if (nonempty == 0) continue;
      for (int j = start; j < stop; ++j)
        if (hist[j] != 0.0) q[j] = mass / nonempty;
    }
    double psum = 0.0, qsum = 0.0;
    for (int j = 0; j < i; ++j) {
      psum += p[j];
      qsum += q[j];
    }
    if (psum == 0.0 || qsum == 0.0) continue;
    for (int j = 0; j < i; ++j) {
      p[j] /= psum;
      q[j] /= qsum;
    }
    smooth(p, 1e-4);
    smooth(q, 1e-4);
    double kl = 0.0;
    for (int j = 0; j < i; ++j)
      if (p[j] > 0.0 && q[j] > 0.0) kl += p[j] * std::log(p[j] / q[j]);
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return best_i * width;
}

double mse_range(const float* x, std::int64_t n, int bits) {
  check_bits(bits, "mse bits");
  const double amax = absmax(x, n);
  if (amax == 0.0 || n == 0) return 0.0;
  double best_err = std::numeric_limits<double>::infinity();
  double best_range = amax;
  for (int j = 0; j <= 63; ++j) {
    const double range = amax * (0.5 + 0.5 * j / 63.0);
    const Quantizer quantizer = Quantizer::from_range(range, bits);
    const double scale = quantizer.scale;
    double err = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(x[i]);
      const double d = v - static_cast<double>(quantizer.level(v)) * scale;
      err += d * d;
    }
    err /= static_cast<double>(n);
    if (err < best_err) {
      best_err = err;
      best_range = range;
    }
  }
  return best_range;
}

Observer::Observer(const ObserverConfig& config) : config_(config) {
  if (!(config.percentile_alpha > 0.0 && config.percentile_alpha <= 1.0))
    throw InvalidArgument("percentile_alpha must be in (0, 1]");
  if (!(config.ema_sigma > 0.0 && config.ema_sigma <= 1.0))
    throw InvalidArgument("ema_sigma must be in (0, 1]");
  check_bits(config.bits, "observer bits");
}

void Observer::observe(const float* x, std::int64_t n) {
  switch (config_.kind) {
    case ObserverKind::Absmax:
      range_ = std::max(range_, absmax(x, n));
      break;
    case ObserverKind::PercentileEma: {
      const double cur = abs_quantile(x, n, config_.percentile_alpha);
      range_ = batches_ == 0 ? cur : range_ + config_.ema_sigma * (cur - range_);
      break;
    }
    case ObserverKind::Kl:
      sum_ += kl_range(x, n, config_.bits);
      break;
    case ObserverKind::Mse:
      sum_ += mse_range(x, n, config_.bits);
      break;
  }
  ++batches_;
}

double Observer::range() const {
  if (batches_ == 0) return 0.0;
  if (config_.kind == ObserverKind::Kl || config_.kind == ObserverKind::Mse)
    return sum_ / static_cast<double>(batches_);
  return range_;
}

}  // namespace cimba::numerics
