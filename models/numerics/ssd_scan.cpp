#include "models/numerics/ssd_scan.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"

namespace cimba::numerics {

ScanOpCounts ssd_scan(const SsdSequence& s, const ScanFunctions& fn) {
  if (s.heads <= 0 || s.head_dim <= 0 || s.d_state <= 0 || s.length <= 0 || s.n_groups <= 0)
    throw InvalidArgument(
        "ssd_scan: heads, head_dim, d_state, n_groups and length must be positive");
  if (s.heads % s.n_groups != 0)
    throw InvalidArgument("ssd_scan: heads (" + std::to_string(s.heads) +
                          ") must be a multiple of n_groups (" + std::to_string(s.n_groups) + ")");
  if (!s.x || !s.dt_raw || !s.Bm || !s.Cm || !s.A_log || !s.y)
    throw InvalidArgument("ssd_scan: x, dt_raw, B, C, A_log and y are required");
  const std::int64_t H = s.heads, P = s.head_dim, N = s.d_state, L = s.length;
  const std::int64_t heads_per_group = H / s.n_groups;
  const std::int64_t x_stride = s.x_stride ? s.x_stride : H * P;
  const std::int64_t dt_stride = s.dt_stride ? s.dt_stride : H;
  const std::int64_t bc_stride = s.bc_stride ? s.bc_stride : s.n_groups * N;
  const std::int64_t y_stride = s.y_stride ? s.y_stride : H * P;
  std::vector<float> A(static_cast<std::size_t>(H));
  for (std::int64_t h = 0; h < H; ++h) A[h] = -std::exp(s.A_log[h]);
  std::vector<float> S(static_cast<std::size_t>(H * P * N), 0.0f);
  if (s.h0) std::copy(s.h0, s.h0 + H * P * N, S.begin());
  const bool exact = fn.config().exp_impl == ExpImpl::Exact;
  for (std::int64_t t = 0; t < L; ++t) {
    const float* xt = s.x + t * x_stride;
    const float* dtt = s.dt_raw + t * dt_stride;
    const float* bt = s.Bm + t * bc_stride;
    const float* ct = s.Cm + t * bc_stride;
    float* yt = s.y + t * y_stride;
    for (std::int64_t h = 0; h < H; ++h) {
      const std::int64_t g = h / heads_per_group;
      const float* b = bt + g * N;
      const float* c = ct + g * N;
      const float dt = fn.softplus(dtt[h] + (s.dt_bias ? s.dt_bias[h] : 0.0f));
      const float dA = exact ? exp_poly(dt * A[h]) : fn.exp(dt * A[h]);
      const float dv = s.Dv ? s.Dv[h] : 0.0f;
      for (std::int64_t p = 0; p < P; ++p) {
        const float x = xt[h * P + p];
        const float dt_x = dt * x;
        float* Sp = S.data() + (h * P + p) * N;
        for (std::int64_t n = 0; n < N; ++n) Sp[n] = dA * Sp[n] + dt_x * b[n];
        // The read-out sum stays in order so that results do not depend on the vector width.
        float y = 0.0f;
        for (std::int64_t n = 0; n < N; ++n) y += Sp[n] * c[n];
        yt[h * P + p] = y + dv * x;
      }
    }
  }
  if (s.h_final) std::copy(S.begin(), S.end(), s.h_final);
  ScanOpCounts c;
  const std::int64_t hl = H * L, hpl = H * P * L, hpnl = H * P * N * L;
  c.softplus = hl;
  c.exp = hl;  // one decay per (head, token): A is a scalar per head
  // per (h, p, n, t): dA*S, dt_x*B, S*C -> 3 mul, 2 add; per (h, p, t): dt*x, D*x -> 2 mul,
  // 1 add; per (h, t): dt*A -> 1 mul, dt_bias -> 1 add.
  c.mul = 3 * hpnl + 2 * hpl + hl;
  c.add = 2 * hpnl + hpl + hl;
  return c;
}

void ssd_scan_blhp(std::int64_t batch, std::int64_t length, std::int64_t heads,
                   std::int64_t head_dim, std::int64_t n_groups, std::int64_t d_state,
                   const float* x, const float* dt_raw, const float* dt_bias, const float* A_log,
                   const float* Bm, const float* Cm, const float* Dv, float* y,
                   const ScanConfig& config, const float* h0, float* h_final) {
  const ScanFunctions fn(config);
  const std::int64_t LHP = length * heads * head_dim, LH = length * heads,
                     LGN = length * n_groups * d_state, HPN = heads * head_dim * d_state;
  for (std::int64_t b = 0; b < batch; ++b) {
    SsdSequence s;
    s.heads = heads;
    s.head_dim = head_dim;
    s.d_state = d_state;
    s.n_groups = n_groups;
    s.length = length;
    s.x = x + b * LHP;
    s.dt_raw = dt_raw + b * LH;
    s.Bm = Bm + b * LGN;
    s.Cm = Cm + b * LGN;
    s.dt_bias = dt_bias;
    s.A_log = A_log;
    s.Dv = Dv;
    s.y = y + b * LHP;
    s.h0 = h0 ? h0 + b * HPN : nullptr;
    s.h_final = h_final ? h_final + b * HPN : nullptr;
    ssd_scan(s, fn);
  }
}

}  // namespace cimba::numerics
