#include "workloads/jit/jit_forward.hpp"

#include <cmath>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "models/numerics/fp32_ops.hpp"

namespace cimba::workloads {

using numerics::MatrixF;
using numerics::VectorF;

const char* jit_linear_kind_name(JitLinearKind kind) {
  switch (kind) {
    case JitLinearKind::qkv:
      return "attn.qkv";
    case JitLinearKind::proj:
      return "attn.proj";
    case JitLinearKind::w12:
      return "mlp.w12";
    case JitLinearKind::w3:
      return "mlp.w3";
    case JitLinearKind::adaLN:
      return "adaLN";
    case JitLinearKind::x_embed:
      return "x_embed";
    case JitLinearKind::t_fc1:
      return "t_embed.fc1";
    case JitLinearKind::t_fc2:
      return "t_embed.fc2";
    case JitLinearKind::final_adaLN:
      return "final.adaLN";
    case JitLinearKind::final_linear:
      return "final.linear";
  }
  return "?";
}

const char* jit_activation_point_name(JitActivationPoint point) {
  switch (point) {
    case JitActivationPoint::attn_in:
      return "attn.in";
    case JitActivationPoint::proj_in:
      return "attn.proj.in";
    case JitActivationPoint::mlp_in:
      return "mlp.in";
    case JitActivationPoint::w3_in:
      return "mlp.w3.in";
    case JitActivationPoint::final_in:
      return "final.in";
  }
  return "?";
}

void JitHooks::begin_forward(const std::vector<float>&) {}

void JitHooks::linear(int, JitLinearKind, const MatrixF& X, const MatrixF& W, const float* bias,
                      MatrixF& Y) {
  numerics::linear_fp32(X, W, bias, Y);
}

void JitHooks::activation(int, JitActivationPoint, MatrixF&) {}

const std::vector<std::string>& jit_block_points() {
  static const std::vector<std::string> points{
      "adaLN.out", "attn.in",     "attn.qkv.out", "attn.proj.in", "attn.out",
      "mlp.in",    "mlp.w12.out", "mlp.w3.in",    "mlp.w3.out",   "out"};
  return points;
}

const std::vector<std::string>& jit_model_points_before_blocks() {
  static const std::vector<std::string> points{"patches", "t_embed.out", "c", "x_embed.out"};
  return points;
}

const std::vector<std::string>& jit_model_points_after_blocks() {
  static const std::vector<std::string> points{"final.adaLN.out", "final.in", "final.out", "pred_x",
                                               "pred_v"};
  return points;
}

std::string jit_activation_name(int block, const std::string& point) {
  return block < 0 ? point : "blocks." + std::to_string(block) + "." + point;
}

std::vector<std::int64_t> jit_golden_shape(const JitConfig& c, std::int64_t batch,
                                           const std::string& point, std::int64_t width) {
  if (point == "pred_x" || point == "pred_v")
    return {batch, c.in_channels, c.image_size, c.image_size};
  if (point == "t_embed.out" || point == "c" || point == "adaLN.out" || point == "final.adaLN.out")
    return {batch, width};
  return {batch, c.num_patches(), width};
}

namespace {

void check_images(const JitConfig& c, const MatrixF& images, const char* what) {
  if (images.cols() != c.image_numel())
    throw InvalidArgument(std::string("JiT ") + what + ": images have " +
                          std::to_string(images.cols()) + " values, the model expects " +
                          std::to_string(c.image_numel()) + " (" + std::to_string(c.in_channels) +
                          "x" + std::to_string(c.image_size) + "x" + std::to_string(c.image_size) +
                          ")");
}

// The token-major position of image value (ch, y, x) in patchify order.
struct PatchIndex {
  std::int64_t token, k;
};
PatchIndex patch_index(const JitConfig& c, std::int64_t ch, std::int64_t y, std::int64_t x) {
  const std::int64_t p = c.patch_size, G = c.grid_size();
  return {(y / p) * G + x / p, (ch * p + y % p) * p + x % p};
}

class Runner {
 public:
  Runner(const JitModel& model, const JitForwardOptions& options)
      : model_(model), options_(options) {}

