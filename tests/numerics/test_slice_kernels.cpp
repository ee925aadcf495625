// The integer slice-product kernels against exact products and against the float reference path:
// every kernel this CPU can run is forced in turn and must give the same bits.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/rng.hpp"
#include "models/numerics/slice_kernels.hpp"
#include "numerics_test_util.hpp"

using namespace cimba::numerics;

namespace {
using test::gaussian;

// Uniform integers in [lo, hi] as floats, with the first entries pinned to lo and hi.
MatrixF uniform_ints(std::int64_t r, std::int64_t c, std::int64_t lo, std::int64_t hi,
                     std::uint64_t key) {
  MatrixF m(r, c);
  for (std::int64_t i = 0; i < m.size(); ++i) {
    const std::uint64_t u = splitmix64(key * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(i));
    m.data()[i] = static_cast<float>(
        lo + static_cast<std::int64_t>(u % static_cast<std::uint64_t>(hi - lo + 1)));
  }
  if (m.size() > 1) {
    m.data()[0] = static_cast<float>(lo);
    m.data()[1] = static_cast<float>(hi);
  }
  return m;
}

// Every output of every tile of A [n x k] B [m x k]^T through `kernel`, compared with the exact
// int64 products; also the returned peak.
void expect_exact(SliceKernel kernel, const MatrixF& A, DigitRange ar, const MatrixF& B,
                  DigitRange br, int tile_rows) {
  const std::int64_t n = A.rows(), m = B.rows(), k = A.cols();
  const SliceProductPlan plan = plan_slice_product(kernel, ar, br, tile_rows);
  ASSERT_TRUE(plan.fits) << to_string(kernel);
  const PackedOperand w = pack_slice_weights(kernel, B.data(), m, k, tile_rows, plan.b_off);
  PackedOperand x;
  prepare_slice_input(kernel, n, k, tile_rows, plan.a_off, x);
  pack_slice_input(A.data(), k, 0, n, x);
  const int n_tiles = static_cast<int>((k + tile_rows - 1) / tile_rows);
  for (int t = 0; t < n_tiles; ++t) {
    std::vector<std::int32_t> c32(static_cast<std::size_t>(n * m));
    std::vector<std::int16_t> c16(static_cast<std::size_t>(n * m));
    // Two row ranges, as the threads split them.
    const std::int64_t half = n / 2;
    void* out = plan.out_int16 ? static_cast<void*>(c16.data()) : static_cast<void*>(c32.data());
    const std::size_t elem = plan.out_int16 ? 2 : 4;
    std::int64_t peak = slice_product(x, w, t, 0, half, out, m, plan.out_int16);
    peak = std::max(peak, slice_product(x, w, t, half, n, static_cast<char*>(out) + half * m * elem,
                                        m, plan.out_int16));
    std::int64_t want_peak = 0;
    for (std::int64_t r = 0; r < n; ++r)
      for (std::int64_t j = 0; j < m; ++j) {
        std::int64_t want = 0;
        for (std::int64_t e = t * tile_rows; e < std::min<std::int64_t>(k, (t + 1) * tile_rows);
             ++e)
          want += static_cast<std::int64_t>(A(r, e)) * static_cast<std::int64_t>(B(j, e));
        want_peak = std::max(want_peak, want < 0 ? -want : want);
        const std::int64_t got = plan.out_int16 ? c16[static_cast<std::size_t>(r * m + j)]
                                                : c32[static_cast<std::size_t>(r * m + j)];
        ASSERT_EQ(got, want) << to_string(kernel) << " tile " << t << " (" << r << ", " << j
                             << "), k " << k << ", rows " << tile_rows;
      }
    EXPECT_EQ(peak, want_peak) << to_string(kernel) << " tile " << t;
  }
}

void expect_same_bits(const MatrixF& a, const MatrixF& b, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())), 0)
      << what;
}

