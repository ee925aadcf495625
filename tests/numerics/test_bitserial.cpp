#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/common/error.hpp"
#include "models/numerics/adc.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/rng.hpp"
#include "numerics_test_util.hpp"

using namespace cimba::numerics;

namespace {
using test::gaussian;
MatrixF reference(const MatrixF& X, const MatrixF& W) {
  return (X.cast<double>() * W.cast<double>().transpose()).cast<float>();
}
}  // namespace

TEST(Slicing, PlansMatchTheSpecFormulas) {
  // O > 0: n = 1 + ceil((a - S) / (S - O)); a=12, S=8, O=4 -> 1 + ceil(4/4) = 2, shifts 4, 0.
  EXPECT_EQ(plan_slices(12, 8, 4).shifts, (std::vector<int>{4, 0}));
  // a=16, S=8, O=4 -> 1 + ceil(8/4) = 3 slices, shifts 8, 4, 0.
  EXPECT_EQ(plan_slices(16, 8, 4).shifts, (std::vector<int>{8, 4, 0}));
  // O = 0: n = ceil(a / S); a=12, S=5 -> 3 digits, shifts 10, 5, 0.
  EXPECT_EQ(plan_slices(12, 5, 0).shifts, (std::vector<int>{10, 5, 0}));
  EXPECT_EQ(plan_slices(12, 12, 0).n_slices, 1);
  EXPECT_THROW(plan_slices(12, 8, 8), cimba::InvalidArgument);
  EXPECT_THROW(plan_slices(12, 13, 0), cimba::InvalidArgument);
}

TEST(Slicing, SlicesReconstructEveryValueExactly) {
  for (auto [a, s, o] : {std::tuple{12, 8, 4}, {12, 1, 0}, {12, 5, 0}, {16, 8, 4}, {14, 6, 2}}) {
    const SlicePlan plan = plan_slices(a, s, o);
    std::int64_t d[32];
    for (std::int64_t x = qmin(a); x <= qmax(a); x += (o ? 1 : 3)) {
      slice_value(plan, x, d);
      std::int64_t sum = 0;
      for (int i = 0; i < plan.n_slices; ++i) sum += d[i] * (std::int64_t{1} << plan.shifts[i]);
      ASSERT_EQ(sum, x) << a << "/" << s << "/" << o;
    }
  }
}

TEST(BitSerial, BypassAtHighPrecisionIsTheQuantizedProduct) {
  // With the ADC bypassed the only error is W8A12 quantization: SQNR well above 35 dB.
  const MatrixF X = gaussian(32, 300, 1.0, 1), W = gaussian(40, 300, 0.05, 2);
  BitSerialConfig cfg;
  cfg.adc.range = AdcRange::Bypass;
  BitSerialStats st;
  const MatrixF Y = bitserial_linear(X, W, nullptr, cfg, &st);
  const MatrixF R = reference(X, W);
  EXPECT_GT(compare(R.data(), Y.data(), R.size()).sqnr_db, 35.0);
  EXPECT_EQ(st.conversions, 32 * 40 * 2);  // N M slices tiles = 32 * 40 * 2 * 1
  EXPECT_EQ(st.mac_ops, 32 * 40 * 300 * 2);
}

TEST(BitSerial, RowTilesMultiplyConversions) {
  const MatrixF X = gaussian(8, 300, 1.0, 3), W = gaussian(16, 300, 0.05, 4);
  BitSerialConfig cfg;
  cfg.rows_per_adc = 64;  // ceil(300 / 64) = 5 tiles
  BitSerialStats st;
  bitserial_linear(X, W, nullptr, cfg, &st);
  EXPECT_EQ(st.n_tiles, 5);
  EXPECT_EQ(st.conversions, 8 * 16 * 2 * 5);
}

TEST(BitSerial, AccuracyImprovesWithAdcBits) {
  const MatrixF X = gaussian(64, 256, 1.0, 5), W = gaussian(64, 256, 0.05, 6);
  const MatrixF R = reference(X, W);
  double previous = -1e9;
  for (int bits : {4, 6, 8, 10, 12}) {
    BitSerialConfig cfg;
    cfg.adc.bits = bits;
    const MatrixF Y = bitserial_linear(X, W, nullptr, cfg);
    const double sqnr = compare(R.data(), Y.data(), R.size()).sqnr_db;
    EXPECT_GT(sqnr, previous) << bits << " bits";
    previous = sqnr;
  }
}