  void observe(int block, const char* point, const MatrixF& m) const {
    if (options_.observer) options_.observer(block, point, m);
  }
  void activation(int block, JitActivationPoint point, MatrixF& x) const {
    if (options_.hooks) options_.hooks->activation(block, point, x);
  }
  void linear(int block, JitLinearKind kind, const MatrixF& X, const MatrixF& W,
              const VectorF* bias, MatrixF& Y) const {
    const float* b = bias ? bias->data() : nullptr;
    if (options_.hooks)
      options_.hooks->linear(block, kind, X, W, b, Y);
    else
      numerics::linear_fp32(X, W, b, Y);
    if (Y.rows() != X.rows() || Y.cols() != W.rows())
      throw InvalidArgument(std::string("JiT linear hook for ") + jit_linear_kind_name(kind) +
                            " of block " + std::to_string(block) + " returned a " +
                            std::to_string(Y.rows()) + "x" + std::to_string(Y.cols()) +
                            " result, expected " + std::to_string(X.rows()) + "x" +
                            std::to_string(W.rows()));
  }

 private:
  const JitModel& model_;
  const JitForwardOptions& options_;
};

}  // namespace

void jit_modulate(const MatrixF& normed, const MatrixF& mod, std::int64_t shift_col,
                  std::int64_t scale_col, std::int64_t P, MatrixF& out) {
  const std::int64_t H = normed.cols();
  out.resize(normed.rows(), H);
  for (std::int64_t r = 0; r < normed.rows(); ++r) {
    const float* sh = mod.data() + (r / P) * mod.cols() + shift_col;
    const float* sc = mod.data() + (r / P) * mod.cols() + scale_col;
    const float* x = normed.data() + r * H;
    float* o = out.data() + r * H;
    for (std::int64_t c = 0; c < H; ++c) o[c] = x[c] * (1.0f + sc[c]) + sh[c];
  }
}

void jit_gated_residual(MatrixF& h, const MatrixF& mod, std::int64_t gate_col, std::int64_t P,
                        const MatrixF& delta) {
  const std::int64_t H = h.cols();
  for (std::int64_t r = 0; r < h.rows(); ++r) {
    const float* g = mod.data() + (r / P) * mod.cols() + gate_col;
    const float* d = delta.data() + r * H;
    float* o = h.data() + r * H;
    for (std::int64_t c = 0; c < H; ++c) o[c] += g[c] * d[c];
  }
}

void jit_scaled_softmax_rows(MatrixF& scores, float scale) {
  const std::int64_t n = scores.cols();
  for (std::int64_t i = 0; i < scores.rows(); ++i) {
    float* row = scores.data() + i * n;
    float m = -INFINITY;
    for (std::int64_t j = 0; j < n; ++j) {
      row[j] *= scale;
      m = std::max(m, row[j]);
    }
    float sum = 0.0f;
    for (std::int64_t j = 0; j < n; ++j) {
      row[j] = std::exp(row[j] - m);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (std::int64_t j = 0; j < n; ++j) row[j] *= inv;
  }
}

namespace {

// Multi-head attention core: softmax(q k^T / sqrt(D)) v per image and head (q, k roped).
void attention(const JitConfig& c, std::int64_t batch, const MatrixF& q, const MatrixF& k,
               const MatrixF& v, MatrixF& o) {
  const std::int64_t P = c.num_patches(), D = c.head_dim(), heads = c.num_heads, H = c.hidden_size;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  o.resize(batch * P, H);
  MatrixF scores(P, P);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < heads; ++h) {
      const auto qh = q.block(b * P, h * D, P, D);
      const auto kh = k.block(b * P, h * D, P, D);
      const auto vh = v.block(b * P, h * D, P, D);
      scores.noalias() = qh * kh.transpose();
      jit_scaled_softmax_rows(scores, scale);
      o.block(b * P, h * D, P, D).noalias() = scores * vh;
    }
}

}  // namespace

MatrixF jit_patchify(const JitConfig& c, const MatrixF& images) {
  check_images(c, images, "patchify");
  const std::int64_t B = images.rows(), P = c.num_patches(), K = c.patch_dim(), S = c.image_size;
  MatrixF tokens(B * P, K);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t ch = 0; ch < c.in_channels; ++ch)
      for (std::int64_t y = 0; y < S; ++y)
        for (std::int64_t x = 0; x < S; ++x) {
          const PatchIndex i = patch_index(c, ch, y, x);
          tokens(b * P + i.token, i.k) = images(b, (ch * S + y) * S + x);
        }
  return tokens;
}

