// NUMERICS.md 7.1 and 7.2: token-chunked scans with carried state equal one whole scan, bit for
// bit, for every exp/softplus implementation and chunk size.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/error.hpp"
#include "models/numerics/rng.hpp"
#include "models/numerics/selective_scan.hpp"
#include "models/numerics/ssd_scan.hpp"

using namespace cimba::numerics;

namespace {
std::vector<float> randn(std::size_t n, std::uint64_t key, double sigma = 1.0, double mean = 0.0) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(mean + sigma * normal_at(key, i));
  return v;
}
std::vector<ScanConfig> every_impl() {
  ScanConfig exact, pwl, lut;
  pwl.exp_impl = ExpImpl::Pwl;
  pwl.exp_segments = 16;
  lut.exp_impl = ExpImpl::Lut;
  lut.lut_entries = 64;
  return {exact, pwl, lut};
}
}  // namespace

TEST(SelectiveScanState, ChunkedScansEqualTheWholeScanBitForBit) {
  const std::int64_t D = 6, N = 5, L = 23;
  const auto u = randn(D * L, 1), dr = randn(D * L, 2, 1.0, -1.0), z = randn(D * L, 3),
             b = randn(N * L, 4), c = randn(N * L, 5), alog = randn(D * N, 6, 0.5),
             dtb = randn(D, 7, 0.1), dv = randn(D, 8), h0 = randn(D * N, 9);
  for (const ScanConfig& cfg : every_impl()) {
    const ScanFunctions fn(cfg);
    auto run = [&](std::int64_t t0, std::int64_t t1, const float* hin, float* hout, float* out) {
      ScanSequence s;
      s.d_inner = D;
      s.d_state = N;
      s.length = t1 - t0;
      s.u = {u.data() + t0, L, 1};
      s.delta_raw = {dr.data() + t0, L, 1};
      s.z = {z.data() + t0, L, 1};
      s.Bm = {b.data() + t0, L, 1};
      s.Cm = {c.data() + t0, L, 1};
      s.dt_bias = dtb.data();
      s.A_log = alog.data();
      s.Dv = dv.data();
      s.out = out + t0;
      s.out_row_stride = L;
      s.out_time_stride = 1;
      s.h0 = hin;
      s.h_final = hout;
      selective_scan(s, fn);
    };
    for (const float* start : {static_cast<const float*>(nullptr), h0.data()}) {
      std::vector<float> whole(D * L), h_whole(D * N);
      run(0, L, start, h_whole.data(), whole.data());
      for (std::int64_t chunk : {1, 4, 5, 22, 23}) {  // 5 and 4 do not divide 23
        std::vector<float> out(D * L), h(D * N);
        for (std::int64_t t0 = 0; t0 < L; t0 += chunk)
          run(t0, std::min(L, t0 + chunk), t0 == 0 ? start : h.data(), h.data(), out.data());
        ASSERT_EQ(out, whole) << "chunk " << chunk << " impl " << int(cfg.exp_impl);
        ASSERT_EQ(h, h_whole) << "chunk " << chunk;
      }
      if (start) {
        // The initial state matters (a test that cannot fail would not show it).
        std::vector<float> zero_start(D * L);
        run(0, L, nullptr, nullptr, zero_start.data());
        EXPECT_NE(zero_start, whole);
      }
    }
  }
}

TEST(SsdScan, ChunkedScansEqualTheWholeScanBitForBit) {
  const std::int64_t H = 4, P = 3, N = 6, G = 2, L = 19;
  const auto x = randn(L * H * P, 11), dtr = randn(L * H, 12, 1.0, -1.0), b = randn(L * G * N, 13),
             c = randn(L * G * N, 14), alog = randn(H, 15, 0.5), dtb = randn(H, 16, 0.1),
             dv = randn(H, 17), h0 = randn(H * P * N, 18);
  for (const ScanConfig& cfg : every_impl()) {
    const ScanFunctions fn(cfg);
    auto run = [&](std::int64_t t0, std::int64_t t1, const float* hin, float* hout, float* y) {
      SsdSequence s;
      s.heads = H;
      s.head_dim = P;
      s.d_state = N;
      s.n_groups = G;
      s.length = t1 - t0;
      s.x = x.data() + t0 * H * P;
      s.dt_raw = dtr.data() + t0 * H;
      s.Bm = b.data() + t0 * G * N;
      s.Cm = c.data() + t0 * G * N;
      s.dt_bias = dtb.data();
      s.A_log = alog.data();
      s.Dv = dv.data();
      s.y = y + t0 * H * P;
      s.h0 = hin;
      s.h_final = hout;
      return ssd_scan(s, fn);
    };
    std::vector<float> whole(L * H * P), h_whole(H * P * N);
    const ScanOpCounts counts = run(0, L, h0.data(), h_whole.data(), whole.data());
    EXPECT_EQ(counts.exp, H * L);
    EXPECT_EQ(counts.softplus, H * L);
    for (std::int64_t chunk : {1, 4, 7, 18}) {
      std::vector<float> y(L * H * P), h(H * P * N);
      for (std::int64_t t0 = 0; t0 < L; t0 += chunk)
        run(t0, std::min(L, t0 + chunk), t0 == 0 ? h0.data() : h.data(), h.data(), y.data());
      ASSERT_EQ(y, whole) << "chunk " << chunk;
      ASSERT_EQ(h, h_whole) << "chunk " << chunk;
    }
  }
}

TEST(SsdScan, MatchesADoubleRecurrenceAndChecksItsInputs) {
  const std::int64_t H = 4, P = 2, N = 3, G = 2, L = 9;
  const auto x = randn(L * H * P, 21), dtr = randn(L * H, 22), b = randn(L * G * N, 23),
             c = randn(L * G * N, 24), alog = randn(H, 25, 0.5), dv = randn(H, 26);
  std::vector<float> y(L * H * P);
  ssd_scan_blhp(1, L, H, P, G, N, x.data(), dtr.data(), nullptr, alog.data(), b.data(), c.data(),
                dv.data(), y.data(), ScanConfig{});
  std::vector<double> S(H * P * N, 0.0);
  double err = 0.0, ref_sq = 0.0;
  for (std::int64_t t = 0; t < L; ++t)
    for (std::int64_t h = 0; h < H; ++h) {
      const std::int64_t g = h / (H / G);
      const double dt = std::log1p(std::exp(double(dtr[t * H + h])));
      const double dA = std::exp(-dt * std::exp(double(alog[h])));
      for (std::int64_t p = 0; p < P; ++p) {
        double yy = double(dv[h]) * x[(t * H + h) * P + p];
        for (std::int64_t n = 0; n < N; ++n) {
          double& s = S[(h * P + p) * N + n];
          s = dA * s + dt * x[(t * H + h) * P + p] * b[(t * G + g) * N + n];
          yy += s * c[(t * G + g) * N + n];
        }
        const double d = yy - y[(t * H + h) * P + p];
        err += d * d;
        ref_sq += yy * yy;
      }
    }
  EXPECT_LT(std::sqrt(err / ref_sq), 1e-6);
  EXPECT_THROW(ssd_scan_blhp(1, L, H, P, 3, N, x.data(), dtr.data(), nullptr, alog.data(), b.data(),
                             c.data(), dv.data(), y.data(), ScanConfig{}),
               cimba::InvalidArgument);
}
