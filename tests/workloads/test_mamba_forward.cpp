// FP32 reference forward on small random models: per-sequence state reset, hooks, observer,
// and an independent scalar re-derivation of one block (workloads/mamba1/mamba_forward.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "test_mamba_test_util.hpp"
#include "workloads/mamba1/mamba_forward.hpp"

namespace cimba::workloads {
namespace {

using numerics::MatrixF;
using test::tiny_mamba_config;

std::vector<std::int32_t> some_tokens(std::int64_t n, std::int64_t vocab, int salt = 0) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    t[i] = static_cast<std::int32_t>((i * 7 + salt * 3 + 1) % vocab);
  return t;
}

MambaModel tiny_model(bool use_bias = true) {
  MambaConfig c = tiny_mamba_config();
  c.use_bias = use_bias;
  MambaRandomOptions o;
  o.seed = 11;
  o.init_std = 0.3f;  // large weights so that every path changes the output visibly
  return make_random_mamba(c, o);
}

TEST(MambaForward, SequencesOfABatchAreIndependent) {
  const MambaModel m = tiny_model();
  const auto a = some_tokens(9, 20, 1), b = some_tokens(9, 20, 2);
  std::vector<std::int32_t> ab(a);
  ab.insert(ab.end(), b.begin(), b.end());
  const MatrixF both = mamba_forward(m, ab, 2, 9);
  const MatrixF only_a = mamba_forward(m, a, 1, 9), only_b = mamba_forward(m, b, 1, 9);
  ASSERT_EQ(both.rows(), 18);
  EXPECT_LT((both.topRows(9) - only_a).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_LT((both.bottomRows(9) - only_b).cwiseAbs().maxCoeff(), 1e-5f);
}

TEST(MambaForward, CausalPrefixGivesTheSameOutputs) {
  const MambaModel m = tiny_model();
  const auto t = some_tokens(12, 20);
  const MatrixF full = mamba_forward(m, t, 1, 12);
  const MatrixF prefix =
      mamba_forward(m, std::vector<std::int32_t>(t.begin(), t.begin() + 5), 1, 5);
  EXPECT_LT((full.topRows(5) - prefix).cwiseAbs().maxCoeff(), 1e-5f);
}

// Scalar re-derivation of one block from the README formulas, in double.
TEST(MambaForward, BlockMatchesAScalarDoubleReference) {
  const MambaModel m = tiny_model();
  const MambaConfig& c = m.config;
  const std::int64_t L = 6, H = c.hidden_size, Di = c.intermediate_size, N = c.state_size,
                     R = c.time_step_rank, K = c.conv_kernel;
  const auto tokens = some_tokens(L, c.vocab_size);
  MatrixF block_out;
  MambaForwardOptions o;
  o.observer = [&](int layer, const std::string& p, const MatrixF& v) {
    if (layer == 0 && p == "block.out") block_out = v;
  };
  mamba_forward(m, tokens, 1, L, o);

  const MambaLayerWeights& w = m.layers[0];
  auto silu = [](double x) { return x / (1.0 + std::exp(-x)); };
  std::vector<std::vector<double>> h(L, std::vector<double>(H)), xin = h, xs(L), zs(L), us(L);
  for (int t = 0; t < L; ++t)
    for (int j = 0; j < H; ++j) h[t][j] = m.embeddings(tokens[t], j);
  for (int t = 0; t < L; ++t) {
    double ms = 0;
    for (int j = 0; j < H; ++j) ms += h[t][j] * h[t][j] / H;
    for (int j = 0; j < H; ++j)
      xin[t][j] = h[t][j] / std::sqrt(ms + c.layer_norm_epsilon) * w.norm[j];
    xs[t].assign(Di, 0);
    zs[t].assign(Di, 0);
    for (int o2 = 0; o2 < 2 * Di; ++o2) {
      double acc = w.in_proj_bias[o2];
      for (int j = 0; j < H; ++j) acc += w.in_proj_weight(o2, j) * xin[t][j];
      (o2 < Di ? xs[t][o2] : zs[t][o2 - Di]) = acc;
    }
  }
  std::vector<std::vector<double>> state(Di, std::vector<double>(N, 0.0));
  for (int t = 0; t < L; ++t) {
    us[t].assign(Di, 0);
    for (int d = 0; d < Di; ++d) {
      double acc = w.conv1d_bias[d];
      for (int k = 0; k < K; ++k) {
        const int src = t - (K - 1) + k;
        if (src >= 0) acc += w.conv1d_weight(d, k) * xs[src][d];
      }
      us[t][d] = silu(acc);
    }
    std::vector<double> xp(R + 2 * N, 0.0);
    for (int o2 = 0; o2 < R + 2 * N; ++o2)
      for (int d = 0; d < Di; ++d) xp[o2] += w.x_proj_weight(o2, d) * us[t][d];
    std::vector<double> g(Di);
    for (int d = 0; d < Di; ++d) {
      double dt = w.dt_proj_bias[d];
      for (int r = 0; r < R; ++r) dt += w.dt_proj_weight(d, r) * xp[r];
      const double delta = std::log1p(std::exp(dt));
      double y = w.D[d] * us[t][d];
      for (int n = 0; n < N; ++n) {
        const double A = -std::exp(static_cast<double>(w.A_log(d, n)));
        state[d][n] = std::exp(delta * A) * state[d][n] + delta * xp[R + n] * us[t][d];
        y += state[d][n] * xp[R + N + n];
      }
      g[d] = y * silu(zs[t][d]);
    }
    for (int j = 0; j < H; ++j) {
      double acc = w.out_proj_bias[j];
      for (int d = 0; d < Di; ++d) acc += w.out_proj_weight(j, d) * g[d];
      const double expected = h[t][j] + acc;
      EXPECT_NEAR(block_out(t, j), expected, 1e-5 * (1 + std::abs(expected))) << t << "," << j;
    }
  }
}

// Counts the hook calls and perturbs the conv output to show it reaches x_proj and the scan.
class CountingHooks : public MambaHooks {
 public:
  void linear(int layer, LinearKind kind, const MatrixF& X, const MatrixF& W, const float* bias,
              MatrixF& Y) override {
    ++calls[std::to_string(layer) + linear_kind_name(kind)];
    if (kind == LinearKind::DtProj) {
      EXPECT_NE(bias, nullptr);
    }
    if (kind == LinearKind::XProj) {
      EXPECT_EQ(bias, nullptr);
    }
    MambaHooks::linear(layer, kind, X, W, bias, Y);
  }
  void conv_output(int layer, MatrixF& u) override {
    ++calls[std::to_string(layer) + "conv"];
    if (zero_conv) u.setZero();
  }
  std::map<std::string, int> calls;
  bool zero_conv = false;
};

TEST(MambaForward, HooksSeeEveryLinearAndTheConvOutput) {
  const MambaModel m = tiny_model();
  const auto t = some_tokens(8, 20);
  CountingHooks hooks;
  MambaForwardOptions o;
  o.hooks = &hooks;
  std::vector<std::string> seen;
  o.observer = [&](int layer, const std::string& p, const MatrixF&) {
    seen.push_back(mamba_activation_name(layer, p));
  };
  const MatrixF with_hooks = mamba_forward(m, t, 1, 8, o);
  EXPECT_EQ((with_hooks - mamba_forward(m, t, 1, 8)).cwiseAbs().maxCoeff(), 0.0f);
  for (const char* k : {"0in_proj", "0x_proj", "0dt_proj", "0out_proj", "0conv", "1in_proj",
                        "1out_proj", "-1lm_head"})
    EXPECT_EQ(hooks.calls[k], 1) << k;
  ASSERT_EQ(seen.size(), 22u);  // 2 layers x 10 points + norm_f.out + logits
  EXPECT_EQ(seen.front(), "layers.0.block.in");
  EXPECT_EQ(seen[6], "layers.0.ssm.y");
  EXPECT_EQ(seen.back(), "logits");

  // A zero SSM input makes the scan output zero (y = C h + D u with h = 0, u = 0).
  hooks.zero_conv = true;
  o.observer = [&](int layer, const std::string& p, const MatrixF& v) {
    if (layer == 0 && p == "ssm.y") {
      EXPECT_EQ(v.cwiseAbs().maxCoeff(), 0.0f);
    }
  };
  mamba_forward(m, t, 1, 8, o);
}

TEST(MambaForward, RejectsBadTokensAndSizes) {
  const MambaModel m = tiny_model(false);
  EXPECT_THROW(mamba_forward(m, std::vector<std::int32_t>{1, 20}, 1, 2), InvalidArgument);
  EXPECT_THROW(mamba_forward(m, std::vector<std::int32_t>{1, -1}, 1, 2), InvalidArgument);
  EXPECT_THROW(mamba_forward(m, std::vector<std::int32_t>{1, 2, 3}, 1, 2), InvalidArgument);
  EXPECT_THROW(mamba_forward(m, std::vector<std::int32_t>{}, 0, 2), InvalidArgument);
}

}  // namespace
}  // namespace cimba::workloads
