#pragma once
// Quantized replay of a Mamba1 language model (docs/quantized-replay.md): every linear layer runs
// through the bit-serial CIM model (NUMERICS.md 2), the SSM input u through its quantization
// scheme (NUMERICS.md 3-5), the scan with the configured exp/softplus (NUMERICS.md 7), and the
// FP32 reference runs alongside on the same windows so that every quantization point is compared
// with its FP32 counterpart, two ways:
//  - isolated: the quantized operation against the FP32 operation on the SAME input (the input
//    the quantized model has at that point): the error this point adds by itself;
//  - end-to-end: the tensor of the quantized model against the FP32 model's tensor at the same
//    point: the error accumulated by everything upstream (what the loss finally sees).
// Deterministic: the same model, windows, config and calibration give bit-identical results.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/numerics/bitserial.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/group_scales.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/selective_scan.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/program/op_program.hpp"
#include "workloads/io/text_data.hpp"

namespace cimba::workloads {

// SsmInputScheme and ssm_input_scheme_name() come from op_program.hpp (one enum for the
// scheme, shared with the op-program compiler).

/// Quantization of the SSM input u (the conv1d + SiLU output) of every layer.
struct SsmInputQuantConfig {
  SsmInputScheme scheme = SsmInputScheme::Int8;
  /// true: scales from the calibration (int8 range, group tables cut from the per-channel absmax,
  /// dual-scale tau / k); false: computed on each tensor (each forward batch) at run time.
  bool static_range = true;
  int n_ssd_groups = 1;   // G
  int n_head_groups = 4;  // HG
  int n_dim_groups = 4;   // DG
  int head_dim = 64;      // P
  numerics::Grouping grouping = numerics::Grouping::EqualSize;
  numerics::DualScaleConfig dual;

  /// Bits stored per element of u: 32, 8, 8, value_bits + 1.
  int bits_per_element() const;
};

/// Throws InvalidArgument unless the group layout fits a layer of d_inner channels (head_dim
/// divides d_inner / G, HG <= heads per SSD group, DG <= head_dim); the message names the
/// parameters and the numbers.
void check_group_layout(std::int64_t d_inner, const SsmInputQuantConfig& config);

struct QuantReplayConfig {
  /// Per linear type (indexed by LinearKind): run it bit-serially (true) or in FP32.
  std::array<bool, kMambaLinearKinds> quantize{true, true, true, true, false};
  /// Per linear type: bits, slicing, rows_per_adc, ADC (its `range`: Dynamic, Static from the
  /// calibration, or Bypass). range_x / acc_full_scale / noise_key are filled by the replay.
  std::array<numerics::BitSerialConfig, kMambaLinearKinds> linear;
  /// Activation ranges from the calibration (true) or max|X| of each forward batch (false).
  bool static_range_x = false;
  SsmInputQuantConfig ssm_input;
  numerics::ScanConfig scan;  // the quantized model's SSM core; the reference is always exact
  /// ADC noise of linear `kind` in layer l uses stream_key(seed, l, kind) (lm_head: l = n_layers).
  std::uint64_t seed = 1;
  std::int64_t batch_windows = 8;  // windows per forward pass
  /// Compute the isolated comparisons (an extra FP32 linear per quantized linear).
  bool measure_isolated = true;