MatrixF jit_unpatchify(const JitConfig& c, const MatrixF& tokens) {
  const std::int64_t P = c.num_patches(), K = c.patch_dim(), S = c.image_size;
  if (tokens.cols() != K || tokens.rows() % P != 0)
    throw InvalidArgument("JiT unpatchify: tokens are " + std::to_string(tokens.rows()) + "x" +
                          std::to_string(tokens.cols()) + ", expected a multiple of " +
                          std::to_string(P) + " rows of " + std::to_string(K));
  const std::int64_t B = tokens.rows() / P;
  MatrixF images(B, c.image_numel());
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t ch = 0; ch < c.in_channels; ++ch)
      for (std::int64_t y = 0; y < S; ++y)
        for (std::int64_t x = 0; x < S; ++x) {
          const PatchIndex i = patch_index(c, ch, y, x);
          images(b, (ch * S + y) * S + x) = tokens(b * P + i.token, i.k);
        }
  return images;
}

MatrixF jit_timestep_features(const JitConfig& c, const std::vector<float>& t) {
  const std::int64_t half = c.t_freq_dim / 2;
  // PyTorch: freqs = exp(-log(10000) * arange(half, float32) / half), all in float32;
  // args = (t * t_scale) * freqs in float32.
  const float neg_log = static_cast<float>(-std::log(10000.0));
  std::vector<float> freqs(static_cast<std::size_t>(half));
  for (std::int64_t j = 0; j < half; ++j)
    freqs[j] = std::exp((neg_log * static_cast<float>(j)) / static_cast<float>(half));
  const float t_scale = static_cast<float>(c.t_scale);
  MatrixF features(static_cast<std::int64_t>(t.size()), 2 * half);
  for (std::size_t b = 0; b < t.size(); ++b) {
    const float ts = t[b] * t_scale;
    for (std::int64_t j = 0; j < half; ++j) {
      const float arg = ts * freqs[j];
      features(b, j) = std::cos(arg);
      features(b, half + j) = std::sin(arg);
    }
  }
  return features;
}

void jit_apply_rope(const JitConfig& c, MatrixF& x) {
  const std::int64_t P = c.num_patches(), G = c.grid_size(), D = c.head_dim(), Q = D / 4,
                     H = c.hidden_size;
  if (x.cols() != H || x.rows() % P != 0)
    throw InvalidArgument("JiT rope: input is " + std::to_string(x.rows()) + "x" +
                          std::to_string(x.cols()) + ", expected a multiple of " +
                          std::to_string(P) + " rows of " + std::to_string(H));
  // Tables per position (0..G-1): inv_freq_j = base^(-j/Q) in FP32, angle = pos * inv_freq_j.
  std::vector<float> cos_t(static_cast<std::size_t>(G * Q)), sin_t(cos_t.size());
  for (std::int64_t j = 0; j < Q; ++j) {
    const float inv_freq = static_cast<float>(
        1.0 / std::pow(c.rope_base, static_cast<double>(j) / static_cast<double>(Q)));
    for (std::int64_t pos = 0; pos < G; ++pos) {
      const float angle = static_cast<float>(pos) * inv_freq;
      cos_t[pos * Q + j] = std::cos(angle);
      sin_t[pos * Q + j] = std::sin(angle);
    }
  }
  for (std::int64_t r = 0; r < x.rows(); ++r) {
    const std::int64_t p = r % P;
    const std::int64_t pos_of_half[2] = {p / G, p % G};
    float* row = x.data() + r * H;
    for (std::int64_t h = 0; h < c.num_heads; ++h)
      for (int half = 0; half < 2; ++half) {
        float* x1 = row + h * D + half * 2 * Q;
        float* x2 = x1 + Q;
        const float* cs = cos_t.data() + pos_of_half[half] * Q;
        const float* sn = sin_t.data() + pos_of_half[half] * Q;
        for (std::int64_t j = 0; j < Q; ++j) {
          const float a = x1[j], b = x2[j];
          x1[j] = a * cs[j] - b * sn[j];
          x2[j] = b * cs[j] + a * sn[j];
        }
      }
  }
}

