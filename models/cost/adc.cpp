#include "models/cost/adc.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

// ---- Survey model (hwcomponents-adc 246af7e, adc_data/model.yaml; model.py get_energy/get_area)
// Natural logs; f = sample rate of one ADC (Hz); T = node (nm); ENOB = bits.
//   FOMS_f        = 213.78067 - 2.871903 ln f                        (foms: intercept, freq)
//   FOMS_cap(k)   = max_by_enob[k], k = clamp(ceil(ENOB), 0, 20)      (21 entries; each is
//                   128.30683 + 3.220512 k to the file's precision, the regression they came from)
//   SNDR          = 6.0206 ENOB + 1.7609 dB                           (headers.py bits2sndr)
//   E [pJ]        = 1 / (2 10^((min(FOMS_f, FOMS_cap) - SNDR)/10))
//                   x exp(tech_intercept + tech_slope ln T + enob_slope ln ENOB + energy_residual)
//   A [um^2]      = exp(area intercept + a_T ln T + a_f ln f + a_E ln E)
// The rate limit is the file's freq max, ln(1e10).
constexpr double kFomsIntercept_dB = 213.78067;
constexpr double kFomsPerLnHz_dB = -2.871903;
constexpr double kFomsCapIntercept_dB = 128.30683;
constexpr double kFomsCapPerEnob_dB = 3.220512;
constexpr double kTechIntercept = 26.04962;
constexpr double kTechSlope = 1.880037;
constexpr double kEnobSlope = -2.829126;
constexpr double kEnergyResidual = -1.470202;
constexpr double kAreaIntercept = 1.346192;
constexpr double kAreaLnNode = 0.993279;
constexpr double kAreaLnFreq = 0.180715;
constexpr double kAreaLnEnergy = 0.299124;
constexpr double kSurveyMaxRate_Hz = 1e10;
// hwcomponents-adc main.py: "Assume leakage is 20% of the total energy": convert() = 0.8 E,
// leak power = 0.2 E x throughput.
constexpr double kSurveyLeakShare = 0.2;

// ---- NeuroSim V1.3 fits (neurosim/DNN_NeuroSim_V1.3, Inference_pytorch/NeuroSIM) ----------------
// HP device roadmap rows. SarADC.cpp GetColumnPower: P = (a*N + b) uW (the array-resistance term
// of that function belongs to the RRAM column current, not to the ADC, and is left out).
// MultilevelSenseAmp.cpp GetColumnPower (voltage mode): P = p * (levels - 1) uW.
struct NeuroSimRow {
  int node_nm;
  double sar_a_uW, sar_b_uW;  // SAR power slope per bit and offset
  double cmp_uW;              // flash: power per comparator
};
constexpr NeuroSimRow kNeuroSim[] = {
    {65, 2.9503, 22.047, 13.058}, {45, 2.1843, 11.931, 8.162}, {32, 1.0157, 7.6286, 4.76},
    {22, 0.7213, 3.3041, 2.373},  {14, 0.4710, 1.9529, 1.467}, {7, 0.2008, 0.6823, 0.5614},
};

const NeuroSimRow& ns_row(int node) {
  for (const auto& r : kNeuroSim)
    if (r.node_nm == node) return r;
  throw InvalidArgument("cost: no NeuroSim row for node " + std::to_string(node));
}

// NeuroSim has no 16 / 28 nm rows: interpolate linearly in node between its neighbours
// (16 between 14 and 22 nm, 28 between 22 and 32 nm).
NeuroSimRow neurosim_at(int node) {
  check_node(node);
  auto lerp = [](const NeuroSimRow& lo, const NeuroSimRow& hi, int n) {
    const double t = double(n - lo.node_nm) / double(hi.node_nm - lo.node_nm);
    return NeuroSimRow{n, lo.sar_a_uW + t * (hi.sar_a_uW - lo.sar_a_uW),
                       lo.sar_b_uW + t * (hi.sar_b_uW - lo.sar_b_uW),
                       lo.cmp_uW + t * (hi.cmp_uW - lo.cmp_uW)};
  };
  if (node == 16) return lerp(ns_row(14), ns_row(22), 16);
  if (node == 28) return lerp(ns_row(22), ns_row(32), 28);
  return ns_row(node);
}

