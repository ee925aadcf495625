#pragma once
// FP32 reference forward of a Mamba1 language model (MambaForCausalLM, transformers' op order;
// shared/data/mamba-bytes-4l/README.md), with hooks that let the quantized replay replace every
// linear layer and the quantization of the conv1d output, and an observer that sees every
// activation under its golden name.
//
// Layout: a batch of B independent sequences of L tokens is processed token-major, activations
// are [B*L, C] row-major (sequence b occupies rows b*L .. b*L+L-1). The conv1d and the scan state
// start from zero for every sequence; the linear layers see all B*L rows at once.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/numerics/fp32_ops.hpp"
#include "models/numerics/selective_scan.hpp"
#include "models/numerics/types.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::workloads {

/// The linear layers of the model. LmHead is the output projection (layer -1).
enum class LinearKind { InProj, XProj, DtProj, OutProj, LmHead };
/// "in_proj", "x_proj", "dt_proj", "out_proj", "lm_head".
const char* linear_kind_name(LinearKind kind);

/// Replaceable steps of the forward. The base class is the FP32 reference; a quantized replay
/// overrides what it models and calls the base for the rest (e.g. for LinearKind::LmHead).
class MambaHooks {
 public:
  virtual ~MambaHooks() = default;
  /// Computes Y = X W^T + bias for linear `kind` of `layer` (-1 for LmHead). bias is nullptr
  /// when the layer has none; dt_proj always has its bias here (the scan adds none).
  virtual void linear(int layer, LinearKind kind, const numerics::MatrixF& X,
                      const numerics::MatrixF& W, const float* bias, numerics::MatrixF& Y);
  /// The conv1d + SiLU output u [T, d_inner] (the SSM input, NUMERICS.md 3) before x_proj and the
  /// scan read it; may be changed in place (quantized). Default: unchanged (FP32).
  virtual void conv_output(int layer, numerics::MatrixF& u);
};

/// Sees activation `point` of `layer` (-1 for the model-level points "norm_f.out", "logits"),
/// [B*L, C]. Called in forward order; the matrix is only valid during the call.
using ActivationObserver =
    std::function<void(int layer, const std::string& point, const numerics::MatrixF& value)>;

/// Per-layer observation points in forward order: block.in, mixer.in, in_proj.out, conv1d.out,
/// x_proj.out, dt_proj.out, ssm.y, out_proj.in, mixer.out, block.out.
const std::vector<std::string>& mamba_layer_points();
/// Model-level observation points: norm_f.out, logits.
const std::vector<std::string>& mamba_model_points();
/// Golden tensor name of a point: "layers.{layer}.{point}", or `point` for layer -1.
std::string mamba_activation_name(int layer, const std::string& point);

struct MambaForwardOptions {
  MambaHooks* hooks = nullptr;  // nullptr: FP32 reference
  ActivationObserver observer;  // empty: no observation (no copies)
  numerics::ScanConfig scan;    // exp/softplus of the SSM core; default Exact
};

/// The mixer of block `layer`: mixer_in [B*L, H] (the RMSNorm output) -> mixer_out [B*L, H].
void mamba_mixer_forward(const MambaModel& model, int layer, const numerics::MatrixF& mixer_in,
                         std::int64_t batch, std::int64_t length,
                         const MambaForwardOptions& options, numerics::MatrixF& mixer_out);

/// Whole model. tokens [batch, length] row-major ids in [0, vocab_size). Returns the logits
/// [batch*length, vocab_size]. Throws InvalidArgument for bad sizes or out-of-range tokens.
numerics::MatrixF mamba_forward(const MambaModel& model, const std::int32_t* tokens,
                                std::int64_t batch, std::int64_t length,
                                const MambaForwardOptions& options = {});
numerics::MatrixF mamba_forward(const MambaModel& model, const std::vector<std::int32_t>& tokens,
                                std::int64_t batch, std::int64_t length,
                                const MambaForwardOptions& options = {});

}  // namespace cimba::workloads
