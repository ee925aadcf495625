#include "workloads/mamba1/mamba_forward.hpp"

#include <cmath>

#include "models/common/error.hpp"
#include "models/numerics/conv1d.hpp"

namespace cimba::workloads {

using numerics::MatrixF;
using numerics::VectorF;

const char* linear_kind_name(LinearKind kind) {
  switch (kind) {
    case LinearKind::InProj:
      return "in_proj";
    case LinearKind::XProj:
      return "x_proj";
    case LinearKind::DtProj:
      return "dt_proj";
    case LinearKind::OutProj:
      return "out_proj";
    case LinearKind::LmHead:
      return "lm_head";
  }
  return "?";
}

void MambaHooks::linear(int, LinearKind, const MatrixF& X, const MatrixF& W, const float* bias,
                        MatrixF& Y) {
  numerics::linear_fp32(X, W, bias, Y);
}

void MambaHooks::conv_output(int, MatrixF&) {}

const std::vector<std::string>& mamba_layer_points() {
  static const std::vector<std::string> points{
      "block.in",    "mixer.in", "in_proj.out", "conv1d.out", "x_proj.out",
      "dt_proj.out", "ssm.y",    "out_proj.in", "mixer.out",  "block.out"};
  return points;
}

const std::vector<std::string>& mamba_model_points() {
  static const std::vector<std::string> points{"norm_f.out", "logits"};
  return points;
}

std::string mamba_activation_name(int layer, const std::string& point) {
  return layer < 0 ? point : "layers." + std::to_string(layer) + "." + point;
}

namespace {

void observe(const MambaForwardOptions& options, int layer, const char* point, const MatrixF& m) {
  if (options.observer) options.observer(layer, point, m);
}

void run_linear(const MambaForwardOptions& options, int layer, LinearKind kind, const MatrixF& X,
                const MatrixF& W, const VectorF& bias, MatrixF& Y) {
  const float* b = bias.size() ? bias.data() : nullptr;
  if (options.hooks)
    options.hooks->linear(layer, kind, X, W, b, Y);
  else
    numerics::linear_fp32(X, W, b, Y);
  if (Y.rows() != X.rows() || Y.cols() != W.rows())
    throw InvalidArgument(std::string("linear hook for ") + linear_kind_name(kind) + " of layer " +
                          std::to_string(layer) + " returned a " + std::to_string(Y.rows()) + "x" +
                          std::to_string(Y.cols()) + " result, expected " +
                          std::to_string(X.rows()) + "x" + std::to_string(W.rows()));
}

void check_batch(std::int64_t batch, std::int64_t length) {
  if (batch <= 0 || length <= 0)
    throw InvalidArgument("Mamba forward: batch and length must be positive (got " +
                          std::to_string(batch) + ", " + std::to_string(length) + ")");
}

}  // namespace

void mamba_mixer_forward(const MambaModel& model, int layer, const MatrixF& mixer_in,
                         std::int64_t batch, std::int64_t length,
                         const MambaForwardOptions& options, MatrixF& mixer_out) {
  check_batch(batch, length);
  const MambaConfig& c = model.config;
  if (layer < 0 || layer >= static_cast<int>(model.layers.size()))
    throw InvalidArgument("Mamba forward: no layer " + std::to_string(layer));
  const MambaLayerWeights& w = model.layers[static_cast<std::size_t>(layer)];
  const std::int64_t T = batch * length, Di = c.intermediate_size, N = c.state_size,
                     R = c.time_step_rank, K = c.conv_kernel, XP = c.x_proj_size();
  if (mixer_in.rows() != T || mixer_in.cols() != c.hidden_size)
    throw InvalidArgument("Mamba mixer: input is " + std::to_string(mixer_in.rows()) + "x" +
                          std::to_string(mixer_in.cols()) + ", expected " + std::to_string(T) +
                          "x" + std::to_string(c.hidden_size));

  // in_proj -> [x | z]
  MatrixF xz;
  run_linear(options, layer, LinearKind::InProj, mixer_in, w.in_proj_weight, w.in_proj_bias, xz);
  observe(options, layer, "in_proj.out", xz);

  // causal depthwise conv1d + SiLU on x, per sequence (zero history at each start); the
  // contiguous copy of x lives only for the conv (buffers of [B*L, d_inner] are the mixer's
  // memory)
  MatrixF u(T, Di);
  {
    const MatrixF x = xz.leftCols(Di);
    const float* conv_bias = w.conv1d_bias.size() ? w.conv1d_bias.data() : nullptr;
    for (std::int64_t b = 0; b < batch; ++b)
      numerics::conv1d_causal_token_major(x.data() + b * length * Di, length, Di,
                                          w.conv1d_weight.data(), K, conv_bias,
                                          u.data() + b * length * Di, /*apply_silu=*/true);
  }
  if (options.hooks) options.hooks->conv_output(layer, u);
  observe(options, layer, "conv1d.out", u);

  // x_proj -> [dt_low | B | C]; dt_proj (with its bias) -> delta before softplus
  MatrixF xp;
  run_linear(options, layer, LinearKind::XProj, u, w.x_proj_weight, VectorF(), xp);
  observe(options, layer, "x_proj.out", xp);
  const MatrixF dt_low = xp.leftCols(R);
  MatrixF dt;
  run_linear(options, layer, LinearKind::DtProj, dt_low, w.dt_proj_weight, w.dt_proj_bias, dt);
  observe(options, layer, "dt_proj.out", dt);

  // selective scan per sequence over strided views of the token-major buffers; y (before the
  // gate) is kept only for an observer
  MatrixF y(options.observer ? T : 0, Di), gated(T, Di);
  const numerics::ScanFunctions functions(options.scan);
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::int64_t row0 = b * length;
    numerics::ScanSequence s;
    s.d_inner = Di;
    s.d_state = N;
    s.length = length;
    s.u = {u.data() + row0 * Di, 1, Di};
    s.delta_raw = {dt.data() + row0 * Di, 1, Di};
    s.z = {xz.data() + row0 * 2 * Di + Di, 1, 2 * Di};
    s.Bm = {xp.data() + row0 * XP + R, 1, XP};
    s.Cm = {xp.data() + row0 * XP + R + N, 1, XP};
    s.dt_bias = nullptr;  // already in the dt_proj output
    s.A_log = w.A_log.data();
    s.Dv = w.D.data();
    s.out = gated.data() + row0 * Di;
    s.y_out = options.observer ? y.data() + row0 * Di : nullptr;
    s.out_row_stride = 1;
    s.out_time_stride = Di;
    numerics::selective_scan(s, functions);
  }
  observe(options, layer, "ssm.y", y);
  observe(options, layer, "out_proj.in", gated);

