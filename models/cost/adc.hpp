#pragma once
// ADC cost models, cimba::cost. Three models, selected by AdcModel (config key
// `hw.cim.adc.model`: "survey" | "sar" | "flash", see parse_adc_model()):
//
//  kSurvey       The survey model CiMLoop uses, implemented as published: T. Andrulis, R. Chen,
//                H.-S. Lee, J. Emer, V. Sze, "Modeling Analog-Digital-Converter Energy and Area
//                for Compute-In-Memory Accelerator Design", arXiv:2404.06553 (2024), with the
//                coefficients of Accelergy-Project/hwcomponents-adc commit
//                246af7e0fcf84dde5d6dc3453ba2c9f7d04de217 (hwcomponents_adc/adc_data/model.yaml,
//                byte-identical to accelergy-adc-plug-in 6851cb8, 2024-04-04; the functions
//                get_energy / get_area of model.py), a regression over B. Murmann's "ADC
//                Performance Survey 1997-2023". Energy per conversion (pJ) = the Schreier-FOM
//                energy 1 / (2 10^((FOMS - SNDR)/10)) at FOMS = min(Pareto front in the rate, a
//                ceiling per ENOB), times exp(tech + ENOB terms + the 20th-percentile residual):
//                flat to ~8 bits, then ~3-10x per bit. Area: a regression on node, rate and
//                energy shifted to its 10 % quantile. As hwcomponents-adc books it: 0.8 of the
//                energy per conversion, 0.2 x energy x rate as leakage power. Bits >= 4.
//  kNeuroSimSar  SAR ADC of NeuroSim's form (DNN+NeuroSim V1.3, SarADC.cpp; Peng et al., IEDM
//                2019): power per node = a_node * N + b_node (uW, NeuroSim's Cadence fits, HP
//                devices), N + 1 SAR clock cycles per conversion; area = NeuroSim's transistor
//                count (269 + 109 (N-1) NMOS, 209 + 73 (N-1) PMOS) x transistor area PLUS the
//                binary-weighted capacitor DAC NeuroSim leaves out (sar_cap_dac_area_um2).
//  kFlash        Flash ADC: 2^N - 1 comparators (NeuroSim V1.3 MultilevelSenseAmp, voltage
//                mode: 52 NMOS + 60 PMOS per comparator, per-comparator power per node) plus a
//                thermometer-to-binary encoder; one 1 ns sensing window per conversion.
//
// adc_cost() returns, for ONE ADC sampling at sample_rate_Hz:
//   energy_pJ  : energy of one conversion (action "convert")
//   area_um2   : area of one ADC
//   latency_ns : the conversion slot at that rate, 1e9 / sample_rate_Hz (the rate the timing
//                uses: adc_conversion_ns() is the fastest a model converts)
//   leakage_uW : survey: 0.2 x E x rate (hwcomponents-adc); sar / flash: 0 (NeuroSim books no
//                ADC leakage: SarADC.cpp and MultilevelSenseAmp.cpp set leakage = 0)
// Throws cimba::InvalidArgument for bits outside the model's range, unsupported node, a sample
// rate <= 0 or above what the model converts.
#include <string>
#include <string_view>

#include "models/cost/component.hpp"

namespace cimba::cost {

enum class AdcModel { kSurvey, kNeuroSimSar, kFlash };

/// "survey" | "sar" | "flash" -> AdcModel; anything else throws cimba::ConfigError ("murmann",
/// the 2022 coefficients of earlier versions, names its replacement).
AdcModel parse_adc_model(std::string_view name);
/// Inverse of parse_adc_model().
std::string adc_model_name(AdcModel model);

struct AdcParams {
  int bits = 8;                 ///< resolution, 1..16
  double enob = 0.0;            ///< survey model: effective bits (0: bits, the ideal converter)
  double sample_rate_Hz = 1e8;  ///< conversions per second of this one ADC
  int node_nm = 65;             ///< technology node (supported_nodes_nm())
  double sar_clock_GHz = 1.0;   ///< SAR bit-cycle clock (kNeuroSimSar only; NeuroSim uses 1 GHz)
  double vdd_V = 0.9;           ///< digital supply of the flash encoder (the NeuroSim analog
                                ///< fits are used at their own nominal supply, unscaled)
};

/// Cost of one ADC of the given model (see the header comment for units and sources).
ComponentCost adc_cost(AdcModel model, const AdcParams& p);

/// The conversion time of a model at `bits` when it converts as fast as it can (ns): sar and
/// survey N + 1 cycles of the SAR clock (NeuroSim SarADC.cpp: (N + 1) x 1 ns; the survey model
/// has no speed limit per resolution below its 1e10 S/s, so cimba times it as the SAR it
/// models), flash one 1 ns sensing window. hw.cim.adc.conversion_ns 0 takes this value.
double adc_conversion_ns(AdcModel model, int bits, double sar_clock_GHz = 1.0);

/// Survey-model internals, exposed for tests: the Schreier FOM (dB) the model allows at f_s and
/// ENOB (min of the rate's Pareto front and the ENOB's ceiling), the SNDR of an ideal ENOB-bit
/// quantizer as hwcomponents-adc computes it (6.0206 ENOB + 1.7609 dB).
double survey_foms_dB(double sample_rate_Hz, double enob);
double survey_sndr_dB(double enob);
/// Area (um^2) of the SAR's binary-weighted capacitor DAC at `bits` (sar model; see adc.cpp).
double sar_cap_dac_area_um2(int bits);

}  // namespace cimba::cost
