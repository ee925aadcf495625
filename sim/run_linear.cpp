// `cimba run` with workload.kind: linear: one linear layer from a safetensors file through the
// bit-serial CIM numerics, against its FP32 product.
#include "sim/run_linear.hpp"

#include <cmath>
#include <sstream>

#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/rng.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"
#include "sim/numerics_config.hpp"
#include "sim/result_format.hpp"
#include "sim/version.hpp"
#include "workloads/builtin_data.hpp"
#include "workloads/safetensors.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

// A tensor of rank >= 2 as [rows, last dim]; rank-1 only when `allow_vector`.
nm::MatrixF load_matrix(const wl::SafetensorsFile& file, const std::string& name,
                        const std::string& key) {
  if (!file.contains(name))
    throw FormatError(file.path().string() + ": no tensor named '" + name + "' (set by " + key +
                      "; the file has: " +
                      [&] {
                        std::string s;
                        for (const auto& n : file.names()) s += (s.empty() ? "" : ", ") + n;
                        return s;
                      }() +
                      ")");
  const wl::Tensor& t = file.at(name);
  if (t.shape.size() < 2)
    throw FormatError(file.path().string() + ": tensor '" + name + "' has shape " +
                      wl::shape_string(t.shape) + "; " + key + " needs a matrix [rows, features]");
  const std::int64_t cols = t.shape.back();
  const std::int64_t rows = cols ? t.numel() / cols : 0;
  const std::vector<float> v = t.to_f32();
  return nm::ConstMapF(v.data(), rows, cols);
}

// Observer ranges over row batches of X (batch_rows 0: one batch).
template <typename Fn>
void for_each_batch(const nm::MatrixF& X, int batch_rows, Fn fn) {
  const std::int64_t step = batch_rows > 0 ? batch_rows : X.rows();
  for (std::int64_t r = 0; r < X.rows(); r += step) {
    const nm::MatrixF batch = X.middleRows(r, std::min(step, X.rows() - r));
    fn(batch);
  }
}

}  // namespace

