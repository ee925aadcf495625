#pragma once
// The op program of one Mamba1 layer (workloads/program/op_program.hpp is the contract).
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/program/op_program.hpp"

namespace cimba::workloads {

/// Shapes of one Mamba1 layer (mamba-130m: 768, 1536, 16, 48, 4).
struct Mamba1LayerShape {
  std::int64_t d_model = 768, d_inner = 1536, d_state = 16, dt_rank = 48, conv_kernel = 4;
  std::int64_t length = 1024;  // L tokens (one sequence)
  std::int64_t x_proj_out() const { return dt_rank + 2 * d_state; }
};

/// How a Mamba1 layer is cut into ops.
struct Mamba1ProgramOptions {
  SsmInputScheme ssm_input = SsmInputScheme::Fp32;
  int dual_value_bits = 4;        // storage of the dual-scale codes (value_bits + 1 bits)
  int w_bits = 8;                 // bytes of a weight load: ceil(w_bits / 8) per weight
  std::int64_t token_chunk = 64;  // tokens per op of the token-parallel phase
  /// d_inner channels per SsmScan op; out_proj is split into K-partial ops on the same blocks
  /// so that out_proj of block j runs on the CIM while the SSM core scans block j + 1.
  /// 0: d_inner (one scan op, one out_proj op per token chunk).
  std::int64_t scan_channel_block = 0;
  /// true: the weights are already in the CIM macros (no DRAM traffic for them).
  bool weights_resident = false;
  /// false (weights_resident false): every weight matrix is loaded once, before its first use.
  /// true: the weights are re-loaded from DRAM before every CIM op that uses them (a weight
  /// buffer too small to keep the layer's weights).
  bool weights_streamed_from_dram = false;
  /// a_bits of the CIM input of each linear (in_proj, x_proj, dt_proj, out_proj): their input
  /// buffers hold codes (store_cim_inputs_as_codes). Empty: every activation is stored FP32.
  std::vector<int> cim_input_bits;
  /// The residual stream between layers: stream_in reads the block input from the on-chip buffer
  /// `stream` [L, d_model] FP32, written by the previous layer (no DRAM load); stream_out writes
  /// the block output there, in place (no DRAM store). false: DRAM (the model's input and
  /// output, or a stream that does not fit the buffer).
  bool stream_in = false;
  bool stream_out = false;
  /// Sequences in flight through every op, sharing each weight load (batch_program).
  std::int64_t batch = 1;
};

/// Bytes of the residual stream between layers, [L, d_model] FP32 (the `stream` buffer).
inline std::int64_t mamba1_stream_bytes(const Mamba1LayerShape& shape) {
  return shape.length * shape.d_model * 4;
}

/// The op program of one Mamba1 layer (block), every op per token chunk c: load x -> RMSNorm ->
/// in_proj -> [ScaleLookup (group)] -> conv1d + quantizer -> [DualScaleDequant (dual_scale)] ->
/// x_proj -> dt_proj -> per channel block j: scan (tokens of c, channels of j, its state carried
/// from the scan of block j in chunk c - 1, NUMERICS.md 7.1) -> gate -> out_proj (K-partial over
/// the blocks) -> residual -> store. Names: "scan[t0:64][d0:256]", "out_proj[t0:64][k0:256]"
/// (one block: "out_proj[t0:64]"). Weight loads precede the first use of each matrix.
/// Throws InvalidArgument for non-positive sizes or a chunk/block that is not positive.
OpProgram build_mamba1_layer_program(const Mamba1LayerShape& shape,
                                     const Mamba1ProgramOptions& options,
                                     const std::string& layer_name = "layer");

}  // namespace cimba::workloads
