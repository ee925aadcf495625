#pragma once
// Accuracy of a JiT denoiser: the comparison of the FP32 reference with the golden activation
// file of the reference export, one-step denoiser outputs on given images / classes / timesteps /
// noise (what a quantized replay compares step by step), seeded Gaussian noise, and PSNR.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/numerics/types.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/io/golden_row.hpp"

namespace cimba::workloads {

/// Runs the FP32 reference on the golden's inputs (`input.z` [B, C, S, S], `input.t` [B],
/// `input.y` [B] integer) and compares every other tensor present under its golden name
/// (jit_activation_name: "blocks.{i}.mlp.in", "pred_x", ...; any subset), in the layout of
/// jit_golden_shape. `input.x_clean` and `input.noise` are accepted and not compared. Rows are in
/// forward order. Throws FormatError for unknown tensor names (all listed), missing inputs, or a
/// shape mismatch (naming the tensor).
std::vector<GoldenRow> verify_jit_golden(const JitModel& model, const std::filesystem::path& golden,
                                         double tolerance = 1e-4);
/// The same after load_jit(model_dir).
std::vector<GoldenRow> verify_jit_golden(const std::filesystem::path& model_dir,
                                         const std::filesystem::path& golden,
                                         double tolerance = 1e-4);

/// Standard-normal noise [rows, cols] from cimba's counter-based generator: entry (r, c) is
/// normal_at(stream_key(seed, 'JiTn', first_row + r), c), so a row (one image) does not depend on
/// the batch it is generated in.
numerics::MatrixF jit_gaussian_noise(std::uint64_t seed, std::int64_t rows, std::int64_t cols,
                                     std::int64_t first_row = 0);

/// Timesteps t = sigmoid(N(p_mean, p_std)) (the training distribution, logit-normal), `count`
/// of them from stream `seed`.
std::vector<float> jit_logit_normal_timesteps(std::uint64_t seed, std::int64_t count,
                                              double p_mean = -0.8, double p_std = 0.8);

/// The noisy inputs of the flow: z_t = t x + (1 - t) eps, per image row (t[b] for row b).
numerics::MatrixF jit_noisy_images(const numerics::MatrixF& x_clean, const std::vector<float>& t,
                                   const numerics::MatrixF& noise);

/// One denoiser call per image, as a quantized replay compares step by step.
struct JitDenoiseResult {
  numerics::MatrixF z;       // [B, CSS] the network input z_t
  numerics::MatrixF pred_x;  // [B, CSS] x-prediction
  numerics::MatrixF pred_v;  // [B, CSS] (pred_x - z) / max(1 - t, t_eps)
};

/// Denoiser outputs for clean images x_clean [B, CSS], classes y [B] (0..num_classes), timesteps
/// t [B] and noise [B, CSS]: z = jit_noisy_images(x_clean, t, noise), then jit_forward with
/// `options` (hooks / observer). Rows are processed `batch_size` at a time (0: all at once);
/// with FP32 hooks the result depends on it only through FP32 rounding of the GEMM blocking.
JitDenoiseResult jit_denoise(const JitModel& model, const numerics::MatrixF& x_clean,
                             const std::vector<std::int32_t>& y, const std::vector<float>& t,
                             const numerics::MatrixF& noise, const JitForwardOptions& options = {},
                             std::int64_t batch_size = 0);

/// Mean squared error over all entries (double accumulation). Throws InvalidArgument for
/// different sizes or empty inputs.
double mean_squared_error(const numerics::MatrixF& ref, const numerics::MatrixF& test);
/// 10 log10(peak^2 / mse) in dB; +infinity when identical. peak 2.0 for images in [-1, 1].
double psnr_db(const numerics::MatrixF& ref, const numerics::MatrixF& test, double peak = 2.0);

}  // namespace cimba::workloads
