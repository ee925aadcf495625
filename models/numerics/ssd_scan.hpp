#pragma once
// FP32 SSD scan of Mamba2 (NUMERICS.md 7.2): per-head scalar decay, SSD groups sharing B and C,
// carried state, and the same exact / pwl / lut exp and softplus as the Mamba1 scan.
#include <cstdint>

#include "models/numerics/selective_scan.hpp"

namespace cimba::numerics {

/// One sequence of the SSD scan: H heads of head_dim P, d_state N, G SSD groups (H % G == 0;
/// head h reads group g = h / (H / G)), length L. Row-major, time outermost:
///   x [L, H, P], dt_raw [L, H], Bm / Cm [L, G, N] (row strides in elements: x_stride,
///   dt_stride, bc_stride between tokens; the inner layout is contiguous),
///   dt_bias [H] (nullptr: zero), A_log [H], Dv [H] (nullptr: zero),
///   y [L, H, P] written with row stride y_stride,
///   h0 [H, P, N] (nullptr: zeros), h_final [H, P, N] (optional; may alias h0).
///   dt = softplus(dt_raw + dt_bias); A = -exp(A_log)
///   S_t = exp(dt_t A) S_{t-1} + (dt_t x_t) (outer) Bm_t[g];  y_t = S_t Cm_t[g] + Dv x_t
/// The gate and norm of Mamba2 follow the scan and are not part of it.
struct SsdSequence {
  std::int64_t heads = 0, head_dim = 0, d_state = 0, n_groups = 1, length = 0;
  const float* x = nullptr;
  const float* dt_raw = nullptr;
  const float* Bm = nullptr;
  const float* Cm = nullptr;
  std::int64_t x_stride = 0, dt_stride = 0, bc_stride = 0;
  const float* dt_bias = nullptr;
  const float* A_log = nullptr;
  const float* Dv = nullptr;
  float* y = nullptr;
  std::int64_t y_stride = 0;
  const float* h0 = nullptr;
  float* h_final = nullptr;
};

/// Runs the SSD scan of one sequence; returns its FP32 operation counts. Scanning [0, c) then
/// [c, L) with the carried state performs the same operations in the same order as one scan.
/// Throws InvalidArgument for bad sizes or missing tensors.
ScanOpCounts ssd_scan(const SsdSequence& seq, const ScanFunctions& functions);

/// Batched convenience for the layout of NUMERICS.md 7.2 and the golden cases:
/// x [B, L, H, P], dt_raw [B, L, H], Bm / Cm [B, L, G, N], y [B, L, H, P], h0 / h_final
/// [B, H, P, N] (h0 nullptr: zeros; h_final may be nullptr).
void ssd_scan_blhp(std::int64_t batch, std::int64_t length, std::int64_t heads,
                   std::int64_t head_dim, std::int64_t n_groups, std::int64_t d_state,
                   const float* x, const float* dt_raw, const float* dt_bias, const float* A_log,
                   const float* Bm, const float* Cm, const float* Dv, float* y,
                   const ScanConfig& config, const float* h0 = nullptr, float* h_final = nullptr);

}  // namespace cimba::numerics
