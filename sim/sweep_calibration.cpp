#include "sim/sweep_calibration.hpp"

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sim/calibration_fingerprint.hpp"
#include "sim/family.hpp"

namespace cimba::sim {

std::string shared_calibration_key(const RunConfig& config) {
  nlohmann::ordered_json kept = nlohmann::ordered_json::object();
  const auto family = model_family(config.workload.kind).calibration_family();
  if (family)
    for (const auto& [key, value] : calibration_fingerprint(config, *family)) kept[key] = value;
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
  return model_family(config.workload.kind).can_share_calibration(config);
}

}  // namespace cimba::sim
