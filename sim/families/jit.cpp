// The JiT family of `cimba run` (workload.kind: jit): a JiT diffusion transformer replayed
// quantized against its FP32 reference on noisy MNIST test images (per block and linear SQNR /
// cosine / saturation, pred_x PSNR per timestep, optional sample PSNR), and one JiT block on the
// SystemC accelerator (sim/families/jit_hardware). The steps are those of sim/family.hpp; the
// result files are described in docs/results-format.md ("workload.kind: jit").
#include <cstdio>
#include <optional>
#include <sstream>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/families/families.hpp"
#include "sim/families/jit_hardware.hpp"
#include "sim/families/jit_settings.hpp"
#include "sim/family.hpp"
#include "sim/hardware_report.hpp"
#include "sim/numerics_config.hpp"
#include "sim/progress.hpp"
#include "sim/result_format.hpp"
#include "sim/version.hpp"
#include "workloads/io/builtin_data.hpp"
#include "workloads/io/mnist.hpp"
#include "workloads/jit/jit_calibration.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/jit/jit_quant_replay.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

json row_json(const wl::JitReplayRow& r) {
  const nm::ErrorMetrics iso = r.isolated.metrics();
  const nm::ErrorMetrics e2e = r.end_to_end.metrics();
  const bool iso_ok = r.is_linear && r.quantized;
  const wl::JitLinearStats& s = r.linear;
  return {{"t", clean_timestep(r.t)},
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

/// Totals over the replay's rows at "all timesteps" (t < 0).
struct JitTotals {
  std::int64_t conversions = 0, adc_saturated = 0, act_saturated = 0, act_elements = 0;
  nm::ErrorMetrics pred_x{};
};

class JitRun final : public FamilyRun {
 public:
  explicit JitRun(const RunConfig& cfg) : cfg_(cfg) {
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
  }

  void load(Progress& progress) override {
    const JitWorkloadConfig& jw = cfg_.workload.jit;
    for (double t : parse_number_list(jw.eval.timesteps, "workload.jit.eval.timesteps")) {
      if (t < 0.0 || t > 1.0)
        throw ConfigError("workload.jit.eval.timesteps: " + fmt(t) + " is outside [0, 1]");
      timesteps_.push_back(static_cast<float>(t));
    }
    q_ = jit_quant_config(cfg_);
    to_hw_params(cfg_).validate();
    progress.start("loading " + jw.model);
    model_ = wl::load_jit(wl::resolve_data_path(jw.model));
    mnist_ = wl::read_mnist_test(wl::resolve_data_path(jw.mnist));
    progress.finish();
    const std::int64_t n_images = mnist_->images.count;
    if (jw.eval.first_image + jw.eval.images > n_images)
      throw ConfigError("workload.jit.eval.images: " + std::to_string(jw.eval.images) +
                        " images from workload.jit.eval.first_image " +
                        std::to_string(jw.eval.first_image) + " exceed the " +
                        std::to_string(n_images) + " images of " + jw.mnist);
    if (jw.calib_images > n_images)
      throw ConfigError("workload.jit.calib_images: " + std::to_string(jw.calib_images) +
                        " exceeds the " + std::to_string(n_images) + " images of " + jw.mnist);
    co_.images = jw.calib_images;
    co_.first_image = 0;
    co_.batch_size = jw.calib_batch;
    co_.seed = cfg_.seed;
    co_.timesteps = jw.calib_timesteps == JitCalibTimestepsMode::Stratified
                        ? wl::JitCalibrationTimesteps::Stratified
                        : wl::JitCalibrationTimesteps::LogitNormal;
    co_.observer.kind = to_numerics(cfg_.calib.observer);
    co_.observer.percentile_alpha = cfg_.calib.percentile_alpha;
    co_.observer.ema_sigma = cfg_.calib.ema_sigma;
  }

  bool needs_calibration() const override { return q_.needs_calibration(); }

  std::map<std::string, std::string> load_calibration(const std::string& path) override {
    cal_ = wl::load_jit_calibration(path);
    return cal_->fingerprint;
  }

  void calibrate(Progress& progress,
                 const std::map<std::string, std::string>& fingerprint) override {
    progress.start("calibration (" + std::to_string(co_.images) + " images)");
    cal_ = wl::calibrate_jit(*model_, *mnist_, q_, co_);
    progress.finish();
    for (const auto& [k, v] : fingerprint) cal_->fingerprint[k] = v;
  }

  void save_calibration(const std::string& path) const override {
    wl::save_jit_calibration(*cal_, path);
  }

  json run_hardware(Progress& progress) override {
    progress.start("hardware block");
    const JitHardwareInput in{
        *model_, *mnist_, q_, cal_ ? &*cal_ : nullptr, co_, timesteps_[timesteps_.size() / 2]};
    json hardware = run_jit_hardware(cfg_, in);
    progress.finish();
    return hardware;
  }

  void replay(Progress& progress) override {
    const JitWorkloadConfig& jw = cfg_.workload.jit;
    wl::JitQuantEvalOptions eo;
    eo.timesteps = timesteps_;
    eo.images = jw.eval.images;
    eo.first_image = jw.eval.first_image;
    eo.noise_seed = cfg_.seed;
    eo.samples = jw.sample.count;
    eo.sample_steps = jw.sample.steps;
    eo.cfg_scale = jw.sample.cfg_scale;
    eo.sample_seed = cfg_.seed;
    progress.start("quantized replay (" + std::to_string(eo.images) + " images x " +
                   std::to_string(timesteps_.size()) + " timesteps" +
                   (eo.samples ? ", " + std::to_string(eo.samples) + " samples" : std::string()) +
                   ")");
    result_ = wl::evaluate_jit_quant(*model_, *mnist_, q_, cal_ ? &*cal_ : nullptr, eo);
    progress.finish();
  }

  RunOutput render(const PipelineRecord& record) const override {
    json layers = json::array();
    JitTotals t;
    for (const wl::JitReplayRow& row : result_.rows) {
      json j = row_json(row);
      const json columns =
          hardware_layer_columns(record.hardware, row.block);  // kept alive: items() is a view
      for (const auto& [k, v] : columns.items()) j[k] = v;
      layers.push_back(j);
      if (row.t >= 0.0) continue;
      if (row.is_linear) {
        t.conversions += row.linear.adc_conversions;
        t.adc_saturated += row.linear.adc_saturated;
        t.act_saturated += row.linear.act_saturated;
        t.act_elements += row.linear.act_elements;
      }
      if (row.point == "pred_x") t.pred_x = row.end_to_end.metrics();
    }
    RunOutput out;
    out.result = result_json(record, t, layers);
    out.layers_csv = render_layers_csv(layers);
    out.summary = summary(record, t);
    return out;
  }

 private:
  json result_json(const PipelineRecord& record, const JitTotals& t, json layers) const;
  std::string summary(const PipelineRecord& record, const JitTotals& t) const;
  std::string block_table() const;

  const RunConfig& cfg_;
  std::vector<float> timesteps_;
  wl::JitQuantConfig q_;
  wl::JitCalibrationOptions co_;
  std::optional<wl::JitModel> model_;
  std::optional<wl::MnistSet> mnist_;
  std::optional<wl::JitCalibration> cal_;
  wl::JitQuantEvalResult result_;
};

json JitRun::result_json(const PipelineRecord& record, const JitTotals& t, json layers) const {
  const JitWorkloadConfig& jw = cfg_.workload.jit;
  const wl::JitQuantEvalResult& r = result_;
  const wl::JitConfig& mc = model_->config;
  json per_t = json::array();
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    per_t.push_back({{"t", clean_timestep(r.timesteps[i])},
                     {"pred_x_psnr_db", number_or_null(r.pred_x_psnr_db[i])},
                     {"pred_x_sqnr_db", number_or_null(r.pred_x_sqnr_db[i])}});
  json ts = json::array();
  for (double v : r.timesteps) ts.push_back(clean_timestep(v));
  const bool sampled = r.samples > 0;
  const std::int64_t conversions = t.conversions;
  return {
      {"tool", "cimba"},
      {"version", kVersion},
      {"seed", cfg_.seed},
      {"workload",
       {{"kind", "jit"},
        {"model", jw.model},
        {"mnist", jw.mnist},
        {"images", jw.eval.images},
        {"first_image", jw.eval.first_image},
        {"timesteps", ts},
        {"samples", r.samples},
        {"sample_steps", r.sample_steps},
        {"depth", mc.depth},
        {"hidden_size", mc.hidden_size},
        {"num_heads", mc.num_heads},
        {"ffn_hidden", mc.ffn_hidden},
        {"tokens_per_image", mc.num_patches()}}},
      {"config", config_to_json(cfg_)},
      {"calibration",
       {{"source", record.calib_source},
        {"file", record.calib_file},
        {"images", cal_ ? cal_->images : 0},
        {"batches", cal_ ? cal_->batches : 0},
        {"buckets", cal_ ? cal_->buckets : 0}}},
      {"metrics",
       {{"mean_pred_x_psnr_db", number_or_null(r.mean_pred_x_psnr_db)},
        {"pred_x_sqnr_db", number_or_null(t.pred_x.sqnr_db)},
        {"pred_x_cosine", t.pred_x.cosine},
        {"min_linear_sqnr_db", number_or_null(r.min_linear_sqnr_db)},
        {"sample_psnr_db", sampled ? number_or_null(r.sample_psnr_db) : json(nullptr)},
        {"sample_sqnr_db", sampled ? number_or_null(r.sample_sqnr_db) : json(nullptr)},
        {"adc_conversions", conversions},
        {"adc_saturated", t.adc_saturated},
        {"adc_saturation_rate", conversions ? double(t.adc_saturated) / double(conversions) : 0.0},
        {"act_saturation_rate",
         t.act_elements ? double(t.act_saturated) / double(t.act_elements) : 0.0},
        {"by_timestep", per_t}}},
      {"hardware", record.hardware},
      {"layers", std::move(layers)}};
}

/// Per block: isolated (end-to-end) SQNR of each linear over all timesteps.
std::string JitRun::block_table() const {
  std::ostringstream s;
  char buf[256];
  s << "    block       qkv          proj         w12          w3           out (e2e)\n";
  for (std::int64_t b = 0; b < model_->config.depth; ++b) {
    std::snprintf(buf, sizeof buf, "    %-5lld", static_cast<long long>(b));
    std::string line = buf;
    for (const char* point : {"attn.qkv", "attn.proj", "mlp.w12", "mlp.w3", "out"}) {
      for (const wl::JitReplayRow& row : result_.rows) {
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
  return s.str();
}

std::string JitRun::summary(const PipelineRecord& record, const JitTotals& t) const {
  const JitWorkloadConfig& jw = cfg_.workload.jit;
  const wl::JitQuantEvalResult& r = result_;
  const wl::JitConfig& mc = model_->config;
  // Timings only here: they are not deterministic.
  std::ostringstream s;
  std::string quantized;
  for (wl::JitLinearKind kind : wl::jit_linear_kinds())
    if (q_.quantize[wl::jit_kind_index(kind)])
      quantized += (quantized.empty() ? "" : ", ") + std::string(wl::jit_linear_key_name(kind));
  s << "cimba " << kVersion << ": jit workload " << jw.model << " (depth " << mc.depth
    << ", hidden " << mc.hidden_size << ", " << mc.num_patches() << " tokens/image), "
    << jw.eval.images << " MNIST test images from #" << jw.eval.first_image << " x "
    << r.timesteps.size() << " timesteps\n"
    << "  quantization W" << cfg_.quant.w_bits << "A" << cfg_.quant.a_bits << " "
    << (q_.static_range_x ? "static" : "dynamic") << " on " << quantized << "; "
    << cfg_.hw.cim.adc.bits << "-bit " << adc_range_name(cfg_.hw.cim.adc.range) << " ADC; TaQ-DiT "
    << (q_.taq.enabled ? "on (" + std::to_string(q_.taq.buckets) + " buckets)" : "off")
    << "; calibration " << record.calib_source << "\n";
  s << "  pred_x       PSNR vs FP32:";
  for (std::size_t i = 0; i < r.timesteps.size(); ++i)
    s << (i ? "," : "") << " t=" << fmt(r.timesteps[i], 3) << " " << fmt(r.pred_x_psnr_db[i], 4)
      << " dB";
  s << "; mean " << fmt(r.mean_pred_x_psnr_db, 4) << " dB, SQNR " << fmt(t.pred_x.sqnr_db, 4)
    << " dB\n";
  if (r.samples > 0)
    s << "  samples      " << r.samples << " x " << r.sample_steps << " steps, CFG "
      << fmt(jw.sample.cfg_scale, 3) << ": PSNR " << fmt(r.sample_psnr_db, 4) << " dB, SQNR "
      << fmt(r.sample_sqnr_db, 4) << " dB vs FP32 samples from the same noise\n";
  else
    s << "  samples      not compared (workload.jit.sample.count 0)\n";
  s << "  linears      isolated SQNR (e2e) over all timesteps, worst "
    << fmt(r.min_linear_sqnr_db, 4) << " dB; ADC " << t.conversions << " conversions, "
    << t.adc_saturated << " saturated\n";
  s << block_table();
  s << render_jit_hardware_summary(record.hardware) << "  time         replay " << fmt(r.seconds, 4)
    << " s"
    << (record.calib_source == "computed" ? ", calibration " + fmt(record.calib_seconds, 4) + " s"
                                          : std::string())
    << ", hardware " << fmt(record.hw_seconds, 4) << " s\n";
  return s.str();
}

class JitFamily final : public ModelFamily {
 public:
  WorkloadKind kind() const override { return WorkloadKind::Jit; }
  std::optional<CalibrationFamily> calibration_family() const override {
    return CalibrationFamily::Jit;
  }
  bool runs_hardware() const override { return true; }
  std::unique_ptr<FamilyRun> start(const RunConfig& config) const override {
    return std::make_unique<JitRun>(config);
  }
};

}  // namespace

std::unique_ptr<ModelFamily> make_jit_family() { return std::make_unique<JitFamily>(); }

}  // namespace cimba::sim