// Transistor counts of NeuroSim's layouts (SarADC::CalculateUnitArea,
// MultilevelSenseAmp::CalculateArea voltage mode). NeuroSim sizes PMOS pnSizeRatio wider; our
// per-transistor area (Horowitz-derived, digital.hpp) is an average placed logic transistor, so
// NMOS and PMOS are counted alike.
double sar_transistors(int bits) {
  return (269.0 + 109.0 * (bits - 1)) + (209.0 + 73.0 * (bits - 1));
}
constexpr double kComparatorTransistors = 52.0 + 60.0;
// Thermometer-to-binary encoder of a flash ADC (ASSUMPTION, textbook structure): one "01"
// transition detector (6 transistors) per level plus a ROM/wired-OR of N x 2^(N-1) transistors.
double flash_encoder_transistors(int bits) {
  const double levels = std::ldexp(1.0, bits) - 1.0;
  return 6.0 * levels + bits * std::ldexp(1.0, bits - 1);
}

// Capacitor DAC of a SAR (NeuroSim's SAR area counts transistors only). Measured: the
// capacitive DAC of Kull et al., "A 3.1 mW 8b 1.2 GS/s single-channel asynchronous SAR ADC with
// alternate comparators", ISSCC 2013 (32 nm SOI), is 45.5 % of its 1600 um^2 = 728.2 um^2 (die
// photo, as read by CiMLoop: Accelergy-Project/accelergy-library-plug-in commit 0cab62c,
// library/isaac/isaac_adc.xlsx rows 17-22). A binary-weighted array doubles per bit (the sheet's
// rule after Saberi et al., TCAS-I 2011): 728.2 x 2^(N-8) um^2. Taken as node-independent
// (capacitors are sized for matching and kT/C, not by the lithography) -- ASSUMPTION. The
// kT/C floor (12 kT 2^2N / V_FS^2, 1 V full scale) stays below this array up to 16 bits.
constexpr double kKullCapDac8b_um2 = 728.2;

double transistor_area_um2(int node) {
  return kTransistorArea45_um2 * area_scale(kReferenceNode_nm, node);
}

void check_common(AdcModel model, const AdcParams& p) {
  if (p.bits < 1 || p.bits > 16)
    throw InvalidArgument("cost: ADC resolution " + std::to_string(p.bits) + " bits outside 1..16");
  // The survey model is a formula in ln(node) fitted over the survey's designs (the listed
  // validation designs span 14..65 nm): any node from 5 to 250 nm; the others need node tables.
  if (model == AdcModel::kSurvey) {
    if (p.node_nm < 5 || p.node_nm > 250)
      throw InvalidArgument("cost: survey ADC model node " + std::to_string(p.node_nm) +
                            " nm outside 5..250 nm");
  } else {
    check_node(p.node_nm);
  }
  if (!(p.sample_rate_Hz > 0.0) || !std::isfinite(p.sample_rate_Hz))
    throw InvalidArgument("cost: ADC sample rate must be > 0 Hz");
}

}  // namespace

double survey_foms_dB(double sample_rate_Hz, double enob) {
  const double k = std::clamp(std::ceil(enob), 0.0, 20.0);
  return std::min(kFomsIntercept_dB + kFomsPerLnHz_dB * std::log(sample_rate_Hz),
                  kFomsCapIntercept_dB + kFomsCapPerEnob_dB * k);
}

double survey_sndr_dB(double enob) { return 6.0206 * enob + 1.7609; }

double sar_cap_dac_area_um2(int bits) { return kKullCapDac8b_um2 * std::ldexp(1.0, bits - 8); }

double adc_conversion_ns(AdcModel model, int bits, double sar_clock_GHz) {
  if (model == AdcModel::kFlash) return 1.0;
  return (bits + 1.0) / sar_clock_GHz;
}

AdcModel parse_adc_model(std::string_view name) {
  if (name == "survey") return AdcModel::kSurvey;
  if (name == "sar") return AdcModel::kNeuroSimSar;
  if (name == "flash") return AdcModel::kFlash;
  if (name == "murmann")
    throw ConfigError(
        "hw.cim.adc.model: 'murmann' (the 2022 survey coefficients) was replaced by 'survey', the "
        "published 2024 model (hwcomponents-adc) with its per-ENOB ceiling and node slope");
  throw ConfigError("hw.cim.adc.model: unknown ADC model '" + std::string(name) +
                    "' (expected survey, sar or flash)");
}

