// Quantized JiT replay (workloads/jit/jit_quant_replay.hpp) and its calibration
// (workloads/jit/jit_calibration.hpp): the shift fold by hand, per-linear accuracy on the real
// jit-mnist-tiny model, TaQ-DiT calibration (bits table, shifts, save/load), determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <cstring>
#include <map>
#include "models/common/error.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/rng.hpp"
#include "tests/shared_data.hpp"
#include "workloads/jit/jit_calibration.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_quant_replay.hpp"
#include "workloads/mamba1/mamba_forward.hpp"

namespace cimba::workloads {
namespace {

using numerics::MatrixF;

const std::filesystem::path kModel =
    std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "jit-mnist-tiny";
const std::filesystem::path kMnist = std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mnist";

const JitModel& real_model() {
  static const JitModel m = load_jit(kModel);
  return m;
}
const MnistSet& mnist() {
  static const MnistSet s = read_mnist_test(kMnist);
  return s;
}
#define REQUIRE_REAL_JIT_AND_MNIST()                            \
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kModel / "model.safetensors"); \
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kMnist / "t10k-images-idx3-ubyte.gz")

MatrixF random_matrix(std::int64_t r, std::int64_t c, std::uint64_t seed, float scale = 1.0f) {
  MatrixF m(r, c);
  for (std::int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = scale * static_cast<float>(numerics::normal_at(numerics::stream_key(seed, 1), i));
  return m;
}

TEST(JitQuant, BucketsAndKeys) {
  EXPECT_EQ(jit_timestep_bucket(0.0, 10), 0);
  EXPECT_EQ(jit_timestep_bucket(0.05, 10), 0);
  EXPECT_EQ(jit_timestep_bucket(0.1, 10), 1);
  EXPECT_EQ(jit_timestep_bucket(0.999, 10), 9);
  EXPECT_EQ(jit_timestep_bucket(1.0, 10), 9);  // t = 1 falls in the last bucket
  EXPECT_EQ(jit_timestep_bucket(0.5, 0), -1);
  EXPECT_EQ(jit_calibration_key(-1, 2, JitLinearKind::w3), "blocks.2.mlp.w3");
  EXPECT_EQ(jit_calibration_key(3, 0, JitLinearKind::qkv), "bucket3.blocks.0.attn.qkv");
  EXPECT_EQ(jit_calibration_key(-1, -1, JitLinearKind::final_linear), "final.linear");
  EXPECT_EQ(parse_jit_linear_key_name("w12"), JitLinearKind::w12);
  EXPECT_THROW(parse_jit_linear_key_name("w4"), InvalidArgument);
  JitQuantConfig c;
  EXPECT_FALSE(c.needs_calibration());  // dynamic ranges, dynamic ADC
  c.taq.enabled = true;
  EXPECT_TRUE(c.needs_calibration());
}

// With TaQ-DiT the w3 input is shifted: Y = quant(x - shift) s W_hat^T + W_hat shift. With the ADC
// bypassed this is exactly (q s + shift) W_hat^T up to FP32 rounding of the output.
TEST(JitQuant, ShiftIsFoldedIntoTheOutputConstant) {
  const std::int64_t N = 6, K = 24, M = 5;
  const MatrixF W = random_matrix(M, K, 1, 0.2f);
  MatrixF X = random_matrix(N, K, 2);
  for (std::int64_t r = 0; r < N; ++r)
    for (std::int64_t k = 0; k < K; ++k) X(r, k) += 3.0f + 0.5f * k;  // off-centre channels
  JitCalibration cal;
  cal.depth = 1;
  cal.buckets = 2;
  cal.w3_shift = {std::vector<float>(K)};
  for (std::int64_t k = 0; k < K; ++k) cal.w3_shift[0][k] = 3.0f + 0.5f * k;
  JitQuantConfig cfg;
  cfg.taq.enabled = true;
  cfg.taq.buckets = 2;
  auto& lc = cfg.linear[jit_kind_index(JitLinearKind::w3)];
  lc.adc.range = numerics::AdcRange::Bypass;
  for (int b = 0; b < 2; ++b) {
    JitLinearCalibration e;
    e.a_bits = b == 0 ? 4 : 8;
    cal.linears[jit_calibration_key(b, 0, JitLinearKind::w3)] = e;
  }
  JitQuantLinear lin(W, 0, JitLinearKind::w3, cfg, &cal);
  for (int bucket = 0; bucket < 2; ++bucket) {
    MatrixF Y;
    lin.forward(X, nullptr, bucket, Y);
    const numerics::BitSerialLinear& bs = lin.select(bucket);
    EXPECT_EQ(bs.config().a_bits, bucket == 0 ? 4 : 8);
    EXPECT_EQ(bs.plan().n_slices, 1);  // a_bits <= slice_bits: single pass
    // by hand: x_hat = q s + shift with the dynamic range max|x - shift|
    MatrixF Xs = X;
    for (std::int64_t r = 0; r < N; ++r)
      for (std::int64_t k = 0; k < K; ++k) Xs(r, k) -= cal.w3_shift[0][k];
    const auto q = numerics::Quantizer::from_range(Xs.cwiseAbs().maxCoeff(), bs.config().a_bits);
    for (std::int64_t r = 0; r < N; ++r)
      for (std::int64_t m = 0; m < M; ++m) {
        double y = 0.0;
        for (std::int64_t k = 0; k < K; ++k) {
          const double xh = q.level(Xs(r, k)) * q.scale + cal.w3_shift[0][k];
          y += xh * bs.w_q()(m, k) * bs.scale_w();
        }
        EXPECT_NEAR(Y(r, m), y, 1e-5 * (1.0 + std::abs(y))) << bucket << " " << r << " " << m;
      }
  }
}

void print_rows(const JitQuantEvalResult& r, double t) {
  std::printf("  t     block point          SQNR iso  SQNR e2e  cosine e2e  adc sat  a_bits\n");
  for (const JitReplayRow& row : r.rows) {
    if (row.t != t) continue;
    const auto iso = row.isolated.metrics();
    const auto e2e = row.end_to_end.metrics();
    std::printf("  %5.2f %5d %-14s %8.2f  %8.2f  %10.6f  %7.5f  %d-%d\n", row.t, row.block,
                row.point.c_str(), row.isolated.n ? iso.sqnr_db : NAN,
                row.end_to_end.n ? e2e.sqnr_db : NAN, row.end_to_end.n ? e2e.cosine : NAN,
                row.adc_saturation(), row.linear.min_a_bits, row.linear.max_a_bits);
  }
}

// Defaults: qkv, proj, w12, w3 at W8A12 (2 overlapped slices), ADC 10 bits dynamic, rows = K.
TEST(JitQuant, RealModelDefaultsPerLinearAccuracy) {
  REQUIRE_REAL_JIT_AND_MNIST();
  JitQuantConfig cfg;
  JitQuantEvalOptions eo;
  eo.timesteps = {0.1f, 0.5f, 0.9f};
  eo.images = 4;
  eo.samples = 2;
  eo.sample_steps = 4;
  const JitQuantEvalResult r = evaluate_jit_quant(real_model(), mnist(), cfg, nullptr, eo);
  print_rows(r, -1.0);
  // 3 timesteps + the total, each 6 blocks x 6 rows + 6 model-level rows
  ASSERT_EQ(r.rows.size(), 4u * (6 * 6 + 6));
  for (const JitReplayRow& row : r.rows) {
    if (row.is_linear && row.quantized) {
      EXPECT_GT(row.isolated.n, 0) << row.point;
      EXPECT_GT(row.isolated.metrics().sqnr_db, 20.0) << row.block << " " << row.point;
      EXPECT_EQ(row.linear.n_slices, 2);
      EXPECT_EQ(row.linear.max_a_bits, 12);
    }
    if (row.is_linear && !row.quantized) EXPECT_EQ(row.isolated.n, 0) << row.point;
  }
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    std::printf("pred_x t=%.1f: PSNR %.2f dB, SQNR %.2f dB\n", r.timesteps[i], r.pred_x_psnr_db[i],
                r.pred_x_sqnr_db[i]);
  std::printf("min linear SQNR %.2f dB; samples %lld x %d steps: PSNR %.2f dB (%.1f s)\n",
              r.min_linear_sqnr_db, static_cast<long long>(r.samples), r.sample_steps,
              r.sample_psnr_db, r.seconds);
  EXPECT_GT(r.mean_pred_x_psnr_db, 30.0);
  EXPECT_GT(r.sample_psnr_db, 25.0);
  EXPECT_TRUE(std::isfinite(r.sample_psnr_db));
}

TEST(JitQuant, DeterministicAndFp32WhenNothingIsQuantized) {
  REQUIRE_REAL_JIT_AND_MNIST();
  const MatrixF x = mnist_to_model_images(mnist().images, 0, 2);
  const std::vector<std::int32_t> y = {7, 2};
  const std::vector<float> t = {0.3f, 0.8f};
  const MatrixF noise = jit_gaussian_noise(5, 2, 1024);
  JitQuantConfig cfg;
  JitQuantHooks h1(real_model(), cfg, nullptr), h2(real_model(), cfg, nullptr);
  JitForwardOptions o1, o2;
  o1.hooks = &h1;
  o2.hooks = &h2;
  const MatrixF a = jit_denoise(real_model(), x, y, t, noise, o1).pred_x;
  const MatrixF b = jit_denoise(real_model(), x, y, t, noise, o2).pred_x;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0);
  cfg.quantize.fill(false);
  JitQuantHooks h3(real_model(), cfg, nullptr);
  JitForwardOptions o3;
  o3.hooks = &h3;
  const MatrixF c = jit_denoise(real_model(), x, y, t, noise, o3).pred_x;
  const MatrixF ref = jit_denoise(real_model(), x, y, t, noise).pred_x;
  EXPECT_EQ(std::memcmp(c.data(), ref.data(), sizeof(float) * c.size()), 0);
}

