#include "models/cost/validation.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "models/cost/adc.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

// ---- Published figures ---------------------------------------------------------------------
// Jia et al. JSSC 2020, at VDD = 0.85 V, 1-b inputs and weights:
//  * 1b-TOPS/W = 400 (abstract: "1b TOPS/W of 192|400 ... at VDD of 1.2|0.85 V"; checked in the
//    abstract as published by IEEE / Princeton / IBM Research pages).
//  * ADC energy 1.79 pJ per conversion and CiM energy 9.7 pJ per column per cycle (Table I), ADC
//    area 0.497 mm^2 for the 256 ADCs (Fig. 11): the paper body was not reachable in this work;
//    these three numbers are the issue text's and match the reference values that CiMLoop's
//    reproduction of the paper uses (mit-emze/cimloop, models/arch/1_macro/jia_jssc_2020/
//    _tests.py: 1.79e-12 J per ADC use, 9.7e-12 J CiM per column, 0.497e-6 m^2 ADC).
//  * Array geometry: 2304 rows summed per ADC column (4 row groups x 192 rows x 3 folded
//    columns) x 256 columns = 590 Kb (the abstract's "590-Kb IMC accelerator"; folding as in
//    CiMLoop's jia_jssc_2020 arch.yaml).
constexpr double kJiaVdd = 0.85;
constexpr int kJiaRows = 2304, kJiaCols = 256;
constexpr double kJiaAdcEnergy_pJ = 1.79;
constexpr double kJiaCimEnergyPerCol_pJ = 9.7;
constexpr double kJiaAdcArea_mm2 = 0.497;
constexpr double kJiaTopsPerW_1b = 400.0;

// Sinangil et al. JSSC 2021 (abstract, checked on citegraph.io / bohrium paper pages): 1024
// 4b x 4b MACs per access, 4-bit input as the number of RWL pulses, 4-bit weight by charge
// sharing of binary-weighted caps, 4-bit flash ADCs, access time 5.5 ns at 0.8 V,
// 351 TOPS/W and 372.4 GOPS. Geometry 64 x 64 8T cells, 16 ADCs (64 rows x 16 4-bit weights =
// 1024 MACs), as in CiMLoop's sinangil_jssc_2021 model.
//  * CIM circuitry area (ADCs + input pulse counters) 1596 um^2: paper Section IV as transcribed
//    by CiMLoop's sinangil_jssc_2021/_tests.py (1596e-12 m^2); not read in the paper itself.
constexpr double kSinVdd = 0.8;
constexpr double kSinTopsPerW = 351.0;
constexpr double kSinGops = 372.4;
constexpr double kSinAccess_ns = 5.5;
constexpr double kSinCimCircuitArea_um2 = 1596.0;
constexpr double kSinMacsPerAccess = 1024.0;

// ADC designs of B. Murmann, "ADC Performance Survey 1997-2023" (bmurmann/ADC-survey commit
// 20f38433fb61743d2281017ce0f8d558c1e6bcf1, xls/ADCsurvey_rev20231003.xlsx; sheet rows, also
// lines of hwcomponents-adc 246af7e adc_data/adc_list.csv): every row listed in
// docs/notes/issue12-sources.md section 6 (SAR-type, 14-65 nm, 6-10 ENOB), none left out.
// Energy per conversion = P / fs_nyq as the survey gives it; ENOB = (SNDR - 1.76) / 6.02.
struct SurveyAdc {
  const char* name;
  int node_nm;
  double rate_Hz, enob, energy_pJ;
};
constexpr SurveyAdc kSurveyAdcs[] = {
    {"Liu ISSCC'10 (ISSCC r206)", 65, 100e6, 9.01, 11.3},
    {"Yoshioka ISSCC'10 (ISSCC r205)", 65, 50e6, 9.11, 16.4},
    {"Wei ISSCC'11 (ISSCC r213)", 65, 400e6, 6.42, 10.0},
    {"Lien VLSI'12 (VLSI r123)", 28, 750e6, 6.90, 6.0},
    {"Kull ISSCC'13 (ISSCC r247)", 32, 1.2e9, 6.24, 2.55},
    {"Oh VLSI'20 (VLSI r229)", 28, 1e9, 7.26, 2.55},
    {"Chan ISSCC'17 (ISSCC r300)", 28, 2.4e9, 6.36, 2.08},
    {"Tang VLSI'20 (VLSI r228)", 40, 100e6, 9.06, 14.0},
    {"Luu VLSI'17 (VLSI r199)", 14, 300e6, 9.75, 11.0},
    {"Lin VLSI'16 (VLSI r185)", 16, 1.6e9, 8.06, 5.13},
    {"Zhao ISSCC'22 (ISSCC r383)", 22, 260e6, 9.76, 3.73},
    {"Yoshioka VLSI'13 (VLSI r142)", 40, 24.6e6, 7.05, 2.22},
};

