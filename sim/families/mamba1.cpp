// The Mamba1 family of `cimba run` (workload.kind: mamba): a Hugging Face Mamba1 model (or a
// random:NAME one) replayed quantized on text windows against its FP32 reference, and every
// layer's op program played on the SystemC accelerator (sim/hardware_report). The steps are
// those of sim/family.hpp; the result files are described in docs/results-format.md.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/observers.hpp"
#include "sim/config.hpp"
#include "sim/families/families.hpp"
#include "sim/families/mamba1_hardware.hpp"
#include "sim/family.hpp"
#include "sim/hardware_report.hpp"
#include "sim/numerics_config.hpp"
#include "sim/progress.hpp"
#include "sim/result_format.hpp"
#include "sim/version.hpp"
#include "workloads/io/builtin_data.hpp"
#include "workloads/io/text_data.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/layer_executor.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/mamba1/quant_replay.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

/// The effective settings of one linear type: its quant.layers.<type> overrides over the globals.
nm::BitSerialConfig linear_settings(const RunConfig& cfg, const LinearTypeOverride& o,
                                    const std::string& type) {
  // One key for the rows per conversion: 0 is the physical array (hw.cim.rows), as on the
  // hardware, so the replay and the hardware convert the same row tiles by default.
  const nm::BitSerialConfig bs =
      cim_linear_config(cfg, {o.w_bits, o.a_bits, o.adc_bits},
                        cfg.hw.cim.rows_per_adc ? cfg.hw.cim.rows_per_adc : cfg.hw.cim.rows);
  if (bs.w_bits < 2)
    throw ConfigError("quant.layers." + type + ".w_bits: " + std::to_string(o.w_bits) +
                      " is too small (weights need at least 2 bits; 0 inherits quant.w_bits)");
  return bs;
}

const LinearTypeOverride& type_override(const RunConfig& cfg, wl::LinearKind kind) {
  switch (kind) {
    case wl::LinearKind::InProj:
      return cfg.quant.layers.in_proj;
    case wl::LinearKind::XProj:
      return cfg.quant.layers.x_proj;
    case wl::LinearKind::DtProj:
      return cfg.quant.layers.dt_proj;
    case wl::LinearKind::OutProj:
      return cfg.quant.layers.out_proj;
    case wl::LinearKind::LmHead:
      break;
  }
  return cfg.quant.layers.lm_head;
}

/// The weights of a random:NAME model do not depend on the run's seed.
constexpr std::uint64_t kRandomModelSeed = 0;

/// The shape of workload.mamba.model random:NAME: random:mamba-130m is
/// state-spaces/mamba-130m-hf's layers (24 layers, d_model 768, d_inner 1536, d_state 16,
/// dt_rank 48, conv 4) with a byte vocabulary (256): the texts are bytes, and the lm_head does not
/// run on the accelerator.
wl::MambaConfig random_mamba_config(const std::string& name) {
  if (name == "random:mamba-130m") {
    wl::MambaConfig c = wl::mamba_130m_config();
    c.vocab_size = 256;
    return c;
  }
  throw ConfigError("workload.mamba.model: unknown random model '" + name +
                    "' (available: random:mamba-130m)");
}

/// The evaluation or calibration text named by a config key.
std::string read_mamba_text(const std::string& value, const std::string& key) {
  if (value == "builtin:validation") return std::string(wl::builtin_validation_text());
  if (value == "builtin:calibration") return std::string(wl::builtin_calibration_text());
  if (value.rfind("builtin:", 0) == 0)
    throw ConfigError(key + ": unknown built-in text '" + value +
                      "' (available: builtin:validation, builtin:calibration)");
  if (value.empty())
    throw ConfigError(key +
                      ": empty (give a text file, builtin:validation or builtin:calibration)");
  return wl::read_text_file(value);
}

wl::TokenWindows mamba_windows(const std::string& text, std::int64_t window, std::int64_t count,
                               const std::string& text_key, const std::string& count_key) {
  const std::int64_t fit = wl::windows_that_fit(static_cast<std::int64_t>(text.size()), window);
  if (fit < 1 || count > fit)
    throw ConfigError(count_key + ": " + std::to_string(count) + " windows of " +
                      std::to_string(window) + " bytes do not fit in the " +
                      std::to_string(text.size()) + " bytes of " + text_key + " (at most " +
                      std::to_string(fit) + ")");
  return wl::make_byte_windows(text, window, count);
}

