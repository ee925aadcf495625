#pragma once
// RunConfig -> hw::HwParams: the accelerator a config describes, and the check the config schema
// runs on it (a bad hw key is a ConfigError before anything runs).
#include <optional>
#include <string>

#include "hw/params.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

/// The accelerator of `config`: every hw.* key, plus the keys the hardware shares with the
/// numerics (quant.w_bits -> cim.w_bits, hw.cim.adc.bits, ssm.exp_impl -> ssm.exp_impl).
/// hw.sram.<buffer> gets an entry of its own only when one of its fields is non-zero (0 inherits
/// hw.sram.default). Not validated: see hardware_config_problem.
hw::HwParams to_hw_params(const RunConfig& config);

/// The first problem of the accelerator as "key: message" (HwParams::validate, or a node the cost
/// models do not support), or nullopt. The config schema's cross-field rule, so that a bad hw key
/// is a ConfigError (exit 2) before anything runs.
std::optional<std::string> hardware_config_problem(const RunConfig& config);

}  // namespace cimba::sim
