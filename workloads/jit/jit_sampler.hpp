#pragma once
// Class-conditional sampling with a JiT denoiser (the JiT recipe of
// shared/data/jit-mnist-tiny/README.md): Heun on t = linspace(0, 1, N+1) with the last step
// Euler, classifier-free guidance, v = (x_pred - z_t) / max(1 - t, t_eps); and PNG grids of the
// samples for a person to look at.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "models/numerics/types.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_model.hpp"

namespace cimba::workloads {

struct JitSamplerOptions {
  int steps = 50;          // N >= 1: N-1 Heun steps then one Euler step (2N-1 network calls)
  double cfg_scale = 1.5;  // v = v_null + cfg_scale (v_cond - v_null); 1.0: no guidance
                           // (one network call per evaluation instead of two)
  /// Hooks / observer of every network call. With guidance, each call is one forward of 2B
  /// images: rows 0..B-1 conditional, B..2B-1 with the null class.
  JitForwardOptions forward;
  /// Images per network call (before the CFG doubling); 0: the whole batch at once. Every image
  /// is sampled independently, so the result depends on it only through FP32 rounding (Eigen's
  /// GEMM blocking depends on the row count; ~1e-6).
  std::int64_t batch_size = 0;
  /// Clamp the final images to [-1, 1] (the range the model was trained on).
  bool clamp_output = true;
  /// Called with (i, t_i, z_i) for i = 0..N (z_0 the noise, z_N the unclamped result), for
  /// per-step comparisons of a quantized sampler with the FP32 one.
  std::function<void(int step, float t, const numerics::MatrixF& z)> trajectory;
};

/// Samples from fixed noise [B, C*S*S] (t = 0) for class labels [B] (0..num_classes; the null
/// class gives unconditional samples). Returns images [B, C*S*S]. Deterministic: the same inputs
/// give byte-identical outputs.
numerics::MatrixF jit_sample(const JitModel& model, const numerics::MatrixF& noise,
                             const std::vector<std::int32_t>& classes,
                             const JitSamplerOptions& options = {});
/// The same with noise = jit_gaussian_noise(seed, B, C*S*S) (image b's noise depends only on
/// seed and b; not torch's generator).
numerics::MatrixF jit_sample(const JitModel& model, const std::vector<std::int32_t>& classes,
                             std::uint64_t seed, const JitSamplerOptions& options = {});

/// Network calls of one sampling run per image: 2N-1 (x2 with guidance).
std::int64_t jit_sampler_network_calls(const JitSamplerOptions& options);

struct PngGridOptions {
  std::int64_t columns = 4;
  std::int64_t crop = 0;     // > 0: keep the central crop x crop pixels (28 for padded MNIST)
  std::int64_t upscale = 1;  // nearest-neighbour factor (>= 1)
  std::int64_t padding = 4;  // pixels between and around the images
  std::uint8_t pad_gray = 64;
};

/// Writes images [N, S*S] (one grayscale S x S image per row, values in [-1, 1] mapped to
/// round((x + 1) / 2 * 255), clamped) as an 8-bit grayscale PNG grid, row-major. Throws
/// InvalidArgument for bad sizes and IoError when the file cannot be written.
void write_png_grid(const std::filesystem::path& path, const numerics::MatrixF& images,
                    std::int64_t image_size, const PngGridOptions& options = {});
/// Writes an 8-bit grayscale PNG (no interlace, filter 0) from `pixels` [height * width].
void write_png_gray8(const std::filesystem::path& path, std::int64_t width, std::int64_t height,
                     const std::vector<std::uint8_t>& pixels);

}  // namespace cimba::workloads
