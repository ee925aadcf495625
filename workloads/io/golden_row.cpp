#include "workloads/io/golden_row.hpp"

#include "models/common/error.hpp"
#include "models/numerics/metrics.hpp"

namespace cimba::workloads {

GoldenRow compare_golden_tensor(const std::string& where, const Tensor& golden, const float* value,
                                const std::vector<std::int64_t>& expected_shape, double tolerance) {
  if (golden.shape != expected_shape)
    throw FormatError(where + "golden tensor '" + golden.name + "' has shape " +
                      shape_string(golden.shape) + ", the model gives " +
                      shape_string(expected_shape));
  if (golden.dtype != DType::F32 && golden.dtype != DType::F16 && golden.dtype != DType::BF16 &&
      golden.dtype != DType::F64)
    throw FormatError(where + "golden tensor '" + golden.name + "' has non-float dtype " +
                      dtype_name(golden.dtype));
  const std::vector<float> ref = golden.to_f32();
  const numerics::ErrorMetrics m = numerics::compare(ref.data(), value, golden.numel());
  GoldenRow row;
  row.name = golden.name;
  row.shape = golden.shape;
  row.rel_error = m.rel_l2_error;
  row.max_abs_error = m.max_abs_error;
  row.pass = row.rel_error <= tolerance;
  return row;
}

}  // namespace cimba::workloads
