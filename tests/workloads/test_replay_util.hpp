#pragma once
// The real mamba-bytes-4l model and short windows shared by the calibration and quantized-replay
// tests (loaded once per process).
#include <gtest/gtest.h>

#include <filesystem>

#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/quant_replay.hpp"

namespace cimba::workloads {

inline const std::filesystem::path& replay_model_dir() {
  static const std::filesystem::path dir =
      std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mamba-bytes-4l";
  return dir;
}

inline bool replay_model_present() {
  return std::filesystem::exists(replay_model_dir() / "config.json");
}

inline const MambaModel& replay_model() {
  static const MambaModel model = load_mamba(replay_model_dir());
  return model;
}

/// Two validation windows of 256 bytes (512 predicted bytes): enough to see the trends, fast.
inline const TokenWindows& replay_windows() {
  static const TokenWindows w = make_byte_windows(builtin_validation_text(), 256, 2);
  return w;
}

inline const TokenWindows& calibration_windows() {
  static const TokenWindows w = make_byte_windows(builtin_calibration_text(), 256, 2);
  return w;
}

/// The calibration options matching a replay config.
inline MambaCalibrationOptions calibration_options(const QuantReplayConfig& rc) {
  MambaCalibrationOptions o;
  o.linear = rc.linear;
  o.static_range_x = rc.static_range_x;
  o.dual = rc.ssm_input.dual;
  o.batch_windows = rc.batch_windows;
  return o;
}

#define REQUIRE_REPLAY_MODEL() \
  if (!replay_model_present()) \
  GTEST_SKIP() << "needs " << replay_model_dir().string() << " (shared data, not in the repository)"

}  // namespace cimba::workloads