// Wang et al., "A 32.2 TOPS/W SRAM Compute-in-Memory Macro Employing a Linear 8b C-2C Ladder for
// Charge Domain Computation in 22nm for Edge Inference", VLSI 2022,
// doi:10.1109/VLSITechnologyandCir46769.2022.9830322; JSSC 58(4), 2023 Fig. 22 as transcribed by
// CiMLoop (mit-emze/cimloop 3177b52, models/arch/1_macro/wang_vlsi_2022/_tests.py): ADC 34 % of
// the energy at 16.376 TOPS/W (1.0 V), 16 8-bit SAR ADCs, 64 inputs x 16 outputs (64 MACs per
// conversion, 2 ops per MAC): 0.34 x 128 / 16.376 = 2.66 pJ per conversion; ADC 13 % of
// 0.124 mm^2 over 16 ADCs = 1008 um^2 each. Clock ~146 MHz at 0.7 V (6.9 ns, CiMLoop's
// BASE_LATENCY) -- the 1.0 V clock is not published; priced at 1 / 6.9 ns (the survey model's
// 8-bit energy does not depend on the rate below 1 GS/s).
constexpr double kWangAdcEnergy_pJ = 0.34 * 2.0 * 64.0 / 16.376;
constexpr double kWangAdcArea_um2 = 0.13 * 0.124e6 / 16.0;
constexpr double kWangRate_Hz = 1e9 / 6.9;

// Raw (uncalibrated) cost of one Jia ADC.
ComponentCost jia_raw_adc() {
  AdcParams ap;
  ap.bits = 8;
  ap.node_nm = 65;
  ap.vdd_V = kJiaVdd;
  ap.sample_rate_Hz = 1e6;  // the SAR/NeuroSim energy and area do not depend on the rate
  return adc_cost(AdcModel::kNeuroSimSar, ap);
}

ValidationRow row(std::string macro, std::string figure, std::string unit, double published,
                  double cimba, bool gated, std::string basis, std::string note) {
  ValidationRow r{std::move(macro),
                  std::move(figure),
                  std::move(unit),
                  published,
                  cimba,
                  (cimba - published) / published,
                  gated,
                  std::move(note),
                  std::move(basis)};
  return r;
}

}  // namespace

CimMacroParams jia_jssc2020_macro(const CimCalibration& cal) {
  CimMacroParams p;
  p.rows = kJiaRows;
  p.cols = kJiaCols;
  p.cell = CimCellType::k8T1C;  // multiplying bit cell: 8T + capacitor above the cell
  p.encoding = InputEncoding::kBitSerial;
  p.input_bits = 1;
  p.dac_bits = 1;
  // ASSUMPTION: the Table I per-column energies are charged at full activity (every row
  // driven), i.e. the peak-efficiency condition the 1b-TOPS/W figure reports.
  p.input_activity = 1.0;
  p.adc_model = AdcModel::kNeuroSimSar;
  p.adc_bits = 8;
  p.cols_per_conversion = 1;
  p.conversions_per_adc = 1;
  p.tech = TechPoint{65, kJiaVdd, 1.0};
  p.cal = cal;
  return p;
}

CimMacroParams sinangil_jssc2021_macro(const CimCalibration& cal) {
  CimMacroParams p;
  p.rows = 64;
  p.cols = 64;
  p.cell = CimCellType::k8T;
  p.encoding = InputEncoding::kPulseCount;
  p.input_bits = 4;
  p.dac_bits = 4;
  // ASSUMPTION: uniformly distributed 4-bit inputs (mean 7.5 of 15 pulses); the input
  // statistics behind the 351 TOPS/W figure are not given in the abstract.
  p.input_activity = 0.5;
  p.adc_model = AdcModel::kFlash;
  p.adc_bits = 4;
  p.cols_per_conversion = 4;  // 4-bit weight over 4 columns, charge-shared before the ADC
  p.conversions_per_adc = 1;
  p.tech = TechPoint{7, kSinVdd, 1.0};
  p.cal = cal;
  return p;
}