json metric_or_null(double v) { return number_or_null(v); }

json point_json(const wl::ReplayPoint& p) {
  const nm::ErrorMetrics iso = p.isolated.metrics();
  const nm::ErrorMetrics e2e = p.end_to_end.metrics();
  const bool linear = p.block == wl::ReplayBlock::InProj || p.block == wl::ReplayBlock::XProj ||
                      p.block == wl::ReplayBlock::DtProj || p.block == wl::ReplayBlock::OutProj ||
                      p.block == wl::ReplayBlock::LmHead;
  const double sat =
      linear ? (p.adc_conversions ? double(p.adc_saturated) / double(p.adc_conversions) : 0.0)
             : (p.elements ? double(p.saturated) / double(p.elements) : 0.0);
  return {{"layer", p.layer},
          {"block", wl::replay_block_name(p.block)},
          {"point", p.point},
          {"quantized", p.quantized},
          {"elements", p.elements},
          {"isolated_sqnr_db", p.has_isolated ? metric_or_null(iso.sqnr_db) : json(nullptr)},
          {"isolated_cosine", p.has_isolated ? json(iso.cosine) : json(1.0)},
          {"isolated_max_abs_error", p.has_isolated ? iso.max_abs_error : 0.0},
          {"e2e_sqnr_db", metric_or_null(e2e.sqnr_db)},
          {"e2e_cosine", e2e.cosine},
          {"e2e_max_abs_error", e2e.max_abs_error},
          {"saturation_rate", sat},
          {"act_saturated", linear ? p.saturated : 0},
          {"w_bits", p.w_bits},
          {"a_bits", p.a_bits},
          {"adc_bits", p.adc_bits},
          {"n_slices", p.n_slices},
          {"n_row_tiles", p.n_row_tiles},
          {"adc_conversions", p.adc_conversions},
          {"adc_saturated", p.adc_saturated},
          {"mac_ops", p.mac_ops},
          {"range_x", p.range_x},
          {"range_w", p.range_w},
          {"bits_per_element", p.bits_per_element},
          {"bytes_per_token", p.bytes_per_token},
          {"scale_table_bytes", p.scale_table_bytes},
          {"n_scales", p.n_scales},
          {"outlier_fraction", p.elements && p.block == wl::ReplayBlock::SsmInput
                                   ? double(p.outliers) / double(p.elements)
                                   : 0.0}};
}

/// The replay's SSM-input settings from workload.ssm_input.
wl::SsmInputQuantConfig ssm_input_config(const SsmInputConfig& si) {
  wl::SsmInputQuantConfig out;
  out.scheme = si.scheme == SsmInputScheme::Fp32    ? wl::SsmInputScheme::Fp32
               : si.scheme == SsmInputScheme::Int8  ? wl::SsmInputScheme::Int8
               : si.scheme == SsmInputScheme::Group ? wl::SsmInputScheme::Group
                                                    : wl::SsmInputScheme::DualScale;
  out.static_range = si.range == RangeMode::Static;
  out.n_ssd_groups = si.n_ssd_groups;
  out.n_head_groups = si.n_head_groups;
  out.n_dim_groups = si.n_dim_groups;
  out.head_dim = si.head_dim;
  out.grouping =
      si.grouping == GroupingMode::KMeans ? nm::Grouping::KMeans : nm::Grouping::EqualSize;
  out.dual.value_bits = si.value_bits;
  out.dual.inlier_pct = si.inlier_pct;
  out.dual.k_round = si.k_round == KRoundMode::Pow2 ? nm::KRound::Pow2 : nm::KRound::None;
  if (si.fixed_k > 0.0) out.dual.fixed_k = si.fixed_k;
  return out;
}

