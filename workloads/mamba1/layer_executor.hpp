#pragma once
// The numerics of a Mamba1 layer's op program, op by op, as plain C++ (no SystemC): the hardware
// units call LayerExecutor::execute for the op they run, and the functional path plays the same
// ops in program order without SystemC, so both give bit-identical results by construction.
// Every op calls the plain functions of models/numerics (BitSerialLinear, conv1d_causal,
// group_lookup, dual_scale_encode/decode, selective_scan) and workloads' rms_norm.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "hw/op_executor.hpp"
#include "hw/params.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/group_scales.hpp"
#include "models/numerics/selective_scan.hpp"
#include "workloads/mamba1/layer_program.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/program/op_program.hpp"

namespace cimba::hw {

/// Quantization of one Mamba1 layer (what the calibration flow of workloads/ produces).
struct LayerQuant {
  /// in_proj, x_proj, dt_proj, out_proj (indexed by LinearKind).
  std::array<numerics::BitSerialConfig, 4> linear;
  workloads::SsmInputScheme ssm_input = workloads::SsmInputScheme::Fp32;
  double int8_range = 0.0;         // Int8: static range of u
  numerics::GroupTables groups;    // Group
  numerics::DualScaleParams dual;  // DualScale
  numerics::ScanConfig scan;
  double rms_eps = 1e-5;
};

/// The quantization the hardware computes: the CIM's w_bits, weight digit columns, ADC bits and
/// row tiles
/// (rows_per_adc = hw.cim.rows) and the SSM core's exp_impl replace those of `quant`.
LayerQuant apply_hw(const LayerQuant& quant, const HwParams& hw);

/// Macro tiles of a layer's four CIM matrices (in_proj, x_proj, dt_proj, out_proj).
std::int64_t layer_weight_tiles(const HwParams& hw, const workloads::Mamba1LayerShape& shape);

/// Program options that fit the hardware: weights resident as hw::plan_cim_weights decides over
/// the tiles of all `layers` layers (hw.cim.weights; residency is a property of the model: one
/// layer's weights cannot stay while the other layers run), otherwise loaded from DRAM by every
/// layer
/// (re-loaded per CIM op when hw.sram.weights.bytes is set and smaller than the four matrices);
/// scan blocks of a multiple of hw.cim.rows (about 4 blocks) so out_proj K-partial ops align with
/// the macro row tiles; token_chunk as given.
workloads::Mamba1ProgramOptions mamba1_program_options(const HwParams& hw,
                                                       const workloads::Mamba1LayerShape& shape,
                                                       const LayerQuant& quant,
                                                       std::int64_t token_chunk = 64,
                                                       std::int64_t layers = 1);

/// Calibrates static ranges on `input` [L, d_model] (the block input): runs the layer once with
/// dynamic ranges, whole tensors, then stores each linear's range_x and ADC full scales (static
/// mode), the int8 range of u (absmax), the group tables (absmax per channel, equal-size groups,
/// G = 1 with head_dim `group_head_dim`) and the dual-scale parameters. Chunked op programs give
/// results identical to whole-tensor ones only with static ranges.
LayerQuant calibrate_static(const workloads::MambaLayerWeights& weights,
                            const workloads::Mamba1LayerShape& shape, const LayerQuant& base,
                            const HwParams& hw, const numerics::MatrixF& input,
                            int group_head_dim = 64);

class LayerExecutor : public OpExecutor {
  friend LayerQuant calibrate_static(const workloads::MambaLayerWeights&,
                                     const workloads::Mamba1LayerShape&, const LayerQuant&,
                                     const HwParams&, const numerics::MatrixF&, int);

