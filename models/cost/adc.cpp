#include "models/cost/adc.hpp"

#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

// ---- Murmann-survey model (CiMLoop ADC plug-in form) -------------------------------------------
// Coefficients of Accelergy-Project/accelergy-adc-plug-in, adc_data/model.yaml (regression of the
// plug-in's update_model.py over Murmann's survey, 1997-2023 edition):
//   FOMS_hf [dB] = 302.7387019 - 6.460790934 * ln(f_s)     (Pareto front, FOM vs rate)
//   capped at the 95th-percentile FOMS 180.1415908 dB       ("max value")
//   ln(area um^2) = 4.850567073 + 0.06665851896 ln f_s + 0.7973239604 ln(node nm)
//                   - 0.1343727862 N + 0.4236571760 ln(energy pJ/op)
//   (intercept already includes the plug-in's 10th-percentile residual: "best ADCs")
//   maximum rate: exp(23.49585456) Hz = 1.6e10 Hz (95th percentile of the survey).
// Note: the plug-in's area model is fitted with energy in pJ/op (column "energy (pJ/op)" of its
// adc_list.csv); we pass pJ accordingly.
constexpr double kFomsIntercept_dB = 302.7387019052544;
constexpr double kFomsPerLnHz_dB = -6.460790934271676;
constexpr double kFomsMax_dB = 180.14159078904734;
constexpr double kAreaIntercept = 4.850567073004403;
constexpr double kAreaLnFreq = 0.06665851895885958;
constexpr double kAreaLnNode = 0.797323960429599;
constexpr double kAreaBits = -0.13437278622014803;
constexpr double kAreaLnEnergy = 0.4236571760437834;
constexpr double kSurveyMaxLnFreq = 23.495854559186192;

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

double transistor_area_um2(int node) {
  return kTransistorArea45_um2 * area_scale(kReferenceNode_nm, node);
}

void check_common(const AdcParams& p) {
  if (p.bits < 1 || p.bits > 16)
    throw InvalidArgument("cost: ADC resolution " + std::to_string(p.bits) + " bits outside 1..16");
  check_node(p.node_nm);
  if (!(p.sample_rate_Hz > 0.0) || !std::isfinite(p.sample_rate_Hz))
    throw InvalidArgument("cost: ADC sample rate must be > 0 Hz");
}

void set_leakage(ComponentCost& c, double sample_rate_Hz) {
  // pJ * Hz = 1e-12 W -> uW: * 1e-6.
  c.leakage_uW = kLogicLeakageFraction * c.energy_pJ * sample_rate_Hz * 1e-6;
}

}  // namespace

double murmann_foms_bound_dB(double sample_rate_Hz) {
  return std::min(kFomsIntercept_dB + kFomsPerLnHz_dB * std::log(sample_rate_Hz), kFomsMax_dB);
}

double ideal_sndr_dB(int bits) { return 20.0 * std::log10(2.0) * bits + 10.0 * std::log10(1.5); }

AdcModel parse_adc_model(std::string_view name) {
  if (name == "murmann") return AdcModel::kMurmannSurvey;
  if (name == "sar") return AdcModel::kNeuroSimSar;
  if (name == "flash") return AdcModel::kFlash;
  throw ConfigError("hw.cim.adc.model: unknown ADC model '" + std::string(name) +
                    "' (expected murmann, sar or flash)");
}

std::string adc_model_name(AdcModel model) {
  switch (model) {
    case AdcModel::kMurmannSurvey:
      return "murmann";
    case AdcModel::kNeuroSimSar:
      return "sar";
    case AdcModel::kFlash:
      return "flash";
  }
  return "?";
}

ComponentCost adc_cost(AdcModel model, const AdcParams& p) {
  check_common(p);
  ComponentCost c;
  c.action = "convert";
  switch (model) {
    case AdcModel::kMurmannSurvey: {
      const double lnf = std::log(p.sample_rate_Hz);
      if (lnf > kSurveyMaxLnFreq)
        throw InvalidArgument("cost: sample rate above the survey model's 1.6e10 Hz limit");
      const double foms = murmann_foms_bound_dB(p.sample_rate_Hz);
      const double energy_J = 1.0 / (2.0 * std::pow(10.0, (foms - ideal_sndr_dB(p.bits)) / 10.0));
      c.energy_pJ = energy_J * 1e12;
      c.area_um2 =
          std::exp(kAreaIntercept + kAreaLnFreq * lnf + kAreaLnNode * std::log(double(p.node_nm)) +
                   kAreaBits * p.bits + kAreaLnEnergy * std::log(c.energy_pJ));
      c.latency_ns = 1e9 / p.sample_rate_Hz;
      c.source =
          "Murmann ADC survey via CiMLoop ADC plug-in fit (Andrulis et al., arXiv:2404.06553)";
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
      c.area_um2 = sar_transistors(p.bits) * transistor_area_um2(p.node_nm);
      c.latency_ns = cycles / p.sar_clock_GHz;
      c.source = "NeuroSim V1.3 SarADC (Peng et al., IEDM 2019); Horowitz-derived transistor area";
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
      c.latency_ns = 1.0;
      c.source = "NeuroSim V1.3 MultilevelSenseAmp comparators; Horowitz-derived transistor area";
      break;
    }
  }
  set_leakage(c, p.sample_rate_Hz);
  return c;
}

}  // namespace cimba::cost
