// `cimba run` with workload.kind: jit: calibration (computed, loaded or none), the quantized
// replay's accuracy report (workloads/jit_quant_replay.hpp), one JiT block on the SystemC
// accelerator (hw/jit_block.hpp) priced with the run's energy table and area, and the result
// files (docs/results-format.md, "workload.kind: jit").
#include "sim/run_jit.hpp"

#include "sim/numerics_config.hpp"
#include "sim/result_format.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>

#include "hw/accelerator.hpp"
#include "hw/jit_block.hpp"
#include "models/common/error.hpp"
#include "models/cost/digital.hpp"
#include "models/numerics/activations.hpp"
#include "models/numerics/rng.hpp"
#include "sim/calibration_fingerprint.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"
#include "sim/hardware_report.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/progress.hpp"
#include "sim/version.hpp"
#include "workloads/builtin_data.hpp"
#include "workloads/jit_calibration.hpp"
#include "workloads/jit_eval.hpp"
#include "workloads/jit_model.hpp"
#include "workloads/jit_quant_replay.hpp"
#include "workloads/mnist.hpp"
#include "workloads/op_program.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

/// Comma-separated numbers of a string key; ConfigError naming the key otherwise.
std::vector<double> parse_list(const std::string& text, const std::string& key) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    std::size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || !std::isfinite(v))
      throw ConfigError(key + ": '" + text + "' is not a comma-separated list of numbers (item '" +
                        item + "')");
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

const JitLinearOverride& jit_override(const RunConfig& cfg, wl::JitLinearKind kind) {
  const JitLayerOverrides& l = cfg.workload.jit.layers;
  switch (kind) {
    case wl::JitLinearKind::qkv:
      return l.qkv;
    case wl::JitLinearKind::proj:
      return l.proj;
    case wl::JitLinearKind::w12:
      return l.w12;
    case wl::JitLinearKind::w3:
      return l.w3;
    case wl::JitLinearKind::adaLN:
      return l.adaLN;
    case wl::JitLinearKind::x_embed:
      return l.x_embed;
    case wl::JitLinearKind::t_fc1:
      return l.t_fc1;
    case wl::JitLinearKind::t_fc2:
      return l.t_fc2;
    case wl::JitLinearKind::final_adaLN:
      return l.final_adaLN;
    case wl::JitLinearKind::final_linear:
      break;
  }
  return l.final_linear;
}

/// The replay's settings from the config: quant.*, quant.layers.<jit linear>.*, hw.cim.adc.*,
/// hw.cim.rows_per_adc, workload.jit.taq.*, seed.
wl::JitQuantConfig jit_quant_config(const RunConfig& cfg) {
  wl::JitQuantConfig q;
  for (wl::JitLinearKind kind : wl::jit_linear_kinds()) {
    const std::size_t k = wl::jit_kind_index(kind);
    const JitLinearOverride& o = jit_override(cfg, kind);
    const std::string prefix = std::string("quant.layers.") + wl::jit_linear_key_name(kind) + ".";
    nm::BitSerialConfig& bs = q.linear[k];
    bs = cim_linear_config(cfg, {o.w_bits, o.a_bits, o.adc_bits}, cfg.hw.cim.rows_per_adc);
    q.quantize[k] = o.quantize;
    if (!o.quantize) continue;
    if (bs.w_bits < 2)
      throw ConfigError(prefix + "w_bits: " + std::to_string(o.w_bits) +
                        " is too small (weights need at least 2 bits; 0 inherits quant.w_bits)");
    if (o.a_bits && bs.a_bits < bs.slice_bits)
      throw ConfigError(prefix + "a_bits: " + std::to_string(o.a_bits) +
                        " must be >= quant.slice_bits (which is " + std::to_string(bs.slice_bits) +
                        ")");
    if (bs.adc.enob > 0.0 && bs.adc.enob > bs.adc.bits)
      throw ConfigError(prefix + "adc_bits: " + std::to_string(bs.adc.bits) +
                        " must be >= hw.cim.adc.enob (which is " + fmt(bs.adc.enob) + ")");
  }
  q.static_range_x = cfg.quant.a_range == RangeMode::Static;
  const JitTaqSettings& taq = cfg.workload.jit.taq;
  q.taq.enabled = taq.enabled;
  q.taq.buckets = taq.buckets;
  q.taq.target_sqnr_db = taq.target_sqnr_db;
  q.taq.bits.clear();
  for (double b : parse_list(taq.bits, "workload.jit.taq.bits")) {
    if (b != std::floor(b) || b < 2 || b > 16 || (!q.taq.bits.empty() && b <= q.taq.bits.back()))
      throw ConfigError("workload.jit.taq.bits: '" + taq.bits +
                        "' must list ascending integers in 2..16");
    q.taq.bits.push_back(static_cast<int>(b));
  }
  q.seed = cfg.seed;
  return q;
}

