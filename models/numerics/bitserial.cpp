#include "models/numerics/bitserial.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/parallel.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/rng.hpp"

namespace cimba::numerics {
namespace {
// Float32 holds every integer below 2^24 exactly, so a float GEMM of integer operands is exact
// (whatever the summation order) while rows x max|x| x max|w| stays below it.
constexpr double kFloatExactLimit = 16777216.0;  // 2^24
// Row blocks of forward_into without a dynamic ADC range: at most this many bytes of partial
// sums at once (all terms of a block), and at least kMinBlockRows rows per block.
constexpr std::int64_t kPsumBlockBytes = std::int64_t{64} << 20;
constexpr std::int64_t kMinBlockRows = 256;
// Rows per work item of the integer slice products and of the conversions: small enough that the
// items of one forward keep two cores busy, large enough to amortise the weight panel's reads.
constexpr std::int64_t kItemRows = 128;
}  // namespace

BitSerialLinear::BitSerialLinear(const MatrixF& W, const BitSerialConfig& config)
    : config_(config) {
  if (config.w_bits < 2 || config.w_bits > 16)
    throw InvalidArgument("w_bits must be in 2..16, got " + std::to_string(config.w_bits));
  if (config.a_bits < 1 || config.a_bits > 16)
    throw InvalidArgument("a_bits must be in 1..16, got " + std::to_string(config.a_bits));
  if (!(config.w_clip_pct > 0.0 && config.w_clip_pct <= 100.0))
    throw InvalidArgument("w_clip_pct must be in (0, 100]");
  if (config.rows_per_adc < 0) throw InvalidArgument("rows_per_adc must be >= 0");
  if (config.threads < 1)
    throw InvalidArgument("threads must be >= 1, got " + std::to_string(config.threads));
  check_adc(config.adc);
  if (config.weight_slice_bits < 0 || config.weight_slice_bits > config.w_bits)
    throw InvalidArgument("weight_slice_bits must be in 0..w_bits (" +
                          std::to_string(config.w_bits) + "), got " +
                          std::to_string(config.weight_slice_bits));
  plan_ = plan_slices(config.a_bits, config.slice_bits, config.overlap_bits, config.input_encoding);
  k_ = W.cols();
  if (k_ <= 0 || W.rows() <= 0) throw InvalidArgument("weight matrix is empty");
  rows_ = config.rows_per_adc == 0
              ? static_cast<int>(k_)
              : static_cast<int>(std::min<std::int64_t>(config.rows_per_adc, k_));
  n_tiles_ = static_cast<int>((k_ + rows_ - 1) / rows_);
  range_w_ = config.w_clip_pct >= 100.0
                 ? absmax(W.data(), W.size())
                 : abs_quantile(W.data(), W.size(), config.w_clip_pct / 100.0);
  scale_w_ = scale_for_range(range_w_, config.w_bits);
  w_q_.resize(W.rows(), W.cols());
  quantize(W.data(), W.size(), Quantizer::from_range(range_w_, config.w_bits), w_q_.data(),
           nullptr);
  build_columns();
  if (config.adc.range == AdcRange::Static) {
    const int terms = n_adc_terms();
    if (static_cast<int>(config.acc_full_scale.size()) != plan_.n_slices)
      throw InvalidArgument("static ADC range needs acc_full_scale for " +
                            std::to_string(plan_.n_slices) + " slices, got " +
                            std::to_string(config.acc_full_scale.size()));
    for (const auto& row : config.acc_full_scale)
      if (static_cast<int>(row.size()) != terms)
        throw InvalidArgument(
            "static ADC range needs acc_full_scale with " + std::to_string(terms) +
            " entries per slice (" + std::to_string(n_columns()) + " weight column(s) x " +
            std::to_string(n_tiles_) + " row tile(s)), got " + std::to_string(row.size()));
  }
  choose_kernel();
}

void BitSerialLinear::choose_kernel() {
  // The digit range of every slice over every activation the quantizer can give (a_bits <= 16).
  const std::int64_t hi = qmax(plan_.a_bits);
  const std::int64_t lo = plan_.sign_magnitude() ? -hi : qmin(plan_.a_bits);
  slice_ranges_.assign(static_cast<std::size_t>(plan_.n_slices), DigitRange{0, 0});
  std::int64_t digits[32];
  for (std::int64_t x = lo; x <= hi; ++x) {
    slice_value(plan_, x, digits);
    for (int i = 0; i < plan_.n_slices; ++i) {
      DigitRange& r = slice_ranges_[static_cast<std::size_t>(i)];
      r.lo = std::min(r.lo, digits[i]);
      r.hi = std::max(r.hi, digits[i]);
    }
  }
  std::vector<DigitRange> cell_ranges;
  for (int c = 0; c < n_columns(); ++c) {
    const MatrixF& D = cells(c);
    cell_ranges.push_back(
        {static_cast<std::int64_t>(D.minCoeff()), static_cast<std::int64_t>(D.maxCoeff())});
  }
  std::vector<SliceKernel> candidates;
  switch (config_.kernel) {
    case SliceKernel::Auto:
      candidates = supported_integer_kernels();
      break;
    case SliceKernel::Reference:
      break;
    default:
      if (!slice_kernel_supported(config_.kernel))
        throw InvalidArgument(std::string("slice kernel ") + to_string(config_.kernel) +
                              ": this CPU does not have the instructions it needs");
      candidates = {config_.kernel};
  }
  kernel_ = SliceKernel::Reference;
  packed_.clear();
  plans_.clear();
  for (SliceKernel k : candidates) {
    std::vector<SliceProductPlan> plans;
    bool fits = true;
    for (int i = 0; i < plan_.n_slices && fits; ++i)
      for (int c = 0; c < n_columns() && fits; ++c) {
        plans.push_back(plan_slice_product(k, slice_ranges_[static_cast<std::size_t>(i)],
                                           cell_ranges[static_cast<std::size_t>(c)], rows_));
        fits = plans.back().fits;
      }
    if (!fits) continue;
    kernel_ = k;
    plans_ = std::move(plans);
    for (int c = 0; c < n_columns(); ++c)
      packed_.push_back(pack_slice_weights(k, cells(c).data(), w_q_.rows(), k_, rows_,
                                           plans_[static_cast<std::size_t>(c)].b_off));
    break;
  }
}

AdcStats BitSerialLinear::convert_rows(const std::vector<AdcTerm>& terms, std::int64_t r0,
                                       std::int64_t n, double out_scale, const float* bias,
                                       const double* row_offset, MatrixF& Y) const {
  const std::int64_t M = w_q_.rows();
  const std::int64_t items = (n + kItemRows - 1) / kItemRows;
  std::vector<AdcStats> part(static_cast<std::size_t>(items));
  parallel_for(config_.threads, items, [&](std::int64_t item) {
    const std::int64_t a = item * kItemRows, len = std::min(kItemRows, n - a);
    std::vector<AdcTerm> sub = terms;
    for (AdcTerm& t : sub) {
      if (t.psum) t.psum += a * M;
      if (t.psum_i16) t.psum_i16 += a * M;
      if (t.psum_i32) t.psum_i32 += a * M;
    }
    part[static_cast<std::size_t>(item)] = adc_convert_shift_add(
        sub, len * M, config_.adc, out_scale, bias, M, Y.data() + (r0 + a) * M,
        row_offset ? row_offset + r0 + a : nullptr, (r0 + a) * M);
  });
  AdcStats total;
  for (const AdcStats& p : part) {
    total.conversions += p.conversions;
    total.saturated += p.saturated;
  }
  return total;
}

void BitSerialLinear::build_columns() {
  const int C = config_.weight_slice_bits;
  auto max_level = [](const MatrixF& m) {
    return m.size() ? static_cast<double>(m.cwiseAbs().maxCoeff()) : 0.0;
  };
  columns_.clear();
  if (C == 0) {
    // One signed analog weight: the column is W_q itself (cells() returns w_q_).
    columns_.push_back({MatrixF(), 0, 1.0, max_level(w_q_)});
    return;
  }
  const int w = config_.w_bits;
  const int m_w = (w + C - 1) / C;
  const std::int64_t mask = (std::int64_t{1} << C) - 1;
  const std::int64_t half = std::int64_t{1} << (w - 1);
  // digit(v, j): the cell value of digit j of the integer weight v under the encoding.
  auto add_array = [&](double sign, auto&& value, auto&& digit) {
    for (int j = 0; j < m_w; ++j) {
      Column col;
      col.digits.resize(w_q_.rows(), w_q_.cols());
      const float* src = w_q_.data();
      float* dst = col.digits.data();
      for (std::int64_t e = 0; e < w_q_.size(); ++e)
        dst[e] = static_cast<float>(digit(value(static_cast<std::int64_t>(src[e])), j));
      col.shift = j * C;
      col.sign = sign;
      col.max_level = max_level(col.digits);
      columns_.push_back(std::move(col));
    }
  };
  auto unsigned_digit = [&](std::int64_t v, int j) { return (v >> (j * C)) & mask; };
  switch (config_.weight_encoding) {
    case WeightEncoding::TwosComplement:
      add_array(
          1.0, [](std::int64_t v) { return v; },
          [&](std::int64_t v, int j) {
            // The top digit is signed (arithmetic shift), the others unsigned.
            return j == m_w - 1 ? (v >> (j * C)) : unsigned_digit(v, j);
          });
      break;
    case WeightEncoding::Offset:
      offset_ = static_cast<double>(half);
      add_array(
          1.0, [&](std::int64_t v) { return v + half; }, unsigned_digit);
      break;
    case WeightEncoding::Differential:
      add_array(
          1.0, [](std::int64_t v) { return v > 0 ? v : std::int64_t{0}; }, unsigned_digit);
      add_array(
          -1.0, [](std::int64_t v) { return v < 0 ? -v : std::int64_t{0}; }, unsigned_digit);
      break;
  }
}

const MatrixF& BitSerialLinear::cells(int column) const {
  const Column& c = columns_[static_cast<std::size_t>(column)];
  return c.digits.size() ? c.digits : w_q_;
}

std::vector<double> BitSerialLinear::quantize_and_slice(const MatrixF& X, const Quantizer& qx,
                                                        std::vector<MatrixF>& slices,
                                                        std::int64_t* act_saturated) const {
  const int ns = plan_.n_slices;
  slices.resize(ns);
  for (auto& s : slices) s.resize(X.rows(), X.cols());
  std::vector<float*> dst(ns);
  for (int i = 0; i < ns; ++i) dst[i] = slices[i].data();
  std::vector<std::int64_t> max_digit(ns, 0);
  // Sign-magnitude has no code for qmin: x_q is clamped to [-qmax, qmax] (NUMERICS.md 2.7).
  const double hi = static_cast<double>(qmax(plan_.a_bits));
  const double lo = plan_.sign_magnitude() ? -hi : static_cast<double>(qmin(plan_.a_bits));
  const float* src = X.data();
  const std::int64_t n = X.size();
  std::int64_t saturated = 0;
  std::int64_t digits[32];
  for (std::int64_t e = 0; e < n; ++e) {
    double r = qx.rounded(static_cast<double>(src[e]));
    if (r < lo || r > hi) {
      ++saturated;
      r = r < lo ? lo : hi;
    }
    slice_value(plan_, static_cast<std::int64_t>(r), digits);
    for (int i = 0; i < ns; ++i) {
      dst[i][e] = static_cast<float>(digits[i]);
      const std::int64_t m = digits[i] < 0 ? -digits[i] : digits[i];
      if (m > max_digit[i]) max_digit[i] = m;
    }
  }
  if (act_saturated) *act_saturated = saturated;
  return {max_digit.begin(), max_digit.end()};
}

void BitSerialLinear::partial_sum(const ConstMapF& slice, int column, int tile, double max_digit,
                                  MatrixF& P, bool* float_exact) const {
  const MatrixF& D = cells(column);
  const double max_level = columns_[static_cast<std::size_t>(column)].max_level;
  const std::int64_t k0 = static_cast<std::int64_t>(tile) * rows_;
  const std::int64_t rows = std::min<std::int64_t>(rows_, k_ - k0);
  const bool exact = static_cast<double>(rows) * max_digit * max_level < kFloatExactLimit;
  if (exact) {
    P.noalias() = slice.middleCols(k0, rows) * D.middleCols(k0, rows).transpose();
  } else {
    // Rare (e.g. very wide tiles with 16-bit slices): accumulate in double, exact below 2^53.
    P = (slice.middleCols(k0, rows).cast<double>() *
         D.middleCols(k0, rows).cast<double>().transpose())
            .cast<float>();
    if (float_exact) *float_exact = false;
  }
}

MatrixF BitSerialLinear::forward(const MatrixF& X, const float* bias, BitSerialStats* stats) const {
  MatrixF Y;
  forward_into(X, bias, Y, stats);
  return Y;
}

void BitSerialLinear::forward_into(const MatrixF& X, const float* bias, MatrixF& Y,
                                   BitSerialStats* stats) const {
  if (X.cols() != k_)
    throw InvalidArgument("bitserial_linear: input has " + std::to_string(X.cols()) +
                          " columns, weights have " + std::to_string(k_));
  if (kernel_ != SliceKernel::Reference) return forward_integer(X, bias, Y, stats);
  const double range_x = config_.range_x ? *config_.range_x : absmax(X.data(), X.size());
  const Quantizer qx = Quantizer::from_range(range_x, plan_.a_bits);
  // Buffers reused across calls on the same thread (a layer is replayed many times; allocating
  // and first-touching ~100 MB per call would cost more than the conversions).
  thread_local std::vector<MatrixF> slices;
  thread_local std::vector<MatrixF> psums;
  BitSerialStats st;
  const std::vector<double> max_digit = quantize_and_slice(X, qx, slices, &st.act_saturated);

  // Every (slice, weight column, row tile) partial sum first, then one fused convert +
  // shift-add + rescale pass over all of them. Low-bit slices and digit columns give small
  // partial sums: two slices then share one float GEMM (PsumPacking), which halves the GEMMs and
  // the partial-sum traffic, exactly.
  const int n_cols = n_columns(), n_terms_per_slice = n_adc_terms();
  const int n_terms = plan_.n_slices * n_terms_per_slice;
  if (static_cast<int>(psums.size()) < n_terms) psums.resize(n_terms);
  std::vector<AdcTerm> terms(n_terms);
  st.full_scale.assign(plan_.n_slices, std::vector<double>(n_terms_per_slice, 0.0));
  double max_digit_all = 0.0;
  for (double m : max_digit) max_digit_all = std::max(max_digit_all, m);
  const float base = packing_base(max_digit_all);
  thread_local std::vector<MatrixF> pairs;  // slices[2j] + base * slices[2j + 1]
  const int n_pairs = base > 0.0f ? plan_.n_slices / 2 : 0;
  if (static_cast<int>(pairs.size()) < n_pairs) pairs.resize(n_pairs);
  const bool dynamic = config_.adc.range == AdcRange::Dynamic;
  // The partial sums are exact integers (whatever the GEMM's blocking), and without a dynamic
  // ADC range (a max over the whole tensor) every output row depends on its input row alone: the
  // rows then go through in blocks of a bounded partial-sum footprint (same results; the
  // buffers stay small whatever the number of rows).
  const std::int64_t N = X.rows(), M = w_q_.rows();
  const std::int64_t stored =
      static_cast<std::int64_t>(plan_.n_slices - n_pairs) * n_terms_per_slice;
  const std::int64_t block =
      dynamic
          ? N
          : std::max<std::int64_t>(
                kMinBlockRows, kPsumBlockBytes / std::max<std::int64_t>(
                                                     1, stored * M * std::int64_t{sizeof(float)}));
  // Offset weights: Y_int -= 2^(w_bits-1) sum_i 2^p_i rowsum(X_i), exactly (in double).
  thread_local std::vector<double> row_offset;
  if (offset_ != 0.0) {
    row_offset.assign(static_cast<std::size_t>(N), 0.0);
    for (int i = 0; i < plan_.n_slices; ++i) {
      const double w = offset_ * std::ldexp(1.0, plan_.shifts[i]);
      for (std::int64_t r = 0; r < N; ++r) {
        double sum = 0.0;  // digits are small integers: the sum is exact in double
        const float* row = slices[i].data() + r * k_;
        for (std::int64_t k = 0; k < k_; ++k) sum += static_cast<double>(row[k]);
        row_offset[static_cast<std::size_t>(r)] -= w * sum;
      }
    }
  }
  Y.resize(N, M);
  for (std::int64_t r0 = 0; r0 == 0 || r0 < N; r0 += block) {
    const std::int64_t n = std::min(block, N - r0);
    auto rows_of = [&](const MatrixF& m) { return ConstMapF(m.data() + r0 * k_, n, k_); };
    for (int j = 0; j < n_pairs; ++j)
      pairs[j] = rows_of(slices[2 * j]) + base * rows_of(slices[2 * j + 1]);
    for (int i = 0; i < plan_.n_slices; ++i) {
      const bool low = i / 2 < n_pairs && i % 2 == 0;
      if (i / 2 < n_pairs && i % 2 == 1) continue;  // the high half of a pair: done with i - 1
      for (int c = 0; c < n_cols; ++c)
        for (int t = 0; t < n_tiles_; ++t) {
          const int term = c * n_tiles_ + t;
          const Column& col = columns_[static_cast<std::size_t>(c)];
          MatrixF& P = psums[i * n_terms_per_slice + term];
          double fs[2] = {0.0, 0.0};  // full scales of slice i (and i + 1 when packed)
          if (low) {
            partial_sum(ConstMapF(pairs[i / 2].data(), n, k_), c, t, (1.0 + base) * max_digit_all,
                        P, &st.float_gemm_exact);
            if (dynamic) packed_peaks(P, base, fs);
          } else {
            partial_sum(rows_of(slices[i]), c, t, max_digit[i], P, &st.float_gemm_exact);
            if (dynamic) fs[0] = P.size() ? static_cast<double>(P.cwiseAbs().maxCoeff()) : 0.0;
          }
          for (int h = 0; h < (low ? 2 : 1); ++h) {
            const int slice = i + h;
            if (config_.adc.range == AdcRange::Static) fs[h] = config_.acc_full_scale[slice][term];
            st.full_scale[slice][term] = fs[h];
            AdcTerm& a = terms[slice * n_terms_per_slice + term];
            a = {P.data(), fs[h], col.sign * std::ldexp(1.0, plan_.shifts[slice] + col.shift),
                 stream_key(config_.noise_key, slice, t, c)};
            if (low) {
              a.packing = h == 0 ? PsumPacking::Low : PsumPacking::High;
              a.base = base;
            }
          }
        }
    }
    const AdcStats a = convert_rows(terms, r0, n, qx.scale * scale_w_, bias,
                                    offset_ != 0.0 ? row_offset.data() : nullptr, Y);
    st.conversions += a.conversions;
    st.saturated += a.saturated;
  }
  st.n_slices = plan_.n_slices;
  st.n_tiles = n_tiles_;
  st.n_columns = n_cols;
  st.range_x = range_x;
  st.scale_x = qx.scale;
  st.scale_w = scale_w_;
  st.mac_ops = X.rows() * w_q_.rows() * k_ * plan_.n_slices * n_cols;
  if (stats) *stats = std::move(st);
}

void BitSerialLinear::forward_integer(const MatrixF& X, const float* bias, MatrixF& Y,
                                      BitSerialStats* stats) const {
  const double range_x = config_.range_x ? *config_.range_x : absmax(X.data(), X.size());
  const Quantizer qx = Quantizer::from_range(range_x, plan_.a_bits);
  // Buffers reused across calls on the same thread, as in forward_into; named through references
  // so that the worker threads of parallel_for use the calling thread's buffers (a thread_local
  // named inside a lambda is the running thread's own).
  thread_local std::vector<MatrixF> tl_slices;
  thread_local std::vector<PackedOperand> tl_inputs;
  thread_local std::vector<std::vector<std::uint8_t>> tl_psums;
  thread_local std::vector<double> tl_row_offset;
  std::vector<MatrixF>& slices = tl_slices;
  std::vector<PackedOperand>& inputs = tl_inputs;
  std::vector<std::vector<std::uint8_t>>& psums = tl_psums;
  std::vector<double>& row_offset = tl_row_offset;
  BitSerialStats st;
  st.kernel = kernel_;
  const std::vector<double> max_digit = quantize_and_slice(X, qx, slices, &st.act_saturated);
  const int ns = plan_.n_slices, n_cols = n_columns(), per_slice = n_adc_terms();
  const int n_terms = ns * per_slice;
  const std::int64_t N = X.rows(), M = w_q_.rows();
  const int threads = config_.threads;

  // The reference's flag, as its float path would set it (packed pairs are always exact).
  double max_digit_all = 0.0;
  for (double m : max_digit) max_digit_all = std::max(max_digit_all, m);
  const int n_pairs = packing_base(max_digit_all) > 0.0f ? ns / 2 : 0;
  for (int i = 2 * n_pairs; i < ns; ++i)
    for (int c = 0; c < n_cols; ++c)
      for (int t = 0; t < n_tiles_; ++t) {
        const double rows = static_cast<double>(
            std::min<std::int64_t>(rows_, k_ - static_cast<std::int64_t>(t) * rows_));
        if (!(rows * max_digit[static_cast<std::size_t>(i)] *
                  columns_[static_cast<std::size_t>(c)].max_level <
              kFloatExactLimit))
          st.float_gemm_exact = false;
      }

  // The input planes, packed once per call for every weight column and tile.
  if (static_cast<int>(inputs.size()) < ns) inputs.resize(static_cast<std::size_t>(ns));
  for (int i = 0; i < ns; ++i)
    prepare_slice_input(kernel_, N, k_, rows_, plans_[static_cast<std::size_t>(i * n_cols)].a_off,
                        inputs[static_cast<std::size_t>(i)]);
  const std::int64_t row_items = (N + kItemRows - 1) / kItemRows;
  parallel_for(threads, ns * row_items, [&](std::int64_t item) {
    const int i = static_cast<int>(item / row_items);
    const std::int64_t a = item % row_items * kItemRows;
    pack_slice_input(slices[static_cast<std::size_t>(i)].data(), k_, a, std::min(a + kItemRows, N),
                     inputs[static_cast<std::size_t>(i)]);
  });
  // Offset weights: Y_int -= 2^(w_bits-1) sum_i 2^p_i rowsum(X_i), exactly (as forward_into).
  if (offset_ != 0.0) {
    row_offset.assign(static_cast<std::size_t>(N), 0.0);
    for (int i = 0; i < ns; ++i) {
      const double w = offset_ * std::ldexp(1.0, plan_.shifts[i]);
      for (std::int64_t r = 0; r < N; ++r) {
        double sum = 0.0;
        const float* row = slices[static_cast<std::size_t>(i)].data() + r * k_;
        for (std::int64_t k = 0; k < k_; ++k) sum += static_cast<double>(row[k]);
        row_offset[static_cast<std::size_t>(r)] -= w * sum;
      }
    }
  }

  // Every (slice, weight column, row tile) partial sum as exact integers (int16 where they fit),
  // then one convert + shift-add pass, in the reference's term order.
  auto plan_of = [&](int term) -> const SliceProductPlan& {
    return plans_[static_cast<std::size_t>(term / per_slice * n_cols +
                                           term % per_slice / n_tiles_)];
  };
  std::int64_t row_bytes = 0;
  for (int term = 0; term < n_terms; ++term) row_bytes += M * (plan_of(term).out_int16 ? 2 : 4);
  const bool dynamic = config_.adc.range == AdcRange::Dynamic;
  const std::int64_t block =
      dynamic ? N
              : std::max<std::int64_t>(kMinBlockRows,
                                       kPsumBlockBytes / std::max<std::int64_t>(1, row_bytes));
  if (static_cast<int>(psums.size()) < n_terms) psums.resize(static_cast<std::size_t>(n_terms));
  std::vector<AdcTerm> terms(static_cast<std::size_t>(n_terms));
  st.full_scale.assign(ns, std::vector<double>(per_slice, 0.0));
  Y.resize(N, M);
  for (std::int64_t r0 = 0; r0 == 0 || r0 < N; r0 += block) {
    const std::int64_t n = std::min(block, N - r0);
    const std::int64_t chunks = (n + kItemRows - 1) / kItemRows;
    for (int term = 0; term < n_terms; ++term)
      psums[static_cast<std::size_t>(term)].resize(
          static_cast<std::size_t>(n * M * (plan_of(term).out_int16 ? 2 : 4)));
    std::vector<std::int64_t> peaks(static_cast<std::size_t>(n_terms * chunks), 0);
    parallel_for(threads, n_terms * chunks, [&](std::int64_t item) {
      const int term = static_cast<int>(item / chunks);
      const int i = term / per_slice, c = term % per_slice / n_tiles_, t = term % n_tiles_;
      const SliceProductPlan& p = plan_of(term);
      const std::int64_t a = item % chunks * kItemRows, b = std::min(a + kItemRows, n);
      peaks[static_cast<std::size_t>(item)] = slice_product(
          inputs[static_cast<std::size_t>(i)], packed_[static_cast<std::size_t>(c)], t, r0 + a,
          r0 + b, psums[static_cast<std::size_t>(term)].data() + a * M * (p.out_int16 ? 2 : 4), M,
          p.out_int16);
    });
    for (int term = 0; term < n_terms; ++term) {
      const int i = term / per_slice, rem = term % per_slice;
      const int c = rem / n_tiles_, t = rem % n_tiles_;
      const SliceProductPlan& p = plan_of(term);
      const Column& col = columns_[static_cast<std::size_t>(c)];
      double fs = 0.0;
      if (dynamic) {
        std::int64_t peak = 0;
        for (std::int64_t ch = 0; ch < chunks; ++ch)
          peak = std::max(peak, peaks[static_cast<std::size_t>(term * chunks + ch)]);
        // The reference holds a partial sum as a float (rounded above 2^24): so is its peak.
        fs = static_cast<double>(static_cast<float>(peak));
      } else if (config_.adc.range == AdcRange::Static) {
        fs = config_.acc_full_scale[static_cast<std::size_t>(i)][static_cast<std::size_t>(rem)];
      }
      st.full_scale[static_cast<std::size_t>(i)][static_cast<std::size_t>(rem)] = fs;
      AdcTerm& a = terms[static_cast<std::size_t>(term)];
      a = {nullptr, fs, col.sign * std::ldexp(1.0, plan_.shifts[i] + col.shift),
           stream_key(config_.noise_key, i, t, c)};
      const void* data = psums[static_cast<std::size_t>(term)].data();
      if (p.out_int16) {
        a.psum_i16 = static_cast<const std::int16_t*>(data);
        std::int64_t peak = 0;  // max |psum| of the block, whatever the ADC range
        for (std::int64_t ch = 0; ch < chunks; ++ch)
          peak = std::max(peak, peaks[static_cast<std::size_t>(term * chunks + ch)]);
        a.psum_i16_peak = static_cast<std::int32_t>(peak);
      } else
        a.psum_i32 = static_cast<const std::int32_t*>(data);
    }
    const AdcStats a = convert_rows(terms, r0, n, qx.scale * scale_w_, bias,
                                    offset_ != 0.0 ? row_offset.data() : nullptr, Y);
    st.conversions += a.conversions;
    st.saturated += a.saturated;
  }
  st.n_slices = ns;
  st.n_tiles = n_tiles_;
  st.n_columns = n_cols;
  st.range_x = range_x;
  st.scale_x = qx.scale;
  st.scale_w = scale_w_;
  st.mac_ops = X.rows() * w_q_.rows() * k_ * ns * n_cols;
  if (stats) *stats = std::move(st);
}

void BitSerialLinear::visit_partial_sums(
    const MatrixF& X, double range_x,
    const std::function<void(int, int, const MatrixF&)>& fn) const {
  if (X.cols() != k_)
    throw InvalidArgument("visit_partial_sums: input width does not match weights");
  std::vector<MatrixF> slices;
  const std::vector<double> max_digit =
      quantize_and_slice(X, Quantizer::from_range(range_x, plan_.a_bits), slices, nullptr);
  MatrixF P;
  for (int i = 0; i < plan_.n_slices; ++i)
    for (int c = 0; c < n_columns(); ++c)
      for (int t = 0; t < n_tiles_; ++t) {
        partial_sum(ConstMapF(slices[i].data(), slices[i].rows(), slices[i].cols()), c, t,
                    max_digit[i], P, nullptr);
        fn(i, c * n_tiles_ + t, P);
      }
}

float BitSerialLinear::packing_base(double max_digit) const {
  // Largest |partial sum| of any (slice, column, tile): rows x max|digit| x max|cell|.
  double max_level = 0.0;
  for (const Column& c : columns_) max_level = std::max(max_level, c.max_level);
  const double bound = static_cast<double>(rows_) * max_digit * max_level;
  if (plan_.n_slices < 2 || bound <= 0.0) return 0.0f;
  // base: the smallest power of two above 2 x bound, so that a = R - base b is the rounding
  // residual (|a| < base / 2); R = a + base b must stay exact in float.
  const double base = std::ldexp(1.0, static_cast<int>(std::floor(std::log2(2.0 * bound))) + 1);
  return bound * (1.0 + base) < kFloatExactLimit ? static_cast<float>(base) : 0.0f;
}

void BitSerialLinear::packed_peaks(const MatrixF& R, float base, double* peaks) {
  const float inv_base = 1.0f / base;
  const float* r = R.data();
  float low = 0.0f, high = 0.0f;
  for (std::int64_t e = 0; e < R.size(); ++e) {
    const float h = std::nearbyint(r[e] * inv_base);
    low = std::max(low, std::fabs(r[e] - base * h));
    high = std::max(high, std::fabs(h));
  }
  peaks[0] = low;
  peaks[1] = high;
}

const char* to_string(WeightEncoding e) {
  switch (e) {
    case WeightEncoding::Offset:
      return "offset";
    case WeightEncoding::Differential:
      return "differential";
    default:
      return "twos_complement";
  }
}

MatrixF bitserial_linear(const MatrixF& X, const MatrixF& W, const float* bias,
                         const BitSerialConfig& config, BitSerialStats* stats) {
  return BitSerialLinear(W, config).forward(X, bias, stats);
}

}  // namespace cimba::numerics
