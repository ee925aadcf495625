// The linear family of `cimba run` (workload.kind: linear): one linear layer Y = X W^T + b read
// from a safetensors file (workload.linear.*) through the bit-serial CIM numerics, against its
// FP32 product. Accuracy only: it has no hardware step and no calibration file (its static ranges
// are observed on workload.linear.calib_input in the replay step).
#include <cmath>
#include <sstream>

#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/rng.hpp"
#include "sim/config.hpp"
#include "sim/families/families.hpp"
#include "sim/family.hpp"
#include "sim/numerics_config.hpp"
#include "sim/result_format.hpp"
#include "sim/version.hpp"
#include "workloads/io/builtin_data.hpp"
#include "workloads/io/safetensors.hpp"

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
  if (rows == 0 || cols == 0)
    throw FormatError(file.path().string() + ": tensor '" + name + "' has shape " +
                      wl::shape_string(t.shape) + " with no values; " + key +
                      " needs a matrix with rows and features");
  const std::vector<float> v = t.to_f32();
  wl::require_finite(v, t, file.path());
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

class LinearRun final : public FamilyRun {
 public:
  explicit LinearRun(const RunConfig& cfg) : cfg_(cfg) {}

  void load(Progress&) override {
    const LinearWorkloadConfig& lw = cfg_.workload.linear;
    const wl::SafetensorsFile file = wl::SafetensorsFile::read(wl::resolve_data_path(lw.file));
    W_ = load_matrix(file, lw.weight, "workload.linear.weight");
    X_ = load_matrix(file, lw.input, "workload.linear.input");
    if (X_.cols() != W_.cols())
      throw FormatError(file.path().string() + ": input '" + lw.input + "' has " +
                        std::to_string(X_.cols()) + " features but weight '" + lw.weight +
                        "' has " + std::to_string(W_.cols()) + " columns");
    if (!lw.bias.empty()) {
      bias_ = file.f32(lw.bias);
      wl::require_finite(bias_, file.at(lw.bias), file.path());
      if (static_cast<std::int64_t>(bias_.size()) != W_.rows())
        throw FormatError(file.path().string() + ": bias '" + lw.bias + "' has " +
                          std::to_string(bias_.size()) + " values for " +
                          std::to_string(W_.rows()) + " outputs");
    }
    Xcal_ = lw.calib_input.empty()
                ? X_
                : load_matrix(file, lw.calib_input, "workload.linear.calib_input");
    if (Xcal_.cols() != W_.cols())
      throw FormatError(file.path().string() + ": calibration input '" + lw.calib_input +
                        "' width does not match the weight");
  }

  json run_hardware(Progress&) override { return json(); }