/// What the hardware ran: block 0 of one image at one timestep.
struct JitHwRun {
  hw::HwReport report;
  PricedEnergyTable prices;
  std::vector<AreaRow> area;
  double t = 0.0;
  std::int64_t image = 0;
  std::int64_t network_calls_per_sample = 0;
  bool separate_calibration = false;
};

/// The "hardware" section: block 0's report, scaled by the depth for the network call.
json jit_hardware_json(const RunConfig& cfg, const hw::HwParams& hw, const wl::JitModel& model,
                       const JitHwRun& run) {
  const hw::HwReport& r = run.report;
  const std::int64_t depth = model.config.depth;
  const double tokens = static_cast<double>(model.config.num_patches());
  double area_um2 = 0.0, leakage_uW = 0.0;
  const json area_rows = area_rows_json(run.area, area_um2, leakage_uW);
  json units = json::array();
  for (const hw::UnitReport& u : r.units) units.push_back(unit_json(u, r.clock_mhz));
  const json energy = energy_by_component_json(r);
  const json counts = action_counts_json(r);
  std::map<std::string, std::int64_t> unpriced_counts;
  add_unpriced_counts(r, depth, unpriced_counts);
  const json buffers = buffers_json(r);
  const double block_leak_pJ = leakage_uW * r.latency_ns * 1e-3;  // uW x ns = 1e-3 pJ
  json layers = json::array();
  for (std::int64_t b = 0; b < depth; ++b)
    layers.push_back({{"layer", b},
                      {"simulated_as_block", 0},
                      {"ops", static_cast<std::int64_t>(r.ops.size())},
                      {"latency_cycles", r.total_cycles},
                      {"latency_ns", r.latency_ns},
                      {"bounding_unit", r.bounding_unit},
                      {"dynamic_energy_pJ", r.energy.total_pJ},
                      {"leakage_energy_pJ", block_leak_pJ},
                      {"energy_pJ", r.energy.total_pJ + block_leak_pJ},
                      {"cim_weights_stationary", r.cim_weights_stationary},
                      {"cim_weight_tiles", r.cim_weight_tiles},
                      {"adc_saturated", r.adc_saturated},
                      {"units", units},
                      {"energy_by_component_pJ", energy},
                      {"buffers", buffers},
                      {"counts", counts}});

  const double d = static_cast<double>(depth);
  const std::int64_t total_cycles = depth * r.total_cycles;
  const double total_ns = d * r.latency_ns;
  const double dynamic_pJ = d * r.energy.total_pJ;
  const double leakage_pJ = leakage_uW * total_ns * 1e-3;
  const double energy_pJ = dynamic_pJ + leakage_pJ;
  json total_units = json::array();
  for (const hw::UnitReport& u : r.units)
    total_units.push_back({{"unit", u.name},
                           {"ops", depth * u.ops},
                           {"busy_cycles", depth * u.busy_cycles},
                           {"stall_cycles", depth * u.stall_cycles},
                           {"critical_path_cycles", depth * u.critical_path_cycles},
                           {"busy_ns", d * double(u.busy_cycles) * 1000.0 / hw.clock_mhz}});
  json by_component = json::object();
  {
    std::map<std::string, double> sorted;
    for (const hw::ComponentEnergy& e : r.energy.components) sorted[e.component] += d * e.energy_pJ;
    for (const auto& [k, v] : sorted) by_component[k] = v;
  }
  const json price_rows = price_rows_json(run.prices);
  const json unpriced = unpriced_rows_json(unpriced_counts, run.prices);

  const std::int64_t outputs_per_macro = hw.cim.outputs_per_macro();
  json accelerator = {{"node_nm", cfg.hw.node_nm},
                      {"vdd_v", cfg.hw.vdd_v},
                      {"clock_mhz", hw.clock_mhz},
                      {"cim_macros", hw.cim.macros},
                      // Macros that keep every block's weights resident, and whether they are.
                      {"cim_macros_for_residency", r.cim_weight_tiles * depth},
                      {"cim_weights_resident", r.cim_weight_tiles * depth <= hw.cim.macros},
                      {"cim_rows", hw.cim.rows},
                      {"cim_cols", hw.cim.cols},
                      {"w_bits", hw.cim.w_bits},
                      {"cell_bits", hw.cim.cell_bits},
                      {"outputs_per_macro", outputs_per_macro},
                      {"adc_bits", hw.cim.adc.bits},
                      {"adc_conversion_ns", hw.cim.adc.conversion_ns},
                      {"mac_rows", hw.mac.rows},
                      {"mac_cols", hw.mac.cols},
                      {"dram_preset", hw.dram.preset},
                      {"dram_bandwidth_gbps", hw.dram_bandwidth_gbps()},
                      {"dram_latency_ns", hw.dram_latency_ns()}};
  const double calls = static_cast<double>(run.network_calls_per_sample);
  json notes = json::array();
  notes.push_back("block 0 of one image (MNIST test #" + std::to_string(run.image) +
                  ", t = " + fmt(run.t, 4) +
                  "; block input and conditioning from the quantized model's forward) ran on the "
                  "accelerator; all " +
                  std::to_string(depth) +
                  " blocks have the same shape and program, so a network call is block 0 x "
                  "depth (layers[] repeats block 0's figures for every block)");
  notes.push_back(
      "not on the accelerator: the patch and timestep embeddings, the final adaLN and final "
      "linear, patchify/unpatchify and the sampler arithmetic");
  notes.push_back("leakage energy = total leakage power x latency; energy_pJ = dynamic + leakage");
  notes.push_back(
      "area: every unit of the accelerator, including those a JiT block does not use (SSM core, "
      "conv, index, MUX), plus the FP32 MAC array (hw.mac) of the attention and FP32 adaLN");
  notes.push_back(
      "the hardware runs every quantized linear at quant.w_bits, hw.cim.adc.bits and hw.cim.rows "
      "rows per conversion (hw::apply_hw); quant.layers.* bit overrides and "
      "hw.cim.rows_per_adc change the accuracy replay only");
  if (run.separate_calibration)
    notes.push_back(
        "the hardware's static ranges / ADC full scales come from a second calibration with the "
        "hardware's bits and rows per conversion (same images), since they differ from the "
        "replay's");
  json out = {{"accelerator", accelerator},
              {"tokens_per_image", model.config.num_patches()},
              {"blocks", depth},
              {"simulated_block", 0},
              {"timestep", run.t},
              {"totals",
               {{"latency_cycles", total_cycles},
                {"latency_ns", total_ns},
                {"latency_ns_per_token", total_ns / tokens},
                {"throughput_tokens_per_s", tokens / (total_ns * 1e-9)},
                {"network_calls_per_s", 1.0 / (total_ns * 1e-9)},
                {"dynamic_energy_pJ", dynamic_pJ},
                {"leakage_energy_pJ", leakage_pJ},
                {"energy_pJ", energy_pJ},
                {"energy_pJ_per_token", energy_pJ / tokens},
                {"network_calls_per_sample", run.network_calls_per_sample},
                {"latency_ns_per_sample", calls * total_ns},
                {"energy_pJ_per_sample", calls * energy_pJ},
                {"bounding_unit", r.bounding_unit},
                {"units", total_units},
                {"energy_by_component_pJ", by_component}}},
              {"area",
               {{"area_um2", area_um2},
                {"area_mm2", area_um2 * 1e-6},
                {"leakage_uW", leakage_uW},
                {"components", area_rows}}},
              {"layers", layers},
              {"energy_table", price_rows},
              {"unpriced", unpriced},
              {"notes", notes}};
  return out;
}