TEST(BitSerial, StaticFullScaleSaturatesAndCounts) {
  const MatrixF X = gaussian(16, 128, 1.0, 7), W = gaussian(8, 128, 0.05, 8);
  BitSerialConfig cfg;
  cfg.adc.range = AdcRange::Static;
  cfg.range_x = 2.0;                      // clips the Gaussian tails of X
  cfg.acc_full_scale = {{10.0}, {10.0}};  // far below the real partial sums
  BitSerialStats st;
  bitserial_linear(X, W, nullptr, cfg, &st);
  EXPECT_GT(st.saturated, 0);
  EXPECT_GT(st.act_saturated, 0);
  cfg.acc_full_scale = {{10.0}};  // wrong shape: 2 slices needed
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
}

TEST(BitSerial, NoiseIsSeededAndReproducible) {
  const MatrixF X = gaussian(16, 64, 1.0, 9), W = gaussian(8, 64, 0.05, 10);
  BitSerialConfig cfg;
  cfg.adc.noise_lsb = 1.0;
  cfg.noise_key = 42;
  const MatrixF a = bitserial_linear(X, W, nullptr, cfg), b = bitserial_linear(X, W, nullptr, cfg);
  EXPECT_EQ(a, b);
  cfg.noise_key = 43;
  EXPECT_NE(a, bitserial_linear(X, W, nullptr, cfg));
  cfg.adc.noise_lsb = 0.0;
  EXPECT_NE(a, bitserial_linear(X, W, nullptr, cfg));
}

TEST(BitSerial, RowBlocksWithoutDynamicRangeMatchTheWholeTensor) {
  // Without a dynamic ADC range forward_into goes through the rows in blocks of bounded
  // partial-sum memory (here several blocks); the dynamic range converts the whole tensor at
  // once. Static full scales equal to the dynamic ones must give the same outputs bit for bit,
  // bias and offset-weight correction included (the noise of a part:
  // AdcConvert.PartsConvertLikeTheWhole).
  for (const int weight_slice_bits : {0, 4}) {
    const std::int64_t M = weight_slice_bits ? 512 : 1024;
    const MatrixF X = gaussian(2600, 64, 1.0, 21), W = gaussian(M, 64, 0.05, 22);
    const MatrixF bias = gaussian(1, M, 0.1, 23);
    BitSerialConfig cfg;
    cfg.rows_per_adc = 16;  // 4 row tiles: 8 (16 with digit columns) partial sums per block
    cfg.weight_slice_bits = weight_slice_bits;
    cfg.weight_encoding = WeightEncoding::Offset;
    cfg.adc.range = AdcRange::Dynamic;
    BitSerialStats dyn;
    const MatrixF a = bitserial_linear(X, W, bias.data(), cfg, &dyn);
    cfg.adc.range = AdcRange::Static;
    cfg.acc_full_scale = dyn.full_scale;
    BitSerialStats st;
    const MatrixF b = bitserial_linear(X, W, bias.data(), cfg, &st);
    EXPECT_EQ(a, b) << weight_slice_bits;
    EXPECT_EQ(st.conversions, dyn.conversions);
    EXPECT_EQ(st.saturated, dyn.saturated);
    EXPECT_EQ(st.full_scale, dyn.full_scale);
  }
}

