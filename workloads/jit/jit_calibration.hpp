#pragma once
// Static calibration of the quantized JiT replay (NUMERICS.md 6 and 8 applied to a JiT model):
// the FP32 reference runs on noisy MNIST inputs z_t = t x + (1 - t) eps at sampled timesteps
// (logit-normal like training, or stratified over [0, 1]; seeded), classes from the labels, and
// observers record for every quantized linear (and, with TaQ-DiT, for every timestep bucket):
//  - the range of its input activations (of x - shift for the shifted w3 input);
//  - TaQ-DiT: the per-channel shift of the w3 input (EMA of (min + max) / 2 over batches) and the
//    activation bits of the table (the smallest candidate reaching the SQNR target);
//  - for a static ADC: the full scale of every input slice and row tile, observed on the partial
//    sums of the bit-serial array (BitSerialLinear::visit_partial_sums) with the final bits and
//    ranges.
// Passes over the calibration images: (1) shifts and ranges of unshifted inputs, (2) ranges of the
// shifted w3 inputs, (3) TaQ bits, (4) ADC full scales; each pass only when needed. One observer
// batch = one forward of `batch_size` images (per bucket: the images of the batch in the bucket).
// Deterministic: same model, data and options give the same numbers bit for bit.
#include <cstdint>
#include <filesystem>

#include "models/numerics/observers.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/jit/jit_quant_config.hpp"
#include "workloads/io/mnist.hpp"

namespace cimba::workloads {

enum class JitCalibrationTimesteps {
  LogitNormal,  // t = sigmoid(N(p_mean, p_std)) (the training distribution)
  Stratified,   // image i of n: t = (i + 0.5) / n (every bucket covered)
};

/// Future keys: calibration.* (as the Mamba side) and workload.jit.calibration.*.
struct JitCalibrationOptions {
  std::int64_t images = 64;      // calibration.images: MNIST test images ...
  std::int64_t first_image = 0;  // calibration.first_image: ... from this index
  std::int64_t batch_size = 16;  // calibration.batch_size: images per forward (observer batch)
  std::uint64_t seed = 0;        // calibration.seed: timesteps and noise
  JitCalibrationTimesteps timesteps = JitCalibrationTimesteps::LogitNormal;  // .timesteps
  double p_mean = -0.8, p_std = 0.8;  // logit-normal parameters (training's)
  /// calibration.null_class_every: every k-th image (i % k == k - 1) takes the null class, as
  /// CFG sampling feeds it (0: never).
  std::int64_t null_class_every = 10;
  /// calibration.observer.*: observer of every range (bits: the activation bits of the point,
  /// the largest TaQ candidate, or the ADC bits for partial sums).
  numerics::ObserverConfig observer;
};

/// Calibrates `config`'s quantized linears on MNIST test images. Records the all-timestep entry
/// (bucket -1) of every quantized linear, and with TaQ-DiT one entry per bucket (a bucket no
/// calibration image falls in takes the all-timestep range) and the w3 shifts. ADC full scales
/// are observed for linears whose adc.range is Static. Throws InvalidArgument for bad options.
JitCalibration calibrate_jit(const JitModel& model, const MnistSet& mnist,
                             const JitQuantConfig& config, const JitCalibrationOptions& options);

/// Writes the calibration as safetensors: F64 `<key>.range_x` [1], `<key>.a_bits` [1],
/// `<key>.acc_full_scale` [slices, tiles] (when present) for every key of `linears`, F32
/// `blocks.{i}.mlp.w3.shift` [F]; metadata: format, depth, buckets, images, batches and
/// `fingerprint.KEY`. Throws IoError.
void save_jit_calibration(const JitCalibration& calibration, const std::filesystem::path& path);
/// Reads a file written by save_jit_calibration. Throws IoError or FormatError.
JitCalibration load_jit_calibration(const std::filesystem::path& path);

}  // namespace cimba::workloads
