#pragma once
// FP32 selective scan of Mamba1 (NUMERICS.md 7), with exact or hardware-approximated exp/softplus.
#include <cstdint>
#include <vector>

namespace cimba::numerics {

enum class ExpImpl { Exact, Pwl, Lut };

/// How the SSM core evaluates exp and softplus.
///  - Exact: FP32 exp (exp_poly: Cephes polynomial, <= 2 ulp) and log1p(exp) softplus with
///           PyTorch's threshold 20.
///  - Pwl:   piecewise-linear interpolation between exact nodes; `exp_segments` equal segments
///           over [exp_min_input, 0] for exp and over [-softplus_limit, softplus_limit] for
///           softplus.
///  - Lut:   `lut_entries` equal cells over the same domains, each holding the function at the
///           cell centre (no interpolation).
/// Outside the domains: exp(x) = 0 for x < exp_min_input and 1 for x > 0 (the scan only evaluates
/// exp(delta * A) with delta >= 0, A < 0); softplus(x) = 0 below -softplus_limit and x above
/// +softplus_limit.
struct ScanConfig {
  ExpImpl exp_impl = ExpImpl::Exact;
  int exp_segments = 64;         // >= 1
  int lut_entries = 256;         // >= 2
  float exp_min_input = -16.0f;  // < 0
  float softplus_limit = 16.0f;  // > 0
};

/// exp and softplus as the SSM core computes them under a ScanConfig (tables built once).
class ScanFunctions {
 public:
  explicit ScanFunctions(const ScanConfig& config);
  float exp(float x) const;
  float softplus(float x) const;
  const ScanConfig& config() const { return config_; }

 private:
  struct Table {
    float lo = 0, hi = 0, inv_step = 0;
    std::vector<float> values;  // pwl: n+1 nodes; lut: n cell centres
  };
  float eval(const Table& table, float x) const;
  ScanConfig config_;
  Table exp_table_, softplus_table_;
};

/// Strided view of a [rows, length] tensor: element (r, t) at data[r * row_stride + t *
/// time_stride].
struct SeqView {
  const float* data = nullptr;
  std::int64_t row_stride = 0;
  std::int64_t time_stride = 0;
  float at(std::int64_t r, std::int64_t t) const { return data[r * row_stride + t * time_stride]; }
};

/// One sequence of the scan. d_inner D, d_state N, length L.
///   u, delta_raw, z: [D, L] views (z may have data == nullptr: no gate)
///   Bm, Cm:          [N, L] views
///   dt_bias [D] (nullptr: zero), A_log [D, N] row-major, Dv [D] (nullptr: zero)
/// Writes out [D, L] through `out` (same strides as `out_row_stride`, `out_time_stride`):
///   delta = softplus(delta_raw + dt_bias); A = -exp(A_log)
///   h_t = exp(delta_t * A) .* h_{t-1} + delta_t * Bm_t * u_t;  y_t = sum_n Cm_t[n] h_t[:, n] + Dv
///   .* u_t out = y .* silu(z)   (or y when z is absent)
/// `y_out` (optional, same layout as out) receives y before the gate.
/// Carried state (NUMERICS.md 7.1): `h0` [D, N] row-major is the initial state (nullptr: zeros)
/// and `h_final` [D, N] (optional) receives the state after the last token; h0 and h_final may be
/// the same buffer. Scanning [0, c) then [c, L) with the first call's h_final as the second
/// call's h0 performs the same FP32 operations in the same order as one scan of [0, L).
struct ScanSequence {
  std::int64_t d_inner = 0, d_state = 0, length = 0;
  SeqView u, delta_raw, z, Bm, Cm;
  const float* dt_bias = nullptr;
  const float* A_log = nullptr;
  const float* Dv = nullptr;
  float* out = nullptr;
  float* y_out = nullptr;
  std::int64_t out_row_stride = 0, out_time_stride = 0;
  const float* h0 = nullptr;
  float* h_final = nullptr;
};

/// Counts of the FP32 operations one scan performed (for the hardware ledger).
struct ScanOpCounts {
  std::int64_t exp = 0, softplus = 0, mul = 0, add = 0, silu = 0;
};

/// Runs the scan of one sequence. Throws InvalidArgument for bad sizes or missing tensors.
ScanOpCounts selective_scan(const ScanSequence& seq, const ScanFunctions& functions);

/// Convenience for the batched [B, D, L] / [B, N, L] layout of NUMERICS.md 7 and the golden
/// cases. z may be nullptr. out [B, D, L]. h0 (nullptr: zeros) and h_final (may be nullptr, may
/// alias h0) are [B, D, N].
void selective_scan_bdl(std::int64_t batch, std::int64_t d_inner, std::int64_t d_state,
                        std::int64_t length, const float* u, const float* delta_raw,
                        const float* dt_bias, const float* A_log, const float* Bm, const float* Cm,
                        const float* Dv, const float* z, float* out, const ScanConfig& config,
                        const float* h0 = nullptr, float* h_final = nullptr);

}  // namespace cimba::numerics