/// The group layout of workload.ssm_input against the model's d_inner.
void check_group_layout(const SsmInputConfig& si, std::int64_t d_inner) {
  if (si.scheme != SsmInputScheme::Group) return;
  const std::int64_t Di = d_inner;
  const std::string model_text = " for this model (d_inner " + std::to_string(Di) + ")";
  if (Di % si.n_ssd_groups != 0 || (Di / si.n_ssd_groups) % si.head_dim != 0)
    throw ConfigError("workload.ssm_input.head_dim: " + std::to_string(si.head_dim) +
                      " must divide d_inner / workload.ssm_input.n_ssd_groups = " +
                      std::to_string(Di) + " / " + std::to_string(si.n_ssd_groups) + model_text);
  const std::int64_t heads = Di / si.n_ssd_groups / si.head_dim;
  if (si.n_head_groups > heads)
    throw ConfigError("workload.ssm_input.n_head_groups: " + std::to_string(si.n_head_groups) +
                      " exceeds the " + std::to_string(heads) + " heads per SSD group (d_inner " +
                      std::to_string(Di) + " / (n_ssd_groups " + std::to_string(si.n_ssd_groups) +
                      " x head_dim " + std::to_string(si.head_dim) + "))");
}

/// The replay's quantization of every linear type, the scan and the seed.
void set_linears_and_scan(const RunConfig& cfg, wl::QuantReplayConfig& rc) {
  static const char* type_names[wl::kMambaLinearKinds] = {"in_proj", "x_proj", "dt_proj",
                                                          "out_proj", "lm_head"};
  for (int k = 0; k < wl::kMambaLinearKinds; ++k) {
    const auto kind = static_cast<wl::LinearKind>(k);
    const LinearTypeOverride& o = type_override(cfg, kind);
    rc.quantize[static_cast<std::size_t>(k)] = o.quantize;
    rc.linear[static_cast<std::size_t>(k)] = linear_settings(cfg, o, type_names[k]);
  }
  rc.static_range_x = cfg.quant.a_range == RangeMode::Static;
  rc.scan.exp_impl = cfg.ssm.exp_impl == ExpImplMode::Pwl   ? nm::ExpImpl::Pwl
                     : cfg.ssm.exp_impl == ExpImplMode::Lut ? nm::ExpImpl::Lut
                                                            : nm::ExpImpl::Exact;
  rc.scan.exp_segments = cfg.ssm.exp_segments;
  rc.scan.lut_entries = cfg.ssm.lut_entries;
  rc.seed = cfg.seed;
  rc.batch_windows = cfg.workload.mamba.batch_windows;
}

/// Totals over the replay's points for result.json and the summary.
struct ReplayTotals {
  std::int64_t conversions = 0, adc_saturated = 0;
  nm::ErrorMetrics logits{};
  std::int64_t ssm_elements = 0, ssm_saturated = 0, ssm_outliers = 0, bytes_per_token = 0;
  wl::ErrorAccumulator ssm_isolated;
  const wl::ReplayPoint* first_ssm = nullptr;
};

ReplayTotals replay_totals(const wl::QuantReplayResult& r) {
  ReplayTotals t;
  for (const wl::ReplayPoint& p : r.points) {
    t.conversions += p.adc_conversions;
    t.adc_saturated += p.adc_saturated;
    if (p.block == wl::ReplayBlock::LmHead) t.logits = p.end_to_end.metrics();
    if (p.block != wl::ReplayBlock::SsmInput) continue;
    if (!t.first_ssm) t.first_ssm = &p;
    t.ssm_elements += p.elements;
    t.ssm_saturated += p.saturated;
    t.ssm_outliers += p.outliers;
    t.bytes_per_token += p.bytes_per_token;
    t.ssm_isolated.ref_sq += p.isolated.ref_sq;
    t.ssm_isolated.err_sq += p.isolated.err_sq;
    t.ssm_isolated.dot += p.isolated.dot;
    t.ssm_isolated.y_sq += p.isolated.y_sq;
    t.ssm_isolated.max_abs = std::max(t.ssm_isolated.max_abs, p.isolated.max_abs);
  }
  return t;
}

class Mamba1Run final : public FamilyRun {
 public:
  explicit Mamba1Run(const RunConfig& cfg) : cfg_(cfg) {
    if (cfg.workload.mamba.model.empty())
      throw ConfigError("workload.mamba.model: required when workload.kind is mamba");
  }