std::string render_jit_hardware_summary(const json& h) {
  std::ostringstream s;
  char buf[256];
  const json& a = h.at("accelerator");
  const json& t = h.at("totals");
  const json& area = h.at("area");
  s << "  accelerator  " << a.at("node_nm").get<int>() << " nm, "
    << fmt(a.at("vdd_v").get<double>(), 4) << " V, " << fmt(a.at("clock_mhz").get<double>(), 6)
    << " MHz; " << a.at("cim_macros").get<int>() << " CIM macros " << a.at("cim_rows").get<int>()
    << "x" << a.at("cim_cols").get<int>() << ", " << a.at("adc_bits").get<int>()
    << "-bit ADCs; MAC array " << a.at("mac_rows").get<int>() << "x" << a.at("mac_cols").get<int>()
    << "; DRAM " << a.at("dram_preset").get<std::string>() << "\n";
  s << "  weights      " << (a.at("cim_weights_resident").get<bool>() ? "resident" : "streamed")
    << ": the model needs " << a.at("cim_macros_for_residency").get<std::int64_t>()
    << " macros to keep every block's weights on the chip\n";
  s << "  area         " << fmt(area.at("area_mm2").get<double>(), 5) << " mm^2, leakage "
    << fmt(area.at("leakage_uW").get<double>() * 1e-3, 4) << " mW\n";
  const double total_area = area.at("area_um2").get<double>();
  for (const json& r : area.at("components")) {
    std::snprintf(buf, sizeof buf, "    %-28s %6d x %11.4g um^2 = %11.5g um^2  %5.1f%%\n",
                  r.at("component").get<std::string>().c_str(), r.at("count").get<int>(),
                  r.at("area_um2_each").get<double>(), r.at("area_um2").get<double>(),
                  total_area > 0 ? 100.0 * r.at("area_um2").get<double>() / total_area : 0.0);
    s << buf;
  }
  const double tokens = h.at("tokens_per_image").get<double>();
  const double energy = t.at("energy_pJ").get<double>();
  s << "  energy       " << fmt(energy / 1e6, 5) << " uJ per network call (one image, "
    << h.at("blocks").get<int>() << " blocks, " << tokens
    << " tokens) = " << fmt(t.at("energy_pJ_per_token").get<double>() / 1e3, 5)
    << " nJ/token (dynamic " << fmt(t.at("dynamic_energy_pJ").get<double>() / 1e6, 5)
    << " uJ, leakage " << fmt(t.at("leakage_energy_pJ").get<double>() / 1e6, 5) << " uJ)\n";
  std::vector<std::pair<double, std::string>> by;
  for (const auto& [k, v] : t.at("energy_by_component_pJ").items())
    by.push_back({v.get<double>(), k});
  std::sort(by.begin(), by.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  for (const auto& [v, k] : by) {
    if (v == 0.0) continue;
    std::snprintf(buf, sizeof buf, "    %-28s %12.5g pJ  %5.1f%%\n", k.c_str(), v,
                  energy > 0 ? 100.0 * v / energy : 0.0);
    s << buf;
  }
  if (!h.at("unpriced").empty()) {
    s << "    unpriced (not in the totals):";
    for (const json& u : h.at("unpriced"))
      s << " " << u.at("action").get<std::string>() << " (" << u.at("count").get<std::int64_t>()
        << ")";
    s << "\n";
  }
  const json& l0 = h.at("layers").at(0);
  s << "  latency      " << fmt(t.at("latency_ns").get<double>() / 1e3, 5)
    << " us per network call (" << t.at("latency_cycles").get<std::int64_t>() << " cycles; block "
    << fmt(l0.at("latency_ns").get<double>() / 1e3, 5) << " us), "
    << fmt(t.at("network_calls_per_s").get<double>(), 5) << " calls/s; bounded by "
    << t.at("bounding_unit").get<std::string>() << "\n";
  s << "  per sample   " << t.at("network_calls_per_sample").get<std::int64_t>()
    << " network calls (workload.jit.sample.steps, CFG): "
    << fmt(t.at("latency_ns_per_sample").get<double>() / 1e6, 5) << " ms, "
    << fmt(t.at("energy_pJ_per_sample").get<double>() / 1e6, 5) << " uJ\n";
  s << "    unit       busy cycles  stall cycles  critical path   (per network call)\n";
  for (const json& u : t.at("units")) {
    if (u.at("ops").get<std::int64_t>() == 0) continue;
    std::snprintf(buf, sizeof buf, "    %-8s %13lld %13lld %14lld\n",
                  u.at("unit").get<std::string>().c_str(),
                  static_cast<long long>(u.at("busy_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("stall_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("critical_path_cycles").get<std::int64_t>()));
    s << buf;
  }
  for (const json& n : h.at("notes")) s << "  note         " << n.get<std::string>() << "\n";
  return s.str();
}

/// The hardware columns of a layers row of `block` (-1: model level, not on the accelerator).

/// A timestep as the config spelled it: the replay holds t in FP32 (0.1f = 0.100000001...); the
/// shortest text of the float read back as a double (0.1). -1 (all timesteps) stays -1.
double clean_t(double t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.7g", static_cast<double>(static_cast<float>(t)));
  return std::strtod(text, nullptr);
}

json row_json(const wl::JitReplayRow& r) {
  const nm::ErrorMetrics iso = r.isolated.metrics();
  const nm::ErrorMetrics e2e = r.end_to_end.metrics();
  const bool iso_ok = r.is_linear && r.quantized;
  const wl::JitLinearStats& s = r.linear;
  return {{"t", clean_t(r.t)},
          {"block", r.block},
          {"point", r.point},
          {"linear", r.is_linear},
          {"quantized", r.quantized},
          {"elements", r.end_to_end.n},
          {"isolated_sqnr_db", iso_ok ? number_or_null(iso.sqnr_db) : json(nullptr)},
          {"isolated_cosine", iso_ok ? json(iso.cosine) : json(1.0)},
          {"isolated_max_abs_error", iso_ok ? iso.max_abs_error : 0.0},
          {"e2e_sqnr_db", number_or_null(e2e.sqnr_db)},
          {"e2e_cosine", e2e.cosine},
          {"e2e_max_abs_error", e2e.max_abs_error},
          {"adc_saturation_rate", r.adc_saturation()},
          {"act_saturation_rate", r.act_saturation()},
          {"w_bits", s.w_bits},
          {"min_a_bits", s.min_a_bits},
          {"max_a_bits", s.max_a_bits},
          {"adc_bits", s.adc_bits},
          {"n_slices", s.n_slices},
          {"n_row_tiles", s.n_row_tiles},
          {"adc_conversions", s.adc_conversions},
          {"adc_saturated", s.adc_saturated},
          {"act_saturated", s.act_saturated},
          {"mac_ops", s.mac_ops},
          {"range_x", s.max_range_x}};
}

}  // namespace

RunOutput run_jit(const RunConfig& cfg, Progress* progress_or_null) {
  Progress silent(nullptr);
  Progress& progress = progress_or_null ? *progress_or_null : silent;
  const JitWorkloadConfig& jw = cfg.workload.jit;
  if (jw.model.empty())
    throw ConfigError(
        "workload.jit.model: required when workload.kind is jit (a JiT model folder with "
        "config.json and model.safetensors; none is shipped: set it in the config file or with "
        "--set workload.jit.model=PATH)");
  if (jw.mnist.empty())
    throw ConfigError(
        "workload.jit.mnist: required when workload.kind is jit (the MNIST folder with "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz; set it with --set "
        "workload.jit.mnist=PATH)");
  if (!cfg.hw.trace.empty() && hw::hardware_has_run())
    throw ConfigError("hw.trace: " + cfg.hw.trace +
                      ": a VCD can only be written by the first hardware run of a process "
                      "(SystemC elaborates once); run this config on its own");
  std::vector<float> timesteps;
  for (double t : parse_list(jw.eval.timesteps, "workload.jit.eval.timesteps")) {
    if (t < 0.0 || t > 1.0)
      throw ConfigError("workload.jit.eval.timesteps: " + fmt(t) + " is outside [0, 1]");
    timesteps.push_back(static_cast<float>(t));
  }
  const wl::JitQuantConfig q = jit_quant_config(cfg);
  const hw::HwParams hwp = to_hw_params(cfg);
  hwp.validate();

  progress.start("loading " + jw.model);
  const wl::JitModel model = wl::load_jit(wl::resolve_data_path(jw.model));
  const wl::MnistSet mnist = wl::read_mnist_test(wl::resolve_data_path(jw.mnist));
  progress.finish();
  const std::int64_t n_images = mnist.images.count;
  if (jw.eval.first_image + jw.eval.images > n_images)
    throw ConfigError("workload.jit.eval.images: " + std::to_string(jw.eval.images) +
                      " images from workload.jit.eval.first_image " +
                      std::to_string(jw.eval.first_image) + " exceed the " +
                      std::to_string(n_images) + " images of " + jw.mnist);
  if (jw.calib_images > n_images)
    throw ConfigError("workload.jit.calib_images: " + std::to_string(jw.calib_images) +
                      " exceeds the " + std::to_string(n_images) + " images of " + jw.mnist);

  // ---- calibration: loaded, computed (when the config needs one or calib.save asks), or none ----
  wl::JitCalibrationOptions co;
  co.images = jw.calib_images;
  co.first_image = 0;
  co.batch_size = jw.calib_batch;
  co.seed = cfg.seed;
  co.timesteps = jw.calib_timesteps == JitCalibTimestepsMode::Stratified
                     ? wl::JitCalibrationTimesteps::Stratified
                     : wl::JitCalibrationTimesteps::LogitNormal;
  co.observer.kind = to_numerics(cfg.calib.observer);
  co.observer.percentile_alpha = cfg.calib.percentile_alpha;
  co.observer.ema_sigma = cfg.calib.ema_sigma;
  std::optional<wl::JitCalibration> cal;
  std::string cal_source = "none";
  double cal_seconds = 0.0;
  if (!cfg.calib.load.empty()) {
    cal = wl::load_jit_calibration(cfg.calib.load);
    check_calibration_fingerprint(cal->fingerprint, cfg, CalibrationFamily::Jit);
    cal_source = "loaded";
  } else if (q.needs_calibration() || !cfg.calib.save.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    progress.start("calibration (" + std::to_string(co.images) + " images)");
    cal = wl::calibrate_jit(model, mnist, q, co);
    progress.finish();
    cal_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& [k, v] : calibration_fingerprint(cfg, CalibrationFamily::Jit))
      cal->fingerprint[k] = v;
    cal_source = "computed";
  }
  if (!cfg.calib.save.empty()) wl::save_jit_calibration(*cal, cfg.calib.save);

  // ---- one block on the accelerator (before the long replay, so a configuration the hardware
  // cannot run fails early) ----
  const auto hw_t0 = std::chrono::steady_clock::now();
  progress.start("hardware block");
  JitHwRun run;
  const wl::JitQuantConfig hq = hw::apply_hw(q, hwp);
  // The hardware's static settings depend on the bits and rows per conversion: when apply_hw
  // changed them for a quantized linear, calibrate again for the hardware (same images).
  std::optional<wl::JitCalibration> hw_cal;
  const wl::JitCalibration* hw_cal_ptr = cal ? &*cal : nullptr;
  if (hq.needs_calibration()) {
    bool differs = false;
    for (wl::JitLinearKind kind : wl::jit_linear_kinds()) {
      const std::size_t k = wl::jit_kind_index(kind);
      if (!q.quantize[k]) continue;
      const nm::BitSerialConfig &a = q.linear[k], &b = hq.linear[k];
      differs = differs || a.w_bits != b.w_bits || a.adc.bits != b.adc.bits ||
                a.rows_per_adc != b.rows_per_adc;
    }
    if (differs || hw_cal_ptr == nullptr) {
      hw_cal = wl::calibrate_jit(model, mnist, hq, co);
      hw_cal_ptr = &*hw_cal;
      run.separate_calibration = true;
    }
  }
  run.t = clean_t(timesteps[timesteps.size() / 2]);
  run.image = jw.eval.first_image;
  run.network_calls_per_sample =
      (2 * static_cast<std::int64_t>(jw.sample.steps) - 1) * (jw.sample.cfg_scale == 1.0 ? 1 : 2);
  const wl::JitBlockShape shape = hw::jit_block_shape(model.config);
  const wl::OpProgram program = wl::build_jit_block_program(
      shape, hw::jit_block_program_options(hwp, shape, hq, model.config.depth), "blocks.0");
  {
    // Block 0's input in the quantized model: x_embed.out and s = silu(c) of image `run.image`.
    const std::int64_t css =
        model.config.in_channels * model.config.image_size * model.config.image_size;
    const nm::MatrixF x = wl::mnist_to_model_images(
        mnist.images, run.image, 1, model.config.image_size, model.config.pad_value);
    const std::vector<std::int32_t> y = wl::mnist_labels_range(mnist.labels, run.image, 1);
    const std::vector<float> tv{static_cast<float>(run.t)};
    const nm::MatrixF z =
        wl::jit_noisy_images(x, tv, wl::jit_gaussian_noise(cfg.seed, 1, css, run.image));
    wl::JitQuantHooks hooks(model, hq, hw_cal_ptr);
    nm::MatrixF h, c;
    wl::JitForwardOptions fo;
    fo.hooks = &hooks;
    fo.observer = [&](int block, const std::string& point, const nm::MatrixF& value) {
      if (block == -1 && point == "x_embed.out") h = value;
      if (block == -1 && point == "c") c = value;
    };
    wl::jit_forward(model, z, tv, y, fo);
    const nm::MatrixF s = c.unaryExpr([](float v) { return nm::silu(v); });
    hw::JitBlockExecutor ex(model.config, model.blocks[0], 0, hq, hw_cal_ptr, hwp, h, s,
                            static_cast<float>(run.t));
    run.report = hw::run_on_hardware(program, ex, hwp, {});
  }
  std::vector<wl::BufferUse> buffers;
  for (const hw::BufferReport& b : run.report.buffers)
    buffers.push_back({b.name, b.required_bytes});
  run.prices = build_energy_table(cfg, hwp, buffers);
  run.area = area_breakdown(cfg, hwp, buffers, wl::Mamba1LayerShape{});
  {
    // The FP32 MAC array (hw.mac) of the attention and the FP32 adaLN: one FP32 multiplier and
    // one FP32 adder per PE (models/cost/digital: Horowitz ISSCC'14, Stillmaker-Baas scaling).
    const cost::TechPoint tech{cfg.hw.node_nm, cfg.hw.vdd_v, cfg.hw.clock_mhz / 1000.0};
    const cost::ComponentCost mul = cost::fp32_multiplier(tech), add = cost::fp32_adder(tech);
    AreaRow a;
    a.component = "FP32 MAC array PE";
    a.count = hwp.mac.rows * hwp.mac.cols;
    a.area_um2_each = mul.area_um2 + add.area_um2;
    a.area_um2 = a.count * a.area_um2_each;
    a.leakage_uW = a.count * (mul.leakage_uW + add.leakage_uW);
    a.counted_as = "hw.mac.rows x hw.mac.cols, one FP32 multiplier + adder each";
    a.source = "fp32_multiplier + fp32_adder: " + mul.source;
    run.area.push_back(a);
  }
  reprice(run.report, run.prices.table);
  const json hardware = jit_hardware_json(cfg, hwp, model, run);
  progress.finish();
  const double hw_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - hw_t0).count();

  // ---- accuracy ----
  wl::JitQuantEvalOptions eo;
  eo.timesteps = timesteps;
  eo.images = jw.eval.images;
  eo.first_image = jw.eval.first_image;
  eo.noise_seed = cfg.seed;
  eo.samples = jw.sample.count;
  eo.sample_steps = jw.sample.steps;
  eo.cfg_scale = jw.sample.cfg_scale;
  eo.sample_seed = cfg.seed;
  progress.start("quantized replay (" + std::to_string(eo.images) + " images x " +
                 std::to_string(timesteps.size()) + " timesteps" +
                 (eo.samples ? ", " + std::to_string(eo.samples) + " samples" : std::string()) +
                 ")");
  const wl::JitQuantEvalResult r =
      wl::evaluate_jit_quant(model, mnist, q, cal ? &*cal : nullptr, eo);
  progress.finish();

  // ---- result.json ----
  json layers = json::array();
  std::int64_t conversions = 0, adc_saturated = 0, act_saturated = 0, act_elements = 0;
  nm::ErrorMetrics pred_x{};
  for (const wl::JitReplayRow& row : r.rows) {
    json j = row_json(row);
    const json columns =
        hardware_layer_columns(hardware, row.block);  // kept alive: items() is a view
    for (const auto& [k, v] : columns.items()) j[k] = v;
    layers.push_back(j);
    if (row.t < 0.0) {
      if (row.is_linear) {
        conversions += row.linear.adc_conversions;
        adc_saturated += row.linear.adc_saturated;
        act_saturated += row.linear.act_saturated;
        act_elements += row.linear.act_elements;
      }
      if (row.point == "pred_x") pred_x = row.end_to_end.metrics();
    }
  }
  json per_t = json::array();
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    per_t.push_back({{"t", clean_t(r.timesteps[i])},
                     {"pred_x_psnr_db", number_or_null(r.pred_x_psnr_db[i])},
                     {"pred_x_sqnr_db", number_or_null(r.pred_x_sqnr_db[i])}});
  const bool sampled = r.samples > 0;
  json config_json = config_to_json(cfg);
  RunOutput out;
  out.result = {
      {"tool", "cimba"},
      {"version", kVersion},
      {"seed", cfg.seed},
      {"workload",
       {{"kind", "jit"},
        {"model", jw.model},
        {"mnist", jw.mnist},
        {"images", jw.eval.images},
        {"first_image", jw.eval.first_image},
        {"timesteps",
         [&] {
           json ts = json::array();
           for (double t : r.timesteps) ts.push_back(clean_t(t));
           return ts;
         }()},
        {"samples", r.samples},
        {"sample_steps", r.sample_steps},
        {"depth", model.config.depth},
        {"hidden_size", model.config.hidden_size},
        {"num_heads", model.config.num_heads},
        {"ffn_hidden", model.config.ffn_hidden},
        {"tokens_per_image", model.config.num_patches()}}},
      {"config", config_json},
      {"calibration",
       {{"source", cal_source},
        {"file", !cfg.calib.load.empty() ? cfg.calib.load : cfg.calib.save},
        {"images", cal ? cal->images : 0},
        {"batches", cal ? cal->batches : 0},
        {"buckets", cal ? cal->buckets : 0}}},
      {"metrics",
       {{"mean_pred_x_psnr_db", number_or_null(r.mean_pred_x_psnr_db)},
        {"pred_x_sqnr_db", number_or_null(pred_x.sqnr_db)},
        {"pred_x_cosine", pred_x.cosine},
        {"min_linear_sqnr_db", number_or_null(r.min_linear_sqnr_db)},
        {"sample_psnr_db", sampled ? number_or_null(r.sample_psnr_db) : json(nullptr)},
        {"sample_sqnr_db", sampled ? number_or_null(r.sample_sqnr_db) : json(nullptr)},
        {"adc_conversions", conversions},
        {"adc_saturated", adc_saturated},
        {"adc_saturation_rate", conversions ? double(adc_saturated) / double(conversions) : 0.0},
        {"act_saturation_rate", act_elements ? double(act_saturated) / double(act_elements) : 0.0},
        {"by_timestep", per_t}}},
      {"hardware", hardware},
      {"layers", layers}};

  // ---- layers.csv ----
  out.layers_csv = render_layers_csv(layers);

  // ---- summary (timings only here) ----
  std::ostringstream s;
  char buf[256];
  std::string quantized;
  for (wl::JitLinearKind kind : wl::jit_linear_kinds())
    if (q.quantize[wl::jit_kind_index(kind)])
      quantized += (quantized.empty() ? "" : ", ") + std::string(wl::jit_linear_key_name(kind));
  s << "cimba " << kVersion << ": jit workload " << jw.model << " (depth " << model.config.depth
    << ", hidden " << model.config.hidden_size << ", " << model.config.num_patches()
    << " tokens/image), " << jw.eval.images << " MNIST test images from #" << jw.eval.first_image
    << " x " << r.timesteps.size() << " timesteps\n"
    << "  quantization W" << cfg.quant.w_bits << "A" << cfg.quant.a_bits << " "
    << (q.static_range_x ? "static" : "dynamic") << " on " << quantized << "; "
    << cfg.hw.cim.adc.bits << "-bit "
    << (cfg.hw.cim.adc.range == AdcRangeMode::Static    ? "static"
        : cfg.hw.cim.adc.range == AdcRangeMode::Dynamic ? "dynamic"
                                                        : "bypass")
    << " ADC; TaQ-DiT "
    << (q.taq.enabled ? "on (" + std::to_string(q.taq.buckets) + " buckets)" : "off")
    << "; calibration " << cal_source << "\n";
  s << "  pred_x       PSNR vs FP32:";
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    s << (i ? "," : "") << " t=" << fmt(r.timesteps[i], 3) << " " << fmt(r.pred_x_psnr_db[i], 4)
      << " dB";
  s << "; mean " << fmt(r.mean_pred_x_psnr_db, 4) << " dB, SQNR " << fmt(pred_x.sqnr_db, 4)
    << " dB\n";
  if (sampled)
    s << "  samples      " << r.samples << " x " << r.sample_steps << " steps, CFG "
      << fmt(jw.sample.cfg_scale, 3) << ": PSNR " << fmt(r.sample_psnr_db, 4) << " dB, SQNR "
      << fmt(r.sample_sqnr_db, 4) << " dB vs FP32 samples from the same noise\n";
  else
    s << "  samples      not compared (workload.jit.sample.count 0)\n";
  s << "  linears      isolated SQNR (e2e) over all timesteps, worst "
    << fmt(r.min_linear_sqnr_db, 4) << " dB; ADC " << conversions << " conversions, "
    << adc_saturated << " saturated\n";
  s << "    block       qkv          proj         w12          w3           out (e2e)\n";
  for (std::int64_t b = 0; b < model.config.depth; ++b) {
    std::string line;
    std::snprintf(buf, sizeof buf, "    %-5lld", static_cast<long long>(b));
    line = buf;
    for (const char* point : {"attn.qkv", "attn.proj", "mlp.w12", "mlp.w3", "out"}) {
      for (const wl::JitReplayRow& row : r.rows) {
        if (row.t >= 0.0 || row.block != b || row.point != point) continue;
        if (row.is_linear && row.quantized)
          std::snprintf(buf, sizeof buf, " %5.1f (%5.1f)", row.isolated.metrics().sqnr_db,
                        row.end_to_end.metrics().sqnr_db);
        else
          std::snprintf(buf, sizeof buf, " %12.1f", row.end_to_end.metrics().sqnr_db);
        line += buf;
      }
    }
    s << line << "\n";
  }
  s << render_jit_hardware_summary(hardware) << "  time         replay " << fmt(r.seconds, 4)
    << " s" << (cal_source == "computed" ? ", calibration " + fmt(cal_seconds, 4) + " s" : "")
    << ", hardware " << fmt(hw_seconds, 4) << " s\n";
  out.summary = s.str();
  return out;
}

}  // namespace cimba::sim
