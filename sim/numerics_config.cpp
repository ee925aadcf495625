#include "sim/numerics_config.hpp"

#include "models/numerics/parallel.hpp"

namespace cimba::sim {

numerics::AdcRange to_numerics(AdcRangeMode mode) {
  switch (mode) {
    case AdcRangeMode::Static:
      return numerics::AdcRange::Static;
    case AdcRangeMode::Bypass:
      return numerics::AdcRange::Bypass;
    case AdcRangeMode::Dynamic:
      break;
  }
  return numerics::AdcRange::Dynamic;
}

numerics::ObserverKind to_numerics(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::PercentileEma:
      return numerics::ObserverKind::PercentileEma;
    case ObserverKind::Kl:
      return numerics::ObserverKind::Kl;
    case ObserverKind::Mse:
      return numerics::ObserverKind::Mse;
    case ObserverKind::Absmax:
      break;
  }
  return numerics::ObserverKind::Absmax;
}

numerics::InputEncoding to_numerics(InputEncodingMode mode) {
  return mode == InputEncodingMode::SignMagnitude ? numerics::InputEncoding::SignMagnitude
                                                  : numerics::InputEncoding::TwosComplement;
}

numerics::WeightEncoding to_numerics(WeightEncodingMode mode) {
  switch (mode) {
    case WeightEncodingMode::Offset:
      return numerics::WeightEncoding::Offset;
    case WeightEncodingMode::Differential:
      return numerics::WeightEncoding::Differential;
    case WeightEncodingMode::TwosComplement:
      break;
  }
  return numerics::WeightEncoding::TwosComplement;
}

numerics::BitSerialConfig cim_linear_config(const RunConfig& cfg, const LinearBitOverrides& o,
                                            int rows_per_adc) {
  numerics::BitSerialConfig bs;
  bs.w_bits = o.w_bits ? o.w_bits : cfg.quant.w_bits;
  bs.w_clip_pct = cfg.quant.w_clip_pct;
  bs.a_bits = o.a_bits ? o.a_bits : cfg.quant.a_bits;
  bs.slice_bits = cfg.quant.slice_bits;
  bs.overlap_bits = cfg.quant.overlap_bits;
  bs.input_encoding = to_numerics(cfg.quant.input_encoding);
  bs.weight_slice_bits = cfg.quant.weight_slice_bits;
  bs.weight_encoding = to_numerics(cfg.quant.weight_encoding);
  bs.rows_per_adc = rows_per_adc;
  bs.adc.bits = o.adc_bits ? o.adc_bits : cfg.hw.cim.adc.bits;
  bs.adc.range = to_numerics(cfg.hw.cim.adc.range);
  bs.adc.noise_lsb = cfg.hw.cim.adc.noise_lsb;
  bs.adc.enob = cfg.hw.cim.adc.enob;
  bs.kernel = cfg.slice_kernel;
  bs.threads = cfg.threads > 0 ? cfg.threads : numerics::available_cpus();
  return bs;
}

}  // namespace cimba::sim
