// libFuzzer target: a sweep file (sim/sweep_spec.*): YAML text -> dimensions -> points, every
// point validated into a RunConfig, and the resolved config of each point rendered as a run
// would write it. A ConfigError is the expected outcome for malformed input; anything else is a
// finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/sweep_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // Read only: parse_sweep opens the base file a sweep names and writes nothing.
    const cimba::sim::SweepPlan plan = cimba::sim::parse_sweep(
        text, std::filesystem::path(CIMBA_SOURCE_DIR) / "configs/sweeps/fuzz-input.yaml");
    for (const cimba::sim::SweepPoint& point : plan.points)
      (void)cimba::sim::config_to_json(point.config).dump();
  } catch (const cimba::ConfigError&) {
  }
  return 0;
}
