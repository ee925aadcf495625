// NUMERICS.md 2.7 (sign-magnitude inputs) and 2.8 (weight digit columns, offset / differential
// cells): properties the golden cases do not pin down on their own.
#include <gtest/gtest.h>

#include <tuple>

#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/rng.hpp"
#include "numerics_test_util.hpp"

using namespace cimba::numerics;

namespace {
using test::gaussian;
}  // namespace

TEST(SignMagnitude, PlanAndDigitsFollowTheSpec) {
  // n = ceil((a - 1) / S): a=8, S=1 -> 7 planes; a=12, S=4 -> 3 digits of |x_q|.
  const SlicePlan p1 = plan_slices(8, 1, 0, InputEncoding::SignMagnitude);
  EXPECT_EQ(p1.n_slices, 7);
  EXPECT_EQ(p1.shifts, (std::vector<int>{6, 5, 4, 3, 2, 1, 0}));
  const SlicePlan p4 = plan_slices(12, 4, 0, InputEncoding::SignMagnitude);
  EXPECT_EQ(p4.shifts, (std::vector<int>{8, 4, 0}));
  std::int64_t d[32];
  slice_value(p4, -0x5a3, d);  // |x| = 0x5a3: digits 5, 10, 3 all carrying the sign
  EXPECT_EQ(d[0], -5);
  EXPECT_EQ(d[1], -10);
  EXPECT_EQ(d[2], -3);
  for (std::int64_t x = -qmax(12); x <= qmax(12); ++x) {
    slice_value(p4, x, d);
    std::int64_t sum = 0;
    for (int i = 0; i < p4.n_slices; ++i) {
      ASSERT_LE(std::abs(d[i]), 15);
      ASSERT_TRUE(d[i] == 0 || (d[i] < 0) == (x < 0));
      sum += d[i] << p4.shifts[i];
    }
    ASSERT_EQ(sum, x);
  }
  EXPECT_THROW(plan_slices(12, 8, 4, InputEncoding::SignMagnitude), cimba::InvalidArgument);
  EXPECT_THROW(plan_slices(1, 1, 0, InputEncoding::SignMagnitude), cimba::InvalidArgument);
}

TEST(SignMagnitude, ClampsTheMostNegativeCode) {
  // One input at exactly -range quantizes to -qmax either way; a static range smaller than the
  // data makes x_q = qmin for two's complement but -qmax for sign-magnitude.
  MatrixF X(1, 2);
  X << -10.0f, 1.0f;
  MatrixF W(1, 2);
  W << 1.0f, 0.0f;
  BitSerialConfig cfg;
  cfg.a_bits = 4;
  cfg.slice_bits = 1;
  cfg.overlap_bits = 0;
  cfg.adc.range = AdcRange::Bypass;
  cfg.range_x = 7.0;  // s = 1, x_q(-10) = -10 -> clamp
  BitSerialStats st;
  const MatrixF y2 = bitserial_linear(X, W, nullptr, cfg, &st);
  EXPECT_FLOAT_EQ(y2(0, 0), -8.0f);  // qmin(4)
  EXPECT_EQ(st.act_saturated, 1);
  cfg.input_encoding = InputEncoding::SignMagnitude;
  const MatrixF ys = bitserial_linear(X, W, nullptr, cfg, &st);
  EXPECT_FLOAT_EQ(ys(0, 0), -7.0f);  // -qmax(4)
  EXPECT_EQ(st.act_saturated, 1);
}

