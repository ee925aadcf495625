#include "workloads/io/golden_numerics.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/group_scales.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/quantize.hpp"
#include "models/numerics/selective_scan.hpp"
#include "models/numerics/slicing.hpp"
#include "models/numerics/ssd_scan.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {
namespace nm = cimba::numerics;
using json = nlohmann::json;

namespace {

// Tolerances of shared/data/golden-numerics/README.md.
constexpr double kIntExactFraction = 0.999;  // integer outputs: >= 99.9% exact, the rest +-1
constexpr double kFloatRel = 1e-5;
constexpr double kBitserialRel = 1e-4;  // sums pass through float32 outputs
constexpr double kScaleRel = 1e-6;      // ranges and scales
// SQNR is derived from Y, which may differ by kBitserialRel; 0.05 dB covers that at the
// 10-45 dB SQNRs of the cases (d SQNR ~ 8.7 x relative change of the error norm).
constexpr double kSqnrAbsDb = 0.05;

class Case {
 public:
  Case(const std::filesystem::path& file, std::string name)
      : file_(SafetensorsFile::read(file)), name_(std::move(name)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(file_.path().string() + ": malformed golden case: " + what);
  }
  json param(const std::string& key) const {
    auto it = file_.metadata().find(key);
    if (it == file_.metadata().end()) fail("missing parameter '" + key + "' in __metadata__");
    try {
      return json::parse(it->second);
    } catch (const json::parse_error&) {
      fail("parameter '" + key + "' is not JSON: " + it->second);
    }
  }
  bool has_param(const std::string& key) const { return file_.metadata().count(key) != 0; }
  double num(const std::string& key) const {
    const json v = param(key);
    if (!v.is_number()) fail("parameter '" + key + "' is not a number");
    return v.get<double>();
  }
  int integer(const std::string& key) const {
    const json v = param(key);
    if (!v.is_number_integer()) fail("parameter '" + key + "' is not an integer");
    return v.get<int>();
  }
  std::string str(const std::string& key) const {
    const json v = param(key);
    if (!v.is_string()) fail("parameter '" + key + "' is not a string");
    return v.get<std::string>();
  }
  const Tensor& tensor(const std::string& name) const {
    if (!file_.contains(name)) fail("missing tensor '" + name + "'");
    return file_.at(name);
  }
  std::vector<float> f32(const std::string& name, std::int64_t numel = -1) const {
    const Tensor& t = tensor(name);
    if (numel >= 0 && t.numel() != numel)
      fail("tensor '" + name + "' has " + std::to_string(t.numel()) + " elements, expected " +
           std::to_string(numel));
    return t.to_f32();
  }
  std::vector<std::int64_t> dims(const std::string& name, std::size_t rank) const {
    const Tensor& t = tensor(name);
    if (t.shape.size() != rank)
      fail("tensor '" + name + "' has rank " + std::to_string(t.shape.size()) + ", expected " +
           std::to_string(rank));
    return t.shape;
  }

  GoldenCaseResult result;

  // Float tensor: relative L2 error.
  void check_rel(const std::string& what, const std::vector<float>& expected, const float* got,
                 double tol) {
    result.checks.push_back(
        {what + " rel L2",
         nm::compare(expected.data(), got, std::int64_t(expected.size())).rel_l2_error, tol});
  }
  // Integer tensor: at least 99.9% exact and no element off by more than one step. The error is
  // the mismatch fraction (tolerance 0.1%); an element off by more than one fails outright.
  void check_int(const std::string& what, const std::vector<float>& expected,
                 const std::vector<double>& got) {
    std::int64_t mismatches = 0;
    double worst = 0.0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const double d = std::fabs(double(expected[i]) - got[i]);
      mismatches += d != 0.0;
      worst = std::max(worst, d);
    }
    const double fraction = expected.empty() ? 0.0 : double(mismatches) / double(expected.size());
    result.checks.push_back(
        {what + " mismatch fraction", worst > 1.0 ? 1.0 : fraction, 1.0 - kIntExactFraction});
  }
  void check_scalar_rel(const std::string& what, double expected, double got, double tol) {
    const double err =
        expected == 0.0 ? std::fabs(got) : std::fabs(got - expected) / std::fabs(expected);
    result.checks.push_back({what + " rel", err, tol});
  }
  // A count over `population` integer decisions: may differ by the 0.1% the README allows.
  void check_count(const std::string& what, double expected, double got, double population) {
    result.checks.push_back({what + " count diff", std::fabs(got - expected),
                             std::floor((1.0 - kIntExactFraction) * population)});
  }

