#pragma once
// The hardware side of the Mamba1 family: the layers of the model played on the SystemC
// accelerator (configured by sim/hw_config, priced by sim/hw_pricing), and the "hardware" section
// of result.json with the summary rendered from it (docs/results-format.md).
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run_config.hpp"
#include "workloads/io/text_data.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/layer_executor.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::sim {

/// Plays every layer of `model` on the accelerator: the layer's op program (L =
/// windows.window tokens), its real weights and, as input, the FP32 reference's block input on
/// the first window. Quantization as in the replay (`base`: bits, slicing, SSM-input scheme,
/// scan), with static ranges calibrated on that window (hw::calibrate_static; group tables from
/// `calibration` when it has them). `layer_done(layer)` is called after each layer. Returns the
/// "hardware" section of result.json.
nlohmann::ordered_json run_mamba_hardware(const RunConfig& config,
                                          const workloads::MambaModel& model,
                                          const workloads::TokenWindows& windows,
                                          const hw::LayerQuant& base,
                                          const workloads::MambaCalibration* calibration,
                                          const std::function<void(int)>& layer_done = {});

/// The area / energy / latency part of the summary, rendered from the "hardware" section.
std::string render_hardware_summary(const nlohmann::ordered_json& hardware);

}  // namespace cimba::sim
