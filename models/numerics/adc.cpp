#include "models/numerics/adc.hpp"

#include <algorithm>
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
  if (adc.enob > 0.0 && adc.enob < adc.bits)
    var += (std::pow(2.0, 2.0 * (adc.bits - adc.enob)) - 1.0) / 12.0;
  return std::sqrt(var);
}

namespace {

// Elements converted per block (the double accumulator and the levels stay in L1).
constexpr std::int64_t kAdcBlock = 512;

// The partial sum element e holds, as the reference float path holds it.
template <PsumPacking kPacking>
double psum_value(const float* psum, std::int64_t e, float base, float inv_base) {
  return static_cast<double>(unpack_psum(psum[e], kPacking, base, inv_base));
}
template <PsumPacking kPacking>
double psum_value(const std::int16_t* psum, std::int64_t e, float, float) {
  return static_cast<double>(psum[e]);
}
template <PsumPacking kPacking>
double psum_value(const std::int32_t* psum, std::int64_t e, float, float) {
  return static_cast<double>(static_cast<float>(psum[e]));
}

// Converts psum[0, len) (len <= kAdcBlock; elements index0.. of the tensor, which key the noise
// samples), unpacked as `packing` says, and adds level * s * weight into acc. Returns the number of
// saturated conversions.
template <PsumPacking kPacking, typename Psum>
std::int64_t convert_block(const Psum* psum, std::int64_t len, std::int64_t index0,
                           double full_scale, const AdcConfig& adc, double sigma_lsb, double weight,
                           double* acc, std::uint64_t noise_key, float base) {
  const float inv_base = 1.0f / base;
  auto value = [&](std::int64_t e) { return psum_value<kPacking>(psum, e, base, inv_base); };
  if (adc.range == AdcRange::Bypass) {
    for (std::int64_t e = 0; e < len; ++e) acc[e] += value(e) * weight;
    return 0;
  }
  // Zero full scale (a static calibration that saw only zeros): every level is 0 (NUMERICS.md 1).
  if (full_scale == 0.0) return 0;
  const double s = scale_for_range(full_scale, adc.bits);
  const double lo = static_cast<double>(qmin(adc.bits)), hi = static_cast<double>(qmax(adc.bits));
  const double step = s * weight;
  std::int64_t saturated = 0;
  if (sigma_lsb == 0.0) {
    // Branch-free so that it vectorises; division (not a reciprocal) keeps the spec's rounding at
    // exact ties.
    for (std::int64_t e = 0; e < len; ++e) {
      const double r = std::nearbyint(value(e) / s);
      saturated += (r < lo) | (r > hi);
      acc[e] += std::min(std::max(r, lo), hi) * step;
    }
  } else {
    const double sigma = sigma_lsb * s;
    for (std::int64_t e = 0; e < len; ++e) {
      const double noise = sigma * normal_at(noise_key, static_cast<std::uint64_t>(index0 + e));
      const double r = std::nearbyint((value(e) + noise) / s);
      saturated += (r < lo) | (r > hi);
      acc[e] += std::min(std::max(r, lo), hi) * step;
    }
  }
  return saturated;
}

// Largest int16 partial-sum range converted through a table (2 x 2048 + 1 doubles: L1-sized).
constexpr std::int32_t kTablePeak = 2048;

// A noiseless conversion of the integers [-peak, peak]: what convert_block adds to acc and
// whether it saturates, for every value, computed with convert_block's own formula.
struct ConversionTable {
  std::int32_t peak = -1;  // -1: no table
  std::vector<double> add;
  std::vector<std::uint8_t> saturates;
};

ConversionTable conversion_table(const AdcTerm& t, const AdcConfig& adc, double sigma_lsb) {
  ConversionTable table;
  if (!t.psum_i16 || t.psum_i16_peak < 0 || t.psum_i16_peak > kTablePeak || sigma_lsb != 0.0 ||
      adc.range == AdcRange::Bypass || t.full_scale == 0.0)
    return table;
  const double s = scale_for_range(t.full_scale, adc.bits);
  const double lo = static_cast<double>(qmin(adc.bits)), hi = static_cast<double>(qmax(adc.bits));
  const double step = s * t.weight;
  table.peak = t.psum_i16_peak;
  table.add.resize(static_cast<std::size_t>(2 * table.peak + 1));
  table.saturates.resize(table.add.size());
  for (std::int32_t v = -table.peak; v <= table.peak; ++v) {
    const double r = std::nearbyint(static_cast<double>(v) / s);
    table.add[static_cast<std::size_t>(v + table.peak)] = std::min(std::max(r, lo), hi) * step;
    table.saturates[static_cast<std::size_t>(v + table.peak)] = (r < lo) | (r > hi);
  }
  return table;
}

// Converts t.psum[begin, begin + len), elements index0 + begin.. of the whole tensor.
std::int64_t convert_term(const AdcTerm& t, const ConversionTable& table, std::int64_t begin,
                          std::int64_t len, std::int64_t index0, const AdcConfig& adc,
                          double sigma_lsb, double* acc) {
  const std::int64_t index = index0 + begin;
  if (table.peak >= 0) {
    const std::int16_t* psum = t.psum_i16 + begin;
    const double* add = table.add.data() + table.peak;
    const std::uint8_t* saturates = table.saturates.data() + table.peak;
    std::int64_t saturated = 0;
    for (std::int64_t e = 0; e < len; ++e) {
      acc[e] += add[psum[e]];
      saturated += saturates[psum[e]];
    }
    return saturated;
  }
  if (t.psum_i16)
    return convert_block<PsumPacking::Plain>(t.psum_i16 + begin, len, index, t.full_scale, adc,
                                             sigma_lsb, t.weight, acc, t.noise_key, 1.0f);
  if (t.psum_i32)
    return convert_block<PsumPacking::Plain>(t.psum_i32 + begin, len, index, t.full_scale, adc,
                                             sigma_lsb, t.weight, acc, t.noise_key, 1.0f);
  switch (t.packing) {
    case PsumPacking::Low:
      return convert_block<PsumPacking::Low>(t.psum + begin, len, index, t.full_scale, adc,
                                             sigma_lsb, t.weight, acc, t.noise_key, t.base);
    case PsumPacking::High:
      return convert_block<PsumPacking::High>(t.psum + begin, len, index, t.full_scale, adc,
                                              sigma_lsb, t.weight, acc, t.noise_key, t.base);
    case PsumPacking::Plain:
      break;
  }
  return convert_block<PsumPacking::Plain>(t.psum + begin, len, index, t.full_scale, adc, sigma_lsb,
                                           t.weight, acc, t.noise_key, 1.0f);
}

}  // namespace