  const SafetensorsFile& file() const { return file_; }

 private:
  SafetensorsFile file_;
  std::string name_;
};

void run_quantize(Case& c) {
  const int bits = c.integer("bits");
  const double range = c.num("range");
  const std::vector<float> x = c.f32("x");
  const auto n = std::int64_t(x.size());
  const std::vector<float> q_exp = c.f32("q", n), xhat_exp = c.f32("x_hat", n);
  const double scale = nm::scale_for_range(range, bits);
  c.check_scalar_rel("scale", c.num("scale"), scale, kScaleRel);
  std::vector<float> q(n), xhat(n);
  nm::quantize(x.data(), n, nm::Quantizer::from_range(range, bits), q.data(), xhat.data());
  c.check_int("q", q_exp, {q.begin(), q.end()});
  c.check_rel("x_hat", xhat_exp, xhat.data(), kFloatRel);
}

void run_slice(Case& c) {
  const nm::SlicePlan plan =
      nm::plan_slices(c.integer("a_bits"), c.integer("slice_bits"), c.integer("overlap_bits"));
  const json shifts = c.param("shifts");
  if (!shifts.is_array()) c.fail("parameter 'shifts' is not an array");
  std::vector<int> expected_shifts = shifts.get<std::vector<int>>();
  c.result.checks.push_back({"shifts differ", expected_shifts == plan.shifts ? 0.0 : 1.0, 0.0});
  const std::vector<std::int64_t> xq = c.tensor("x_q").to_i64();
  const auto n = std::int64_t(xq.size());
  std::vector<std::vector<double>> got(plan.n_slices, std::vector<double>(n));
  std::int64_t digits[32];
  for (std::int64_t e = 0; e < n; ++e) {
    nm::slice_value(plan, xq[e], digits);
    for (int i = 0; i < plan.n_slices; ++i) got[i][e] = double(digits[i]);
  }
  for (int i = 0; i < plan.n_slices; ++i) {
    const std::string name = "slice_" + std::to_string(i);
    c.check_int(name, c.f32(name, n), got[i]);
  }
  if (c.file().contains("slice_" + std::to_string(plan.n_slices)))
    c.fail("holds more slices than the plan's " + std::to_string(plan.n_slices));
}

