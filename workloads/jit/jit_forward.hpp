#pragma once
// FP32 reference forward of a JiT denoiser (shared/data/jit-mnist-tiny/README.md, "exact
// forward"), with hooks that let the quantized replay replace every linear layer and quantize
// the activations that feed the linears (TaQ-DiT, NUMERICS.md 8), and an observer that sees every
// activation under its golden name.
//
// Layout: a batch of B images. Images are [B, C*S*S] row-major (one image per row, the
// channel-major [C, S, S] layout of a [B, C, S, S] tensor). Token activations are [B*P, X]
// (image b occupies rows b*P .. b*P+P-1, P = num_patches, tokens in row-major patch-grid order);
// per-image vectors (timestep embedding, conditioning c, adaLN outputs) are [B, X].
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/numerics/types.hpp"
#include "workloads/jit/jit_model.hpp"

namespace cimba::workloads {

/// The linear layers of the model. Model-level ones (x_embed, t_fc1, t_fc2, final_adaLN,
/// final_linear) have block -1.
enum class JitLinearKind {
  qkv,
  proj,
  w12,
  w3,
  adaLN,
  x_embed,
  t_fc1,
  t_fc2,
  final_adaLN,
  final_linear
};
/// "attn.qkv", "attn.proj", "mlp.w12", "mlp.w3", "adaLN", "x_embed", "t_embed.fc1",
/// "t_embed.fc2", "final.adaLN", "final.linear" (the module paths of the weights).
const char* jit_linear_kind_name(JitLinearKind kind);

/// Activations that feed a linear of a block (or the final linear, block -1), offered to
/// JitHooks::activation before the linear reads them.
enum class JitActivationPoint {
  attn_in,   // modulated norm1 output, input of attn.qkv            [B*P, H]
  proj_in,   // attention output, input of attn.proj                 [B*P, H]
  mlp_in,    // modulated norm2 output (FFN input), input of mlp.w12 [B*P, H]
  w3_in,     // silu(gate) * up (post-activation), input of mlp.w3   [B*P, F]
  final_in,  // modulated final norm output, input of final.linear   [B*P, H]  (block -1)
};
/// "attn.in", "attn.proj.in", "mlp.in", "mlp.w3.in", "final.in" (the observation point names).
const char* jit_activation_point_name(JitActivationPoint point);

/// Replaceable steps of the forward. The base class is the FP32 reference; a quantized replay
/// overrides what it models and calls the base for the rest.
class JitHooks {
 public:
  virtual ~JitHooks() = default;
  /// Called once at the start of every forward with the timestep of each image (t[b] applies
  /// to rows b*P .. b*P+P-1 of token activations and row b of per-image ones), so that a
  /// timestep-aware quantizer can pick its table row. Default: nothing.
  virtual void begin_forward(const std::vector<float>& t);
  /// Computes Y = X W^T + bias for linear `kind` of `block` (-1 for model-level linears). bias is
  /// nullptr for the bias-free qkv, proj, w12, w3. Default: Eigen FP32 GEMM (numerics::linear_fp32).
  virtual void linear(int block, JitLinearKind kind, const numerics::MatrixF& X,
                      const numerics::MatrixF& W, const float* bias, numerics::MatrixF& Y);
  /// The activation `point` of `block` just before its linear reads it; may be changed in place
  /// (e.g. quantized with per-timestep bits and a channel shift). Default: unchanged (FP32).
  virtual void activation(int block, JitActivationPoint point, numerics::MatrixF& x);
};

/// Sees activation `point` of `block` (-1 for the model-level points), as laid out above.
/// Called in forward order; the matrix is only valid during the call. An activation that
/// JitHooks::activation may change is observed after the change (what the linear reads).
using JitActivationObserver =
    std::function<void(int block, const std::string& point, const numerics::MatrixF& value)>;

/// Per-block observation points in forward order: adaLN.out [B, 6H], attn.in, attn.qkv.out
/// (before RoPE), attn.proj.in, attn.out (proj output, before the gate), mlp.in, mlp.w12.out
/// ([gate | up]), mlp.w3.in, mlp.w3.out (before the gate), out (residual stream).
const std::vector<std::string>& jit_block_points();
/// Model-level points, in forward order: before the blocks patches [B*P, Cpp], t_embed.out
/// [B, H], c [B, H], x_embed.out [B*P, H]; after them final.adaLN.out [B, 2H], final.in
/// [B*P, H], final.out [B*P, Cpp], pred_x [B, CSS], pred_v [B, CSS].
const std::vector<std::string>& jit_model_points_before_blocks();
const std::vector<std::string>& jit_model_points_after_blocks();
/// Golden tensor name of a point: "blocks.{block}.{point}", or `point` for block -1.
std::string jit_activation_name(int block, const std::string& point);
/// Shape of that activation in the golden layout for a batch of `batch` images: [B, P, X] for
/// token activations, [B, C, S, S] for pred_x / pred_v, [B, X] for per-image vectors.
std::vector<std::int64_t> jit_golden_shape(const JitConfig& config, std::int64_t batch,
                                           const std::string& point, std::int64_t width);

struct JitForwardOptions {
  JitHooks* hooks = nullptr;       // nullptr: FP32 reference
  JitActivationObserver observer;  // empty: no observation
};

/// adaLN modulation: out[r, :] = normed[r, :] * (1 + mod[r / P, scale_col + :]) +
/// mod[r / P, shift_col + :], P = tokens per image (mod holds one row per image).
void jit_modulate(const numerics::MatrixF& normed, const numerics::MatrixF& mod,
                  std::int64_t shift_col, std::int64_t scale_col, std::int64_t tokens_per_image,
                  numerics::MatrixF& out);
/// Gated residual: h[r, :] += mod[r / P, gate_col + :] * delta[r, :].
void jit_gated_residual(numerics::MatrixF& h, const numerics::MatrixF& mod, std::int64_t gate_col,
                        std::int64_t tokens_per_image, const numerics::MatrixF& delta);
/// Attention probabilities in place: each row <- softmax(row * scale), max-subtracted, FP32.
void jit_scaled_softmax_rows(numerics::MatrixF& scores, float scale);

/// tokens [B*P, C*p*p] from images [B, C*S*S]: token p = gy*G + gx, value
/// k = (ch*p + py)*p + px  =  image[b, ch, p*gy + py, p*gx + px].
numerics::MatrixF jit_patchify(const JitConfig& config, const numerics::MatrixF& images);
/// The inverse: images [B, C*S*S] from tokens [B*P, C*p*p].
numerics::MatrixF jit_unpatchify(const JitConfig& config, const numerics::MatrixF& tokens);
/// Sinusoidal timestep features [B, t_freq_dim]: [cos(t_scale t f_j) | sin(t_scale t f_j)],
/// f_j = exp(-ln(10000) j / half), j = 0..half-1, in FP32 as PyTorch evaluates it.
numerics::MatrixF jit_timestep_features(const JitConfig& config, const std::vector<float>& t);
/// 2-D RoPE in place on q or k [B*P, H] (every head): token p has row r = p / G and column
/// q = p % G; head dims [0, D/2) rotate by r, [D/2, D) by q; inside each half x = [x1 | x2]
/// (D/4 each): [x1 cos - x2 sin, x2 cos + x1 sin], angle = pos * rope_base^(-j / (D/4)).
void jit_apply_rope(const JitConfig& config, numerics::MatrixF& x);
/// Velocity from an x-prediction: v = (x_pred - z) / max(1 - t[b], t_eps), per image row.
numerics::MatrixF jit_velocity(const JitConfig& config, const numerics::MatrixF& pred_x,
                               const numerics::MatrixF& z, const std::vector<float>& t);

/// The whole denoiser: z [B, C*S*S] noisy images, t [B] timesteps (0 = noise, 1 = data), y [B]
/// class labels in 0..num_classes (num_classes = null class). Returns pred_x [B, C*S*S].
/// Throws InvalidArgument for bad sizes or labels.
numerics::MatrixF jit_forward(const JitModel& model, const numerics::MatrixF& z,
                              const std::vector<float>& t, const std::vector<std::int32_t>& y,
                              const JitForwardOptions& options = {});

}  // namespace cimba::workloads