MatrixF jit_velocity(const JitConfig& c, const MatrixF& pred_x, const MatrixF& z,
                     const std::vector<float>& t) {
  if (pred_x.rows() != z.rows() || pred_x.cols() != z.cols() ||
      static_cast<std::size_t>(z.rows()) != t.size())
    throw InvalidArgument("JiT velocity: pred_x, z and t sizes differ");
  MatrixF v(z.rows(), z.cols());
  const float t_eps = static_cast<float>(c.t_eps);
  for (std::int64_t b = 0; b < z.rows(); ++b) {
    const float denom = std::max(1.0f - t[b], t_eps);
    v.row(b) = (pred_x.row(b) - z.row(b)) / denom;
  }
  return v;
}

MatrixF jit_forward(const JitModel& model, const MatrixF& z, const std::vector<float>& t,
                    const std::vector<std::int32_t>& y, const JitForwardOptions& options) {
  const JitConfig& c = model.config;
  check_images(c, z, "forward");
  const std::int64_t B = z.rows(), P = c.num_patches(), H = c.hidden_size, F = c.ffn_hidden;
  if (B <= 0) throw InvalidArgument("JiT forward: empty batch");
  if (static_cast<std::int64_t>(t.size()) != B || static_cast<std::int64_t>(y.size()) != B)
    throw InvalidArgument("JiT forward: " + std::to_string(B) + " images but " +
                          std::to_string(t.size()) + " timesteps and " + std::to_string(y.size()) +
                          " labels");
  for (std::int64_t b = 0; b < B; ++b)
    if (y[b] < 0 || y[b] > c.num_classes)
      throw InvalidArgument("JiT forward: label " + std::to_string(y[b]) + " of image " +
                            std::to_string(b) + " outside 0.." + std::to_string(c.num_classes) +
                            " (" + std::to_string(c.num_classes) + " = null class)");
  if (model.blocks.size() != static_cast<std::size_t>(c.depth))
    throw InvalidArgument("JiT forward: model has " + std::to_string(model.blocks.size()) +
                          " blocks, config says " + std::to_string(c.depth));
  if (options.hooks) options.hooks->begin_forward(t);
  const Runner run(model, options);

  const MatrixF tokens = jit_patchify(c, z);
  run.observe(-1, "patches", tokens);

  // Conditioning: c = t_embed(t) + y_embed[y]; s = silu(c).
  MatrixF t_hidden, temb;
  run.linear(-1, JitLinearKind::t_fc1, jit_timestep_features(c, t), model.t_fc1_weight,
             &model.t_fc1_bias, t_hidden);
  t_hidden = t_hidden.unaryExpr([](float v) { return numerics::silu(v); });
  run.linear(-1, JitLinearKind::t_fc2, t_hidden, model.t_fc2_weight, &model.t_fc2_bias, temb);
  run.observe(-1, "t_embed.out", temb);
  MatrixF cond = temb;
  for (std::int64_t b = 0; b < B; ++b) cond.row(b) += model.y_embed.row(y[b]);
  run.observe(-1, "c", cond);
  const MatrixF s = cond.unaryExpr([](float v) { return numerics::silu(v); });

  MatrixF h;
  run.linear(-1, JitLinearKind::x_embed, tokens, model.x_embed_weight, &model.x_embed_bias, h);
  run.observe(-1, "x_embed.out", h);

  MatrixF mod, normed, a, qkv, q, k, v, o, delta, f, gate_up, act;
  for (int i = 0; i < static_cast<int>(c.depth); ++i) {
    const JitBlockWeights& w = model.blocks[static_cast<std::size_t>(i)];
    run.linear(i, JitLinearKind::adaLN, s, w.adaLN_weight, &w.adaLN_bias, mod);
    run.observe(i, "adaLN.out", mod);  // [sh1 | sc1 | g1 | sh2 | sc2 | g2]

    numerics::rms_norm(h, w.norm1, c.norm_eps, normed);
    jit_modulate(normed, mod, 0, H, P, a);
    run.activation(i, JitActivationPoint::attn_in, a);
    run.observe(i, "attn.in", a);
    run.linear(i, JitLinearKind::qkv, a, w.qkv, nullptr, qkv);
    run.observe(i, "attn.qkv.out", qkv);
    q = qkv.leftCols(H);
    k = qkv.middleCols(H, H);
    v = qkv.rightCols(H);
    jit_apply_rope(c, q);
    jit_apply_rope(c, k);
    attention(c, B, q, k, v, o);
    run.activation(i, JitActivationPoint::proj_in, o);
    run.observe(i, "attn.proj.in", o);
    run.linear(i, JitLinearKind::proj, o, w.proj, nullptr, delta);
    run.observe(i, "attn.out", delta);
    jit_gated_residual(h, mod, 2 * H, P, delta);

    numerics::rms_norm(h, w.norm2, c.norm_eps, normed);
    jit_modulate(normed, mod, 3 * H, 4 * H, P, f);
    run.activation(i, JitActivationPoint::mlp_in, f);
    run.observe(i, "mlp.in", f);
    run.linear(i, JitLinearKind::w12, f, w.w12, nullptr, gate_up);
    run.observe(i, "mlp.w12.out", gate_up);
    act.resize(gate_up.rows(), F);
    for (std::int64_t r = 0; r < gate_up.rows(); ++r) {
      const float* g = gate_up.data() + r * 2 * F;
      float* out = act.data() + r * F;
      for (std::int64_t j = 0; j < F; ++j) out[j] = numerics::silu(g[j]) * g[F + j];
    }
    run.activation(i, JitActivationPoint::w3_in, act);
    run.observe(i, "mlp.w3.in", act);
    run.linear(i, JitLinearKind::w3, act, w.w3, nullptr, delta);
    run.observe(i, "mlp.w3.out", delta);
    jit_gated_residual(h, mod, 5 * H, P, delta);
    run.observe(i, "out", h);
  }

  run.linear(-1, JitLinearKind::final_adaLN, s, model.final_adaLN_weight, &model.final_adaLN_bias,
             mod);
  run.observe(-1, "final.adaLN.out", mod);  // [shift | scale]
  numerics::rms_norm(h, model.final_norm, c.norm_eps, normed);
  jit_modulate(normed, mod, 0, H, P, a);
  run.activation(-1, JitActivationPoint::final_in, a);
  run.observe(-1, "final.in", a);
  MatrixF out;
  run.linear(-1, JitLinearKind::final_linear, a, model.final_linear_weight,
             &model.final_linear_bias, out);
  run.observe(-1, "final.out", out);
  MatrixF pred_x = jit_unpatchify(c, out);
  run.observe(-1, "pred_x", pred_x);
  if (options.observer) run.observe(-1, "pred_v", jit_velocity(c, pred_x, z, t));
  return pred_x;
}

}  // namespace cimba::workloads