void run_bitserial(Case& c) {
  const auto xs = c.dims("X", 2), ws = c.dims("W", 2);
  const std::int64_t N = xs[0], K = xs[1], M = ws[0];
  if (ws[1] != K) c.fail("X and W widths differ");
  nm::MatrixF X = nm::ConstMapF(c.f32("X").data(), N, K);
  nm::MatrixF W = nm::ConstMapF(c.f32("W").data(), M, K);
  std::vector<float> bias = c.file().contains("bias") ? c.f32("bias", M) : std::vector<float>();
  nm::BitSerialConfig cfg;
  cfg.w_bits = c.integer("w_bits");
  cfg.a_bits = c.integer("a_bits");
  cfg.slice_bits = c.integer("slice_bits");
  cfg.overlap_bits = c.integer("overlap_bits");
  cfg.adc.bits = c.integer("adc_bits");
  cfg.rows_per_adc = c.has_param("rows_per_adc") ? c.integer("rows_per_adc") : 0;
  if (c.has_param("input_encoding")) {
    const std::string e = c.str("input_encoding");
    if (e == "twos_complement")
      cfg.input_encoding = nm::InputEncoding::TwosComplement;
    else if (e == "sign_magnitude")
      cfg.input_encoding = nm::InputEncoding::SignMagnitude;
    else
      c.fail("unknown input_encoding '" + e + "' (known: twos_complement, sign_magnitude)");
  }
  cfg.weight_slice_bits = c.has_param("weight_slice_bits") ? c.integer("weight_slice_bits") : 0;
  if (c.has_param("weight_encoding")) {
    const std::string e = c.str("weight_encoding");
    if (e == "twos_complement")
      cfg.weight_encoding = nm::WeightEncoding::TwosComplement;
    else if (e == "offset")
      cfg.weight_encoding = nm::WeightEncoding::Offset;
    else if (e == "differential")
      cfg.weight_encoding = nm::WeightEncoding::Differential;
    else
      c.fail("unknown weight_encoding '" + e + "' (known: twos_complement, offset, differential)");
  }
  const std::string range = c.str("adc_range");
  if (range == "dynamic") {
    cfg.adc.range = nm::AdcRange::Dynamic;
  } else if (range == "static") {
    cfg.adc.range = nm::AdcRange::Static;
    cfg.range_x = c.num("range_x");
    const json fs = c.param("acc_full_scale");
    if (!fs.is_array() || fs.empty() || !fs[0].is_array())
      c.fail("parameter 'acc_full_scale' is not an array of arrays");
    if (fs[0].empty() || !fs[0][0].is_array()) {
      // [slice][tile]: unsliced weights.
      cfg.acc_full_scale = fs.get<std::vector<std::vector<double>>>();
    } else {
      // [slice][column][tile]: flattened to [slice][column * n_tiles + tile].
      for (const json& slice : fs) {
        std::vector<double> row;
        std::size_t tiles = 0;
        for (const json& column : slice) {
          const auto v = column.get<std::vector<double>>();
          if (tiles != 0 && v.size() != tiles)
            c.fail("parameter 'acc_full_scale' has columns of different lengths");
          tiles = v.size();
          row.insert(row.end(), v.begin(), v.end());
        }
        cfg.acc_full_scale.push_back(std::move(row));
      }
    }
  } else if (range == "bypass" || range == "ideal") {
    cfg.adc.range = nm::AdcRange::Bypass;
  } else {
    c.fail("unknown adc_range '" + range + "'");
  }
  nm::BitSerialStats st;
  const nm::MatrixF Y = nm::bitserial_linear(X, W, bias.empty() ? nullptr : bias.data(), cfg, &st);
  const std::vector<float> y_exp = c.f32("Y", N * M), yfp_exp = c.f32("Y_fp32", N * M);
  c.check_rel("Y", y_exp, Y.data(), kBitserialRel);
  // The FP32 reference X W^T + b, in double.
  nm::MatrixF ref = (X.cast<double>() * W.cast<double>().transpose()).cast<float>();
  if (!bias.empty()) ref.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), M);
  c.check_rel("Y_fp32", yfp_exp, ref.data(), kFloatRel);
  c.check_count("conversions", c.num("conversions"), double(st.conversions), 0.0);
  c.check_count("saturated", c.num("saturated"), double(st.saturated), double(st.conversions));
  const double sqnr = nm::compare(yfp_exp.data(), Y.data(), N * M).sqnr_db;
  c.result.checks.push_back({"sqnr_db abs diff", std::fabs(sqnr - c.num("sqnr_db")), kSqnrAbsDb});
}

void run_dual_scale(Case& c) {
  const std::vector<float> x = c.f32("x");
  const auto n = std::int64_t(x.size());
  nm::DualScaleConfig cfg;
  cfg.value_bits = c.integer("value_bits");
  cfg.inlier_pct = c.num("inlier_pct");
  const nm::DualScaleParams p = nm::calibrate_dual_scale(x.data(), n, cfg);
  c.check_scalar_rel("scale1", c.num("scale1"), p.scale1, kScaleRel);
  c.check_scalar_rel("scale2", c.num("scale2"), p.scale2, kScaleRel);
  c.check_scalar_rel("k", c.num("k"), p.k, 0.0);
  std::vector<std::int8_t> q(n);
  std::vector<std::uint8_t> flag(n);
  const nm::DualScaleStats st = nm::dual_scale_encode(x.data(), n, p, q.data(), flag.data());
  std::vector<float> xhat(n);
  for (std::int64_t i = 0; i < n; ++i) xhat[i] = nm::dual_scale_decode_one(q[i], flag[i], p);
  c.check_int("q", c.f32("q", n), {q.begin(), q.end()});
  c.check_int("flag", c.f32("flag", n), {flag.begin(), flag.end()});
  c.check_rel("x_hat", c.f32("x_hat", n), xhat.data(), kFloatRel);
  c.check_count("outliers", c.num("outlier_fraction") * double(n), double(st.outliers), double(n));
}

