// The JiT sampler (Heun + CFG), one-step denoiser evaluation, PSNR and the PNG writer.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "models/common/error.hpp"
#include "test_jit_util.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/mnist.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_sampler.hpp"

namespace cimba::workloads {
namespace {

using numerics::MatrixF;

const std::filesystem::path& kModelDir = kJitModelDir;

const JitModel& real_model() {
  static const JitModel model = load_jit(kModelDir);
  return model;
}

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(JitSampler, RealModelFewStepsInRangeAndFinite) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kModelDir / "model.safetensors");
  JitSamplerOptions o;
  o.steps = 8;
  const MatrixF x = jit_sample(real_model(), {3, 7}, /*seed=*/11, o);
  ASSERT_EQ(x.rows(), 2);
  ASSERT_EQ(x.cols(), 1024);
  EXPECT_TRUE(x.allFinite());
  EXPECT_LE(x.maxCoeff(), 1.0f);
  EXPECT_GE(x.minCoeff(), -1.0f);
  // The 2-pixel padding ring was -1 in every training image; a working model reproduces it.
  double ring = 0.0;
  for (int b = 0; b < 2; ++b)
    for (int y = 0; y < 32; ++y) ring += x(b, y * 32) + x(b, y * 32 + 31);
  EXPECT_LT(ring / (2 * 64), -0.9);
  // A digit has ink: a few percent of the pixels are bright.
  EXPECT_GT((x.array() > 0.0f).count(), 2 * 30);
}

TEST(JitSampler, SameSeedGivesByteIdenticalSamples) {
  const JitModel m = make_random_jit(tiny_jit_config());
  JitSamplerOptions o;
  o.steps = 4;
  const MatrixF a = jit_sample(m, {0, 1, 10}, 7, o);
  const MatrixF b = jit_sample(m, {0, 1, 10}, 7, o);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * a.size()));
  // Sampling in groups of one image gives the same images (up to GEMM blocking rounding).
  o.batch_size = 1;
  const MatrixF grouped = jit_sample(m, {0, 1, 10}, 7, o);
  EXPECT_LT((a - grouped).cwiseAbs().maxCoeff(), 1e-5f);
  o.batch_size = 0;
  const MatrixF other = jit_sample(m, {0, 1, 10}, 8, o);
  EXPECT_GT((a - other).cwiseAbs().maxCoeff(), 0.0f);
  // Noise of image b depends on (seed, b) only.
  const MatrixF n3 = jit_gaussian_noise(7, 3, 64);
  const MatrixF n1 = jit_gaussian_noise(7, 1, 64, 2);
  EXPECT_EQ(0, std::memcmp(n3.row(2).data(), n1.data(), sizeof(float) * 64));
}

TEST(JitSampler, StepScheduleAndNetworkCalls) {
  // steps N: N-1 Heun steps (2 calls) + 1 Euler step (1 call) = 2N-1 calls, x2 with CFG.
  JitSamplerOptions o;
  EXPECT_EQ(jit_sampler_network_calls(o), 2 * 99);
  o.cfg_scale = 1.0;
  EXPECT_EQ(jit_sampler_network_calls(o), 99);

  struct Counter : JitHooks {
    std::vector<std::pair<float, std::size_t>> calls;  // (t, batch)
    void begin_forward(const std::vector<float>& t) override {
      calls.emplace_back(t.front(), t.size());
    }
  } counter;
  const JitModel m = make_random_jit(tiny_jit_config());
  o.steps = 3;
  o.cfg_scale = 2.0;
  o.forward.hooks = &counter;
  std::vector<float> seen_t;
  o.clamp_output = false;
  MatrixF last;
  o.trajectory = [&](int, float t, const MatrixF& z) {
    seen_t.push_back(t);
    last = z;
  };
  const MatrixF x = jit_sample(m, {2, 4}, 1, o);
  // t = 0, 1/3 (Heun: t, t_next), 1/3, 2/3 (Heun), 2/3 (Euler): 5 calls of 2 x 2 images.
  ASSERT_EQ(counter.calls.size(), 5u);
  const float expected_t[] = {0.0f, 1.0f / 3, 1.0f / 3, 2.0f / 3, 2.0f / 3};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_FLOAT_EQ(counter.calls[i].first, expected_t[i]);
    EXPECT_EQ(counter.calls[i].second, 4u);
  }
  ASSERT_EQ(seen_t.size(), 4u);
  EXPECT_EQ(seen_t.back(), 1.0f);
  EXPECT_EQ(0, std::memcmp(last.data(), x.data(), sizeof(float) * x.size()));  // unclamped
}