TEST(WeightSlicing, EveryEncodingIsExactWithTheAdcBypassed) {
  // Without ADC quantization the digit columns and the digital offset removal must reproduce the
  // unsliced integer product exactly, for every encoding and input encoding.
  const MatrixF X = gaussian(9, 150, 1.0, 11), W = gaussian(13, 150, 0.05, 12);
  std::vector<float> bias(13, 0.25f);
  for (auto [a, s, o, in] : {std::tuple{8, 1, 0, InputEncoding::SignMagnitude},
                             {8, 2, 0, InputEncoding::TwosComplement},
                             {12, 8, 4, InputEncoding::TwosComplement}}) {
    BitSerialConfig base;
    base.a_bits = a;
    base.slice_bits = s;
    base.overlap_bits = o;
    base.input_encoding = in;
    base.rows_per_adc = 64;
    base.adc.range = AdcRange::Bypass;
    for (int w_bits : {8, 7})
      for (int C : {1, 2, 3, 4, w_bits})
        for (WeightEncoding e : {WeightEncoding::TwosComplement, WeightEncoding::Offset,
                                 WeightEncoding::Differential}) {
          BitSerialConfig cfg = base;
          cfg.w_bits = w_bits;
          cfg.weight_slice_bits = C;
          cfg.weight_encoding = e;
          BitSerialConfig unsliced = base;
          unsliced.w_bits = w_bits;
          BitSerialStats st;
          const MatrixF y = bitserial_linear(X, W, bias.data(), cfg, &st);
          const MatrixF r = bitserial_linear(X, W, bias.data(), unsliced);
          const int m_w = (w_bits + C - 1) / C;
          const int cols = e == WeightEncoding::Differential ? 2 * m_w : m_w;
          ASSERT_EQ(st.n_columns, cols);
          ASSERT_EQ(st.conversions, 9 * 13 * st.n_slices * cols * 3) << "3 row tiles of 64";
          ASSERT_EQ(st.full_scale.size(), static_cast<std::size_t>(st.n_slices));
          ASSERT_EQ(st.full_scale[0].size(), static_cast<std::size_t>(cols * 3));
          for (std::int64_t i = 0; i < y.size(); ++i)
            ASSERT_NEAR(y.data()[i], r.data()[i], 1e-5 * (1 + std::abs(r.data()[i])))
                << to_string(e) << " C=" << C << " w=" << w_bits << " a=" << a;
        }
  }
}

TEST(WeightSlicing, PartialSumsVisitEveryColumnInTheStaticLayout) {
  const MatrixF X = gaussian(5, 100, 1.0, 21), W = gaussian(7, 100, 0.05, 22);
  BitSerialConfig cfg;
  cfg.a_bits = 8;
  cfg.slice_bits = 4;
  cfg.overlap_bits = 0;
  cfg.weight_slice_bits = 2;
  cfg.weight_encoding = WeightEncoding::Differential;
  cfg.rows_per_adc = 64;
  const BitSerialLinear lin(W, cfg);
  ASSERT_EQ(lin.n_columns(), 8);
  ASSERT_EQ(lin.n_adc_terms(), 16);
  // The dynamic full scales a forward uses are the peaks visit_partial_sums shows, term by term;
  // fed back as static full scales they reproduce the dynamic result exactly.
  std::vector<std::vector<double>> peaks(2, std::vector<double>(16, 0.0));
  lin.visit_partial_sums(X, X.cwiseAbs().maxCoeff(), [&](int s, int term, const MatrixF& P) {
    peaks[s][term] = std::max(peaks[s][term], static_cast<double>(P.cwiseAbs().maxCoeff()));
  });
  BitSerialStats st;
  const MatrixF dyn = lin.forward(X, nullptr, &st);
  EXPECT_EQ(st.full_scale, peaks);
  BitSerialConfig stat = cfg;
  stat.adc.range = AdcRange::Static;
  stat.range_x = X.cwiseAbs().maxCoeff();
  stat.acc_full_scale = peaks;
  const MatrixF y = bitserial_linear(X, W, nullptr, stat);
  EXPECT_EQ(y, dyn);
  stat.acc_full_scale[1].pop_back();
  EXPECT_THROW(BitSerialLinear(W, stat), cimba::InvalidArgument);
}

TEST(WeightSlicing, FinerAdcsLoseLessAndRejectsBadSettings) {
  const MatrixF X = gaussian(16, 256, 1.0, 31), W = gaussian(24, 256, 0.05, 32);
  BitSerialConfig cfg;
  cfg.a_bits = 8;
  cfg.slice_bits = 1;
  cfg.overlap_bits = 0;
  cfg.input_encoding = InputEncoding::SignMagnitude;
  cfg.weight_slice_bits = 2;
  cfg.weight_encoding = WeightEncoding::Offset;
  cfg.rows_per_adc = 128;
  BitSerialConfig ideal = cfg;
  ideal.adc.range = AdcRange::Bypass;
  const MatrixF r = bitserial_linear(X, W, nullptr, ideal);
  double previous = 1e30;
  for (int bits : {3, 5, 7, 9, 11}) {
    cfg.adc.bits = bits;
    const MatrixF y = bitserial_linear(X, W, nullptr, cfg);
    const double err = (y - r).norm();
    EXPECT_LT(err, previous) << bits;
    previous = err;
  }
  EXPECT_LT(previous, 1e-2 * r.norm());
  cfg.weight_slice_bits = 9;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
  cfg.weight_slice_bits = 2;
  cfg.overlap_bits = 1;
  cfg.slice_bits = 2;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
}