void run_group_lookup(Case& c) {
  const auto hs = c.dims("head_group_end", 2), ds = c.dims("dim_group_end", 3);
  const int G = int(hs[0]), HG = int(hs[1]), DG = int(ds[2]);
  if (ds[0] != G || ds[1] != HG) c.fail("dim_group_end shape does not match head_group_end");
  const std::vector<std::int64_t> he64 = c.tensor("head_group_end").to_i64(),
                                  de64 = c.tensor("dim_group_end").to_i64(),
                                  queries = c.tensor("queries").to_i64();
  const std::vector<float> scales = c.f32("scales", std::int64_t(G) * HG * DG);
  const std::vector<std::int32_t> he(he64.begin(), he64.end()), de(de64.begin(), de64.end());
  const auto qs = c.dims("queries", 2);
  if (qs[1] != 3) c.fail("queries must be [n, 3]");
  const std::int64_t n = qs[0];
  std::vector<float> scale(n);
  std::vector<double> hg(n), dg(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const nm::GroupLookup r =
        nm::group_lookup(he.data(), de.data(), scales.data(), G, HG, DG, int(queries[3 * i]),
                         int(queries[3 * i + 1]), int(queries[3 * i + 2]));
    scale[i] = r.scale;
    hg[i] = r.head_group;
    dg[i] = r.dim_group;
  }
  c.check_int("head_group", c.f32("head_group", n), hg);
  c.check_int("dim_group", c.f32("dim_group", n), dg);
  c.check_rel("scale", c.f32("scale", n), scale.data(), kFloatRel);
}

void run_observers(Case& c) {
  std::vector<std::vector<float>> batches;
  for (int i = 0; c.file().contains("batch_" + std::to_string(i)); ++i)
    batches.push_back(c.f32("batch_" + std::to_string(i)));
  if (batches.empty()) c.fail("no batch_0 tensor");
  nm::ObserverConfig abs_cfg;
  nm::Observer absmax(abs_cfg);
  nm::ObserverConfig ema_cfg;
  ema_cfg.kind = nm::ObserverKind::PercentileEma;
  ema_cfg.percentile_alpha = c.num("percentile_ema_alpha");
  ema_cfg.ema_sigma = c.num("percentile_ema_sigma");
  nm::Observer ema(ema_cfg);
  for (const auto& b : batches) {
    absmax.observe(b.data(), std::int64_t(b.size()));
    ema.observe(b.data(), std::int64_t(b.size()));
  }
  c.check_scalar_rel("absmax", c.num("absmax"), absmax.range(), kScaleRel);
  c.check_scalar_rel("percentile_ema_range", c.num("percentile_ema_range"), ema.range(), kScaleRel);
  const double mse =
      nm::mse_range(batches[0].data(), std::int64_t(batches[0].size()), c.integer("mse_bits"));
  c.check_scalar_rel("mse_range_batch0", c.num("mse_range_batch0"), mse, kScaleRel);
}