  void load(Progress& progress) override {
    const MambaWorkloadConfig& mw = cfg_.workload.mamba;
    const bool random_model = mw.model.rfind("random:", 0) == 0;
    const std::filesystem::path model_dir =
        random_model ? std::filesystem::path() : wl::resolve_data_path(mw.model);
    // Configuration checks that need the model's shape, before any heavy work.
    const wl::MambaConfig shape = random_model ? random_mamba_config(mw.model)
                                               : wl::read_mamba_config(model_dir / "config.json");
    rc_.ssm_input = ssm_input_config(cfg_.workload.ssm_input);
    check_group_layout(cfg_.workload.ssm_input, shape.intermediate_size);
    const std::string text = read_mamba_text(mw.text, "workload.mamba.text");
    const std::int64_t n_windows =
        mw.windows > 0 ? mw.windows
                       : wl::windows_that_fit(static_cast<std::int64_t>(text.size()), mw.window);
    windows_ =
        mamba_windows(text, mw.window, n_windows, "workload.mamba.text", "workload.mamba.windows");
    set_linears_and_scan(cfg_, rc_);

    wl::MambaLoadOptions load_options;
    load_options.transformers_out_proj_rescale = mw.out_proj_rescale;
    progress.start((random_model ? "generating " : "loading ") + mw.model);
    // A random model is generated in memory from a fixed seed (kRandomModelSeed, not the run's
    // seed): the same name is the same weights in every run, so calibrations can be shared.
    wl::MambaRandomOptions random_options;
    random_options.seed = kRandomModelSeed;
    model_ = random_model ? wl::make_random_mamba(shape, random_options)
                          : wl::load_mamba(model_dir, load_options);
    progress.finish();
  }

  bool needs_calibration() const override { return rc_.needs_calibration(); }

  std::map<std::string, std::string> load_calibration(const std::string& path) override {
    calib_ = wl::load_calibration(path);
    return calib_->fingerprint;
  }

  void calibrate(Progress& progress,
                 const std::map<std::string, std::string>& fingerprint) override {
    const MambaWorkloadConfig& mw = cfg_.workload.mamba;
    const std::string calib_text = read_mamba_text(mw.calib_text, "workload.mamba.calib_text");
    const wl::TokenWindows cal_windows =
        mamba_windows(calib_text, mw.window, mw.calib_windows, "workload.mamba.calib_text",
                      "workload.mamba.calib_windows");
    wl::MambaCalibrationOptions co;
    co.linear = rc_.linear;
    co.static_range_x = rc_.static_range_x;
    co.observer.kind = to_numerics(cfg_.calib.observer);
    co.observer.percentile_alpha = cfg_.calib.percentile_alpha;
    co.observer.ema_sigma = cfg_.calib.ema_sigma;
    co.dual = rc_.ssm_input.dual;
    co.batch_windows = mw.batch_windows;
    progress.start("calibration (" + std::to_string(cal_windows.count) + " windows)");
    calib_ = wl::calibrate_mamba(*model_, cal_windows, co);
    progress.finish();
    calib_->fingerprint = fingerprint;
  }

  void save_calibration(const std::string& path) const override {
    wl::save_calibration(*calib_, path);
  }

  json run_hardware(Progress& progress) override {
    // The replay's quantization (bits, slicing, SSM input, scan) on the accelerator.
    hw::LayerQuant base;
    for (std::size_t k = 0; k < base.linear.size(); ++k) base.linear[k] = rc_.linear[k];
    base.ssm_input = rc_.ssm_input.scheme;
    base.dual.value_bits = rc_.ssm_input.dual.value_bits;
    base.scan = rc_.scan;
    base.rms_eps = model_->config.layer_norm_epsilon;
    progress.start("hardware layers", static_cast<std::int64_t>(model_->layers.size()));
    json hardware = run_mamba_hardware(cfg_, *model_, windows_, base, calib_ ? &*calib_ : nullptr,
                                       [&](int) { progress.advance(); });
    progress.finish();
    return hardware;
  }

  void replay(Progress& progress) override {
    progress.start("quantized replay (" + std::to_string(windows_.count) + " windows)");
    result_ = wl::run_quant_replay(*model_, windows_, rc_, calib_ ? &*calib_ : nullptr);
    progress.finish();
  }

