#pragma once
// RunConfig -> hw::HwParams: the accelerator a config describes, and the check the config schema
// runs on it (a bad hw key is a ConfigError before anything runs).
#include <optional>
#include <string>

#include "hw/params.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

/// The accelerator of `config`: every hw.* key, plus the keys the hardware shares with the
/// numerics (quant.w_bits / a_bits / slice_bits -> cim.*, hw.cim.adc.bits, ssm.* -> ssm.*) and
/// the SSM-input scheme's code width and groups (conv.code_bits, index.head_groups /
/// dim_groups): everything the timing and the cost models need.
/// hw.sram.<buffer> gets an entry of its own only when one of its fields is non-zero (0 inherits
/// hw.sram.default). Not validated: see hardware_config_problem.
hw::HwParams to_hw_params(const RunConfig& config);

/// The first problem of the accelerator as "key: message" (HwParams::validate, which also checks
/// that the cost models support the node), or nullopt. The config schema's cross-field rule, so
/// that a bad hw key is a ConfigError (exit 2) before anything runs.
std::optional<std::string> hardware_config_problem(const RunConfig& config);

}  // namespace cimba::sim