void run_selective_scan(Case& c) {
  const auto us = c.dims("u", 3), as = c.dims("A_log", 2);
  const std::int64_t B = us[0], D = us[1], L = us[2], N = as[1];
  if (as[0] != D) c.fail("A_log rows differ from u channels");
  const std::int64_t DL = B * D * L, NL = B * N * L;
  const auto u = c.f32("u", DL), dr = c.f32("delta_raw", DL), dtb = c.f32("dt_bias", D),
             alog = c.f32("A_log", D * N), bm = c.f32("B", NL), cm = c.f32("C", NL),
             dv = c.f32("D", D), z = c.f32("z", DL), expected = c.f32("out", DL);
  const bool has_h0 = c.file().contains("h0");
  const std::vector<float> h0 = has_h0 ? c.f32("h0", B * D * N) : std::vector<float>();
  const float* h0p = has_h0 ? h0.data() : nullptr;
  const bool has_final = c.file().contains("h_final");
  std::vector<float> out(DL), h_final(B * D * N);
  nm::selective_scan_bdl(B, D, N, L, u.data(), dr.data(), dtb.data(), alog.data(), bm.data(),
                         cm.data(), dv.data(), z.data(), out.data(), nm::ScanConfig{}, h0p,
                         h_final.data());
  const double tol = c.has_param("tolerance_rel") ? c.num("tolerance_rel") : kFloatRel;
  c.check_rel("out", expected, out.data(), tol);
  std::vector<float> expected_final;
  if (has_final) {
    expected_final = c.f32("h_final", B * D * N);
    c.check_rel("h_final", expected_final, h_final.data(), tol);
  }
  if (!c.has_param("chunk_split")) return;
  // Tokens [0, split) then [split, L) carrying the state (NUMERICS.md 7.1): the same FP32
  // operations as the whole scan, so the outputs must be identical, and both match the case.
  const int split = c.integer("chunk_split");
  if (split <= 0 || split >= L)
    c.fail("parameter 'chunk_split' must be in 1..L-1 (" + std::to_string(L - 1) + "), got " +
           std::to_string(split));
  auto take = [&](const std::vector<float>& v, std::int64_t rows, std::int64_t t0,
                  std::int64_t t1) {
    std::vector<float> o;
    o.reserve(static_cast<std::size_t>(rows * (t1 - t0)));
    for (std::int64_t r = 0; r < rows; ++r)
      o.insert(o.end(), v.begin() + r * L + t0, v.begin() + r * L + t1);
    return o;
  };
  std::vector<float> chunked(DL), state(B * D * N);
  for (const auto& [t0, t1] : {std::pair<std::int64_t, std::int64_t>{0, split}, {split, L}}) {
    const std::int64_t n = t1 - t0;
    const auto cu = take(u, B * D, t0, t1), cd = take(dr, B * D, t0, t1),
               cz = take(z, B * D, t0, t1), cb = take(bm, B * N, t0, t1),
               cc = take(cm, B * N, t0, t1);
    std::vector<float> co(static_cast<std::size_t>(B * D * n));
    nm::selective_scan_bdl(B, D, N, n, cu.data(), cd.data(), dtb.data(), alog.data(), cb.data(),
                           cc.data(), dv.data(), cz.data(), co.data(), nm::ScanConfig{},
                           t0 == 0 ? h0p : state.data(), state.data());
    for (std::int64_t r = 0; r < B * D; ++r)
      std::copy(co.begin() + r * n, co.begin() + (r + 1) * n, chunked.begin() + r * L + t0);
  }
  c.check_rel("out (chunked at " + std::to_string(split) + ")", expected, chunked.data(), tol);
  if (has_final) c.check_rel("h_final (chunked)", expected_final, state.data(), tol);
  c.result.checks.push_back({"chunked != whole (elements)",
                             double(!std::equal(out.begin(), out.end(), chunked.begin()) ||
                                    !std::equal(h_final.begin(), h_final.end(), state.begin())),
                             0.0});
}

void run_ssd_scan(Case& c) {
  const auto xs = c.dims("x", 4), bs = c.dims("B", 4);
  const std::int64_t B = xs[0], L = xs[1], H = xs[2], P = xs[3], G = bs[2], N = bs[3];
  if (bs[0] != B || bs[1] != L) c.fail("B must be [B, L, G, N] with the batch and length of x");
  if (c.has_param("n_groups") && c.integer("n_groups") != G)
    c.fail("parameter 'n_groups' differs from the group axis of B");
  if (G <= 0 || H % G != 0) c.fail("heads must be a multiple of n_groups");
  const std::int64_t LHP = B * L * H * P, LH = B * L * H, LGN = B * L * G * N, HPN = B * H * P * N;
  const auto x = c.f32("x", LHP), dtr = c.f32("dt_raw", LH), dtb = c.f32("dt_bias", H),
             alog = c.f32("A_log", H), bm = c.f32("B", LGN), cm = c.f32("C", LGN),
             dv = c.f32("D", H), expected = c.f32("y", LHP),
             expected_final = c.f32("state_final", HPN);
  const bool has_h0 = c.file().contains("h0");
  const std::vector<float> h0 = has_h0 ? c.f32("h0", HPN) : std::vector<float>();
  const float* h0p = has_h0 ? h0.data() : nullptr;
  const double tol = c.has_param("tolerance_rel") ? c.num("tolerance_rel") : kFloatRel;
  std::vector<float> y(LHP), state(HPN);
  nm::ssd_scan_blhp(B, L, H, P, G, N, x.data(), dtr.data(), dtb.data(), alog.data(), bm.data(),
                    cm.data(), dv.data(), y.data(), nm::ScanConfig{}, h0p, state.data());
  c.check_rel("y", expected, y.data(), tol);
  c.check_rel("state_final", expected_final, state.data(), tol);
  if (!c.has_param("chunk_split")) return;
  const int split = c.integer("chunk_split");
  if (split <= 0 || split >= L)
    c.fail("parameter 'chunk_split' must be in 1..L-1 (" + std::to_string(L - 1) + "), got " +
           std::to_string(split));
  // Time is the outer axis within a sequence: a chunk is a strided view of each sequence.
  std::vector<float> chunked(LHP), carried(HPN);
  const nm::ScanFunctions fn{nm::ScanConfig{}};
  for (std::int64_t b = 0; b < B; ++b)
    for (const auto& [t0, t1] : {std::pair<std::int64_t, std::int64_t>{0, split}, {split, L}}) {
      nm::SsdSequence s;
      s.heads = H;
      s.head_dim = P;
      s.d_state = N;
      s.n_groups = G;
      s.length = t1 - t0;
      s.x = x.data() + (b * L + t0) * H * P;
      s.dt_raw = dtr.data() + (b * L + t0) * H;
      s.Bm = bm.data() + (b * L + t0) * G * N;
      s.Cm = cm.data() + (b * L + t0) * G * N;
      s.dt_bias = dtb.data();
      s.A_log = alog.data();
      s.Dv = dv.data();
      s.y = chunked.data() + (b * L + t0) * H * P;
      s.h0 = t0 == 0 ? (h0p ? h0p + b * H * P * N : nullptr) : carried.data() + b * H * P * N;
      s.h_final = carried.data() + b * H * P * N;
      nm::ssd_scan(s, fn);
    }
  c.check_rel("y (chunked at " + std::to_string(split) + ")", expected, chunked.data(), tol);
  c.check_rel("state_final (chunked)", expected_final, carried.data(), tol);
  c.result.checks.push_back({"chunked != whole (elements)",
                             double(!std::equal(y.begin(), y.end(), chunked.begin()) ||
                                    !std::equal(state.begin(), state.end(), carried.begin())),
                             0.0});
}

}  // namespace

