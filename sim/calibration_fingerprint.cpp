#include "sim/calibration_fingerprint.hpp"

#include <variant>
#include <vector>

#include "models/common/error.hpp"
#include "sim/config_schema.hpp"
#include "workloads/jit/jit_quant_config.hpp"

namespace cimba::sim {
namespace {

// When a listed key belongs to a family's fingerprint.
enum Use : unsigned {
  kMamba = 1,           // always in the mamba fingerprint
  kMambaBitSearch = 2,  // in the mamba fingerprint when calib.observer searches a clipping
                        // threshold for the bits (kl, mse)
  kJit = 4,             // always in the jit fingerprint
};

struct CalibrationKey {
  const char* path;  // a key, or a prefix ending in '.'
  unsigned use;
};

// The keys (other than quant.layers.<type>.*, below) whose values change what a calibration
// computes. Everything else (the hardware model, the evaluation text and windows, the SSM-input
// scheme and group cuts, noise, ...) is applied after the calibration, at run time.
const std::vector<CalibrationKey>& calibration_keys() {
  static const std::vector<CalibrationKey> keys = {
      {"seed", kJit},  // JiT calibration draws its noisy images from the seed
      {"workload.mamba.model", kMamba},
      {"workload.mamba.calib_text", kMamba},
      {"workload.mamba.calib_windows", kMamba},
      {"workload.mamba.window", kMamba},
      {"workload.mamba.batch_windows", kMamba},
      {"workload.mamba.out_proj_rescale", kMamba},
      {"workload.jit.model", kJit},
      {"workload.jit.calib_images", kJit},
      {"workload.jit.calib_batch", kJit},
      {"workload.jit.calib_timesteps", kJit},
      {"workload.jit.taq.", kJit},
      {"workload.ssm_input.value_bits", kMamba},
      {"workload.ssm_input.inlier_pct", kMamba},
      {"workload.ssm_input.k_round", kMamba},
      {"workload.ssm_input.fixed_k", kMamba},
      {"quant.w_bits", kMamba | kJit},
      {"quant.w_clip_pct", kMamba | kJit},
      {"quant.a_bits", kMamba | kJit},
      {"quant.a_range", kMamba | kJit},
      {"quant.slice_bits", kMamba | kJit},
      {"quant.overlap_bits", kMamba | kJit},
      {"quant.input_encoding", kMamba | kJit},
      {"quant.weight_slice_bits", kMamba | kJit},
      {"quant.weight_encoding", kMamba | kJit},
      {"hw.cim.rows_per_adc", kMamba | kJit},
      {"hw.cim.adc.bits", kMambaBitSearch | kJit},
      {"hw.cim.adc.range", kJit},
      {"calib.observer", kMamba | kJit},
      {"calib.percentile_alpha", kMamba | kJit},
      {"calib.ema_sigma", kMamba | kJit},
  };
  return keys;
}

bool matches(const char* rule, const std::string& path) {
  const std::string r(rule);
  return r.back() == '.' ? path.rfind(r, 0) == 0 : path == r;
}

// quant.layers.<type>.<field>: mamba records w_bits and a_bits of every type (and adc_bits when
// the observer searches the bits); jit records every field of its quantized linear types.
bool layer_key_used(const schema::KeySpec& key, const RunConfig& config, CalibrationFamily family,
                    bool searches_bits) {
  const std::string& p = key.path;
  const std::string field = key.name();
  if (family == CalibrationFamily::Mamba)
    return field == "w_bits" || field == "a_bits" || (searches_bits && field == "adc_bits");
  const std::string type = p.substr(13, p.find('.', 13) - 13);
  try {
    workloads::parse_jit_linear_key_name(type);
  } catch (const Error&) {
    return false;  // a mamba linear type
  }
  const schema::KeySpec* quantize = schema::find_key("quant.layers." + type + ".quantize");
  return quantize && std::get<bool>(quantize->get(config));
}

}  // namespace

std::map<std::string, std::string> calibration_fingerprint(const RunConfig& config,
                                                           CalibrationFamily family) {
  const bool searches_bits =
      config.calib.observer == ObserverKind::Kl || config.calib.observer == ObserverKind::Mse;
  const bool mamba = family == CalibrationFamily::Mamba;
  std::map<std::string, std::string> out;
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    const std::string& p = key.path;
    bool used = false;
    if (p.rfind("quant.layers.", 0) == 0) {
      used = layer_key_used(key, config, family, searches_bits);
    } else {
      for (const CalibrationKey& k : calibration_keys()) {
        if (!matches(k.path, p)) continue;
        used = mamba ? (k.use & kMamba) || (searches_bits && (k.use & kMambaBitSearch))
                     : (k.use & kJit) != 0;
      }
    }
    if (!used) continue;
    std::string value = schema::format_value(key, key.get(config));
    // The mamba replay's rows per conversion: 0 means hw.cim.rows.
    if (mamba && p == "hw.cim.rows_per_adc" && config.hw.cim.rows_per_adc == 0)
      value = std::to_string(config.hw.cim.rows);
    out[mamba ? p : "run." + p] = value;
  }
  return out;
}

void check_calibration_fingerprint(const std::map<std::string, std::string>& recorded,
                                   const RunConfig& config, CalibrationFamily family) {
  const std::string prefix = family == CalibrationFamily::Jit ? "run." : "";
  std::string problems;
  for (const auto& [key, value] : calibration_fingerprint(config, family)) {
    const std::string name = key.substr(prefix.size());
    const auto it = recorded.find(key);
    if (it == recorded.end()) {
      if (!schema::is_default_value(name, value))
        problems += "\n  " + name + ": not recorded in the file (this run: " + value + ")";
    } else if (it->second != value) {
      problems += "\n  " + name + ": file " + it->second + ", this run " + value;
    }
  }
  if (!problems.empty())
    throw ConfigError("calib.load: " + config.calib.load +
                      " was calibrated with other settings; recalibrate (calib.save) or match "
                      "them:" +
                      problems);
}

}  // namespace cimba::sim