TEST(JitSampler, OneEulerStepWithGuidanceByHand) {
  // steps 1: z1 = z0 + 1 * v, v = v_null + s (v_cond - v_null), v_* = (x_* - z0) / max(1-0, eps).
  const JitModel m = make_random_jit(tiny_jit_config());
  const MatrixF z0 = jit_gaussian_noise(4, 1, 64);
  const MatrixF xc = jit_forward(m, z0, {0.0f}, {5});
  const MatrixF xn = jit_forward(m, z0, {0.0f}, {10});
  JitSamplerOptions o;
  o.steps = 1;
  o.cfg_scale = 1.5;
  o.clamp_output = false;
  const MatrixF got = jit_sample(m, z0, {5}, o);
  const MatrixF want = z0 + ((xn - z0) + 1.5f * ((xc - z0) - (xn - z0)));
  EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-5f);
}

TEST(JitEval, DenoiseMatchesForwardAndBatching) {
  const JitModel m = make_random_jit(tiny_jit_config());
  const MatrixF x = jit_gaussian_noise(1, 3, 64).array().tanh();
  const MatrixF eps = jit_gaussian_noise(2, 3, 64);
  const std::vector<float> t{0.1f, 0.5f, 0.99f};
  const std::vector<std::int32_t> y{0, 9, 10};
  const JitDenoiseResult all = jit_denoise(m, x, y, t, eps);
  const JitDenoiseResult one = jit_denoise(m, x, y, t, eps, {}, 1);
  EXPECT_LT((all.pred_x - one.pred_x).cwiseAbs().maxCoeff(), 1e-5f);
  // z_t = t x + (1 - t) eps
  EXPECT_NEAR(all.z(1, 7), 0.5f * x(1, 7) + 0.5f * eps(1, 7), 1e-6f);
  // v = (x_pred - z) / max(1 - t, 0.05): t = 0.99 uses 0.05
  EXPECT_NEAR(all.pred_v(2, 3), (all.pred_x(2, 3) - all.z(2, 3)) / 0.05f, 1e-3f);
  EXPECT_NEAR(all.pred_v(0, 3), (all.pred_x(0, 3) - all.z(0, 3)) / 0.9f, 1e-5f);
  const auto ts = jit_logit_normal_timesteps(3, 1000);
  double mean_logit = 0.0;
  for (float v : ts) {
    ASSERT_GT(v, 0.0f);
    ASSERT_LT(v, 1.0f);
    mean_logit += std::log(v / (1.0f - v));
  }
  EXPECT_NEAR(mean_logit / 1000.0, -0.8, 0.08);  // N(-0.8, 0.8): std error 0.025
}

TEST(JitEval, PsnrArithmetic) {
  MatrixF ref = MatrixF::Zero(2, 2), test = MatrixF::Zero(2, 2);
  EXPECT_EQ(psnr_db(ref, test), std::numeric_limits<double>::infinity());
  test(0, 0) = 0.2f;  // mse = 0.04 / 4 = 0.01 -> 10 log10(4 / 0.01) = 10 log10(400) = 26.0206 dB
  EXPECT_NEAR(mean_squared_error(ref, test), 0.01, 1e-8);
  EXPECT_NEAR(psnr_db(ref, test), 26.020599913, 1e-6);
  EXPECT_NEAR(psnr_db(ref, test, 1.0), 20.0, 1e-6);  // 10 log10(1 / 0.01)
  EXPECT_THROW(psnr_db(ref, MatrixF::Zero(2, 3)), InvalidArgument);
  EXPECT_THROW(psnr_db(ref, test, 0.0), InvalidArgument);
}

