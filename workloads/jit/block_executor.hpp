#pragma once
// The numerics of a JiT block's op program (workloads::build_jit_block_program), op by op, for
// the hardware units and the functional path. Every op makes the same numerics calls as the
// quantized replay's forward (workloads::jit_forward with JitQuantHooks): the CIM linears go
// through workloads::JitQuantLinear::forward (bit-serial, TaQ-DiT bits and w3 shift), RMSNorm
// through workloads::rms_norm, RoPE through workloads::jit_apply_rope, and the modulation, the
// attention core, SwiGLU and the gated residuals repeat jit_forward's FP32 expressions. So the
// block output is bit-identical to the replay's `blocks.{i}.out` (tested on the real model).
//
//   auto q    = hw::apply_hw(jit_quant_config, params);
//   hw::JitBlockExecutor ex(model.config, model.blocks[i], i, q, calibration, params, h, s, t);
//   auto prog = workloads::build_jit_block_program(hw::jit_block_shape(model.config),
//                                                  hw::jit_block_program_options(params, shape,
//                                                  q));
//   hw::HwReport r = hw::run_on_hardware(prog, ex, params, energy);
//   ex.output();   // the block output [P, H]
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/op_executor.hpp"
#include "hw/params.hpp"
#include "workloads/jit/block_program.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/jit/jit_quant_replay.hpp"
#include "workloads/program/op_program.hpp"

namespace cimba::hw {

/// The quantization the hardware computes: hw.cim.w_bits, hw.cim.adc.bits and
/// rows_per_adc = hw.cim.rows replace those of every linear.
workloads::JitQuantConfig apply_hw(const workloads::JitQuantConfig& config, const HwParams& hw);

/// The block shape of a JiT model (tokens = num_patches of one image).
workloads::JitBlockShape jit_block_shape(const workloads::JitConfig& config);

/// Macro tiles of the block's CIM matrices (qkv, proj, w12, w3, and adaLN when on the CIM).
std::int64_t jit_block_weight_tiles(const HwParams& hw, const workloads::JitBlockShape& shape,
                                    bool adaLN_on_cim);

/// Program options that fit the hardware: adaLN on the CIM when the config quantizes it, CIM
/// weights resident as hw::plan_cim_weights decides over the tiles of all `blocks` blocks
/// (else every block loads its weights from DRAM, once, or before every use when
/// hw.sram.weights.bytes is set and smaller than the block's CIM weights), the w3 input shift
/// when TaQ-DiT shifts it.
workloads::JitBlockProgramOptions jit_block_program_options(const HwParams& hw,
                                                            const workloads::JitBlockShape& shape,
                                                            const workloads::JitQuantConfig& config,
                                                            std::int64_t blocks = 1);

class JitBlockExecutor : public OpExecutor {
 public:
  /// input: the block input h [P, H] of one image; cond: s = silu(c) [1, H]; t: the image's
  /// timestep (selects the TaQ-DiT bucket). `quant` should come from apply_hw; `calibration`
  /// as JitQuantHooks (nullptr when the config needs none). Throws InvalidArgument for
  /// inconsistent shapes.
  JitBlockExecutor(const workloads::JitConfig& config, const workloads::JitBlockWeights& weights,
                   int block, const workloads::JitQuantConfig& quant,
                   const workloads::JitCalibration* calibration, const HwParams& hw,
                   const numerics::MatrixF& input, const numerics::MatrixF& cond, float t);
  ~JitBlockExecutor() override;

  OpWork execute(const workloads::Op& op) override;
  const numerics::BitSerialLinear& cim_linear(const workloads::Op& op) const override;
  bool cim_has_bias(const workloads::Op& op) const override;
  std::int64_t length() const override { return config_.num_patches(); }
  /// A "jit_block" program whose CIM ops are the executor's quantized linears (adaLN on the CIM
  /// exactly when the executor quantizes it) for these hw.cim parameters.
  ProgramNeeds prepare(const workloads::OpProgram& program, const HwParams& hw) const override;

  const numerics::MatrixF& output() const { return out_; }      // block output [P, H]
  const numerics::MatrixF& modulation() const { return mod_; }  // adaLN output [1, 6H]
  const numerics::MatrixF& attn_in() const { return a_; }       // qkv input [P, H]
  const numerics::MatrixF& proj_in() const { return o_; }       // attention output [P, H]
  const numerics::MatrixF& mlp_in() const { return f_; }        // w12 input [P, H]
  const numerics::MatrixF& w3_in() const { return act_; }       // silu(gate) * up [P, F]
  const workloads::JitQuantConfig& quant() const { return quant_; }
  workloads::JitBlockShape shape() const { return jit_block_shape(config_); }
  int bucket() const { return bucket_; }
  /// Whether `kind` runs on the CIM (quantized) in this executor.
  bool on_cim(workloads::JitLinearKind kind) const;

 private:
  static workloads::JitLinearKind kind_of(const workloads::Op& op) {
    return static_cast<workloads::JitLinearKind>(op.linear);
  }
  workloads::JitQuantLinear& quantized(workloads::JitLinearKind kind) const;
  // CIM matmul: the block linear's product through its JitQuantLinear.
  void run_cim(const workloads::Op& op, OpWork& work);
  // MAC-array op: FP32 adaLN, or one head's attention scores or context.
  void run_mac(const workloads::Op& op);
  // Elementwise op: RMSNorm, modulation, RoPE, softmax, gated residual or SwiGLU.
  void run_elementwise(const workloads::Op& op);

  workloads::JitConfig config_;
  const workloads::JitBlockWeights& w_;
  int block_;
  workloads::JitQuantConfig quant_;  // JitQuantLinear keeps a reference: declared before them
  std::vector<std::unique_ptr<workloads::JitQuantLinear>> linears_;  // by JitLinearKind (0..4)
  int bucket_ = -1;
  const numerics::MatrixF& x_;
  const numerics::MatrixF& cond_;
  numerics::MatrixF mod_, xn_, a_, qkv_, q_, k_, v_, o_, po_, h1_, xn2_, f_, gu_, act_, w3o_, out_;
  std::vector<numerics::MatrixF> scores_;  // per head [P, P] (softmax in place)
};

}  // namespace cimba::hw
