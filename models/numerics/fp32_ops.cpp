#include "models/numerics/fp32_ops.hpp"

#include <cmath>
#include <string>

#include "models/common/error.hpp"

namespace cimba::numerics {

void linear_fp32(const MatrixF& X, const MatrixF& W, const float* bias, MatrixF& Y) {
  if (X.cols() != W.cols())
    throw InvalidArgument("linear: input has " + std::to_string(X.cols()) +
                          " features, weight expects " + std::to_string(W.cols()));
  Y.resize(X.rows(), W.rows());
  Y.noalias() = X * W.transpose();
  if (bias) Y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, W.rows());
}

void rms_norm(const MatrixF& x, const VectorF& weight, double eps, MatrixF& out) {
  if (weight.size() != x.cols())
    throw InvalidArgument("rms_norm: weight has " + std::to_string(weight.size()) +
                          " entries for " + std::to_string(x.cols()) + " features");
  out.resize(x.rows(), x.cols());
  const auto cols = x.cols();
  const float epsf = static_cast<float>(eps);
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float* xr = x.data() + r * cols;
    float* o = out.data() + r * cols;
    double sum_sq = 0.0;  // double: the FP32 mean of PyTorch is at least this accurate
    for (Eigen::Index c = 0; c < cols; ++c) sum_sq += static_cast<double>(xr[c]) * xr[c];
    const float variance = static_cast<float>(sum_sq / static_cast<double>(cols));
    const float inv_rms = 1.0f / std::sqrt(variance + epsf);
    // transformers: weight * (x * rsqrt(variance + eps))
    for (Eigen::Index c = 0; c < cols; ++c) o[c] = weight[c] * (xr[c] * inv_rms);
  }
}

}  // namespace cimba::numerics
