#pragma once
// One tensor of a model golden file (shared/data/*/golden_*.safetensors) compared with cimba's
// own activation: used by the Mamba and JiT golden checks alike.
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

/// One compared tensor of a golden file.
struct GoldenRow {
  std::string name;
  std::vector<std::int64_t> shape;  // as in the golden file
  double rel_error = 0.0;           // ||y - g|| / ||g|| (0 when both are zero)
  double max_abs_error = 0.0;       // max |y - g|
  bool pass = false;                // rel_error <= tolerance (NaN fails)
};

/// Compares `value` (laid out as `expected_shape`) with the golden tensor. Throws FormatError
/// (prefixed by `where`, e.g. the golden file's path) when the golden's shape differs from
/// `expected_shape` or its dtype is not a float type.
GoldenRow compare_golden_tensor(const std::string& where, const Tensor& golden, const float* value,
                                const std::vector<std::int64_t>& expected_shape, double tolerance);

}  // namespace cimba::workloads