void expect_same_stats(const BitSerialStats& a, const BitSerialStats& b, const std::string& what) {
  EXPECT_EQ(a.conversions, b.conversions) << what;
  EXPECT_EQ(a.saturated, b.saturated) << what;
  EXPECT_EQ(a.act_saturated, b.act_saturated) << what;
  EXPECT_EQ(a.full_scale, b.full_scale) << what;
  EXPECT_EQ(a.float_gemm_exact, b.float_gemm_exact) << what;
  EXPECT_EQ(a.range_x, b.range_x) << what;
}

// The layer configurations the kernels must reproduce: every input encoding, every weight
// encoding, tiles that do not divide K, static and dynamic ranges, noise.
std::vector<std::pair<std::string, BitSerialConfig>> layer_configs() {
  std::vector<std::pair<std::string, BitSerialConfig>> out;
  BitSerialConfig base;
  base.rows_per_adc = 100;  // K = 300: three tiles; the kernels' k groups (4, 2) split unevenly
  out.emplace_back("W8A12 overlapped, 10-bit ADC", base);
  BitSerialConfig c = base;
  c.a_bits = 8;
  c.slice_bits = 1;
  c.overlap_bits = 0;
  c.adc.bits = 8;
  c.rows_per_adc = 256;
  out.emplace_back("INT8 in 1-bit two's-complement planes", c);
  c.input_encoding = InputEncoding::SignMagnitude;
  c.weight_slice_bits = 2;
  c.weight_encoding = WeightEncoding::Offset;
  out.emplace_back("1-bit sign-magnitude x 2-bit offset digits", c);
  c = base;
  c.a_bits = 16;  // three overlapped slices whose residual is widest
  c.weight_slice_bits = 3;
  c.weight_encoding = WeightEncoding::Differential;
  c.rows_per_adc = 0;
  out.emplace_back("A16 overlapped x 3-bit differential digits, whole column", c);
  c = base;
  c.a_bits = 8;
  c.slice_bits = 8;
  c.overlap_bits = 0;
  c.weight_slice_bits = 8;
  c.weight_encoding = WeightEncoding::Offset;  // cells 0..255: the weights need an offset
  c.rows_per_adc = 37;
  out.emplace_back("single-pass A8 x 8-bit offset cells", c);
  c = base;
  c.a_bits = 9;
  c.slice_bits = 4;
  c.overlap_bits = 0;  // digits 0..15 and a 1-bit signed top digit
  c.weight_slice_bits = 4;
  c.weight_encoding = WeightEncoding::TwosComplement;
  c.adc.noise_lsb = 0.7;
  c.adc.enob = 5.5;
  c.adc.bits = 6;
  out.emplace_back("A9 4-bit digits x 4-bit two's-complement digits, noisy ADC", c);
  c = base;
  c.a_bits = 9;
  c.slice_bits = 8;
  c.overlap_bits = 0;
  c.input_encoding = InputEncoding::SignMagnitude;  // one slice, -255..255: too wide for u8
  c.rows_per_adc = 64;
  out.emplace_back("single sign-magnitude 8-bit slice", c);
  return out;
}

}  // namespace

TEST(SliceKernels, NamesRoundTripAndUnknownNamesAreRejected) {
  for (SliceKernel k :
       {SliceKernel::Auto, SliceKernel::Reference, SliceKernel::Avx2, SliceKernel::Avx512Vnni})
    EXPECT_EQ(slice_kernel_from_string(to_string(k)), k);
  EXPECT_THROW(slice_kernel_from_string("avx512"), cimba::InvalidArgument);
}

