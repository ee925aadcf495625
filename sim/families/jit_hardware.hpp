#pragma once
// The hardware side of the JiT family: block 0 of the model, on one image at one timestep, played
// on the SystemC accelerator (the block's op program, workloads/jit/block_program.hpp, and its
// executor, workloads/jit/block_executor.hpp), priced with the run's energy table and area, and
// scaled by the depth to a network call; the "hardware" section of result.json
// (docs/results-format.md, "workload.kind: jit") and the summary rendered from it.
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run_config.hpp"
#include "workloads/io/mnist.hpp"
#include "workloads/jit/jit_calibration.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/jit/jit_quant_config.hpp"

namespace cimba::sim {

/// What the accelerator runs for a JiT workload.
struct JitHardwareInput {
  const workloads::JitModel& model;
  const workloads::MnistSet& mnist;
  const workloads::JitQuantConfig& quant;         // the replay's quantization
  const workloads::JitCalibration* calibration;   // the run's (nullptr: none)
  const workloads::JitCalibrationOptions& calib;  // how to calibrate again for the hardware
  double t = 0.0;                                 // the timestep block 0 runs at
};

/// Plays block 0 on the accelerator and returns the "hardware" section of result.json.
nlohmann::ordered_json run_jit_hardware(const RunConfig& cfg, const JitHardwareInput& in);

/// The area / energy / latency part of the summary, rendered from the "hardware" section.
std::string render_jit_hardware_summary(const nlohmann::ordered_json& hardware);

}  // namespace cimba::sim