TEST(AdcConvert, PartsConvertLikeTheWhole) {
  // A tensor converted row block by row block (index0 = the block's first element) equals the
  // whole conversion: the noise is keyed by the element's index in the whole.
  const std::int64_t rows = 37, period = 23, n = rows * period;
  const MatrixF p0 = gaussian(rows, period, 50.0, 31), p1 = gaussian(rows, period, 20.0, 32);
  const MatrixF bias = gaussian(1, period, 1.0, 33);
  std::vector<double> row_offset(rows);
  for (std::int64_t r = 0; r < rows; ++r) row_offset[r] = 0.25 * static_cast<double>(r);
  AdcConfig adc;
  adc.bits = 6;
  adc.noise_lsb = 0.7;
  const std::vector<AdcTerm> whole_terms{{p0.data(), 120.0, 2.0, 5}, {p1.data(), 40.0, 1.0, 6}};
  std::vector<float> whole(n), parts(n);
  const AdcStats w = adc_convert_shift_add(whole_terms, n, adc, 0.01, bias.data(), period,
                                           whole.data(), row_offset.data());
  AdcStats sum;
  for (std::int64_t r0 = 0; r0 < rows; r0 += 10) {
    const std::int64_t nr = std::min<std::int64_t>(10, rows - r0), i0 = r0 * period;
    const std::vector<AdcTerm> terms{{p0.data() + i0, 120.0, 2.0, 5},
                                     {p1.data() + i0, 40.0, 1.0, 6}};
    const AdcStats s = adc_convert_shift_add(terms, nr * period, adc, 0.01, bias.data(), period,
                                             parts.data() + i0, row_offset.data() + r0, i0);
    sum.conversions += s.conversions;
    sum.saturated += s.saturated;
  }
  EXPECT_EQ(whole, parts);
  EXPECT_EQ(sum.conversions, w.conversions);
  EXPECT_EQ(sum.saturated, w.saturated);
  EXPECT_GT(w.saturated, 0);
  EXPECT_THROW(adc_convert_shift_add(whole_terms, period, adc, 0.01, nullptr, period, parts.data(),
                                     nullptr, 5),
               cimba::InvalidArgument);  // not a row start
}

TEST(BitSerial, EnobIsNoiseOfTheSpecifiedSigma) {
  // enob 8 on a 10-bit ADC: sigma = sqrt((2^(2*2) - 1) / 12) = sqrt(15/12) = 1.118 LSB.
  AdcConfig adc;
  adc.bits = 10;
  adc.enob = 8;
  EXPECT_NEAR(adc_noise_sigma_lsb(adc), std::sqrt(15.0 / 12.0), 1e-12);
  adc.noise_lsb = 1.0;  // independent sources add in variance: sqrt(1 + 1.25)
  EXPECT_NEAR(adc_noise_sigma_lsb(adc), std::sqrt(1.0 + 15.0 / 12.0), 1e-12);
  // Measured: converting a constant mid-level value many times gives that spread.
  adc.noise_lsb = 0.0;
  std::vector<float> p(20000, 100.25f);
  std::vector<double> acc(p.size(), 0.0);
  adc_convert_accumulate(p.data(), p.size(), 511.0, adc, 1.0, acc.data(), 5);  // s = 511/511 = 1
  double mean = 0, var = 0;
  for (double v : acc) mean += v / acc.size();
  for (double v : acc) var += (v - mean) * (v - mean) / acc.size();
  // Rounding adds 1/12 LSB^2 of variance on top of 15/12.
  EXPECT_NEAR(std::sqrt(var), std::sqrt(16.0 / 12.0), 0.05);
}

TEST(BitSerial, WideTilesFallBackToExactDoubleSums) {
  // 16-bit single slice x 8-bit weights x 2048 rows exceeds 2^24: the double GEMM must be used
  // and the bypass result must equal the integer product exactly (up to the float output).
  const MatrixF X = gaussian(4, 2048, 1.0, 12), W = gaussian(4, 2048, 0.05, 13);
  BitSerialConfig cfg;
  cfg.a_bits = 16;
  cfg.slice_bits = 16;
  cfg.overlap_bits = 0;
  cfg.adc.range = AdcRange::Bypass;
  BitSerialStats st;
  const MatrixF Y = bitserial_linear(X, W, nullptr, cfg, &st);
  EXPECT_FALSE(st.float_gemm_exact);
  BitSerialLinear layer(W, cfg);
  const Quantizer qx = Quantizer::from_range(st.range_x, 16);
  for (int n = 0; n < 4; ++n)
    for (int m = 0; m < 4; ++m) {
      long double exact = 0;
      for (int k = 0; k < 2048; ++k) exact += (long double)qx.level(X(n, k)) * layer.w_q()(m, k);
      EXPECT_FLOAT_EQ(Y(n, m), static_cast<float>(exact * st.scale_x * st.scale_w));
    }
}

TEST(BitSerial, RejectsBadSettings) {
  const MatrixF W = gaussian(4, 8, 1.0, 1);
  BitSerialConfig cfg;
  cfg.adc.bits = 17;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
  cfg.adc.bits = 10;
  cfg.w_bits = 1;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
  cfg.w_bits = 8;
  cfg.adc.enob = 11;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
  cfg.adc.enob = 0;
  BitSerialLinear ok(W, cfg);
  EXPECT_THROW(ok.forward(gaussian(2, 9, 1.0, 2), nullptr), cimba::InvalidArgument);
}
