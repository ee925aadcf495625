#pragma once
// Shared Eigen types of the numerics library. Matrices are row-major so that a [rows x cols]
// tensor read from a file maps onto them without a copy.
#include <Eigen/Core>
#include <cstdint>

namespace cimba::numerics {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorF = Eigen::VectorXf;
using ConstMapF = Eigen::Map<const MatrixF>;
using MapF = Eigen::Map<MatrixF>;

}  // namespace cimba::numerics