TEST(SliceKernels, PlansOffsetsAndOutputWidths) {
  // VNNI: signed inputs -128..127 move to 0..255 (a_off -128); weights 0..255 to -128..127.
  SliceProductPlan p = plan_slice_product(SliceKernel::Avx512Vnni, {-128, 127}, {0, 255}, 256);
  EXPECT_TRUE(p.fits);
  EXPECT_EQ(p.a_off, -128);
  EXPECT_EQ(p.b_off, 128);
  EXPECT_FALSE(p.out_int16);  // 256 x 128 x 255 > 32767
  // 1-bit planes x INT8 weights on 256 rows: |C| <= 256 x 1 x 127 = 32512 fits int16.
  p = plan_slice_product(SliceKernel::Avx512Vnni, {0, 1}, {-127, 127}, 256);
  EXPECT_TRUE(p.fits);
  EXPECT_EQ(p.a_off, 0);
  EXPECT_TRUE(p.out_int16);
  EXPECT_FALSE(plan_slice_product(SliceKernel::Avx512Vnni, {0, 1}, {-127, 127}, 259).out_int16);
  // Too wide for u8 (sign-magnitude 8-bit digits); AVX2's int16 takes them.
  EXPECT_FALSE(plan_slice_product(SliceKernel::Avx512Vnni, {-255, 255}, {-127, 127}, 64).fits);
  EXPECT_TRUE(plan_slice_product(SliceKernel::Avx2, {-255, 255}, {-127, 127}, 64).fits);
  // int32 accumulators: 70000 rows x 255 x 128 > 2^31 - 1.
  EXPECT_FALSE(plan_slice_product(SliceKernel::Avx512Vnni, {0, 255}, {-128, 127}, 70000).fits);
  EXPECT_FALSE(plan_slice_product(SliceKernel::Avx2, {-32768, 32767}, {-32768, 32767}, 4).fits);
}

TEST(SliceKernels, EveryKernelIsExactOnRandomAndExtremeIntegers) {
  const std::vector<SliceKernel> kernels = supported_integer_kernels();
  ASSERT_FALSE(kernels.empty()) << "the build targets x86-64-v3: AVX2 is always there";
  struct Case {
    std::int64_t n, m, k;
    int tile_rows;
    DigitRange a, b;
  };
  const std::vector<Case> cases = {
      {9, 17, 1, 1, {0, 1}, {-128, 127}},          // K = 1: one partial group
      {13, 33, 67, 67, {-128, 127}, {-128, 127}},  // K not a multiple of any vector width
      {8, 32, 300, 256, {0, 255}, {0, 255}},       // extremes of u8 and of offset weights
      {7, 16, 255, 100, {-1, 1}, {0, 3}},          // sign-magnitude planes x 2-bit digits
      {1, 1, 5, 3, {-128, 127}, {-128, 127}},      // one output, tiles of 3
      {11, 20, 259, 259, {0, 1}, {-127, 127}},     // int32 output just past the int16 bound
  };
  for (SliceKernel kernel : kernels)
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const MatrixF A = uniform_ints(c.n, c.k, c.a.lo, c.a.hi, 10 + i);
      const MatrixF B = uniform_ints(c.m, c.k, c.b.lo, c.b.hi, 20 + i);
      expect_exact(kernel, A, c.a, B, c.b, c.tile_rows);
      // All-extreme operands: every product at its largest magnitude.
      MatrixF A_ext = MatrixF::Constant(c.n, c.k, static_cast<float>(c.a.lo));
      MatrixF B_ext = MatrixF::Constant(c.m, c.k, static_cast<float>(c.b.lo));
      expect_exact(kernel, A_ext, c.a, B_ext, c.b, c.tile_rows);
      B_ext.setConstant(static_cast<float>(c.b.hi));
      expect_exact(kernel, A_ext, c.a, B_ext, c.b, c.tile_rows);
    }
  // AVX2 only: 16-bit digits.
  if (slice_kernel_supported(SliceKernel::Avx2)) {
    const MatrixF A = uniform_ints(5, 40, -32768, 32767, 31);
    const MatrixF B = uniform_ints(18, 40, -300, 300, 32);
    expect_exact(SliceKernel::Avx2, A, {-32768, 32767}, B, {-300, 300}, 8);
  }
}

