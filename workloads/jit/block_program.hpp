#pragma once
// The op program of one JiT block (workloads/program/op_program.hpp is the contract).
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/program/op_program.hpp"

namespace cimba::workloads {

/// Shape of one JiT block for one image (jit-mnist-tiny: 64 tokens, 256, 4 heads of 64, 672).
struct JitBlockShape {
  std::int64_t tokens = 64, hidden = 256, heads = 4, head_dim = 64, ffn_hidden = 672;
};

/// How a JiT block is cut into ops.
struct JitBlockProgramOptions {
  int w_bits = 8;  // bytes of a CIM weight load: ceil(w_bits / 8) per weight
  /// true: the CIM weights (qkv, proj, w12, w3, and adaLN when on the CIM) are already in the
  /// macros. false: each matrix is loaded once before its first use (or before every use when
  /// weights_streamed_from_dram).
  bool weights_resident = false;
  bool weights_streamed_from_dram = false;
  /// true: adaLN runs on the CIM (quantized); false: on the MAC array in FP32 with its FP32
  /// weights (adaLN_weight_bytes each) loaded from DRAM into `weights_fp32` before use.
  bool adaLN_on_cim = false;
  int adaLN_weight_bytes = 4;
  bool w3_input_shift = false;  // TaQ-DiT: w3's input is shifted per channel (one FP32 add)
  /// a_bits of the CIM input of each linear (indexed by JitLinearKind; 0: not quantized): their
  /// input buffers hold codes (store_cim_inputs_as_codes). Empty: activations stored FP32.
  std::vector<int> cim_input_bits;
  /// Images in flight through every op, sharing each weight load (batch_program).
  std::int64_t batch = 1;
};

/// The op program of one JiT block on one image (family "jit_block", length = tokens):
/// load x and the conditioning s -> adaLN (MAC array FP32, or CIM) -> RMSNorm -> modulate ->
/// qkv (CIM) -> RoPE -> per head: scores (MAC) -> softmax (vector) -> context (MAC) ->
/// proj (CIM) -> gated residual -> RMSNorm -> modulate -> w12 (CIM) -> SwiGLU -> w3 (CIM) ->
/// gated residual -> store. Weight loads precede the first use of each CIM matrix unless
/// resident. Throws InvalidArgument for non-positive sizes or hidden != heads x head_dim.
OpProgram build_jit_block_program(const JitBlockShape& shape, const JitBlockProgramOptions& options,
                                  const std::string& layer_name = "blocks.0");

}  // namespace cimba::workloads
