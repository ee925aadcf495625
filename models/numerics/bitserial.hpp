#pragma once
// Bit-serial CIM linear layer (NUMERICS.md 2): Y = X W^T + b computed as an INT w_bits x
// INT a_bits product whose activations are cut into slices, each slice's analog MAC converted
// per row tile by the column ADCs, and the conversions shift-added.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "models/numerics/adc.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/slicing.hpp"
#include "models/numerics/types.hpp"

namespace cimba::numerics {

struct BitSerialConfig {
  int w_bits = 8;             // 2..16 (8 default, 7 supported by the spec)
  double w_clip_pct = 100.0;  // range_w = this percentile of |W|; 100 = max|W|
  int a_bits = 12;            // 1..16 (8..16 in the spec's use)
  int slice_bits = 8;         // S
  int overlap_bits = 4;       // O
  int rows_per_adc = 0;       // R; 0 = K (the whole column)
  AdcConfig adc;
  /// Static activation range (calibrated); unset: dynamic, max|X| of each input tensor.
  std::optional<double> range_x;
  /// Static ADC full scales [slice][row tile]; required when adc.range is Static.
  std::vector<std::vector<double>> acc_full_scale;
  /// Key of the noise stream (see rng.hpp); each (slice, tile) derives its own sub-stream.
  std::uint64_t noise_key = 0;
};

/// What one forward did.
struct BitSerialStats {
  std::int64_t conversions = 0;    // ADC conversions (partial sums read out)
  std::int64_t saturated = 0;      // conversions whose level was clamped
  std::int64_t act_saturated = 0;  // activations clamped by a static range_x
  std::int64_t mac_ops = 0;        // slice x input x weight products summed (N M K n_slices)
  int n_slices = 0, n_tiles = 0;
  double range_x = 0.0, scale_x = 0.0, scale_w = 0.0;
  std::vector<std::vector<double>> full_scale;  // the ADC full scale used per [slice][tile]
  bool float_gemm_exact = true;                 // false: partial sums needed the double GEMM
};

/// A linear layer programmed into the CIM array: the weights are quantized once at construction.
class BitSerialLinear {
 public:
  /// W [M x K]. Throws InvalidArgument for inconsistent settings (bits, slices, static full
  /// scales of the wrong shape).
  BitSerialLinear(const MatrixF& W, const BitSerialConfig& config);

  /// Y [N x M] for X [N x K]; bias may be nullptr. `stats` (optional) receives the counts.
  MatrixF forward(const MatrixF& X, const float* bias, BitSerialStats* stats = nullptr) const;
  /// The same into a caller's matrix (resized when needed), so a replay loop allocates nothing.
  void forward_into(const MatrixF& X, const float* bias, MatrixF& Y,
                    BitSerialStats* stats = nullptr) const;

  /// Calibration helper: calls fn(slice, tile, P) for every slice/row-tile partial-sum matrix P
  /// [N x M] of X quantized with the given activation range (dynamic: pass absmax(X)).
  void visit_partial_sums(const MatrixF& X, double range_x,
                          const std::function<void(int, int, const MatrixF&)>& fn) const;

  const BitSerialConfig& config() const { return config_; }
  const SlicePlan& plan() const { return plan_; }
  int n_tiles() const { return n_tiles_; }
  int rows_per_tile() const { return rows_; }
  double range_w() const { return range_w_; }
  double scale_w() const { return scale_w_; }
  /// Integer weight levels [M x K] held exactly in float.
  const MatrixF& w_q() const { return w_q_; }

 private:
  // Quantizes and slices X; returns the per-slice max |digit|.
  std::vector<double> quantize_and_slice(const MatrixF& X, const Quantizer& qx,
                                         std::vector<MatrixF>& slices,
                                         std::int64_t* act_saturated) const;
  // P = slice[:, tile] * W_q[:, tile]^T, exactly.
  void partial_sum(const MatrixF& slice, int tile, double max_digit, MatrixF& P,
                   bool* float_exact) const;

  BitSerialConfig config_;
  SlicePlan plan_;
  std::int64_t k_ = 0;
  int rows_ = 0, n_tiles_ = 0;
  double range_w_ = 0.0, scale_w_ = 1.0, max_w_level_ = 0.0;
  MatrixF w_q_;
};

/// One-shot convenience: BitSerialLinear(W, config).forward(X, bias, stats).
MatrixF bitserial_linear(const MatrixF& X, const MatrixF& W, const float* bias,
                         const BitSerialConfig& config, BitSerialStats* stats = nullptr);

}  // namespace cimba::numerics
