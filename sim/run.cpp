#include "sim/run.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/observers.hpp"
#include "models/numerics/rng.hpp"
#include "sim/atomic_file.hpp"
#include "sim/calibration_fingerprint.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"
#include "sim/hardware_report.hpp"
#include "sim/numerics_config.hpp"
#include "sim/progress.hpp"
#include "sim/result_format.hpp"
#include "sim/run_jit.hpp"
#include "sim/run_linear.hpp"
#include "sim/version.hpp"
#include "workloads/builtin_data.hpp"
#include "workloads/calibration.hpp"
#include "workloads/mamba_model.hpp"
#include "workloads/quant_replay.hpp"
#include "workloads/safetensors.hpp"
#include "workloads/text_data.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

// ---- workload.kind: mamba ------------------------------------------------------------------

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

RunOutput run_mamba(const RunConfig& cfg, Progress& progress) {
  const MambaWorkloadConfig& mw = cfg.workload.mamba;
  const SsmInputConfig& si = cfg.workload.ssm_input;
  if (mw.model.empty())
    throw ConfigError("workload.mamba.model: required when workload.kind is mamba");
  if (!cfg.hw.trace.empty() && hw::hardware_has_run())
    throw ConfigError("hw.trace: " + cfg.hw.trace +
                      ": a VCD can only be written by the first hardware run of a process "
                      "(SystemC elaborates once); run this config on its own");
  const bool random_model = mw.model.rfind("random:", 0) == 0;
  const std::filesystem::path model_dir =
      random_model ? std::filesystem::path() : wl::resolve_data_path(mw.model);

  // Configuration checks that need the model's shape, before any heavy work.
  const wl::MambaConfig shape = random_model ? random_mamba_config(mw.model)
                                             : wl::read_mamba_config(model_dir / "config.json");
  wl::QuantReplayConfig rc;
  rc.ssm_input.scheme = si.scheme == SsmInputScheme::Fp32    ? wl::SsmInputScheme::Fp32
                        : si.scheme == SsmInputScheme::Int8  ? wl::SsmInputScheme::Int8
                        : si.scheme == SsmInputScheme::Group ? wl::SsmInputScheme::Group
                                                             : wl::SsmInputScheme::DualScale;
  rc.ssm_input.static_range = si.range == RangeMode::Static;
  rc.ssm_input.n_ssd_groups = si.n_ssd_groups;
  rc.ssm_input.n_head_groups = si.n_head_groups;
  rc.ssm_input.n_dim_groups = si.n_dim_groups;
  rc.ssm_input.head_dim = si.head_dim;
  rc.ssm_input.grouping =
      si.grouping == GroupingMode::KMeans ? nm::Grouping::KMeans : nm::Grouping::EqualSize;
  rc.ssm_input.dual.value_bits = si.value_bits;
  rc.ssm_input.dual.inlier_pct = si.inlier_pct;
  rc.ssm_input.dual.k_round = si.k_round == KRoundMode::Pow2 ? nm::KRound::Pow2 : nm::KRound::None;
  if (si.fixed_k > 0.0) rc.ssm_input.dual.fixed_k = si.fixed_k;
  if (si.scheme == SsmInputScheme::Group) {
    const std::int64_t Di = shape.intermediate_size;
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
  const std::string text = read_mamba_text(mw.text, "workload.mamba.text");
  const std::int64_t n_windows =
      mw.windows > 0 ? mw.windows
                     : wl::windows_that_fit(static_cast<std::int64_t>(text.size()), mw.window);
  const wl::TokenWindows windows =
      mamba_windows(text, mw.window, n_windows, "workload.mamba.text", "workload.mamba.windows");

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
  rc.batch_windows = mw.batch_windows;

  wl::MambaLoadOptions load_options;
  load_options.transformers_out_proj_rescale = mw.out_proj_rescale;
  progress.start((random_model ? "generating " : "loading ") + mw.model);
  // A random model is generated in memory from a fixed seed (kRandomModelSeed, not the run's
  // seed): the same name is the same weights in every run, so calibrations can be shared.
  wl::MambaRandomOptions random_options;
  random_options.seed = kRandomModelSeed;
  const wl::MambaModel model = random_model ? wl::make_random_mamba(shape, random_options)
                                            : wl::load_mamba(model_dir, load_options);
  progress.finish();

  // Calibration: loaded, computed (when a static point needs it or calib.save asks), or none.
  std::optional<wl::MambaCalibration> calib;
  std::string calib_source = "none";
  double calib_seconds = 0.0;
  if (!cfg.calib.load.empty()) {
    calib = wl::load_calibration(cfg.calib.load);
    check_calibration_fingerprint(calib->fingerprint, cfg, CalibrationFamily::Mamba);
    calib_source = "loaded";
  } else if (rc.needs_calibration() || !cfg.calib.save.empty()) {
    const std::string calib_text = read_mamba_text(mw.calib_text, "workload.mamba.calib_text");
    const wl::TokenWindows cal_windows =
        mamba_windows(calib_text, mw.window, mw.calib_windows, "workload.mamba.calib_text",
                      "workload.mamba.calib_windows");
    wl::MambaCalibrationOptions co;
    co.linear = rc.linear;
    co.static_range_x = rc.static_range_x;
    co.observer.kind = to_numerics(cfg.calib.observer);
    co.observer.percentile_alpha = cfg.calib.percentile_alpha;
    co.observer.ema_sigma = cfg.calib.ema_sigma;
    co.dual = rc.ssm_input.dual;
    co.batch_windows = mw.batch_windows;
    const auto t0 = std::chrono::steady_clock::now();
    progress.start("calibration (" + std::to_string(cal_windows.count) + " windows)");
    calib = wl::calibrate_mamba(model, cal_windows, co);
    progress.finish();
    calib_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    calib->fingerprint = calibration_fingerprint(cfg, CalibrationFamily::Mamba);
    calib_source = "computed";
  }
  if (!cfg.calib.save.empty()) wl::save_calibration(*calib, cfg.calib.save);

  // The layers on the accelerator, before the long replay so that a configuration the hardware
  // cannot run (e.g. a buffer too small) fails early: the replay's quantization (bits, slicing,
  // SSM input, scan).
  hw::LayerQuant base;
  for (std::size_t k = 0; k < base.linear.size(); ++k) base.linear[k] = rc.linear[k];
  base.ssm_input = rc.ssm_input.scheme;
  base.dual.value_bits = rc.ssm_input.dual.value_bits;
  base.scan = rc.scan;
  base.rms_eps = model.config.layer_norm_epsilon;
  const auto hw_t0 = std::chrono::steady_clock::now();
  progress.start("hardware layers", static_cast<std::int64_t>(model.layers.size()));
  const json hardware = run_mamba_hardware(cfg, model, windows, base, calib ? &*calib : nullptr,
                                           [&](int) { progress.advance(); });
  progress.finish();
  const double hw_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - hw_t0).count();

  progress.start("quantized replay (" + std::to_string(windows.count) + " windows)");
  const wl::QuantReplayResult r =
      wl::run_quant_replay(model, windows, rc, calib ? &*calib : nullptr);
  progress.finish();

  // ---- result.json ----
  const double ln2 = std::log(2.0);
  const double loss = r.nats_per_token, loss_ref = r.fp32_nats_per_token;
  std::int64_t conversions = 0, adc_saturated = 0;
  nm::ErrorMetrics logits{};
  json ssm_rows = json::array();
  std::int64_t ssm_elements = 0, ssm_saturated = 0, ssm_outliers = 0, bytes_per_token = 0;
  wl::ErrorAccumulator ssm_isolated;
  json layers = json::array();
  for (const wl::ReplayPoint& p : r.points) {
    conversions += p.adc_conversions;
    adc_saturated += p.adc_saturated;
    if (p.block == wl::ReplayBlock::LmHead) logits = p.end_to_end.metrics();
    if (p.block == wl::ReplayBlock::SsmInput) {
      ssm_elements += p.elements;
      ssm_saturated += p.saturated;
      ssm_outliers += p.outliers;
      bytes_per_token += p.bytes_per_token;
      ssm_isolated.ref_sq += p.isolated.ref_sq;
      ssm_isolated.err_sq += p.isolated.err_sq;
      ssm_isolated.dot += p.isolated.dot;
      ssm_isolated.y_sq += p.isolated.y_sq;
      ssm_isolated.max_abs = std::max(ssm_isolated.max_abs, p.isolated.max_abs);
    }
    json row = point_json(p);
    const json hw_columns = hardware_layer_columns(hardware, p.layer);
    for (const auto& [key, value] : hw_columns.items()) row[key] = value;
    layers.push_back(row);
  }
  const wl::ReplayPoint* first_ssm = nullptr;
  for (const auto& p : r.points)
    if (p.block == wl::ReplayBlock::SsmInput) {
      first_ssm = &p;
      break;
    }
  std::string calib_file = !cfg.calib.load.empty() ? cfg.calib.load : cfg.calib.save;
  RunOutput out;
  out.result = {
      {"tool", "cimba"},
      {"version", kVersion},
      {"seed", cfg.seed},
      {"workload",
       {{"kind", "mamba"},
        {"model", mw.model},
        {"text", mw.text},
        {"window", mw.window},
        {"windows", r.windows},
        {"predicted_bytes", r.predicted_tokens},
        {"n_layers", model.config.num_hidden_layers},
        {"d_model", model.config.hidden_size},
        {"d_inner", model.config.intermediate_size}}},
      {"config", config_to_json(cfg)},
      {"calibration",
       {{"source", calib_source},
        {"file", calib_file},
        {"windows", calib ? calib->windows : 0},
        {"tokens", calib ? calib->tokens : 0}}},
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
        {"logits_sqnr_db", metric_or_null(logits.sqnr_db)},
        {"logits_cosine", logits.cosine},
        {"adc_conversions", conversions},
        {"adc_saturated", adc_saturated},
        {"adc_saturation_rate", conversions ? double(adc_saturated) / double(conversions) : 0.0}}},
      {"ssm_input",
       {{"scheme", wl::ssm_input_scheme_name(rc.ssm_input.scheme)},
        {"range", rc.ssm_input.static_range ? "static" : "dynamic"},
        {"bits_per_element", rc.ssm_input.bits_per_element()},
        {"bytes_per_token_per_layer", first_ssm ? first_ssm->bytes_per_token : 0},
        {"bytes_per_token", bytes_per_token},
        {"scale_table_bytes_per_layer", first_ssm ? first_ssm->scale_table_bytes : 0},
        {"n_scales_per_layer", first_ssm ? first_ssm->n_scales : 0},
        {"outlier_fraction", ssm_elements ? double(ssm_outliers) / double(ssm_elements) : 0.0},
        {"saturation_rate", ssm_elements ? double(ssm_saturated) / double(ssm_elements) : 0.0},
        {"isolated_sqnr_db", rc.ssm_input.scheme == wl::SsmInputScheme::Fp32
                                 ? json(nullptr)
                                 : metric_or_null(ssm_isolated.metrics().sqnr_db)}}},
      {"hardware", hardware},
      {"layers", layers}};

  // ---- layers.csv: one row per layer and point, the same fields ----
  out.layers_csv = render_layers_csv(layers);

  // ---- summary (timings only here: they are not deterministic) ----
  const double tokens = static_cast<double>(r.predicted_tokens);
  const double per_layer_token = 1e6 / (tokens * static_cast<double>(model.layers.size()));
  std::ostringstream s;
  s << "cimba " << kVersion << ": mamba workload " << mw.model << " ("
    << model.config.num_hidden_layers << " layers), " << r.windows << " windows x " << mw.window
    << " bytes of " << mw.text << "\n"
    << "  quantization W" << cfg.quant.w_bits << "A" << cfg.quant.a_bits << " "
    << (rc.static_range_x ? "static" : "dynamic") << ", " << cfg.hw.cim.adc.bits << "-bit "
    << adc_range_name(cfg.hw.cim.adc.range) << " ADC, SSM input "
    << wl::ssm_input_scheme_name(rc.ssm_input.scheme) << " ("
    << (rc.ssm_input.static_range ? "static" : "dynamic") << "), calibration " << calib_source
    << "\n"
    << "  loss         " << fmt(loss, 6) << " nats/byte (FP32 " << fmt(loss_ref, 6) << ", delta "
    << fmt(loss - loss_ref, 4) << ", " << fmt(100.0 * (loss - loss_ref) / loss_ref, 3) << "%), "
    << fmt(loss / ln2, 5) << " bits/byte, perplexity " << fmt(std::exp(loss), 5) << "\n"
    << "  logits       SQNR " << fmt(logits.sqnr_db, 4) << " dB, cosine " << fmt(logits.cosine, 8)
    << "\n"
    << "  ADC          " << conversions << " conversions, " << adc_saturated << " saturated\n"
    << render_hardware_summary(out.result["hardware"]) << "  time         FP32 reference "
    << fmt(r.fp32_seconds, 4) << " s (" << fmt(r.fp32_seconds * per_layer_token, 4)
    << " us/layer/token), quantized " << fmt(r.quantized_seconds, 4) << " s ("
    << fmt(r.quantized_seconds * per_layer_token, 4) << " us/layer/token; bit-serial linears "
    << fmt(r.bitserial_seconds, 4) << " s)"
    << (calib_source == "computed" ? ", calibration " + fmt(calib_seconds, 4) + " s" : "")
    << ", hardware " << fmt(hw_seconds, 4) << " s\n";
  out.summary = s.str();
  return out;
}

}  // namespace