TEST(SliceKernels, EveryKernelGivesTheReferenceBits) {
  const MatrixF W = gaussian(70, 300, 0.05, 2);
  MatrixF X = gaussian(37, 300, 1.0, 1);
  X(0, 0) = 40.0f;  // one outlier: a static range_x below it saturates
  X(1, 1) = -40.0f;
  const float bias_data[70] = {0.5f};
  for (auto [name, cfg] : layer_configs())
    for (bool static_ranges : {false, true}) {
      BitSerialConfig ref_cfg = cfg;
      ref_cfg.kernel = SliceKernel::Reference;
      if (static_ranges) {
        // Static activation range (saturating the outliers) and static ADC full scales taken
        // from the reference's dynamic ones, halved so that some conversions clamp.
        ref_cfg.range_x = 8.0;
        BitSerialStats dyn;
        BitSerialLinear(W, ref_cfg).forward(X, nullptr, &dyn);
        ref_cfg.adc.range = AdcRange::Static;
        ref_cfg.acc_full_scale = dyn.full_scale;
        for (auto& row : ref_cfg.acc_full_scale)
          for (double& v : row) v *= 0.5;
      }
      const BitSerialLinear ref_layer(W, ref_cfg);
      ASSERT_EQ(ref_layer.kernel(), SliceKernel::Reference);
      BitSerialStats ref_stats;
      const MatrixF ref = ref_layer.forward(X, bias_data, &ref_stats);
      for (SliceKernel kernel : supported_integer_kernels()) {
        BitSerialConfig k_cfg = ref_cfg;
        k_cfg.kernel = kernel;
        const BitSerialLinear layer(W, k_cfg);
        const std::string what = name + (static_ranges ? ", static" : ", dynamic") + ", " +
                                 to_string(kernel) + " -> " + to_string(layer.kernel());
        BitSerialStats st;
        const MatrixF Y = layer.forward(X, bias_data, &st);
        expect_same_bits(Y, ref, what);
        expect_same_stats(st, ref_stats, what);
        EXPECT_EQ(st.kernel, layer.kernel()) << what;
        if (static_ranges) EXPECT_GT(st.saturated, 0) << what;
      }
    }
}

TEST(SliceKernels, AutoPicksTheFastestKernelThatFits) {
  const MatrixF W = gaussian(20, 64, 0.05, 2);
  BitSerialConfig cfg;  // W8A12: digits fit u8 / s8
  const std::vector<SliceKernel> kernels = supported_integer_kernels();
  EXPECT_EQ(BitSerialLinear(W, cfg).kernel(), kernels.front());
  // Sign-magnitude 8-bit digits (-255..255) do not fit VNNI's u8: AVX2 (int16) runs them.
  cfg.a_bits = 9;
  cfg.slice_bits = 8;
  cfg.overlap_bits = 0;
  cfg.input_encoding = InputEncoding::SignMagnitude;
  EXPECT_EQ(BitSerialLinear(W, cfg).kernel(), SliceKernel::Avx2);
  cfg.kernel = SliceKernel::Avx512Vnni;
  if (slice_kernel_supported(SliceKernel::Avx512Vnni))
    EXPECT_EQ(BitSerialLinear(W, cfg).kernel(), SliceKernel::Reference);  // forced, not fitting
  else
    EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
  cfg.kernel = SliceKernel::Reference;
  EXPECT_EQ(BitSerialLinear(W, cfg).kernel(), SliceKernel::Reference);
}

TEST(SliceKernels, ResultsDoNotDependOnTheThreadCount) {
  const MatrixF W = gaussian(70, 300, 0.05, 2);
  const MatrixF X = gaussian(300, 300, 1.0, 1);  // three row items of 128
  for (auto [name, cfg] : layer_configs())
    for (SliceKernel kernel : {SliceKernel::Auto, SliceKernel::Reference}) {
      cfg.kernel = kernel;
      cfg.threads = 1;
      BitSerialStats st1;
      const MatrixF Y1 = BitSerialLinear(W, cfg).forward(X, nullptr, &st1);
      for (int threads : {2, 3}) {
        cfg.threads = threads;
        BitSerialStats st;
        const MatrixF Y = BitSerialLinear(W, cfg).forward(X, nullptr, &st);
        const std::string what =
            name + ", " + to_string(kernel) + ", threads " + std::to_string(threads);
        expect_same_bits(Y, Y1, what);
        expect_same_stats(st, st1, what);
      }
    }
  BitSerialConfig cfg;
  cfg.threads = 0;
  EXPECT_THROW(BitSerialLinear(W, cfg), cimba::InvalidArgument);
}
