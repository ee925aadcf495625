#pragma once
// RunConfig -> the numerics library's settings: the config enums as numerics enums, and the
// bit-serial configuration of a CIM linear (built here once for every workload).
#include "models/numerics/adc.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/observers.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

numerics::AdcRange to_numerics(AdcRangeMode mode);
numerics::ObserverKind to_numerics(ObserverKind kind);
numerics::InputEncoding to_numerics(InputEncodingMode mode);
numerics::WeightEncoding to_numerics(WeightEncodingMode mode);

/// Per-linear-type bit overrides (quant.layers.<type>.*); 0 inherits the global key.
struct LinearBitOverrides {
  int w_bits = 0;    // quant.w_bits
  int a_bits = 0;    // quant.a_bits
  int adc_bits = 0;  // hw.cim.adc.bits
};

/// The bit-serial settings of a CIM linear: quant.* (bits, clip, slicing, input and weight
/// encodings), hw.cim.adc.* (bits, range, noise, ENOB) with the overrides applied, and
/// `rows_per_adc` (which each workload resolves: 0 = the whole column). range_x,
/// acc_full_scale and noise_key are left for the caller (calibration, replay).
numerics::BitSerialConfig cim_linear_config(const RunConfig& cfg, const LinearBitOverrides& o,
                                            int rows_per_adc);

}  // namespace cimba::sim