  run_linear(options, layer, LinearKind::OutProj, gated, w.out_proj_weight, w.out_proj_bias,
             mixer_out);
  observe(options, layer, "mixer.out", mixer_out);
}

MatrixF mamba_forward(const MambaModel& model, const std::int32_t* tokens, std::int64_t batch,
                      std::int64_t length, const MambaForwardOptions& options) {
  check_batch(batch, length);
  const MambaConfig& c = model.config;
  const std::int64_t T = batch * length, H = c.hidden_size;
  MatrixF h(T, H);
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int32_t id = tokens[t];
    if (id < 0 || id >= c.vocab_size)
      throw InvalidArgument("Mamba forward: token " + std::to_string(id) + " at position " +
                            std::to_string(t) + " outside the vocabulary [0, " +
                            std::to_string(c.vocab_size) + ")");
    h.row(t) = model.embeddings.row(id);
  }
  MatrixF normed, mixed;
  for (int i = 0; i < static_cast<int>(model.layers.size()); ++i) {
    observe(options, i, "block.in", h);
    numerics::rms_norm(h, model.layers[static_cast<std::size_t>(i)].norm, c.layer_norm_epsilon, normed);
    observe(options, i, "mixer.in", normed);
    mamba_mixer_forward(model, i, normed, batch, length, options, mixed);
    h += mixed;  // residual in FP32
    observe(options, i, "block.out", h);
  }
  numerics::rms_norm(h, model.norm_f, c.layer_norm_epsilon, normed);
  observe(options, -1, "norm_f.out", normed);
  MatrixF logits;
  run_linear(options, -1, LinearKind::LmHead, normed, model.lm_head_weight(), VectorF(), logits);
  observe(options, -1, "logits", logits);
  return logits;
}

MatrixF mamba_forward(const MambaModel& model, const std::vector<std::int32_t>& tokens,
                      std::int64_t batch, std::int64_t length, const MambaForwardOptions& options) {
  check_batch(batch, length);
  if (static_cast<std::int64_t>(tokens.size()) != batch * length)
    throw InvalidArgument("Mamba forward: " + std::to_string(tokens.size()) + " tokens for batch " +
                          std::to_string(batch) + " x length " + std::to_string(length));
  return mamba_forward(model, tokens.data(), batch, length, options);
}

}  // namespace cimba::workloads
