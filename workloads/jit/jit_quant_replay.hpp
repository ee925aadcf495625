#pragma once
// Quantized replay of a JiT denoiser (docs/jit.md, "Quantized replay"): the linears selected by
// JitQuantConfig::quantize (default qkv, proj, w12, w3) run through the bit-serial CIM model
// (NUMERICS.md 2); the rest of the forward stays FP32. With TaQ-DiT (NUMERICS.md 8) every
// quantized linear takes its activation bits, range and ADC full scales from a per-timestep-bucket
// table, and the w3 input is shifted per channel before quantization.
//
// The accuracy report compares the quantized model with the FP32 one on the same inputs:
//  - isolated: each quantized linear against the FP32 linear on the same input;
//  - end to end: every linear output, block output and pred_x against the FP32 model's tensor;
//  - sampling: PSNR of quantized samples against FP32 samples from the same noise.
// Deterministic: same model, inputs, config and calibration give bit-identical results.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/jit/jit_quant_config.hpp"
#include "workloads/io/mnist.hpp"
#include "models/numerics/metrics.hpp"

namespace cimba::workloads {

using numerics::ErrorAccumulator;

/// One quantized linear of the model (a block's qkv, ..., or a model-level one): the bit-serial
/// layer for the current timestep bucket, plus the folded w3 shift. The replay hooks and the
/// hardware executor (workloads/jit/block_executor.hpp) both compute through forward(), so their numbers agree
/// bit for bit.
///
/// Shift folding (w3 with TaQ-DiT): X' = X - shift (FP32, per column) is quantized and run
/// bit-serially; the shift's contribution W_hat shift (W_hat = w_q s_w, the weights the array
/// holds) is a per-output constant computed once in double from the integer weights,
///   c[m] = s_w sum_k w_q[m, k] shift[k],
/// added to the bias and rounded to FP32 once; the array's output rescale adds it
/// (Y = Y_int s_x s_w + (bias + c)). So Y = x_hat W_hat^T (+ bias) with x_hat = q s + shift.
class JitQuantLinear {
 public:
  /// W [M x K] (kept by reference). `calibration` may be nullptr when `config` needs none.
  /// Throws InvalidArgument when the calibration lacks an entry the config needs.
  JitQuantLinear(const numerics::MatrixF& W, int block, JitLinearKind kind,
                 const JitQuantConfig& config, const JitCalibration* calibration);

  /// The bit-serial layer for timestep bucket `bucket` (-1: not timestep-aware), built on first
  /// use and kept until another bucket is selected.
  const numerics::BitSerialLinear& select(int bucket);
  /// Y = X_hat W_hat^T + bias for rows that all belong to `bucket`.
  void forward(const numerics::MatrixF& X, const float* bias, int bucket, numerics::MatrixF& Y,
               numerics::BitSerialStats* stats = nullptr);
  /// The per-channel shift of the input (nullptr: none).
  const std::vector<float>* shift() const { return shift_.empty() ? nullptr : &shift_; }
  int block() const { return block_; }
  JitLinearKind kind() const { return kind_; }
  /// The settings of `bucket` (bits, range, full scales) as forward() uses them.
  numerics::BitSerialConfig config_for(int bucket) const;

 private:
  const numerics::MatrixF& W_;
  int block_;
  JitLinearKind kind_;
  const JitQuantConfig& config_;
  const JitCalibration* calibration_;
  std::vector<float> shift_;
  int bucket_ = -2;
  std::unique_ptr<numerics::BitSerialLinear> layer_;
  std::vector<float> shift_bias_;  // c[m] (+ bias added per call)
  std::vector<float> bias_tmp_;
  numerics::MatrixF shifted_;
};

/// Statistics of one linear over the forwards seen.
struct JitLinearStats {
  int block = -1;
  JitLinearKind kind = JitLinearKind::qkv;
  bool quantized = false;
  ErrorAccumulator isolated;  // quantized vs FP32 linear on the same input
  std::int64_t elements = 0;  // output elements
  std::int64_t adc_conversions = 0, adc_saturated = 0, act_saturated = 0, act_elements = 0;
  std::int64_t mac_ops = 0;
  int w_bits = 0, adc_bits = 0, n_slices = 0, n_row_tiles = 0;
  int min_a_bits = 0, max_a_bits = 0;
  double max_range_x = 0.0;
  void reset_counts();
};

/// The quantized model's hooks. Usable with jit_forward / jit_denoise / jit_sample.
class JitQuantHooks : public JitHooks {
 public:
  /// `calibration` is required (InvalidArgument otherwise) when config.needs_calibration().
  JitQuantHooks(const JitModel& model, const JitQuantConfig& config,
                const JitCalibration* calibration);
  ~JitQuantHooks() override;