  RunOutput render(const PipelineRecord& record) const override {
    const ReplayTotals totals = replay_totals(result_);
    json layers = json::array();
    for (const wl::ReplayPoint& p : result_.points) {
      json row = point_json(p);
      const json hw_columns = hardware_layer_columns(record.hardware, p.layer);
      for (const auto& [key, value] : hw_columns.items()) row[key] = value;
      layers.push_back(row);
    }
    RunOutput out;
    out.result = result_json(record, totals, layers);
    out.layers_csv = render_layers_csv(layers);
    out.summary = summary(record, totals, out.result["hardware"]);
    return out;
  }

 private:
  json result_json(const PipelineRecord& record, const ReplayTotals& t, json layers) const;
  std::string summary(const PipelineRecord& record, const ReplayTotals& t,
                      const json& hardware) const;

  const RunConfig& cfg_;
  wl::QuantReplayConfig rc_;
  wl::TokenWindows windows_;
  std::optional<wl::MambaModel> model_;
  std::optional<wl::MambaCalibration> calib_;
  wl::QuantReplayResult result_;
};

json Mamba1Run::result_json(const PipelineRecord& record, const ReplayTotals& t,
                            json layers) const {
  const MambaWorkloadConfig& mw = cfg_.workload.mamba;
  const wl::QuantReplayResult& r = result_;
  const double ln2 = std::log(2.0);
  const double loss = r.nats_per_token, loss_ref = r.fp32_nats_per_token;
  const std::int64_t conversions = t.conversions;
  return {{"tool", "cimba"},
          {"version", kVersion},
          {"seed", cfg_.seed},
          {"workload",
           {{"kind", "mamba"},
            {"model", mw.model},
            {"text", mw.text},
            {"window", mw.window},
            {"windows", r.windows},
            {"predicted_bytes", r.predicted_tokens},
            {"n_layers", model_->config.num_hidden_layers},
            {"d_model", model_->config.hidden_size},
            {"d_inner", model_->config.intermediate_size}}},
          {"config", config_to_json(cfg_)},
          {"calibration",
           {{"source", record.calib_source},
            {"file", record.calib_file},
            {"windows", calib_ ? calib_->windows : 0},
            {"tokens", calib_ ? calib_->tokens : 0}}},
          {"metrics",
           {{"loss_fp32_nats_per_byte", loss_ref},
            {"loss_nats_per_byte", loss},
            {"loss_delta_nats_per_byte", loss - loss_ref},
            {"loss_delta_pct", 100.0 * (loss - loss_ref) / loss_ref},
            {"bits_per_byte_fp32", loss_ref / ln2},
            {"bits_per_byte", loss / ln2},
            {"bits_per_byte_delta", (loss - loss_ref) / ln2},
            {"perplexity_fp32", std::exp(loss_ref)},
            {"perplexity", std::exp(loss)},
            {"perplexity_delta", std::exp(loss) - std::exp(loss_ref)},
            {"logits_sqnr_db", metric_or_null(t.logits.sqnr_db)},
            {"logits_cosine", t.logits.cosine},
            {"adc_conversions", conversions},
            {"adc_saturated", t.adc_saturated},
            {"adc_saturation_rate",
             conversions ? double(t.adc_saturated) / double(conversions) : 0.0}}},
          {"ssm_input",
           {{"scheme", wl::ssm_input_scheme_name(rc_.ssm_input.scheme)},
            {"range", rc_.ssm_input.static_range ? "static" : "dynamic"},
            {"bits_per_element", rc_.ssm_input.bits_per_element()},
            {"bytes_per_token_per_layer", t.first_ssm ? t.first_ssm->bytes_per_token : 0},
            {"bytes_per_token", t.bytes_per_token},
            {"scale_table_bytes_per_layer", t.first_ssm ? t.first_ssm->scale_table_bytes : 0},
            {"n_scales_per_layer", t.first_ssm ? t.first_ssm->n_scales : 0},
            {"outlier_fraction",
             t.ssm_elements ? double(t.ssm_outliers) / double(t.ssm_elements) : 0.0},
            {"saturation_rate",
             t.ssm_elements ? double(t.ssm_saturated) / double(t.ssm_elements) : 0.0},
            {"isolated_sqnr_db", rc_.ssm_input.scheme == wl::SsmInputScheme::Fp32
                                     ? json(nullptr)
                                     : metric_or_null(t.ssm_isolated.metrics().sqnr_db)}}},
          {"hardware", record.hardware},
          {"layers", std::move(layers)}};
}

