#pragma once
// `cimba run` with workload.kind: linear (docs/results-format.md): one linear layer Y = X W^T + b
// read from a safetensors file (workload.linear.*), quantized and converted as the CIM does.
#include "sim/run.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

/// Runs a linear workload (pure computation; throws cimba::Error subclasses naming the key or
/// file for a missing tensor or mismatched shapes).
RunOutput run_linear(const RunConfig& config);

}  // namespace cimba::sim