AdcStats adc_convert_accumulate(const float* psum, std::int64_t n, double full_scale,
                                const AdcConfig& adc, double weight, double* acc,
                                std::uint64_t noise_key) {
  AdcStats stats;
  stats.conversions = n;
  const double sigma_lsb = adc_noise_sigma_lsb(adc);
  for (std::int64_t begin = 0; begin < n; begin += kAdcBlock)
    stats.saturated += convert_block<PsumPacking::Plain>(
        psum + begin, std::min(kAdcBlock, n - begin), begin, full_scale, adc, sigma_lsb, weight,
        acc + begin, noise_key, 1.0f);
  return stats;
}

AdcStats adc_convert_shift_add(const std::vector<AdcTerm>& terms, std::int64_t n,
                               const AdcConfig& adc, double out_scale, const float* bias,
                               std::int64_t period, float* y, const double* row_offset,
                               std::int64_t index0) {
  if (index0 < 0 || (period > 0 && index0 % period != 0))
    throw InvalidArgument("adc_convert_shift_add: index0 " + std::to_string(index0) +
                          " is not a row start (period " + std::to_string(period) + ")");
  const double sigma_lsb = adc_noise_sigma_lsb(adc);
  AdcStats total;
  total.conversions = n * static_cast<std::int64_t>(terms.size());
  std::vector<ConversionTable> tables;
  tables.reserve(terms.size());
  for (const AdcTerm& t : terms) tables.push_back(conversion_table(t, adc, sigma_lsb));
  double acc[kAdcBlock];
  for (std::int64_t begin = 0; begin < n; begin += kAdcBlock) {
    const std::int64_t len = std::min(kAdcBlock, n - begin);
    std::fill(acc, acc + len, 0.0);
    for (std::size_t j = 0; j < terms.size(); ++j)
      total.saturated += convert_term(terms[j], tables[j], begin, len, index0, adc, sigma_lsb, acc);
    if (row_offset)
      for (std::int64_t e = 0; e < len; ++e) acc[e] += row_offset[(begin + e) / period];
    for (std::int64_t e = 0; e < len; ++e) {
      const std::int64_t i = begin + e;
      const double b = bias ? static_cast<double>(bias[i % period]) : 0.0;
      y[i] = static_cast<float>(acc[e] * out_scale + b);
    }
  }
  return total;
}

}  // namespace cimba::numerics
