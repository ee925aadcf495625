#pragma once
// Input slicing of the bit-serial CIM linear (NUMERICS.md 2.3 and 2.7).
#include <cstdint>
#include <vector>

#include "models/numerics/types.hpp"

namespace cimba::numerics {

/// How the input DAC encodes a signed activation (NUMERICS.md 2.7; plain digits only).
///  - TwosComplement: the digits of step 3 (top digit signed, the others unsigned);
///  - SignMagnitude: sign(x_q) times the unsigned S-bit digits of |x_q| (the sign is driven on
///    a separate line), x_q clamped to [-qmax, qmax] first.
enum class InputEncoding { TwosComplement, SignMagnitude };

/// How an a_bits activation is cut into slices (slice 0 = most significant).
struct SlicePlan {
  int a_bits = 12, slice_bits = 8, overlap_bits = 4;
  InputEncoding encoding = InputEncoding::TwosComplement;
  int n_slices = 2;
  std::vector<int> shifts;  // p_i: slice i carries weight 2^p_i
  bool overlapped() const { return overlap_bits > 0; }
  bool sign_magnitude() const { return encoding == InputEncoding::SignMagnitude; }
};

/// Validates (1 <= slice_bits <= a_bits <= 31, 0 <= overlap_bits < slice_bits; sign_magnitude
/// needs overlap_bits = 0 and a_bits >= 2) and builds the plan:
///  - overlap_bits O > 0: n = 1 + ceil((a - S) / (S - O)), p_i = (n - 1 - i) (S - O);
///  - O = 0: n = ceil(a / S), p_i = (n - 1 - i) S (two's-complement digits);
///  - sign_magnitude: n = ceil((a - 1) / S), p_i = (n - 1 - i) S.
/// Throws InvalidArgument naming the offending parameter.
SlicePlan plan_slices(int a_bits, int slice_bits, int overlap_bits,
                      InputEncoding encoding = InputEncoding::TwosComplement);

/// "twos_complement" / "sign_magnitude".
const char* to_string(InputEncoding e);

/// Slices one integer activation into out[0..n_slices): overlapped signed slices taken from the
/// top down (x_i = clamp(round(r_i / 2^p_i), qmin(S), qmax(S)), r_{i+1} = r_i - x_i 2^p_i, the
/// p = 0 slice takes the whole residual), plain digits (top signed, others in [0, 2^S - 1]), or
/// sign-magnitude digits (sign(x_q) d_i with d_i the S-bit digits of |x_q|; the caller clamps
/// x_q to [-qmax, qmax]).
inline void slice_value(const SlicePlan& plan, std::int64_t x_q, std::int64_t* out) {
  if (plan.sign_magnitude()) {
    const std::int64_t mask = (std::int64_t{1} << plan.slice_bits) - 1;
    const std::int64_t m = x_q < 0 ? -x_q : x_q;
    for (int i = 0; i < plan.n_slices; ++i) {
      const std::int64_t d = (m >> plan.shifts[i]) & mask;
      out[i] = x_q < 0 ? -d : d;
    }
  } else if (plan.overlapped()) {
    const std::int64_t lo = -(std::int64_t{1} << (plan.slice_bits - 1));
    const std::int64_t hi = (std::int64_t{1} << (plan.slice_bits - 1)) - 1;
    std::int64_t r = x_q;
    for (int i = 0; i < plan.n_slices; ++i) {
      const int p = plan.shifts[i];
      if (p == 0) {
        out[i] = r;
        break;
      }
      // r / 2^p is exact in double, so nearbyint gives round-half-to-even of the true quotient.
      auto xi = static_cast<std::int64_t>(
          std::nearbyint(static_cast<double>(r) / static_cast<double>(std::int64_t{1} << p)));
      xi = xi < lo ? lo : (xi > hi ? hi : xi);
      out[i] = xi;
      r -= xi * (std::int64_t{1} << p);
    }
  } else {
    const std::int64_t mask = (std::int64_t{1} << plan.slice_bits) - 1;
    out[0] = x_q >> plan.shifts[0];  // arithmetic shift: the signed top digit
    for (int i = 1; i < plan.n_slices; ++i) out[i] = (x_q >> plan.shifts[i]) & mask;
  }
}

/// Slices a matrix of integer activations (held exactly in float) into n_slices matrices of the
/// same shape, in one pass over the input. Each output is resized as needed.
void slice_matrix(const SlicePlan& plan, const MatrixF& x_q, std::vector<MatrixF>& slices);

}  // namespace cimba::numerics
