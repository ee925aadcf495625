#pragma once
// Static calibration of a quantized Mamba1 replay (NUMERICS.md 6 applied to a whole model): the
// FP32 reference runs over calibration windows and observers record, for every quantization
// point, what its static scale needs:
//  - every linear (in_proj, x_proj, dt_proj, out_proj of each layer, and the lm_head): the range
//    of its input activations, and the ADC full scale of every input slice and row tile, observed
//    on the partial sums of the bit-serial array (BitSerialLinear::visit_partial_sums);
//  - the SSM input u (conv1d + SiLU output) of each layer: the per-tensor INT8 range, the
//    per-channel absmax (from which the group tables of any layout are cut), and the dual-scale
//    tau / k.
// One calibration holds what every SSM-input scheme and ADC range mode needs, so it is saved once
// (safetensors) and serves many runs. Deterministic: same model, windows and options give the
// same numbers bit for bit.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/numerics/bitserial.hpp"
#include "models/numerics/dual_scale.hpp"
#include "models/numerics/observers.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/io/text_data.hpp"

namespace cimba::workloads {

/// Linear types of the model, indexed by LinearKind (in_proj, x_proj, dt_proj, out_proj, lm_head).
inline constexpr int kMambaLinearKinds = 5;
inline constexpr std::size_t kind_index(LinearKind kind) { return static_cast<std::size_t>(kind); }

/// What the static mode of one linear needs.
struct LinearCalibration {
  double range_x = 0.0;                             // observer range of the input activations
  std::vector<std::vector<double>> acc_full_scale;  // ADC full scale [slice][row tile]
};

/// What the static SSM-input schemes of one layer need.
struct SsmInputCalibration {
  double int8_range = 0.0;             // observer range of u for per-tensor INT8
  std::vector<double> channel_absmax;  // [d_inner]: the statistic the group tables are cut from
  numerics::DualScaleParams dual;      // tau, scale1, k, scale2 of the dual-scale codec
};

struct MambaLayerCalibration {
  std::array<LinearCalibration, 4> linear;  // in_proj, x_proj, dt_proj, out_proj
  SsmInputCalibration ssm_input;
};

struct MambaCalibration {
  std::vector<MambaLayerCalibration> layers;
  LinearCalibration lm_head;
  std::int64_t windows = 0;  // calibration windows observed
  std::int64_t tokens = 0;   // calibration tokens observed
  /// Settings the numbers depend on, as `key -> value` text (filled by the caller, e.g. the
  /// config keys of sim/); stored in the file so that a load can refuse a mismatching run.
  std::map<std::string, std::string> fingerprint;

  const LinearCalibration& linear(int layer, LinearKind kind) const;
  LinearCalibration& linear(int layer, LinearKind kind);
};

struct MambaCalibrationOptions {
  /// Bit-serial settings per linear type (indexed by LinearKind): bits, slicing, rows_per_adc
  /// and w_clip_pct shape the partial sums. adc.range, range_x and acc_full_scale are ignored.
  std::array<numerics::BitSerialConfig, kMambaLinearKinds> linear;
  /// The ADC full scales are observed on activations quantized with the calibrated range_x (true:
  /// the static activation mode) or with max|X| of each forward batch (false: dynamic mode, as
  /// the replay quantizes them).
  bool static_range_x = false;
  /// Observer of every range (its `bits` is set per point: a_bits for activations, the ADC bits
  /// for partial sums, 8 for the INT8 SSM input). One observer batch = one window.
  numerics::ObserverConfig observer;
  numerics::DualScaleConfig dual;  // dual-scale calibration of the SSM input
  std::int64_t batch_windows = 8;  // windows per forward pass (as the replay uses)
};

/// Runs the FP32 reference (exact scan) over the windows and calibrates every point (two passes
/// when static_range_x: the ranges first, then the ADC full scales on partial sums of activations
/// quantized with them). Throws InvalidArgument for empty windows or bad settings.
MambaCalibration calibrate_mamba(const MambaModel& model, const TokenWindows& windows,
                                 const MambaCalibrationOptions& options);

/// Writes the calibration as safetensors (F64 tensors `layers.{i}.{in_proj,...}.range_x` [1],
/// `.acc_full_scale` [slices, tiles], `layers.{i}.ssm_input.int8_range` [1], `.channel_absmax`
/// [d_inner], `.dual_scale` [4] = tau, scale1, k, scale2; `lm_head.*`; metadata: format, counts,
/// value_bits and `fingerprint.KEY` entries). Throws IoError.
void save_calibration(const MambaCalibration& calibration, const std::filesystem::path& path);

/// Reads a file written by save_calibration. Throws IoError or FormatError (naming the file and
/// the missing or malformed tensor).
MambaCalibration load_calibration(const std::filesystem::path& path);

}  // namespace cimba::workloads