CimCalibration fit_calibration_on_jia() {
  CimCalibration cal;
  const ComponentCost raw = jia_raw_adc();
  cal.adc_energy_factor = kJiaAdcEnergy_pJ / raw.energy_pJ;
  cal.adc_area_factor = (kJiaAdcArea_mm2 * 1e6 / kJiaCols) / raw.area_um2;
  // Array energy factor: (CiM energy of all columns - modelled input-driver energy) over the
  // physics array energy of the Jia geometry (8T1C charge-domain cells, 65 nm, 0.85 V).
  CimCalibration unit = cal;
  unit.array_energy_factor = 1.0;
  const CimMacroCost m = cim_macro_cost(jia_jssc2020_macro(unit));
  cal.array_energy_factor =
      (kJiaCimEnergyPerCol_pJ * kJiaCols - m.driver_energy_pJ) / m.array_energy_pJ;
  return cal;
}

std::vector<ValidationRow> validate_against_silicon() {
  const CimCalibration cal = fit_calibration_on_jia();
  std::vector<ValidationRow> rows;

  // ---- Jia (calibration macro) ----
  const std::string jia = "Jia JSSC'20 (65 nm)";
  const CimMacroCost j = cim_macro_cost(jia_jssc2020_macro(cal));
  rows.push_back(row(jia, "ADC energy / conversion @0.85V", "pJ", kJiaAdcEnergy_pJ, j.adc.energy_pJ,
                     true, "fitted", "FITTED here: adc_energy_factor = 1.79 / NeuroSim-SAR model"));
  rows.push_back(row(jia, "ADC area (256 x 8b SAR)", "mm^2", kJiaAdcArea_mm2, j.adc_area_um2 * 1e-6,
                     true, "fitted",
                     "FITTED here: adc_area_factor = 0.497 mm^2/256 / NeuroSim-SAR model"));
  // 1b ops per cycle: 2 x rows x cols (a MAC = 2 ops); the abstract's TOPS/W counts the MAC
  // hardware (array + ADC), not the near-memory datapath.
  const double jia_ops = 2.0 * kJiaRows * kJiaCols;
  rows.push_back(row(jia, "1b TOPS/W (array + ADC) @0.85V", "TOPS/W", kJiaTopsPerW_1b,
                     jia_ops / j.energy_per_activation_pJ, true, "check",
                     "follows from the fitted array factor (Table I 9.7 pJ/col) + fitted ADC: "
                     "checks Table I against the abstract, not an independent prediction"));

  // ---- Sinangil (validation macro) ----
  const std::string sin = "Sinangil JSSC'21 (7 nm)";
  const CimMacroCost s = cim_macro_cost(sinangil_jssc2021_macro(cal));
  const double sin_ops = 2.0 * kSinMacsPerAccess;
  rows.push_back(row(sin, "CIM circuitry area (16 ADC + 64 counters)", "um^2",
                     kSinCimCircuitArea_um2, s.adc_area_um2 + s.driver_area_um2, false, "predicted",
                     "KNOWN GAP, not gated: PREDICTED by the flash model's transistor count "
                     "(NeuroSim MultilevelSenseAmp) x the Stillmaker-Baas-scaled transistor area, "
                     "with no factor (the Jia-fitted ADC area factor belongs to the sar model; "
                     "earlier versions applied it here, which made this row pass). At 7 nm the "
                     "scaled logic area is ~3x below a real library (ASAP7 NAND2 0.058 um^2 vs "
                     "NeuroSim's 0.022, docs/notes/issue12-sources.md section 4); published value "
                     "via CiMLoop's transcription of the paper"));
  // Held-out prediction: Jia-fitted ADC and array factors, Sinangil's own cell physics (8T read
  // port: read-word-line charging + partial RBL discharge, no per-cell capacitor). The physics-only
  // figure (array factor 1) is printed in the note for transparency.
  CimCalibration physics_only = cal;
  physics_only.array_energy_factor = 1.0;
  const CimMacroCost s_phys = cim_macro_cost(sinangil_jssc2021_macro(physics_only));
  char note[400];
  std::snprintf(note, sizeof note,
                "PREDICTED: 8T read-port physics x Jia-fitted array factor %.3g + Jia-fitted ADC "
                "factor; inputs assumed uniform (7.5 of 15 pulses); physics alone (factor 1) "
                "would give %.4g TOPS/W",
                cal.array_energy_factor, sin_ops / s_phys.energy_per_activation_pJ);
  rows.push_back(row(sin, "TOPS/W (4b x 4b) @0.8V", "TOPS/W", kSinTopsPerW,
                     sin_ops / s.energy_per_activation_pJ, true, "predicted", note));
  rows.push_back(row(sin, "throughput @0.8V", "GOPS", kSinGops, sin_ops / kSinAccess_ns, false,
                     "not a model",
                     "NOT a model prediction: op count x published 5.5 ns access time (checks "
                     "the 1024-MAC accounting only)"));
  // ---- The survey ADC model against single designs (held out: nothing is fitted here) ----
  // The model is the survey's 20th-percentile energy (hwcomponents-adc model.py: energy residual
  // = quantile(0.2)) and a 10 %-quantile area: by construction most designs cost more. These
  // rows are reported, not gated: a 25 % band around one design tests the survey's spread, not
  // the model. Tested instead (CostValidation.*): the model stays below every listed design's
  // energy (a good-design estimate; a design cheaper than it would contradict its construction).
  for (const SurveyAdc& d : kSurveyAdcs) {
    AdcParams ap;
    ap.node_nm = d.node_nm;
    ap.sample_rate_Hz = d.rate_Hz;
    ap.bits = static_cast<int>(std::ceil(d.enob));
    ap.enob = d.enob;
    const ComponentCost c = adc_cost(AdcModel::kSurvey, ap);
    const double full_pJ = c.energy_pJ + c.leakage_uW / d.rate_Hz * 1e6;  // convert + leak share
    char n[200];
    std::snprintf(n, sizeof n,
                  "PREDICTED (survey model at the design's node %d nm, %.3g S/s, ENOB %.2f); not "
                  "gated: the model is the survey's 20th-percentile energy",
                  d.node_nm, d.rate_Hz, d.enob);
    rows.push_back(row(std::string("survey ADC: ") + d.name, "energy / conversion (E_conv+E_leak)",
                       "pJ", d.energy_pJ, full_pJ, false, "predicted", n));
    if (full_pJ > d.energy_pJ) rows.back().note = std::string("ABOVE THE DESIGN (contradicts the model). ") + n;
  }
  {
    AdcParams ap;
    ap.node_nm = 22;
    ap.sample_rate_Hz = kWangRate_Hz;
    ap.bits = 8;
    const ComponentCost c = adc_cost(AdcModel::kSurvey, ap);
    const std::string wang = "Wang VLSI'22 (22 nm)";
    rows.push_back(row(wang, "ADC energy / conversion (8b SAR)", "pJ", kWangAdcEnergy_pJ,
                       c.energy_pJ + c.leakage_uW / kWangRate_Hz * 1e6, false, "predicted",
                       "PREDICTED by the survey model; published: 34 % of the energy at 16.376 "
                       "TOPS/W (JSSC'23 Fig. 22 via CiMLoop), 64 MACs per conversion; CiMLoop "
                       "itself scales its survey ADC by 3.15 for this macro; not gated (see the "
                       "survey rows)"));
    rows.push_back(row(wang, "ADC area (one 8b SAR)", "um^2", kWangAdcArea_um2, c.area_um2, false,
                       "predicted",
                       "PREDICTED by the survey model's area regression; published: 13 % of "
                       "0.124 mm^2 over 16 ADCs; not gated (10 %-quantile regression)"));
  }
  for (auto& r : rows)
    if (r.gated && std::fabs(r.rel_error) > kValidationTolerance)
      r.note = "OUTSIDE 25% TARGET. " + r.note;
  return rows;
}

