#pragma once
// The JiT family's settings from the config: the replay's quantization (quant.*,
// quant.layers.<jit linear>.*, hw.cim.*, workload.jit.taq.*), lists of numbers in string keys,
// and timesteps as the config spells them.
#include <string>
#include <vector>

#include "sim/run_config.hpp"
#include "workloads/jit/jit_quant_config.hpp"

namespace cimba::sim {

/// Comma-separated numbers of a string key; ConfigError naming the key otherwise.
std::vector<double> parse_number_list(const std::string& text, const std::string& key);

/// The replay's settings from the config: quant.*, quant.layers.<jit linear>.*, hw.cim.adc.*,
/// hw.cim.rows_per_adc, workload.jit.taq.*, seed. Throws ConfigError naming the key.
workloads::JitQuantConfig jit_quant_config(const RunConfig& cfg);

/// A timestep as the config spelled it: the replay holds t in FP32 (0.1f = 0.100000001...); the
/// shortest text of the float read back as a double (0.1). -1 (all timesteps) stays -1.
double clean_timestep(double t);

}  // namespace cimba::sim