std::string adc_model_name(AdcModel model) {
  switch (model) {
    case AdcModel::kSurvey:
      return "survey";
    case AdcModel::kNeuroSimSar:
      return "sar";
    case AdcModel::kFlash:
      return "flash";
  }
  return "?";
}

ComponentCost adc_cost(AdcModel model, const AdcParams& p) {
  check_common(model, p);
  ComponentCost c;
  c.action = "convert";
  switch (model) {
    case AdcModel::kSurvey: {
      if (p.bits < 4)
        throw InvalidArgument("cost: the survey ADC model is fitted for 4 bits or more (got " +
                              std::to_string(p.bits) + "); use the sar or flash model");
      if (p.sample_rate_Hz > kSurveyMaxRate_Hz)
        throw InvalidArgument("cost: sample rate above the survey model's 1e10 S/s limit");
      const double enob = p.enob > 0.0 ? p.enob : p.bits, lnT = std::log(double(p.node_nm));
      const double foms = survey_foms_dB(p.sample_rate_Hz, enob);
      const double e_pJ =
          1.0 / (2.0 * std::pow(10.0, (foms - survey_sndr_dB(enob)) / 10.0)) *
          std::exp(kTechIntercept + kTechSlope * lnT + kEnobSlope * std::log(enob) +
                   kEnergyResidual);
      c.area_um2 = std::exp(kAreaIntercept + kAreaLnNode * lnT +
                            kAreaLnFreq * std::log(p.sample_rate_Hz) + kAreaLnEnergy * std::log(e_pJ));
      c.energy_pJ = (1.0 - kSurveyLeakShare) * e_pJ;
      c.leakage_uW = kSurveyLeakShare * e_pJ * p.sample_rate_Hz * 1e-6;  // pJ x Hz = 1e-6 uW
      c.source =
          "survey model (Andrulis et al., arXiv:2404.06553; hwcomponents-adc 246af7e model.yaml)";
      break;
    }
    case AdcModel::kNeuroSimSar: {
      if (!(p.sar_clock_GHz > 0.0 && p.sar_clock_GHz <= 10.0))
        throw InvalidArgument("cost: SAR clock must be in (0, 10] GHz");
      const double cycles = p.bits + 1.0;
      if (p.sample_rate_Hz > p.sar_clock_GHz * 1e9 / cycles)
        throw InvalidArgument("cost: SAR ADC cannot sample at " + std::to_string(p.sample_rate_Hz) +
                              " Hz with N+1 = " + std::to_string(int(cycles)) + " cycles at " +
                              std::to_string(p.sar_clock_GHz) + " GHz");
      const NeuroSimRow r = neurosim_at(p.node_nm);
      const double power_uW = r.sar_a_uW * p.bits + r.sar_b_uW;
      // NeuroSim: energy = P * (N + 1) * 1 ns (its fits were made at a 1 ns SAR cycle).
      c.energy_pJ = power_uW * cycles * 1e-3;  // uW * ns = 1e-15 J = 1e-3 pJ
      c.area_um2 = sar_transistors(p.bits) * transistor_area_um2(p.node_nm) +
                   sar_cap_dac_area_um2(p.bits);
      c.source =
          "NeuroSim V1.3 SarADC (Peng et al., IEDM 2019); Horowitz-derived transistor area; "
          "capacitor DAC from Kull ISSCC'13";
      break;
    }
    case AdcModel::kFlash: {
      if (p.sample_rate_Hz > 1e9)
        throw InvalidArgument("cost: flash model has a 1 ns sensing window (<= 1 GS/s)");
      const NeuroSimRow r = neurosim_at(p.node_nm);
      const double levels = std::ldexp(1.0, p.bits) - 1.0;
      const double encoder_T = flash_encoder_transistors(p.bits);
      c.energy_pJ = r.cmp_uW * levels * 1e-3 +  // P * 1 ns per comparator
                    encoder_T * kTransistorEnergy45_pJ *
                        energy_scale(kReferenceNode_nm, kReferenceVdd_V, p.node_nm, p.vdd_V);
      c.area_um2 = (levels * kComparatorTransistors + encoder_T) * transistor_area_um2(p.node_nm);
      c.source = "NeuroSim V1.3 MultilevelSenseAmp comparators; Horowitz-derived transistor area";
      break;
    }
  }
  c.latency_ns = 1e9 / p.sample_rate_Hz;  // the conversion slot at the rate it is run
  return c;
}

}  // namespace cimba::cost
