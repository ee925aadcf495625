#pragma once
// Mamba's depthwise causal conv1d + SiLU (NUMERICS.md 3), FP32.
#include <cstdint>

namespace cimba::numerics {

/// Depthwise causal convolution over time for one sequence, channel-major layout.
///   x      [channels, length]   input
///   weight [channels, kernel]   (the HF `conv1d.weight` [C, 1, K] with the middle axis dropped)
///   bias   [channels] or nullptr
///   out    [channels, length]   out[c][t] = act(bias[c] + sum_k weight[c][k] * x[c][t - (K-1) +
///   k])
/// with x[c][t'] = 0 for t' < 0 (left padding K-1, as PyTorch's Conv1d(padding=K-1) truncated to
/// L). `apply_silu` applies SiLU to the result (Mamba's conv1d is always followed by SiLU). Throws
/// InvalidArgument for a non-positive size.
void conv1d_causal(const float* x, std::int64_t channels, std::int64_t length, const float* weight,
                   std::int64_t kernel, const float* bias, float* out, bool apply_silu = true);

/// The same for a token-major layout: x [length, channels], out [length, channels].
void conv1d_causal_token_major(const float* x, std::int64_t length, std::int64_t channels,
                               const float* weight, std::int64_t kernel, const float* bias,
                               float* out, bool apply_silu = true);

}  // namespace cimba::numerics
