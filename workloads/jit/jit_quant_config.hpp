#pragma once
// Settings of the quantized JiT replay (docs/jit.md, "Quantized replay") and the calibration data
// it reads. Plain structs: sim/ will map config keys onto them; each field names its future key.
//
// Linear names (the `<name>` of `quant.layers.<name>.*`): qkv, proj, w12, w3, adaLN, x_embed,
// t_fc1, t_fc2, final_adaLN, final_linear (JitLinearKind order).
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/numerics/bitserial.hpp"
#include "workloads/jit/jit_forward.hpp"

namespace cimba::workloads {

inline constexpr int kJitLinearKinds = 10;
inline constexpr std::size_t jit_kind_index(JitLinearKind kind) {
  return static_cast<std::size_t>(kind);
}
/// Every JitLinearKind in enum order.
const std::array<JitLinearKind, kJitLinearKinds>& jit_linear_kinds();
/// The config-key name of a linear: "qkv", "proj", "w12", "w3", "adaLN", "x_embed", "t_fc1",
/// "t_fc2", "final_adaLN", "final_linear".
const char* jit_linear_key_name(JitLinearKind kind);
/// Parses jit_linear_key_name(); throws InvalidArgument listing the valid names.
JitLinearKind parse_jit_linear_key_name(const std::string& name);
/// qkv, proj, w12, w3, adaLN live in a block; the others are model-level (block -1).
bool jit_linear_in_block(JitLinearKind kind);

/// TaQ-DiT (NUMERICS.md 8): timestep-aware activation bits and scales, and the per-channel shift
/// of the post-activation w3 input.
struct JitTaqConfig {
  bool enabled = false;  // workload.jit.taq.enabled
  /// workload.jit.taq.buckets: K equal bins of t in [0, 1]; bucket = min(K - 1, floor(t K)).
  int buckets = 10;
  /// workload.jit.taq.bits: the candidate activation bits, ascending. Calibration picks, per
  /// (bucket, block, linear), the smallest whose fake-quantization SQNR on the calibration inputs
  /// reaches target_sqnr_db (the largest when none does). With a_bits <= slice_bits the linear
  /// runs single-pass (slice_bits = a_bits, overlap 0).
  std::vector<int> bits{4, 6, 8};
  double target_sqnr_db = 25.0;  // workload.jit.taq.target_sqnr_db
  /// workload.jit.taq.channel_shift: per-channel shift of the w3 input (silu(gate) * up):
  /// q = quant(x - shift), x_hat = q s + shift, shift = m shift + (1 - m) (min + max) / 2 per
  /// calibration batch (first batch: shift = (min + max) / 2).
  bool channel_shift = true;
  double shift_momentum = 0.95;  // workload.jit.taq.shift_momentum (m)
};

/// The bucket of timestep t for K buckets (t clamped to [0, 1]); -1 when buckets <= 0.
int jit_timestep_bucket(double t, int buckets);

/// Everything the quantized replay needs to know (besides the calibration).
struct JitQuantConfig {
  /// quant.layers.<name>.enabled: run the linear bit-serially on the CIM (true) or in FP32.
  /// Default: the attention projections and the FFN linears (qkv, proj, w12, w3).
  std::array<bool, kJitLinearKinds> quantize{true,  true,  true,  true,  false,
                                             false, false, false, false, false};
  /// quant.layers.<name>.{w_bits, w_clip_pct, a_bits, slice_bits, overlap_bits, rows_per_adc,
  /// adc.bits, adc.range (dynamic|static|bypass), adc.noise_lsb, adc.enob}: the bit-serial
  /// settings (NUMERICS.md 2). range_x / acc_full_scale / noise_key are filled by the replay.
  std::array<numerics::BitSerialConfig, kJitLinearKinds> linear;
  /// quant.activations.static: activation ranges from the calibration (true) or max|X| of each
  /// input tensor at run time (false, dynamic).
  bool static_range_x = false;
  JitTaqConfig taq;  // workload.jit.taq.*
  /// quant.seed: ADC noise of linear `kind` of block b uses stream_key(seed, b + 1, kind).
  std::uint64_t seed = 1;
  /// Also run the FP32 linear on every quantized linear's input (isolated comparison).
  bool measure_isolated = true;

  /// A calibration is needed: static activation ranges, a static ADC of a quantized linear, or
  /// TaQ-DiT (its bits table and shifts come from calibration).
  bool needs_calibration() const;
};

/// What the static mode of one linear needs (per timestep bucket for TaQ-DiT).
struct JitLinearCalibration {
  double range_x = 0.0;  // observer range of the input (of x - shift for a shifted w3 input)
  int a_bits = 0;        // TaQ-DiT: the activation bits of the table; 0: the configured a_bits
  std::vector<std::vector<double>> acc_full_scale;  // ADC full scale [slice][row tile]; may be
                                                    // empty (not calibrated for a static ADC)
};

/// Calibration of a JiT model: per linear (and per timestep bucket when buckets > 0) ranges, TaQ
/// bits and ADC full scales, and per block the w3 input shift.
struct JitCalibration {
  std::int64_t depth = 0;
  int buckets = 0;  // timestep buckets (0: none)
  /// Key: jit_calibration_key(bucket, block, kind). Bucket -1 holds the all-timestep numbers.
  std::map<std::string, JitLinearCalibration> linears;
  /// Per block: shift of the w3 input [F] (empty vector: no shift).
  std::vector<std::vector<float>> w3_shift;
  std::int64_t images = 0;   // calibration images
  std::int64_t batches = 0;  // observer batches per pass
  /// Settings the numbers depend on (`key -> value`), written by calibrate_jit; a run can refuse
  /// a mismatching file.
  std::map<std::string, std::string> fingerprint;

  const JitLinearCalibration* find(int bucket, int block, JitLinearKind kind) const;
  /// Throws InvalidArgument naming the key when absent.
  const JitLinearCalibration& at(int bucket, int block, JitLinearKind kind) const;
};

/// "blocks.{block}.attn.qkv" (block linears), "t_embed.fc1" (model level, block -1), prefixed
/// with "bucket{b}." for timestep bucket b >= 0.
std::string jit_calibration_key(int bucket, int block, JitLinearKind kind);

}  // namespace cimba::workloads