std::string Mamba1Run::summary(const PipelineRecord& record, const ReplayTotals& t,
                               const json& hardware) const {
  const MambaWorkloadConfig& mw = cfg_.workload.mamba;
  const wl::QuantReplayResult& r = result_;
  const double ln2 = std::log(2.0);
  const double loss = r.nats_per_token, loss_ref = r.fp32_nats_per_token;
  const double tokens = static_cast<double>(r.predicted_tokens);
  const double per_layer_token = 1e6 / (tokens * static_cast<double>(model_->layers.size()));
  // Timings only here: they are not deterministic.
  std::ostringstream s;
  s << "cimba " << kVersion << ": mamba workload " << mw.model << " ("
    << model_->config.num_hidden_layers << " layers), " << r.windows << " windows x " << mw.window
    << " bytes of " << mw.text << "\n"
    << "  quantization W" << cfg_.quant.w_bits << "A" << cfg_.quant.a_bits << " "
    << (rc_.static_range_x ? "static" : "dynamic") << ", " << cfg_.hw.cim.adc.bits << "-bit "
    << adc_range_name(cfg_.hw.cim.adc.range) << " ADC, SSM input "
    << wl::ssm_input_scheme_name(rc_.ssm_input.scheme) << " ("
    << (rc_.ssm_input.static_range ? "static" : "dynamic") << "), calibration "
    << record.calib_source << "\n"
    << "  loss         " << fmt(loss, 6) << " nats/byte (FP32 " << fmt(loss_ref, 6) << ", delta "
    << fmt(loss - loss_ref, 4) << ", " << fmt(100.0 * (loss - loss_ref) / loss_ref, 3) << "%), "
    << fmt(loss / ln2, 5) << " bits/byte, perplexity " << fmt(std::exp(loss), 5) << "\n"
    << "  logits       SQNR " << fmt(t.logits.sqnr_db, 4) << " dB, cosine "
    << fmt(t.logits.cosine, 8) << "\n"
    << "  ADC          " << t.conversions << " conversions, " << t.adc_saturated << " saturated\n"
    << render_hardware_summary(hardware) << "  time         FP32 reference "
    << fmt(r.fp32_seconds, 4) << " s (" << fmt(r.fp32_seconds * per_layer_token, 4)
    << " us/layer/token), quantized " << fmt(r.quantized_seconds, 4) << " s ("
    << fmt(r.quantized_seconds * per_layer_token, 4) << " us/layer/token; bit-serial linears "
    << fmt(r.bitserial_seconds, 4) << " s)"
    << (record.calib_source == "computed" ? ", calibration " + fmt(record.calib_seconds, 4) + " s"
                                          : "")
    << ", hardware " << fmt(record.hw_seconds, 4) << " s\n";
  return s.str();
}

class Mamba1Family final : public ModelFamily {
 public:
  WorkloadKind kind() const override { return WorkloadKind::Mamba; }
  std::optional<CalibrationFamily> calibration_family() const override {
    return CalibrationFamily::Mamba;
  }
  bool runs_hardware() const override { return true; }
  bool can_share_calibration(const RunConfig& config) const override {
    if (!config.calib.save.empty() || !config.calib.load.empty()) return false;
    const SsmInputConfig& si = config.workload.ssm_input;
    if (si.range == RangeMode::Static && si.scheme != SsmInputScheme::Fp32) return true;
    const LayerTypeOverrides& l = config.quant.layers;
    for (const LinearTypeOverride* o :
         {&l.in_proj, &l.x_proj, &l.dt_proj, &l.out_proj, &l.lm_head}) {
      if (!o->quantize) continue;
      if (config.quant.a_range == RangeMode::Static) return true;
      if (config.hw.cim.adc.range == AdcRangeMode::Static) return true;
    }
    return false;
  }
  std::unique_ptr<FamilyRun> start(const RunConfig& config) const override {
    return std::make_unique<Mamba1Run>(config);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> make_mamba1_family() { return std::make_unique<Mamba1Family>(); }

}  // namespace cimba::sim
