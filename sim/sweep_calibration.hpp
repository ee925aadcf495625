#pragma once
// Which sweep points can share one calibration (docs/sweep.md, "Calibration sharing"): mamba
// points that calibrate, grouped by the calibration fingerprint of sim/calibration_fingerprint
// (the keys calib.load checks), so that a shared file is exactly one every member would accept.
#include <string>

#include "sim/run_config.hpp"

namespace cimba::sim {

/// The calibration fingerprint of `config` (its model family's keys) as compact JSON text: equal
/// strings mean the calibrations of the two configs are equal (and calib.load accepts either's file
/// for both).
std::string shared_calibration_key(const RunConfig& config);

/// A short name of a fingerprint for file names: "c" + 16 hex digits of its FNV-1a 64 hash.
std::string calibration_group_name(const std::string& fingerprint);

/// True when a run of `config` calibrates and lets the sweep manage its calibration file: its
/// model family says so (ModelFamily::can_share_calibration; today the mamba family, mirroring
/// QuantReplayConfig::needs_calibration: a static activation range or static ADC of a quantized
/// linear, or a static SSM-input scheme other than fp32, with calib.save and calib.load both
/// empty).
bool can_share_calibration(const RunConfig& config);

}  // namespace cimba::sim
