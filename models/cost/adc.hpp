#pragma once
// ADC cost models, cimba::cost. Three models, selected by AdcModel (config key
// `hw.cim.adc.model`: "murmann" | "sar" | "flash", see parse_adc_model()):
//
//  kMurmannSurvey  Energy bound and area regression of the form used by CiMLoop's ADC plug-in
//                  (T. Andrulis, R. Chen, H.-S. Lee, J. S. Emer, V. Sze, "Modeling
//                  Analog-Digital-Converter Energy and Area for Compute-In-Memory Accelerator
//                  Design", arXiv:2404.06553, 2024; plug-in
//                  Accelergy-Project/accelergy-adc-plug-in, used by CiMLoop, Andrulis, Emer, Sze,
//                  ISPASS 2024), fitted to B. Murmann, "ADC Performance Survey 1997-2023". Energy =
//                  1 / (2 * 10^((FOMS - SNDR)/10)) with the Schreier FOM bound FOMS(f_s) and SNDR
//                  = 6.02 N + 1.76 dB; area = exp(linear regression on ln f_s, ln node, N, ln
//                  energy). Optimistic ("best published ADC").
//  kNeuroSimSar    SAR ADC of NeuroSim's form (DNN+NeuroSim V1.3, SarADC.cpp; Peng et al., IEDM
//                  2019): area = transistor count growing linearly with bits
//                  (269 + 109 (N-1) NMOS, 209 + 73 (N-1) PMOS) x transistor area; power per
//                  node = a_node * N + b_node (uW, NeuroSim's Cadence fits, HP devices);
//                  N + 1 SAR clock cycles per conversion.
//  kFlash          Flash ADC: 2^N - 1 comparators (NeuroSim V1.3 MultilevelSenseAmp, voltage
//                  mode: 52 NMOS + 60 PMOS per comparator, per-comparator power per node) plus a
//                  thermometer-to-binary encoder; one 1 ns sensing window per conversion.
//
// adc_cost() returns, for ONE ADC:
//   energy_pJ  : energy of one conversion (action "convert")
//   area_um2   : area of one ADC
//   latency_ns : conversion latency at the given sample rate / SAR clock
//   leakage_uW : kLogicLeakageFraction of the active power at sample_rate_Hz (stated fraction)
// Throws cimba::InvalidArgument for bits outside 1..16, unsupported node, a sample rate <= 0 or
// above what the model supports.
#include <string>
#include <string_view>

#include "models/cost/component.hpp"

namespace cimba::cost {

enum class AdcModel { kMurmannSurvey, kNeuroSimSar, kFlash };

/// "murmann" | "sar" | "flash" -> AdcModel; anything else throws cimba::ConfigError.
AdcModel parse_adc_model(std::string_view name);
/// Inverse of parse_adc_model().
std::string adc_model_name(AdcModel model);

struct AdcParams {
  int bits = 8;                 ///< resolution, 1..16
  double sample_rate_Hz = 1e8;  ///< conversions per second of this one ADC
  int node_nm = 65;             ///< technology node (supported_nodes_nm())
  double sar_clock_GHz = 1.0;   ///< SAR bit-cycle clock (kNeuroSimSar only; NeuroSim uses 1 GHz)
  double vdd_V = 0.9;           ///< digital supply of the flash encoder (the NeuroSim analog
                                ///< fits are used at their own nominal supply, unscaled)
};

/// Cost of one ADC of the given model (see the header comment for units and sources).
ComponentCost adc_cost(AdcModel model, const AdcParams& p);

/// Survey-model internals, exposed for tests: Schreier FOM bound (dB) at f_s, SNDR of an ideal
/// N-bit quantizer (dB).
double murmann_foms_bound_dB(double sample_rate_Hz);
double ideal_sndr_dB(int bits);

}  // namespace cimba::cost
