#include "models/numerics/slicing.hpp"

#include <string>

#include "models/common/error.hpp"

namespace cimba::numerics {

SlicePlan plan_slices(int a_bits, int slice_bits, int overlap_bits, InputEncoding encoding) {
  if (a_bits < 1 || a_bits > 31)
    throw InvalidArgument("a_bits must be in 1..31, got " + std::to_string(a_bits));
  if (slice_bits < 1 || slice_bits > a_bits)
    throw InvalidArgument("slice_bits must be in 1..a_bits (" + std::to_string(a_bits) + "), got " +
                          std::to_string(slice_bits));
  if (overlap_bits < 0 || overlap_bits >= slice_bits)
    throw InvalidArgument("overlap_bits must be in 0..slice_bits-1 (" +
                          std::to_string(slice_bits - 1) + "), got " +
                          std::to_string(overlap_bits));
  const bool sm = encoding == InputEncoding::SignMagnitude;
  if (sm && overlap_bits != 0)
    throw InvalidArgument(
        "input_encoding sign_magnitude needs overlap_bits = 0 (plain digits), got " +
        std::to_string(overlap_bits));
  if (sm && a_bits < 2)
    throw InvalidArgument("input_encoding sign_magnitude needs a_bits >= 2, got " +
                          std::to_string(a_bits));
  SlicePlan plan;
  plan.a_bits = a_bits;
  plan.slice_bits = slice_bits;
  plan.overlap_bits = overlap_bits;
  plan.encoding = encoding;
  int step;
  if (sm) {
    step = slice_bits;
    plan.n_slices = (a_bits - 1 + slice_bits - 1) / slice_bits;
  } else if (overlap_bits > 0) {
    step = slice_bits - overlap_bits;
    plan.n_slices = 1 + (a_bits - slice_bits + step - 1) / step;
  } else {
    step = slice_bits;
    plan.n_slices = (a_bits + slice_bits - 1) / slice_bits;
  }
  for (int i = 0; i < plan.n_slices; ++i) plan.shifts.push_back((plan.n_slices - 1 - i) * step);
  return plan;
}

const char* to_string(InputEncoding e) {
  return e == InputEncoding::SignMagnitude ? "sign_magnitude" : "twos_complement";
}

void slice_matrix(const SlicePlan& plan, const MatrixF& x_q, std::vector<MatrixF>& slices) {
  slices.resize(plan.n_slices);
  for (auto& s : slices) s.resize(x_q.rows(), x_q.cols());
  const std::int64_t n = x_q.size();
  const float* src = x_q.data();
  std::vector<float*> dst(plan.n_slices);
  for (int i = 0; i < plan.n_slices; ++i) dst[i] = slices[i].data();
  std::int64_t digits[32];
  for (std::int64_t e = 0; e < n; ++e) {
    slice_value(plan, static_cast<std::int64_t>(src[e]), digits);
    for (int i = 0; i < plan.n_slices; ++i) dst[i][e] = static_cast<float>(digits[i]);
  }
}

}  // namespace cimba::numerics