RunOutput execute_run(const RunConfig& config, Progress* progress) {
  Progress silent(nullptr);
  switch (config.workload.kind) {
    case WorkloadKind::Linear:
      return run_linear(config);
    case WorkloadKind::Mamba:
      return run_mamba(config, progress ? *progress : silent);
    case WorkloadKind::Jit:
      return run_jit(config, progress);
  }
  throw ConfigError("workload.kind: unsupported workload");
}

int run_command(const RunConfig& config, const std::filesystem::path& out_dir, bool quiet) {
  std::error_code ignored;
  const bool existed = std::filesystem::exists(out_dir, ignored);
  create_output_directory(out_dir);  // fail before computing if the directory is unusable
  RunOutput out;
  try {
    Progress progress(progress_enabled(quiet) ? &std::cerr : nullptr);
    out = execute_run(config, &progress);
  } catch (...) {
    // A run that fails leaves nothing behind: not even the (empty) directory it made.
    if (!existed) std::filesystem::remove(out_dir, ignored);  // only removes it when empty
    throw;
  }
  write_files_atomic({{out_dir / "result.json", out.result.dump(2) + "\n"},
                      {out_dir / "layers.csv", out.layers_csv}});
  if (!quiet)
    std::cout << out.summary << "  wrote        " << (out_dir / "result.json").string() << ", "
              << (out_dir / "layers.csv").string() << "\n";
  return 0;
}

}  // namespace cimba::sim
