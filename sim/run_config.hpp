#pragma once
// RunConfig: the validated, immutable parameters of one run, every default resolved.
// Built only by sim/config.cpp from the YAML file and --set overrides (see docs/config.md, which is
// generated from the schema in sim/config_schema.cpp). Everything downstream reads this struct.
#include <cstdint>
#include <string>

namespace cimba::sim {

enum class WorkloadKind { Linear };
enum class RangeMode { Dynamic, Static };             // activation ranges: per tensor or calibrated
enum class AdcRangeMode { Dynamic, Static, Bypass };  // NUMERICS.md 2.5
enum class ObserverKind { Absmax, PercentileEma, Kl, Mse };  // NUMERICS.md 6

/// workload.linear.*: one linear layer Y = X W^T + b read from a safetensors file.
struct LinearWorkloadConfig {
  std::string file = "builtin:linear_example";  // safetensors path, or builtin:NAME
  std::string weight = "W";                     // tensor [M, K]
  std::string input = "X";                      // tensor [N, K]
  std::string bias;                             // tensor [M]; empty: no bias
  std::string calib_input;      // tensor [N', K] for static calibration; empty: use `input`
  std::string name = "linear";  // layer name in results
};

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::Linear;
  LinearWorkloadConfig linear;
};

/// quant.*: quantization of the linear layers (NUMERICS.md 2.1-2.3).
struct QuantConfig {
  int w_bits = 8;             // 2..8
  double w_clip_pct = 100.0;  // (0, 100]; 100: range = max|W|
  int a_bits = 12;            // 8..16
  RangeMode a_range = RangeMode::Dynamic;
  int slice_bits = 8;    // 1..a_bits
  int overlap_bits = 4;  // 0..slice_bits-1
};

/// hw.cim.adc.*: the column ADCs (NUMERICS.md 2.5).
struct AdcConfig {
  int bits = 10;  // 1..16
  AdcRangeMode range = AdcRangeMode::Dynamic;
  double noise_lsb = 0.0;  // >= 0, Gaussian noise sigma in LSB
  double enob = 0.0;       // 0: ideal (enob = bits); else (0, bits]
};

struct CimConfig {
  AdcConfig adc;
  int rows_per_adc = 0;  // >= 0; 0: the whole column (K rows per conversion)
};

struct HwConfig {
  CimConfig cim;
};

/// calib.*: observers for static ranges (NUMERICS.md 6).
struct CalibrationConfig {
  ObserverKind observer = ObserverKind::Absmax;
  double percentile_alpha = 0.9995;  // (0, 1]
  double ema_sigma = 0.01;           // (0, 1]
  int batch_rows = 0;  // rows of the calibration tensor per observer batch; 0: one batch
};

struct RunConfig {
  std::uint64_t seed = 1;
  WorkloadConfig workload;
  QuantConfig quant;
  HwConfig hw;
  CalibrationConfig calib;
};

}  // namespace cimba::sim