bool GoldenCaseResult::pass() const {
  return !checks.empty() &&
         std::all_of(checks.begin(), checks.end(), [](const GoldenCheck& k) { return k.pass(); });
}

const GoldenCheck& GoldenCaseResult::worst() const {
  static const GoldenCheck kNone{"no checks", 1.0, 0.0};
  if (checks.empty()) return kNone;
  auto ratio = [](const GoldenCheck& k) {
    if (k.tolerance > 0.0) return k.error / k.tolerance;
    return k.error > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
  };
  return *std::max_element(
      checks.begin(), checks.end(),
      [&](const GoldenCheck& a, const GoldenCheck& b) { return ratio(a) < ratio(b); });
}

GoldenCaseResult run_golden_case(const std::filesystem::path& file, const std::string& name) {
  Case c(file, name);
  c.result.name = name;
  c.result.kind = c.str("kind");
  const std::string& kind = c.result.kind;
  try {
    if (kind == "quantize")
      run_quantize(c);
    else if (kind == "slice")
      run_slice(c);
    else if (kind == "bitserial_linear")
      run_bitserial(c);
    else if (kind == "dual_scale")
      run_dual_scale(c);
    else if (kind == "group_lookup")
      run_group_lookup(c);
    else if (kind == "observers")
      run_observers(c);
    else if (kind == "selective_scan")
      run_selective_scan(c);
    else if (kind == "ssd_scan")
      run_ssd_scan(c);
    else
      c.fail("unknown kind '" + kind +
             "' (known: quantize, slice, bitserial_linear, dual_scale, "
             "group_lookup, observers, selective_scan, ssd_scan)");
  } catch (const InvalidArgument& e) {
    // Parameters the numerics reject (bits out of range...) make the case malformed.
    c.fail(e.what());
  } catch (const json::exception& e) {
    c.fail(std::string("parameter of the wrong type: ") + e.what());
  }
  return c.result;
}

std::vector<GoldenCaseResult> run_golden_dir(const std::filesystem::path& dir) {
  const std::filesystem::path index = dir / "INDEX.json";
  std::error_code error;
  std::ifstream in(index);
  if (!in || std::filesystem::is_directory(index, error))
    throw IoError(index.string() + ": cannot open (is " + dir.string() +
                  " a golden-case directory?)");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {  // parse_error, out_of_range (a number such as 1e999)
    throw FormatError(index.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("cases") || !j["cases"].is_array())
    throw FormatError(index.string() + ": expected an object with a \"cases\" array");
  std::vector<GoldenCaseResult> results;
  for (const auto& name : j["cases"]) {
    if (!name.is_string())
      throw FormatError(index.string() + ": every entry of \"cases\" must be a string");
    const std::string n = name.get<std::string>();
    results.push_back(run_golden_case(dir / (n + ".safetensors"), n));
  }
  return results;
}

}  // namespace cimba::workloads