RunOutput run_linear(const RunConfig& cfg) {
  const LinearWorkloadConfig& lw = cfg.workload.linear;
  const wl::SafetensorsFile file = wl::SafetensorsFile::read(wl::resolve_data_path(lw.file));
  const nm::MatrixF W = load_matrix(file, lw.weight, "workload.linear.weight");
  const nm::MatrixF X = load_matrix(file, lw.input, "workload.linear.input");
  if (X.cols() != W.cols())
    throw FormatError(file.path().string() + ": input '" + lw.input + "' has " +
                      std::to_string(X.cols()) + " features but weight '" + lw.weight + "' has " +
                      std::to_string(W.cols()) + " columns");
  std::vector<float> bias;
  if (!lw.bias.empty()) {
    bias = file.f32(lw.bias);
    if (static_cast<std::int64_t>(bias.size()) != W.rows())
      throw FormatError(file.path().string() + ": bias '" + lw.bias + "' has " +
                        std::to_string(bias.size()) + " values for " + std::to_string(W.rows()) +
                        " outputs");
  }
  const nm::MatrixF Xcal =
      lw.calib_input.empty() ? X : load_matrix(file, lw.calib_input, "workload.linear.calib_input");
  if (Xcal.cols() != W.cols())
    throw FormatError(file.path().string() + ": calibration input '" + lw.calib_input +
                      "' width does not match the weight");

  nm::BitSerialConfig bs = cim_linear_config(cfg, {}, cfg.hw.cim.rows_per_adc);
  bs.noise_key = nm::stream_key(cfg.seed, /*layer=*/0);

  // Static calibration: the activation range, then the ADC full scale of every slice and row tile
  // on the partial sums the calibrated activations produce.
  nm::ObserverConfig ocfg;
  ocfg.kind = to_numerics(cfg.calib.observer);
  ocfg.percentile_alpha = cfg.calib.percentile_alpha;
  ocfg.ema_sigma = cfg.calib.ema_sigma;
  json calibration = json::object();
  if (cfg.quant.a_range == RangeMode::Static) {
    ocfg.bits = cfg.quant.a_bits;
    nm::Observer obs(ocfg);
    for_each_batch(Xcal, cfg.calib.batch_rows,
                   [&](const nm::MatrixF& b) { obs.observe(b.data(), b.size()); });
    bs.range_x = obs.range();
    calibration["range_x"] = *bs.range_x;
  }
  bs.adc.range = nm::AdcRange::Dynamic;
  if (cfg.hw.cim.adc.range == AdcRangeMode::Static) {
    const nm::BitSerialLinear probe(W, bs);
    ocfg.bits = cfg.hw.cim.adc.bits;
    std::vector<std::vector<nm::Observer>> obs(
        probe.plan().n_slices, std::vector<nm::Observer>(probe.n_adc_terms(), nm::Observer(ocfg)));
    for_each_batch(Xcal, cfg.calib.batch_rows, [&](const nm::MatrixF& b) {
      const double rx = bs.range_x ? *bs.range_x : nm::absmax(b.data(), b.size());
      probe.visit_partial_sums(b, rx, [&](int s, int t, const nm::MatrixF& P) {
        obs[s][t].observe(P.data(), P.size());
      });
    });
    bs.acc_full_scale.assign(obs.size(), {});
    for (std::size_t s = 0; s < obs.size(); ++s)
      for (const auto& o : obs[s]) bs.acc_full_scale[s].push_back(o.range());
    calibration["acc_full_scale"] = bs.acc_full_scale;
  }
  bs.adc.range = to_numerics(cfg.hw.cim.adc.range);

  const nm::BitSerialLinear layer(W, bs);
  nm::BitSerialStats st;
  const float* b = bias.empty() ? nullptr : bias.data();
  const nm::MatrixF Y = layer.forward(X, b, &st);
  nm::MatrixF ref = (X.cast<double>() * W.cast<double>().transpose()).cast<float>();
  if (b) ref.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b, W.rows());
  const nm::ErrorMetrics m = nm::compare(ref.data(), Y.data(), ref.size());
  const double sat_rate = st.conversions ? double(st.saturated) / double(st.conversions) : 0.0;

  json layer_json = {{"layer", lw.name},
                     {"kind", "linear"},
                     {"point", "linear_out"},
                     {"tokens", X.rows()},
                     {"in_features", W.cols()},
                     {"out_features", W.rows()},
                     {"n_slices", st.n_slices},
                     {"n_row_tiles", st.n_tiles},
                     {"sqnr_db", number_or_null(m.sqnr_db)},
                     {"cosine", m.cosine},
                     {"max_abs_error", m.max_abs_error},
                     {"rel_l2_error", m.rel_l2_error},
                     {"adc_conversions", st.conversions},
                     {"adc_saturated", st.saturated},
                     {"adc_saturation_rate", sat_rate},
                     {"act_saturated", st.act_saturated},
                     {"mac_ops", st.mac_ops},
                     {"range_x", st.range_x},
                     {"range_w", layer.range_w()}};
  RunOutput out;
  out.result = {{"tool", "cimba"},
                {"version", kVersion},
                {"seed", cfg.seed},
                {"workload", {{"kind", "linear"}, {"file", lw.file}}},
                {"config", config_to_json(cfg)},
                {"calibration", calibration},
                {"metrics",
                 {{"sqnr_db", number_or_null(m.sqnr_db)},
                  {"cosine", m.cosine},
                  {"max_abs_error", m.max_abs_error},
                  {"adc_conversions", st.conversions},
                  {"adc_saturated", st.saturated},
                  {"adc_saturation_rate", sat_rate}}},
                {"layers", json::array({layer_json})}};

  std::ostringstream csv;
  const char* cols[] = {
      "layer",         "kind",         "point",           "tokens",        "in_features",
      "out_features",  "n_slices",     "n_row_tiles",     "sqnr_db",       "cosine",
      "max_abs_error", "rel_l2_error", "adc_conversions", "adc_saturated", "adc_saturation_rate",
      "act_saturated", "mac_ops",      "range_x",         "range_w"};
  for (std::size_t i = 0; i < std::size(cols); ++i) csv << (i ? "," : "") << cols[i];
  csv << "\n";
  for (std::size_t i = 0; i < std::size(cols); ++i) {
    csv << (i ? "," : "") << csv_cell(layer_json[cols[i]]);
  }
  csv << "\n";
  out.layers_csv = csv.str();

  std::ostringstream s;
  s << "cimba " << kVersion << ": linear workload '" << lw.name << "' from " << lw.file << "\n"
    << "  shape        X [" << X.rows() << " x " << X.cols() << "] * W^T [" << W.cols() << " x "
    << W.rows() << "]" << (b ? " + bias" : "") << "\n"
    << "  quantization W" << cfg.quant.w_bits << "A" << cfg.quant.a_bits << ", " << st.n_slices
    << " slice(s) of " << cfg.quant.slice_bits << " bits (overlap " << cfg.quant.overlap_bits
    << "), " << st.n_tiles << " row tile(s), " << cfg.hw.cim.adc.bits << "-bit "
    << adc_range_name(cfg.hw.cim.adc.range) << " ADC\n"
    << "  accuracy     SQNR " << fmt(m.sqnr_db, 4) << " dB, cosine " << fmt(m.cosine, 8)
    << ", max |error| " << fmt(m.max_abs_error, 4) << "\n"
    << "  ADC          " << st.conversions << " conversions, " << st.saturated << " saturated ("
    << fmt(100.0 * sat_rate, 3) << "%)\n"
    << "  hardware     not modelled for the linear workload (accuracy only; workload.kind mamba "
       "reports latency, energy and area)\n";
  out.summary = s.str();
  return out;
}

}  // namespace cimba::sim