  void begin_forward(const std::vector<float>& t) override;
  void linear(int block, JitLinearKind kind, const numerics::MatrixF& X, const numerics::MatrixF& W,
              const float* bias, numerics::MatrixF& Y) override;

  /// Statistics per linear, blocks in order (qkv, proj, w12, w3, adaLN per block), then the
  /// model-level linears.
  std::vector<JitLinearStats> stats() const;
  void reset_stats();
  double bitserial_seconds() const { return bitserial_seconds_; }
  /// The quantized linear of (block, kind), nullptr when it runs in FP32.
  JitQuantLinear* quantized_linear(int block, JitLinearKind kind);
  const JitQuantConfig& config() const { return config_; }

 private:
  struct State;
  State* state(int block, JitLinearKind kind);
  const JitModel& model_;
  JitQuantConfig config_;
  const JitCalibration* calibration_;
  std::vector<std::unique_ptr<State>> states_;  // [(depth + 1) * kinds], model level last
  std::vector<float> t_;
  double bitserial_seconds_ = 0.0;
};

/// Settings of the accuracy evaluation (future keys workload.jit.eval.* and workload.jit.sample.*).
struct JitQuantEvalOptions {
  /// workload.jit.eval.timesteps: denoiser comparisons at these t (every image at each t).
  std::vector<float> timesteps{0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
  std::int64_t images = 16;         // workload.jit.eval.images: MNIST test images ...
  std::int64_t first_image = 5000;  // workload.jit.eval.first_image: ... from this index
  std::uint64_t noise_seed = 1;     // workload.jit.eval.seed: z_t noise (jit_gaussian_noise)
  std::int64_t batch_size = 0;      // images per forward (0: all)
  std::int64_t samples = 4;         // workload.jit.sample.count (0: no sampling comparison)
  int sample_steps = 50;            // workload.jit.sample.steps
  double cfg_scale = 1.5;           // workload.jit.sample.cfg_scale
  std::uint64_t sample_seed = 0;    // workload.jit.sample.seed (classes are i % num_classes)
};

/// One row of the report: one linear (isolated and end to end) or one tensor (end to end only).
struct JitReplayRow {
  double t = -1.0;  // the timestep; -1: over all evaluated timesteps
  int block = -1;   // -1: model level
  /// "attn.qkv", "attn.proj", "mlp.w12", "mlp.w3", "adaLN", model-level linear names
  /// (jit_linear_kind_name), or the tensors "out" (block output) and "pred_x".
  std::string point;
  bool is_linear = false, quantized = false;
  ErrorAccumulator isolated;    // linear: quantized vs FP32 linear on the same input
  ErrorAccumulator end_to_end;  // the tensor vs the FP32 model's tensor at the same point
  JitLinearStats linear;        // counts (linears only)
  /// Fraction of ADC conversions that saturated (0 when none converted).
  double adc_saturation() const;
  /// Fraction of input activations clamped by a static range.
  double act_saturation() const;
};

struct JitQuantEvalResult {
  /// Per timestep (in options order): per block the linears qkv, proj, w12, w3, adaLN and "out",
  /// then the model-level linears and "pred_x"; then the same rows over all timesteps (t = -1).
  std::vector<JitReplayRow> rows;
  std::vector<double> timesteps;
  std::vector<double> pred_x_psnr_db;  // per timestep: quantized vs FP32 x-prediction
  std::vector<double> pred_x_sqnr_db;
  double min_linear_sqnr_db = 0.0;  // worst isolated SQNR of a quantized linear (all t)
  double mean_pred_x_psnr_db = 0.0;
  // Sampling comparison (samples > 0).
  std::int64_t samples = 0;
  int sample_steps = 0;
  double sample_psnr_db = 0.0;  // quantized vs FP32 samples, same noise (peak 2)
  double sample_sqnr_db = 0.0;
  // Wall-clock seconds (not deterministic, not part of the result's identity).
  double seconds = 0.0;
};

/// Runs the denoiser comparisons and the sampling comparison on MNIST test images. `calibration`
/// as JitQuantHooks. Throws InvalidArgument for bad options.
JitQuantEvalResult evaluate_jit_quant(const JitModel& model, const MnistSet& mnist,
                                      const JitQuantConfig& config,
                                      const JitCalibration* calibration,
                                      const JitQuantEvalOptions& options);

}  // namespace cimba::workloads
