#pragma once
// Scalar activation functions in FP32, written the way PyTorch evaluates them so that the FP32
// references match transformers' outputs to ~1e-7 relative.
#include <cmath>

namespace cimba::numerics {

/// silu(x) = x * sigmoid(x) = x / (1 + exp(-x)).
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

/// softplus(x) = log(1 + exp(x)), with PyTorch's threshold (beta 1, threshold 20): x above 20 is
/// returned unchanged.
inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

}  // namespace cimba::numerics
