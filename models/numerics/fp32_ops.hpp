#pragma once
// FP32 building blocks every model family's reference forward shares (Mamba1, JiT, ...): the
// plain linear layer and RMSNorm, in the op order of transformers.
#include "models/numerics/types.hpp"

namespace cimba::numerics {

/// Y = X W^T (+ bias): X [T, in], W [out, in] (as stored), bias [out] or nullptr, Y [T, out]
/// (resized). Eigen FP32 GEMM. Throws InvalidArgument when the widths differ.
void linear_fp32(const MatrixF& X, const MatrixF& W, const float* bias, MatrixF& Y);

/// RMSNorm as transformers' MambaRMSNorm / LlamaRMSNorm in FP32: x * rsqrt(mean(x^2) + eps) * w,
/// per row (the mean of squares accumulated in double).
void rms_norm(const MatrixF& x, const VectorF& weight, double eps, MatrixF& out);

}  // namespace cimba::numerics
