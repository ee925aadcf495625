// libFuzzer target: a run config file (sim/config.*): YAML text -> raw entries -> validated
// RunConfig -> the renderings a run writes (result.json's config, --print-config). A ConfigError
// is the expected outcome for malformed input; anything else (another exception, a crash, a hang, a
// runaway allocation) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/common/error.hpp"
#include "sim/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const cimba::sim::RawConfig raw = cimba::sim::parse_yaml_text(text, "config.yaml");
    const cimba::sim::RunConfig config = cimba::sim::build_run_config(raw);
    // What every run writes: a config that validates must serialise (UTF-8 JSON, YAML).
    (void)cimba::sim::config_to_json(config).dump();
    (void)cimba::sim::render_config_yaml(config);
  } catch (const cimba::ConfigError&) {
  }
  return 0;
}
