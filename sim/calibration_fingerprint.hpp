#pragma once
// The one list of the config keys a saved calibration depends on, per model family. A
// calibration file records these keys with their values (its fingerprint); calib.load refuses a
// file whose recorded values differ from the run's, and a sweep lets points whose fingerprints
// are equal share one calibration.
#include <map>
#include <string>

#include "sim/run_config.hpp"

namespace cimba::sim {

enum class CalibrationFamily { Mamba, Jit };

/// The keys a calibration of `family` depends on, with their values in `config`, as recorded in
/// the calibration file (mamba: "<key>"; jit: "run.<key>").
std::map<std::string, std::string> calibration_fingerprint(const RunConfig& config,
                                                           CalibrationFamily family);

/// Compares a calibration file's recorded fingerprint with the run's. A key the file does not
/// record matches its default (the file predates the key). Throws ConfigError naming calib.load
/// and every differing key with both values.
void check_calibration_fingerprint(const std::map<std::string, std::string>& recorded,
                                   const RunConfig& config, CalibrationFamily family);

}  // namespace cimba::sim
