// Pieces of the JiT forward (patchify, timestep features, RoPE), batching, and the hooks.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "models/common/error.hpp"
#include "test_jit_util.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_forward.hpp"

namespace cimba::workloads {
namespace {

using numerics::MatrixF;

TEST(JitForward, PatchifyFollowsTheReadme) {
  const JitConfig c = jit_mnist_tiny_config();  // 32x32, patch 4, 8x8 grid
  MatrixF z(2, 1024);
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 1024; ++i) z(b, i) = static_cast<float>(b * 10000 + i);
  const MatrixF tok = jit_patchify(c, z);
  ASSERT_EQ(tok.rows(), 128);
  ASSERT_EQ(tok.cols(), 16);
  // tok[b, p = gy*8 + gx, k = py*4 + px] = z[b, 0, 4 gy + py, 4 gx + px]
  const int b = 1, gy = 5, gx = 2, py = 3, px = 1;
  EXPECT_EQ(tok(b * 64 + gy * 8 + gx, py * 4 + px), z(b, (4 * gy + py) * 32 + 4 * gx + px));
  EXPECT_EQ(jit_unpatchify(c, tok), z);
}

TEST(JitForward, TimestepFeatures) {
  const JitConfig c = jit_mnist_tiny_config();
  const MatrixF f = jit_timestep_features(c, {0.0f, 0.5f});
  ASSERT_EQ(f.cols(), 256);
  EXPECT_EQ(f(0, 0), 1.0f);    // cos 0
  EXPECT_EQ(f(0, 128), 0.0f);  // sin 0
  // j = 64: f = exp(-ln(10000) / 2) = 0.01; arg = 1000 * 0.5 * 0.01 = 5
  EXPECT_NEAR(f(1, 64), std::cos(5.0), 1e-5);
  EXPECT_NEAR(f(1, 128 + 64), std::sin(5.0), 1e-5);
}

TEST(JitForward, RopeRotatesRowAndColumnHalves) {
  const JitConfig c = tiny_jit_config();  // grid 4x4, head_dim 16: quarters of 4
  MatrixF x = MatrixF::Ones(16, 32);
  const MatrixF before = x;
  jit_apply_rope(c, x);
  EXPECT_EQ(x.row(0), before.row(0));  // token 0: row 0, column 0 -> no rotation
  // token p = 6: row 1, column 2. Head 1, first half (row), j = 1: angle = 1 * 100^(-1/4).
  const double a = std::pow(100.0, -0.25);
  EXPECT_NEAR(x(6, 16 + 1), std::cos(a) - std::sin(a), 1e-6);      // x1 cos - x2 sin
  EXPECT_NEAR(x(6, 16 + 4 + 1), std::cos(a) + std::sin(a), 1e-6);  // x2 cos + x1 sin
  // second half (column 2), j = 0: angle 2.
  EXPECT_NEAR(x(6, 16 + 8), std::cos(2.0) - std::sin(2.0), 1e-6);
  // Rotations keep the norm of every token.
  for (int r = 0; r < 16; ++r) EXPECT_NEAR(x.row(r).norm(), before.row(r).norm(), 1e-5);
}

TEST(JitForward, BatchOfImagesEqualsImagesAlone) {
  const JitModel m = make_random_jit(tiny_jit_config());
  const MatrixF z = jit_gaussian_noise(9, 3, 64);
  const std::vector<float> t{0.0f, 0.3f, 0.97f};
  const std::vector<std::int32_t> y{4, 10, 0};
  const MatrixF all = jit_forward(m, z, t, y);
  for (int b = 0; b < 3; ++b) {
    const MatrixF one = jit_forward(m, z.row(b), {t[b]}, {y[b]});
    EXPECT_LT((all.row(b) - one.row(0)).cwiseAbs().maxCoeff(), 1e-5f) << b;
  }
  // The class and the timestep change the output.
  EXPECT_GT((jit_forward(m, z.row(0), {0.0f}, {5}) - all.row(0)).cwiseAbs().maxCoeff(), 1e-4f);
  EXPECT_THROW(jit_forward(m, z, t, {1, 2, 11}), InvalidArgument);
  EXPECT_THROW(jit_forward(m, z, {0.1f}, y), InvalidArgument);
  EXPECT_THROW(jit_forward(m, MatrixF::Zero(1, 63), {0.1f}, {1}), InvalidArgument);
}

TEST(JitForward, ObserverSeesEveryPointInOrder) {
  const JitModel m = make_random_jit(tiny_jit_config());
  std::vector<std::string> names;
  std::map<std::string, std::pair<Eigen::Index, Eigen::Index>> sizes;
  JitForwardOptions o;
  o.observer = [&](int block, const std::string& p, const MatrixF& v) {
    names.push_back(jit_activation_name(block, p));
    sizes[names.back()] = {v.rows(), v.cols()};
  };
  jit_forward(m, jit_gaussian_noise(1, 2, 64), {0.5f, 0.5f}, {1, 2}, o);
  std::vector<std::string> expected = jit_model_points_before_blocks();
  for (int i = 0; i < 2; ++i)
    for (const auto& p : jit_block_points()) expected.push_back(jit_activation_name(i, p));
  for (const auto& p : jit_model_points_after_blocks()) expected.push_back(p);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(sizes["blocks.1.adaLN.out"], std::make_pair(Eigen::Index{2}, Eigen::Index{192}));
  EXPECT_EQ(sizes["blocks.0.mlp.w12.out"], std::make_pair(Eigen::Index{32}, Eigen::Index{48}));
  EXPECT_EQ(sizes["pred_v"], std::make_pair(Eigen::Index{2}, Eigen::Index{64}));
}

// Records every linear call and every activation offered for quantization.
struct RecordingHooks : JitHooks {
  std::vector<std::pair<int, JitLinearKind>> calls;
  std::vector<std::pair<int, JitActivationPoint>> activations;
  void linear(int block, JitLinearKind kind, const MatrixF& X, const MatrixF& W, const float* bias,
              MatrixF& Y) override {
    calls.emplace_back(block, kind);
    JitHooks::linear(block, kind, X, W, bias, Y);
  }
  void activation(int block, JitActivationPoint point, MatrixF& x) override {
    activations.emplace_back(block, point);
    JitHooks::activation(block, point, x);
  }
};

TEST(JitForward, HooksSeeEveryLinearAndActivation) {
  const JitModel m = make_random_jit(tiny_jit_config());
  const MatrixF z = jit_gaussian_noise(2, 2, 64);
  RecordingHooks hooks;
  JitForwardOptions o;
  o.hooks = &hooks;
  const MatrixF with_hooks = jit_forward(m, z, {0.2f, 0.8f}, {3, 10}, o);
  EXPECT_EQ(with_hooks, jit_forward(m, z, {0.2f, 0.8f}, {3, 10}));  // default = FP32 reference
  using K = JitLinearKind;
  const std::vector<std::pair<int, K>> expected{
      {-1, K::t_fc1}, {-1, K::t_fc2},       {-1, K::x_embed},     {0, K::adaLN},
      {0, K::qkv},    {0, K::proj},         {0, K::w12},          {0, K::w3},
      {1, K::adaLN},  {1, K::qkv},          {1, K::proj},         {1, K::w12},
      {1, K::w3},     {-1, K::final_adaLN}, {-1, K::final_linear}};
  EXPECT_EQ(hooks.calls, expected);
  ASSERT_EQ(hooks.activations.size(), 9u);  // 4 per block + final.in
  EXPECT_EQ(hooks.activations[2], std::make_pair(0, JitActivationPoint::mlp_in));
  EXPECT_EQ(hooks.activations[8], std::make_pair(-1, JitActivationPoint::final_in));
  EXPECT_STREQ(jit_linear_kind_name(K::w12), "mlp.w12");
  EXPECT_STREQ(jit_activation_point_name(JitActivationPoint::w3_in), "mlp.w3.in");
}

TEST(JitForward, ActivationHookChangesWhatTheLinearReads) {
  // Zeroing the w3 input of every block gives the same output as zero w3 weights.
  const JitModel m = make_random_jit(tiny_jit_config());
  struct ZeroW3In : JitHooks {
    void activation(int, JitActivationPoint p, MatrixF& x) override {
      if (p == JitActivationPoint::w3_in) x.setZero();
    }
  } hooks;
  JitModel no_ffn = m;
  for (auto& b : no_ffn.blocks) b.w3.setZero();
  JitForwardOptions o;
  o.hooks = &hooks;
  const MatrixF z = jit_gaussian_noise(5, 1, 64);
  const MatrixF a = jit_forward(m, z, {0.4f}, {7}, o);
  const MatrixF b = jit_forward(no_ffn, z, {0.4f}, {7});
  EXPECT_EQ(a, b);
  EXPECT_GT((a - jit_forward(m, z, {0.4f}, {7})).cwiseAbs().maxCoeff(), 1e-4f);
}

}  // namespace
}  // namespace cimba::workloads