 public:
  /// input: the block input x [L, d_model]. Throws InvalidArgument for inconsistent shapes.
  LayerExecutor(const workloads::Mamba1LayerShape& shape,
                const workloads::MambaLayerWeights& weights, const LayerQuant& quant,
                const HwParams& hw, const numerics::MatrixF& input);
  /// Runs the numerics of one op (its inputs must have been produced by earlier ops).
  OpWork execute(const workloads::Op& op) override;
  const numerics::BitSerialLinear& cim_linear(const workloads::Op& op) const override {
    return linear(static_cast<workloads::LinearKind>(op.linear));
  }
  bool cim_has_bias(const workloads::Op& op) const override {
    return has_bias(static_cast<workloads::LinearKind>(op.linear));
  }
  std::int64_t length() const override { return shape_.length; }
  /// A "mamba1" program built for this layer's quantization (SSM input scheme, exp_impl, CIM
  /// parameters); the scan state, SSM parameters and scale tables it needs.
  ProgramNeeds prepare(const workloads::OpProgram& program, const HwParams& hw) const override;

  const numerics::MatrixF& output() const { return out_; }   // block output [L, d_model]
  const numerics::MatrixF& gated() const { return g_; }      // out_proj input [L, d_inner]
  const numerics::MatrixF& normed() const { return xn_; }    // in_proj input [L, d_model]
  const numerics::MatrixF& xz() const { return xz_; }        // in_proj output [L, 2 d_inner]
  const numerics::MatrixF& u() const { return u_; }          // SSM input as the core sees it
  const numerics::MatrixF& xp() const { return xp_; }        // x_proj output [L, R + 2N]
  const numerics::MatrixF& delta() const { return delta_; }  // dt_proj output [L, d_inner]
  const numerics::MatrixF& y() const { return y_; }          // scan output before the gate
  const numerics::BitSerialLinear& linear(workloads::LinearKind kind) const;
  const LayerQuant& quant() const { return quant_; }
  /// Whether the linear adds a bias (dt_proj always; in_proj / out_proj when the model has one).
  bool has_bias(workloads::LinearKind kind) const;
  const workloads::Mamba1LayerShape& shape() const { return shape_; }
  /// Comparisons of the sequential walk for original channel c (group scheme).
  int walk_comparisons(std::int64_t channel) const { return walk_[channel]; }

 private:
  // Elementwise op: RMSNorm, gate or residual.
  void run_elementwise(const workloads::Op& op);
  // CIM matmul: the linear's product, computed by the last op of its K-partial group.
  void run_cim(const workloads::Op& op, OpWork& work);
  // Scale lookup (group scheme): the scales of the op's tokens, kept for their conv1d.
  void run_scale_lookup(const workloads::Op& op, OpWork& work);
  // Conv1d + SiLU of the op's tokens into u_, then the SSM-input quantizer.
  void run_conv1d(const workloads::Op& op, OpWork& work);
  // Quantizes the op's rows of u_ by its SSM input scheme (after the conv1d).
  void quantize_u(const workloads::Op& op, OpWork& work);
  // Dual-scale dequantization of the op's rows of u_ from their codes and flags.
  void run_dual_scale_dequant(const workloads::Op& op);
  // SSM scan of a token chunk of a channel block, carrying the state between chunks.
  void run_scan(const workloads::Op& op, OpWork& work);

  workloads::Mamba1LayerShape shape_;
  const workloads::MambaLayerWeights& w_;
  LayerQuant quant_;
  std::vector<std::unique_ptr<numerics::BitSerialLinear>> linears_;
  numerics::ScanFunctions functions_;
  const numerics::MatrixF& x_;
  numerics::MatrixF xn_, xz_, u_, xp_, delta_, y_, g_, mo_, out_;
  std::vector<std::int8_t> u_code_;  // dual-scale codes
  std::vector<std::uint8_t> u_flag_;
  std::map<std::int64_t, std::vector<double>> lookup_scale_;  // first token -> [d_inner] scales
  // The SSM state carried between token chunks (NUMERICS.md 7.1): [d_inner x d_state], and the
  // next token each channel's scan must start at.
  std::vector<float> scan_state_;
  std::vector<std::int64_t> scan_next_token_;
  std::vector<int> walk_;  // per channel
  numerics::MatrixF tmp_in_, tmp_out_;
};

}  // namespace cimba::hw
