#include "sim/sweep_calibration.hpp"

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sim/calibration_fingerprint.hpp"

namespace cimba::sim {

std::string shared_calibration_key(const RunConfig& config) {
  nlohmann::ordered_json kept = nlohmann::ordered_json::object();
  for (const auto& [key, value] : calibration_fingerprint(config, CalibrationFamily::Mamba))
    kept[key] = value;
  return kept.dump();
}

std::string calibration_group_name(const std::string& fingerprint) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a 64: stable across builds and platforms
  for (const unsigned char c : fingerprint) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  char text[20];
  std::snprintf(text, sizeof(text), "c%016llx", static_cast<unsigned long long>(hash));
  return text;
}

bool can_share_calibration(const RunConfig& config) {
  if (config.workload.kind != WorkloadKind::Mamba) return false;
  if (!config.calib.save.empty() || !config.calib.load.empty()) return false;
  const SsmInputConfig& si = config.workload.ssm_input;
  if (si.range == RangeMode::Static && si.scheme != SsmInputScheme::Fp32) return true;
  const LayerTypeOverrides& l = config.quant.layers;
  for (const LinearTypeOverride* o : {&l.in_proj, &l.x_proj, &l.dt_proj, &l.out_proj, &l.lm_head}) {
    if (!o->quantize) continue;
    if (config.quant.a_range == RangeMode::Static) return true;
    if (config.hw.cim.adc.range == AdcRangeMode::Static) return true;
  }
  return false;
}

}  // namespace cimba::sim