  void replay(Progress&) override {
    nm::BitSerialConfig bs = cim_linear_config(cfg_, {}, cfg_.hw.cim.rows_per_adc);
    bs.noise_key = nm::stream_key(cfg_.seed, /*layer=*/0);

    // Static calibration: the activation range, then the ADC full scale of every slice and row tile
    // on the partial sums the calibrated activations produce.
    nm::ObserverConfig ocfg;
    ocfg.kind = to_numerics(cfg_.calib.observer);
    ocfg.percentile_alpha = cfg_.calib.percentile_alpha;
    ocfg.ema_sigma = cfg_.calib.ema_sigma;
    calibration_ = json::object();
    if (cfg_.quant.a_range == RangeMode::Static) {
      ocfg.bits = cfg_.quant.a_bits;
      nm::Observer obs(ocfg);
      for_each_batch(Xcal_, cfg_.calib.batch_rows,
                     [&](const nm::MatrixF& b) { obs.observe(b.data(), b.size()); });
      bs.range_x = obs.range();
      calibration_["range_x"] = *bs.range_x;
    }
    bs.adc.range = nm::AdcRange::Dynamic;
    if (cfg_.hw.cim.adc.range == AdcRangeMode::Static) {
      const nm::BitSerialLinear probe(W_, bs);
      ocfg.bits = cfg_.hw.cim.adc.bits;
      std::vector<std::vector<nm::Observer>> obs(
          probe.plan().n_slices,
          std::vector<nm::Observer>(probe.n_adc_terms(), nm::Observer(ocfg)));
      for_each_batch(Xcal_, cfg_.calib.batch_rows, [&](const nm::MatrixF& b) {
        const double rx = bs.range_x ? *bs.range_x : nm::absmax(b.data(), b.size());
        probe.visit_partial_sums(b, rx, [&](int s, int t, const nm::MatrixF& P) {
          obs[s][t].observe(P.data(), P.size());
        });
      });
      bs.acc_full_scale.assign(obs.size(), {});
      for (std::size_t s = 0; s < obs.size(); ++s)
        for (const auto& o : obs[s]) bs.acc_full_scale[s].push_back(o.range());
      calibration_["acc_full_scale"] = bs.acc_full_scale;
    }
    bs.adc.range = to_numerics(cfg_.hw.cim.adc.range);

    const nm::BitSerialLinear layer(W_, bs);
    const float* b = bias_.empty() ? nullptr : bias_.data();
    const nm::MatrixF Y = layer.forward(X_, b, &st_);
    nm::MatrixF ref = (X_.cast<double>() * W_.cast<double>().transpose()).cast<float>();
    if (b) ref.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b, W_.rows());
    m_ = nm::compare(ref.data(), Y.data(), ref.size());
    range_w_ = layer.range_w();
  }

  RunOutput render(const PipelineRecord&) const override {
    const LinearWorkloadConfig& lw = cfg_.workload.linear;
    const double sat_rate = st_.conversions ? double(st_.saturated) / double(st_.conversions) : 0.0;
    json layer_json = {{"layer", lw.name},
                       {"kind", "linear"},
                       {"point", "linear_out"},
                       {"tokens", X_.rows()},
                       {"in_features", W_.cols()},
                       {"out_features", W_.rows()},
                       {"n_slices", st_.n_slices},
                       {"n_row_tiles", st_.n_tiles},
                       {"sqnr_db", number_or_null(m_.sqnr_db)},
                       {"cosine", m_.cosine},
                       {"max_abs_error", m_.max_abs_error},
                       {"rel_l2_error", m_.rel_l2_error},
                       {"adc_conversions", st_.conversions},
                       {"adc_saturated", st_.saturated},
                       {"adc_saturation_rate", sat_rate},
                       {"act_saturated", st_.act_saturated},
                       {"mac_ops", st_.mac_ops},
                       {"range_x", st_.range_x},
                       {"range_w", range_w_}};
    RunOutput out;
    out.result = {{"tool", "cimba"},
                  {"version", kVersion},
                  {"seed", cfg_.seed},
                  {"workload", {{"kind", "linear"}, {"file", lw.file}}},
                  {"config", config_to_json(cfg_)},
                  {"calibration", calibration_},
                  {"metrics",
                   {{"sqnr_db", number_or_null(m_.sqnr_db)},
                    {"cosine", m_.cosine},
                    {"max_abs_error", m_.max_abs_error},
                    {"adc_conversions", st_.conversions},
                    {"adc_saturated", st_.saturated},
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
      << "  shape        X [" << X_.rows() << " x " << X_.cols() << "] * W^T [" << W_.cols()
      << " x " << W_.rows() << "]" << (bias_.empty() ? "" : " + bias") << "\n"
      << "  quantization W" << cfg_.quant.w_bits << "A" << cfg_.quant.a_bits << ", " << st_.n_slices
      << " slice(s) of " << cfg_.quant.slice_bits << " bits (overlap " << cfg_.quant.overlap_bits
      << "), " << st_.n_tiles << " row tile(s), " << cfg_.hw.cim.adc.bits << "-bit "
      << adc_range_name(cfg_.hw.cim.adc.range) << " ADC\n"
      << "  accuracy     SQNR " << fmt(m_.sqnr_db, 4) << " dB, cosine " << fmt(m_.cosine, 8)
      << ", max |error| " << fmt(m_.max_abs_error, 4) << "\n"
      << "  ADC          " << st_.conversions << " conversions, " << st_.saturated << " saturated ("
      << fmt(100.0 * sat_rate, 3) << "%)\n"
      << "  hardware     not modelled for the linear workload (accuracy only; workload.kind mamba "
         "reports latency, energy and area)\n";
    out.summary = s.str();
    return out;
  }

 private:
  const RunConfig& cfg_;
  nm::MatrixF W_, X_, Xcal_;
  std::vector<float> bias_;
  json calibration_ = json::object();
  nm::BitSerialStats st_;
  nm::ErrorMetrics m_{};
  double range_w_ = 0.0;
};

class LinearFamily final : public ModelFamily {
 public:
  WorkloadKind kind() const override { return WorkloadKind::Linear; }
  std::optional<CalibrationFamily> calibration_family() const override { return std::nullopt; }
  bool runs_hardware() const override { return false; }
  std::unique_ptr<FamilyRun> start(const RunConfig& config) const override {
    return std::make_unique<LinearRun>(config);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> make_linear_family() { return std::make_unique<LinearFamily>(); }

}  // namespace cimba::sim