TEST(JitPng, GridIsAValidGrayscalePng) {
  test::TempDir dir;
  const auto path = dir.path() / "grid.png";
  MatrixF images(3, 16);  // three 4x4 images
  for (int i = 0; i < 16; ++i) {
    images(0, i) = -1.0f;
    images(1, i) = 1.0f;
    images(2, i) = i == 5 ? 0.0f : -1.0f;  // (row 1, col 1) in the 2x2 centre crop -> (0, 0)
  }
  PngGridOptions o;
  o.columns = 2;
  o.crop = 2;
  o.upscale = 3;
  o.padding = 1;
  write_png_grid(path, images, 4, o);
  const std::vector<std::uint8_t> png = file_bytes(path);
  ASSERT_GT(png.size(), 8u + 25u + 12u + 12u);
  EXPECT_EQ(0, std::memcmp(png.data(), "\x89PNG\r\n\x1a\n", 8));
  // IHDR: width = 2 cells of 2*3 + 3 paddings = 15; height = 2 rows -> 15; 8-bit grayscale.
  const auto be32 = [&](std::size_t at) {
    return (std::uint32_t{png[at]} << 24) | (std::uint32_t{png[at + 1]} << 16) |
           (std::uint32_t{png[at + 2]} << 8) | png[at + 3];
  };
  EXPECT_EQ(be32(8), 13u);
  EXPECT_EQ(0, std::memcmp(png.data() + 12, "IHDR", 4));
  EXPECT_EQ(be32(16), 15u);
  EXPECT_EQ(be32(20), 15u);
  EXPECT_EQ(png[24], 8);
  EXPECT_EQ(png[25], 0);
  EXPECT_EQ(be32(29), crc32(0L, png.data() + 12, 17));
  // IDAT inflates to 15 scanlines of 1 filter byte + 15 pixels.
  const std::uint32_t idat_len = be32(33);
  EXPECT_EQ(0, std::memcmp(png.data() + 37, "IDAT", 4));
  std::vector<std::uint8_t> raw(15 * 16);
  uLongf raw_len = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_len, png.data() + 41, idat_len), Z_OK);
  ASSERT_EQ(raw_len, raw.size());
  const auto px = [&](int x, int y) { return raw[y * 16 + 1 + x]; };
  EXPECT_EQ(px(0, 0), 64);    // padding
  EXPECT_EQ(px(1, 1), 0);     // image 0: -1 -> 0
  EXPECT_EQ(px(8, 6), 255);   // image 1 (x 8..13): 1 -> 255
  EXPECT_EQ(px(1, 8), 128);   // image 2 (row 2, y 8..13), top-left crop pixel 0 -> 127.5 -> 128
  EXPECT_EQ(px(3, 10), 128);  // upscaled x3
  EXPECT_EQ(px(4, 8), 0);
  EXPECT_EQ(px(8, 8), 64);  // no fourth image: padding gray
  EXPECT_EQ(0, std::memcmp(png.data() + png.size() - 8, "IEND", 4));
  EXPECT_THROW(write_png_grid(path, images, 5), InvalidArgument);
}

// Not run by default (about a minute): the 16-sample grid of samples.png with our noise.
// Run with --gtest_also_run_disabled_tests --gtest_filter=JitSamplerDemo.*
TEST(JitSamplerDemo, DISABLED_SixteenSamplesFiftyStepsCfg15) {
  const std::vector<std::int32_t> classes{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5};
  JitSamplerOptions o;  // 50 steps, CFG 1.5
  const auto start = std::chrono::steady_clock::now();
  const MatrixF x = jit_sample(real_model(), classes, /*seed=*/0, o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[jit demo] 16 samples, 50 steps, CFG 1.5: %lld forwards of 32 images, %.2f s\n",
              static_cast<long long>(jit_sampler_network_calls(o) / 2), seconds);
  PngGridOptions png;
  png.crop = 28;
  png.upscale = 2;
  write_png_grid("/tmp/jit_samples.png", x, 32, png);
  // Reference row for comparison: real MNIST test images of the same classes.
  const MnistSet mnist = read_mnist_test(std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mnist");
  MatrixF real(16, 1024);
  for (int k = 0; k < 16; ++k) {
    int skip = k / 10;  // the second 0..5 row shows the next image of each class
    for (std::int64_t i = 0; i < mnist.images.count; ++i)
      if (mnist.labels[i] == classes[k] && skip-- == 0) {
        real.row(k) = mnist_to_model_images(mnist.images, i, 1).row(0);
        break;
      }
  }
  write_png_grid("/tmp/jit_mnist_real.png", real, 32, png);
}

}  // namespace
}  // namespace cimba::workloads