  /// True when some point needs the calibration (static activation range, static ADC full scale
  /// of a quantized linear, or a static SSM-input scheme other than fp32).
  bool needs_calibration() const;
};

using numerics::ErrorAccumulator;

/// Where a row of the report sits: what block produced the tensor.
enum class ReplayBlock { InProj, SsmInput, XProj, DtProj, Scan, OutProj, Residual, LmHead };
/// "in_proj", "ssm_input", "x_proj", "dt_proj", "ssm", "out_proj", "residual", "lm_head".
const char* replay_block_name(ReplayBlock block);

/// One quantization (or observation) point of one layer.
struct ReplayPoint {
  int layer = 0;  // -1: model level (lm_head)
  ReplayBlock block = ReplayBlock::InProj;
  std::string point;       // activation name of mamba_layer_points(): "in_proj.out", ...
  bool quantized = false;  // this block quantizes / approximates something itself
  bool has_isolated = false;
  ErrorAccumulator isolated, end_to_end;
  std::int64_t elements = 0;   // elements of the tensor over all windows
  std::int64_t saturated = 0;  // SSM input: clamped elements; linears: activations clamped
  // Linear layers.
  int w_bits = 0, a_bits = 0, adc_bits = 0, n_slices = 0, n_row_tiles = 0;
  std::int64_t adc_conversions = 0, adc_saturated = 0, mac_ops = 0;
  double range_x = 0.0;  // static range, or the largest dynamic range seen
  double range_w = 0.0;
  // SSM input.
  std::int64_t outliers = 0;           // dual_scale: flag = 1 elements
  int bits_per_element = 0;            // storage bits per element of u
  std::int64_t bytes_per_token = 0;    // bytes of u moved per token (d_inner bits / 8)
  std::int64_t scale_table_bytes = 0;  // int8: 4; group: the lookup tables; dual_scale: 8
  int n_scales = 0;
};

struct QuantReplayResult {
  std::int64_t windows = 0, predicted_tokens = 0;
  double fp32_nats_per_token = 0.0, nats_per_token = 0.0;  // mean -log p(target)
  std::vector<double> fp32_window_nats, window_nats;       // summed per window
  /// Rows in forward order: per layer in_proj, ssm_input, x_proj, dt_proj, ssm, out_proj,
  /// residual; then the lm_head (layer -1).
  std::vector<ReplayPoint> points;
  // Wall-clock seconds (single thread), not part of any deterministic output.
  double fp32_seconds = 0.0;       // reference: norms, mixers, lm_head, loss
  double quantized_seconds = 0.0;  // quantized model incl. its comparisons and loss
  double bitserial_seconds = 0.0;  // of which the bit-serial linears
};

/// The quantized model's hooks: bit-serial linears (weights quantized once at construction) and
/// the SSM-input quantizer, with statistics and isolated comparisons per point. Usable on its
/// own with mamba_forward / evaluate_mamba_loss (threads = 1).
class QuantReplayHooks : public MambaHooks {
 public:
  /// `calibration` is required (InvalidArgument otherwise) when config.needs_calibration(); it
  /// must match the model's layers and the slicing (shapes of the ADC full scales).
  QuantReplayHooks(const MambaModel& model, const QuantReplayConfig& config,
                   const MambaCalibration* calibration);
  ~QuantReplayHooks() override;

  void linear(int layer, LinearKind kind, const numerics::MatrixF& X, const numerics::MatrixF& W,
              const float* bias, numerics::MatrixF& Y) override;
  void conv_output(int layer, numerics::MatrixF& u) override;

  /// Statistics so far; end_to_end is left empty (the replay loop fills it).
  std::vector<ReplayPoint> points() const;
  double bitserial_seconds() const { return bitserial_seconds_; }
  /// The group tables of `layer` in static mode (nullptr otherwise).
  const numerics::GroupTables* group_tables(int layer) const;

 private:
  struct LinearState;
  struct SsmState;
  LinearState& state(int layer, LinearKind kind);
  void release_scratch();

  const MambaModel& model_;
  QuantReplayConfig config_;
  std::vector<std::unique_ptr<LinearState>> linears_;  // [(n_layers + 1) * kinds]
  std::vector<std::unique_ptr<SsmState>> ssm_;         // [n_layers]
  /// The isolated comparisons' FP32 operand (a linear's FP32 result, or u before quantization),
  /// held only during the call that compares it.
  numerics::MatrixF scratch_;
  double bitserial_seconds_ = 0.0;
};

/// Runs the FP32 reference and the quantized model side by side over the windows (batches of
/// config.batch_windows windows; per layer the reference mixer, then the quantized one, so only
/// one layer's reference activations are held) and returns the losses and every point's report.
QuantReplayResult run_quant_replay(const MambaModel& model, const TokenWindows& windows,
                                   const QuantReplayConfig& config,
                                   const MambaCalibration* calibration);

}  // namespace cimba::workloads