TEST(AdcConversion, LevelsAreTheDivisionsRoundingAtEveryTie) {
  // Integer partial sums with full scales that put many quotients exactly on .5 (s = 2, 0.5,
  // 2/3...) and others just beside it: the levels must be round-half-even of v / s in double.
  std::vector<float> v;
  for (int i = -5000; i <= 5000; ++i) v.push_back(static_cast<float>(i));
  for (int bits : {4, 8, 10, 12})
    for (double full_scale : {2.0 * qmax(bits), 0.5 * qmax(bits), 1.5 * qmax(bits), 3333.0, 1e-3,
                              4999.5, 6.0 * qmax(bits) + 1e-12}) {
      AdcConfig adc;
      adc.bits = bits;
      std::vector<double> acc(v.size(), 0.0);
      const AdcStats st = adc_convert_accumulate(v.data(), static_cast<std::int64_t>(v.size()),
                                                 full_scale, adc, 1.0, acc.data(), 0);
      const double s = full_scale / qmax(bits);
      std::int64_t saturated = 0;
      for (std::size_t e = 0; e < v.size(); ++e) {
        const double r = std::nearbyint(static_cast<double>(v[e]) / s);
        saturated += r < qmin(bits) || r > qmax(bits);
        const double level = std::min<double>(std::max<double>(r, qmin(bits)), qmax(bits));
        ASSERT_EQ(acc[e], level * s) << "v " << v[e] << " fs " << full_scale << " b " << bits;
      }
      EXPECT_EQ(st.saturated, saturated);
    }
}

TEST(WeightSlicing, PackedPartialSumsEqualOneGemmPerSlice) {
  // 1-bit planes x 2-bit columns are small enough that two slices share one float GEMM; the
  // result must be bit-identical to converting each slice's own partial sums (the terms rebuilt
  // here from visit_partial_sums, unpacked, in the same order).
  const MatrixF X = gaussian(23, 200, 1.0, 41), W = gaussian(17, 200, 0.05, 42);
  std::vector<float> bias(17, -0.5f);
  for (WeightEncoding e : {WeightEncoding::TwosComplement, WeightEncoding::Differential}) {
    BitSerialConfig cfg;
    cfg.a_bits = 8;
    cfg.slice_bits = 1;
    cfg.overlap_bits = 0;
    cfg.input_encoding = InputEncoding::SignMagnitude;
    cfg.weight_slice_bits = 2;
    cfg.weight_encoding = e;
    cfg.rows_per_adc = 64;
    cfg.adc.bits = 5;
    cfg.adc.noise_lsb = 0.3;
    cfg.noise_key = 99;
    const BitSerialLinear lin(W, cfg);
    BitSerialStats st;
    const MatrixF y = lin.forward(X, bias.data(), &st);
    std::vector<MatrixF> P(static_cast<std::size_t>(st.n_slices * lin.n_adc_terms()));
    lin.visit_partial_sums(X, X.cwiseAbs().maxCoeff(), [&](int s, int term, const MatrixF& p) {
      P[static_cast<std::size_t>(s * lin.n_adc_terms() + term)] = p;
    });
    std::vector<AdcTerm> terms;
    for (int s = 0; s < st.n_slices; ++s)
      for (int c = 0; c < lin.n_columns(); ++c)
        for (int t = 0; t < lin.n_tiles(); ++t) {
          const MatrixF& p =
              P[static_cast<std::size_t>(s * lin.n_adc_terms() + c * lin.n_tiles() + t)];
          const double sign = e == WeightEncoding::Differential && c >= 4 ? -1.0 : 1.0;
          const int shift = lin.plan().shifts[s] + 2 * (c % 4);
          terms.push_back({p.data(), static_cast<double>(p.cwiseAbs().maxCoeff()),
                           sign * std::ldexp(1.0, shift), stream_key(99, s, t, c)});
        }
    MatrixF ref(23, 17);
    adc_convert_shift_add(terms, ref.size(), cfg.adc, st.scale_x * st.scale_w, bias.data(), 17,
                          ref.data());
    EXPECT_EQ(y, ref) << to_string(e);
  }
}
