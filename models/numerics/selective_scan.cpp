#include "models/numerics/selective_scan.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"

namespace cimba::numerics {

ScanFunctions::ScanFunctions(const ScanConfig& config) : config_(config) {
  if (config.exp_impl == ExpImpl::Exact) return;
  if (config.exp_segments < 1) throw InvalidArgument("ssm exp_segments must be >= 1");
  if (config.lut_entries < 2) throw InvalidArgument("ssm lut_entries must be >= 2");
  if (!(config.exp_min_input < 0.0f)) throw InvalidArgument("ssm exp_min_input must be < 0");
  if (!(config.softplus_limit > 0.0f)) throw InvalidArgument("ssm softplus_limit must be > 0");
  const bool pwl = config.exp_impl == ExpImpl::Pwl;
  const int n = pwl ? config.exp_segments : config.lut_entries;
  auto build = [&](Table& table, double lo, double hi, double (*f)(double)) {
    table.lo = static_cast<float>(lo);
    table.hi = static_cast<float>(hi);
    const double step = (hi - lo) / n;
    table.inv_step = static_cast<float>(1.0 / step);
    const int count = pwl ? n + 1 : n;
    table.values.resize(count);
    for (int i = 0; i < count; ++i) {
      const double x = lo + (pwl ? i : i + 0.5) * step;
      table.values[i] = static_cast<float>(f(x));
    }
  };
  build(exp_table_, config.exp_min_input, 0.0, [](double x) { return std::exp(x); });
  build(softplus_table_, -config.softplus_limit, config.softplus_limit,
        [](double x) { return std::log1p(std::exp(x)); });
}

float ScanFunctions::eval(const Table& table, float x) const {
  const float pos = (x - table.lo) * table.inv_step;
  const int last = static_cast<int>(table.values.size()) - 1;
  if (config_.exp_impl == ExpImpl::Pwl) {
    const int i = std::min(static_cast<int>(pos), last - 1);
    const float frac = pos - static_cast<float>(i);
    return table.values[i] + frac * (table.values[i + 1] - table.values[i]);
  }
  return table.values[std::min(static_cast<int>(pos), last)];
}

float ScanFunctions::exp(float x) const {
  if (config_.exp_impl == ExpImpl::Exact) return exp_poly(x);
  if (x < exp_table_.lo) return 0.0f;
  if (x >= 0.0f) return 1.0f;
  return eval(exp_table_, x);
}

float ScanFunctions::softplus(float x) const {
  if (config_.exp_impl == ExpImpl::Exact) return numerics::softplus(x);
  if (x < softplus_table_.lo) return 0.0f;
  if (x >= softplus_table_.hi) return x;
  return eval(softplus_table_, x);
}

ScanOpCounts selective_scan(const ScanSequence& s, const ScanFunctions& fn) {
  if (s.d_inner <= 0 || s.d_state <= 0 || s.length <= 0)
    throw InvalidArgument("selective_scan: d_inner, d_state and length must be positive");
  if (!s.u.data || !s.delta_raw.data || !s.Bm.data || !s.Cm.data || !s.A_log || !s.out)
    throw InvalidArgument("selective_scan: u, delta_raw, B, C, A_log and out are required");
  const std::int64_t D = s.d_inner, N = s.d_state, L = s.length;
  std::vector<float> A(static_cast<std::size_t>(D * N));
  for (std::int64_t i = 0; i < D * N; ++i) A[i] = -std::exp(s.A_log[i]);
  std::vector<float> h(static_cast<std::size_t>(D * N), 0.0f);
  if (s.h0) std::copy(s.h0, s.h0 + D * N, h.begin());
  std::vector<float> b_t(N), c_t(N);
  const bool exact = fn.config().exp_impl == ExpImpl::Exact;
  for (std::int64_t t = 0; t < L; ++t) {
    for (std::int64_t n = 0; n < N; ++n) {
      b_t[n] = s.Bm.at(n, t);
      c_t[n] = s.Cm.at(n, t);
    }
    for (std::int64_t d = 0; d < D; ++d) {
      const float u = s.u.at(d, t);
      const float delta = fn.softplus(s.delta_raw.at(d, t) + (s.dt_bias ? s.dt_bias[d] : 0.0f));
      const float delta_u = delta * u;
      float* hd = h.data() + d * N;
      const float* Ad = A.data() + d * N;
      // The state update (vectorised on the exact path) apart from the sum, which stays in
      // order so that results do not depend on the vector width.
      if (exact) {
        for (std::int64_t n = 0; n < N; ++n)
          hd[n] = exp_poly(delta * Ad[n]) * hd[n] + delta_u * b_t[n];
      } else {
        for (std::int64_t n = 0; n < N; ++n)
          hd[n] = fn.exp(delta * Ad[n]) * hd[n] + delta_u * b_t[n];
      }
      float y = 0.0f;
      for (std::int64_t n = 0; n < N; ++n) y += hd[n] * c_t[n];
      y += u * (s.Dv ? s.Dv[d] : 0.0f);
      const std::int64_t o = d * s.out_row_stride + t * s.out_time_stride;
      if (s.y_out) s.y_out[o] = y;
      s.out[o] = s.z.data ? y * silu(s.z.at(d, t)) : y;
    }
  }
  if (s.h_final) std::copy(h.begin(), h.end(), s.h_final);
  ScanOpCounts c;
  const std::int64_t dl = D * L, dnl = D * N * L;
  c.softplus = dl;
  c.exp = dnl;
  // per (d, n, t): delta*A, exp*h, delta_u*B, C*h  -> 4 mul, 2 add; per (d, t): delta*u, D*u,
  // y*silu(z) -> 3 mul; dt_bias add and D*u add -> 2 add.
  c.mul = 4 * dnl + 3 * dl;
  c.add = 2 * dnl + 2 * dl;
  c.silu = s.z.data ? dl : 0;
  return c;
}

void selective_scan_bdl(std::int64_t batch, std::int64_t d_inner, std::int64_t d_state,
                        std::int64_t length, const float* u, const float* delta_raw,
                        const float* dt_bias, const float* A_log, const float* Bm, const float* Cm,
                        const float* Dv, const float* z, float* out, const ScanConfig& config,
                        const float* h0, float* h_final) {
  const ScanFunctions fn(config);
  const std::int64_t DL = d_inner * length, NL = d_state * length, DN = d_inner * d_state;
  for (std::int64_t b = 0; b < batch; ++b) {
    ScanSequence s;
    s.d_inner = d_inner;
    s.d_state = d_state;
    s.length = length;
    s.u = {u + b * DL, length, 1};
    s.delta_raw = {delta_raw + b * DL, length, 1};
    s.z = {z ? z + b * DL : nullptr, length, 1};
    s.Bm = {Bm + b * NL, length, 1};
    s.Cm = {Cm + b * NL, length, 1};
    s.dt_bias = dt_bias;
    s.A_log = A_log;
    s.Dv = Dv;
    s.out = out + b * DL;
    s.out_row_stride = length;
    s.out_time_stride = 1;
    s.h0 = h0 ? h0 + b * DN : nullptr;
    s.h_final = h_final ? h_final + b * DN : nullptr;
    selective_scan(s, fn);
  }
}

}  // namespace cimba::numerics