// TaQ-DiT: 4 buckets, stratified calibration timesteps (every bucket has images), static ranges
// and static ADC; the table holds a bit width per (bucket, block, linear), the w3 shifts follow
// the EMA, and the file round trip is exact.
TEST(JitQuant, TaqCalibrationSaveLoadAndReplay) {
  REQUIRE_REAL_JIT_AND_MNIST();
  JitQuantConfig cfg;
  cfg.taq.enabled = true;
  cfg.taq.buckets = 4;
  cfg.static_range_x = true;
  for (auto& l : cfg.linear) l.adc.range = numerics::AdcRange::Static;
  JitCalibrationOptions co;
  co.images = 16;
  co.batch_size = 8;
  co.timesteps = JitCalibrationTimesteps::Stratified;
  const JitCalibration cal = calibrate_jit(real_model(), mnist(), cfg, co);
  EXPECT_EQ(cal.buckets, 4);
  EXPECT_EQ(cal.batches, 2);
  std::map<int, int> histogram;
  for (int b = 0; b < 4; ++b)
    for (int blk = 0; blk < 6; ++blk)
      for (JitLinearKind k :
           {JitLinearKind::qkv, JitLinearKind::proj, JitLinearKind::w12, JitLinearKind::w3}) {
        const JitLinearCalibration& e = cal.at(b, blk, k);
        EXPECT_TRUE(e.a_bits == 4 || e.a_bits == 6 || e.a_bits == 8) << e.a_bits;
        ++histogram[e.a_bits];
        EXPECT_GT(e.range_x, 0.0);
        ASSERT_EQ(e.acc_full_scale.size(), 1u);     // one slice (a_bits <= 8)
        EXPECT_EQ(e.acc_full_scale[0].size(), 1u);  // rows_per_adc = K: one tile
      }
  std::printf("TaQ bits histogram (4 buckets x 6 blocks x 4 linears):");
  for (const auto& [bits, n] : histogram) std::printf(" %d bits: %d", bits, n);
  std::printf("\n  block 5 w3 bits per bucket:");
  for (int b = 0; b < 4; ++b) std::printf(" %d", cal.at(b, 5, JitLinearKind::w3).a_bits);
  std::printf("\n");
  ASSERT_EQ(cal.w3_shift.size(), 6u);
  EXPECT_EQ(cal.w3_shift[5].size(), 672u);
  // all-timestep entries too (bucket -1)
  EXPECT_GT(cal.at(-1, 0, JitLinearKind::qkv).range_x, 0.0);

  const auto path =
      std::filesystem::temp_directory_path() / "cimba_jit_calibration_test.safetensors";
  save_jit_calibration(cal, path);
  const JitCalibration back = load_jit_calibration(path);
  std::filesystem::remove(path);
  EXPECT_EQ(back.depth, cal.depth);
  EXPECT_EQ(back.buckets, cal.buckets);
  EXPECT_EQ(back.fingerprint, cal.fingerprint);
  ASSERT_EQ(back.linears.size(), cal.linears.size());
  for (const auto& [key, e] : cal.linears) {
    const JitLinearCalibration& f = back.linears.at(key);
    EXPECT_EQ(f.range_x, e.range_x) << key;
    EXPECT_EQ(f.a_bits, e.a_bits) << key;
    EXPECT_EQ(f.acc_full_scale, e.acc_full_scale) << key;
  }
  EXPECT_EQ(back.w3_shift, cal.w3_shift);

  JitQuantEvalOptions eo;
  eo.timesteps = {0.1f, 0.9f};
  eo.images = 4;
  eo.samples = 0;
  const JitQuantEvalResult r = evaluate_jit_quant(real_model(), mnist(), cfg, &back, eo);
  print_rows(r, -1.0);
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    std::printf("TaQ pred_x t=%.1f: PSNR %.2f dB\n", r.timesteps[i], r.pred_x_psnr_db[i]);
  EXPECT_GT(r.mean_pred_x_psnr_db, 15.0);
  // a calibration for other buckets is refused
  JitQuantConfig other = cfg;
  other.taq.buckets = 5;
  EXPECT_THROW(JitQuantHooks(real_model(), other, &back), InvalidArgument);
  EXPECT_THROW(JitQuantHooks(real_model(), cfg, nullptr), InvalidArgument);
}

TEST(JitQuant, DISABLED_SamplePsnr50Steps) {
  JitQuantConfig cfg;
  JitQuantEvalOptions eo;
  eo.timesteps = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
  eo.images = 16;
  eo.samples = 16;
  eo.sample_steps = 50;
  const JitQuantEvalResult r = evaluate_jit_quant(real_model(), mnist(), cfg, nullptr, eo);
  print_rows(r, -1.0);
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    std::printf("pred_x t=%.1f: PSNR %.2f dB\n", r.timesteps[i], r.pred_x_psnr_db[i]);
  std::printf("W8A12 samples %lld x %d steps: PSNR %.2f dB SQNR %.2f dB (%.1f s)\n",
              static_cast<long long>(r.samples), r.sample_steps, r.sample_psnr_db, r.sample_sqnr_db,
              r.seconds);
}

}  // namespace
}  // namespace cimba::workloads
