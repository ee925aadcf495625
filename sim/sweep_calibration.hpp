#pragma once
// Which sweep points can share one calibration (docs/sweep.md, "Calibration sharing").
//
// The rule is conservative: two points share a calibration file only when their resolved configs
// are equal after removing the keys listed in calibration_independent_keys(), each of which the
// calibration (workloads/calibration.hpp: calibrate_mamba on the FP32 reference) provably does
// not read. Every other key, including any key added to the schema later, stays in the
// fingerprint until someone shows it cannot change a calibrated number. A fingerprint too fine
// only costs time (an extra calibration); one too coarse would load a calibration made with other
// settings (which `cimba run` then refuses, see check_fingerprint in sim/run.cpp).
#include <string>
#include <vector>

#include "sim/run_config.hpp"

namespace cimba::sim {

/// A key left out of the fingerprint and why the calibration cannot depend on it.
struct CalibrationIndependentKey {
  std::string path;    // a key path, or a prefix ending in '.' for every key below a section
  std::string reason;  // one line, for docs/sweep.md
  /// true: left out only for the absmax and percentile_ema observers. The KL and MSE observers
  /// search a clipping threshold for the number of bits, so bit widths stay in their fingerprint.
  bool only_for_bit_independent_observers = false;
};

/// The keys the calibration does not read, with the reason for each.
const std::vector<CalibrationIndependentKey>& calibration_independent_keys();

/// The resolved config (config_to_json) minus the calibration-independent keys, as compact JSON
/// text: equal strings mean the calibrations of the two configs are equal.
std::string calibration_fingerprint(const RunConfig& config);

/// A short name of a fingerprint for file names: "c" + 16 hex digits of its FNV-1a 64 hash.
std::string calibration_group_name(const std::string& fingerprint);

/// True when a run of `config` calibrates (mirrors QuantReplayConfig::needs_calibration: a static
/// activation range or static ADC of a quantized linear, or a static SSM-input scheme other than
/// fp32) and lets the sweep manage its calibration file: workload.kind mamba (the linear workload
/// has no calibration file) with calib.save and calib.load both empty.
bool can_share_calibration(const RunConfig& config);

}  // namespace cimba::sim