bool all_gated_within_tolerance(const std::vector<ValidationRow>& rows) {
  for (const auto& r : rows)
    if (r.gated && !(std::fabs(r.rel_error) <= kValidationTolerance)) return false;
  return true;
}

std::string render_validation_table(const std::vector<ValidationRow>& rows) {
  std::ostringstream os;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-24s %-42s %-7s %10s %10s %8s  %-11s %s\n", "macro", "figure",
                "unit", "published", "cimba", "error", "basis", "gated");
  os << buf;
  for (const auto& r : rows) {
    const bool outside = std::fabs(r.rel_error) > kValidationTolerance;
    std::snprintf(buf, sizeof buf, "%-24s %-42s %-7s %10.4g %10.4g %+7.1f%%  %-11s %s%s\n",
                  r.macro.c_str(), r.figure.c_str(), r.unit.c_str(), r.published, r.cimba,
                  100.0 * r.rel_error, r.basis.c_str(), r.gated ? "yes" : "no",
                  r.gated && outside ? "  <-- OUTSIDE 25%" : "");
    os << buf;
  }
  os << "notes:\n";
  for (std::size_t i = 0; i < rows.size(); ++i)
    os << "  [" << i + 1 << "] " << rows[i].macro << " / " << rows[i].figure << ": " << rows[i].note
       << "\n";
  return os.str();
}

}  // namespace cimba::cost
