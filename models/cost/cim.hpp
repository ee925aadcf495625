#pragma once
// Compute-in-memory (SRAM CIM) macro cost model, cimba::cost.
//
// One "activation" = one input slice applied to every row of one macro and every column read
// out once (one analog MVM step). Per activation the model charges:
//   array   : rows * cols * pulses * E_cell(cell type, node, vdd) * array_energy_factor, with
//             pulses = input_activity (bit-serial) or input_activity * (2^dac_bits - 1) (pulse
//             count). E_cell is a first-principles switched-capacitance energy that depends on the
//             cell type (cim_cell_energy(), see below and docs/cost-models.md):
//               charge domain (8T1C, Jia et al.): row (input) line share + the cell's compute
//                 capacitor C_cell V^2 + the column (compute) line share, per product = 1;
//               read-port discharge (8T / 6T, Sinangil et al.): read word line share per pulse +
//                 a partial read-bit-line discharge C_RBL V dV per pulse.
//   drivers : per row, the input register (bit-serial), a dac_bits down-counter stepped once per
//             pulse (pulse-count DAC), from the digital models (digital.hpp), or an amplitude
//             DAC held for the drive time (amplitude_dac, dac.hpp; the array then sees one
//             level per activation: pulses = input_activity).
//   ADC     : cols / cols_per_conversion conversions of the selected ADC model (adc.hpp), x the
//             calibration factor for the sar model it was fitted for, on cols /
//             cols_per_conversion / conversions_per_adc ADCs.
//   shift-add: per column output and slice, an acc_bits adder + register (only when the input
//             needs several slices).
// Area: cells = rows * cols * 6T-bitcell(node) * cell multiple; drivers, ADCs, shift-adders from
// their models. Latency: max pulses * pulse width + conversions_per_adc * ADC conversion latency.
//
// Calibration. array_energy_factor (measured / physics array energy) and the two ADC factors
// (energy, area) are fitted on ONE published macro -- Jia et al., JSSC 2020 (65 nm) -- by
// fit_calibration_on_jia() (validation.hpp) and then used unchanged for every other design and
// every cell type; the ADC factors only for the sar model they were fitted with. The defaults below
// are that fit (a test keeps them equal). docs/cost-models.md shows the arithmetic.
#include <string>

#include "models/cost/adc.hpp"
#include "models/cost/component.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Bitcell of the CIM array. Area as a multiple of the node's 6T high-density bitcell; the energy
/// model follows from the cell's compute mechanism (CimComputeMechanism).
enum class CimCellType {
  k6T,    ///< 1.00 x 6T; read-port discharge through the access + pull-down pair
  k8T,    ///< 1.41 x 6T (decoupled read port; same multiple as 8T1C, see cim.cpp); read-port
          ///< (RBL) partial discharge, e.g. Sinangil et al. JSSC 2021
  k8T1C,  ///< 1.41 x 6T: 8T + capacitor above the cell (Chen et al., MC2-RAM, 2021: "8T1C ...
          ///< only 41% larger than the standard 6T cells"); charge domain, e.g. Jia et al.
};
double cim_cell_area_multiple(CimCellType cell);

/// How the cell contributes its product to the column.
enum class CimComputeMechanism {
  kChargeDomain,       ///< a capacitor per cell driven to VDD / 0 by the product, charge sharing
                       ///< on the column line (Jia et al. JSSC 2020; MC2-RAM)
  kReadPortDischarge,  ///< current through the cell's read port partially discharges a
                       ///< precharged read bit line by a small dV per input pulse (Sinangil et
                       ///< al. JSSC 2021, "current domain")
};
CimComputeMechanism cim_compute_mechanism(CimCellType cell);
/// "6t" | "8t" | "8t1c" (case-insensitive) -> CimCellType; anything else: cimba::ConfigError.
CimCellType parse_cim_cell_type(const std::string& name);
std::string cim_cell_type_name(CimCellType cell);

// ---- Physical constants of the cell energy model (sources: cim.cpp, docs/cost-models.md) ----
/// Wire capacitance per length of array lines (word / bit / compute lines): 0.2 fF/um, the value
/// NeuroSim uses for every array line at every node (DNN_NeuroSim_V1.3, SubArray.cpp:
/// capRow1/capRow2/capCol = length * 0.2e-15/1e-6).
inline constexpr double kArrayWireCap_fF_per_um = 0.2;
/// Compute capacitor of one charge-domain cell: 2 fF (CiMLoop's model of Jia et al. JSSC 2020,
/// models/arch/1_macro/jia_jssc_2020/arch.yaml, bitcell_capacitor capacitance 2e-15; secondary,
/// the paper body was not reachable). Taken as node-independent (MOM capacitor sized for
/// matching, not by the node) -- ASSUMPTION.
inline constexpr double kChargeDomainCellCap_fF = 2.0;
/// Full-scale read-bit-line swing of a read-port-discharge column, as a fraction of VDD: 0.5.
/// ASSUMPTION (the column must stay in the read transistor's saturation region for linear
/// discharge; no published swing for Sinangil's macro was reachable). Its energy share is < 2 %
/// of the array energy for the Sinangil macro, so the choice hardly matters.
inline constexpr double kReadBitlineFullScaleSwing = 0.5;
/// Fraction of stored weight bits that are 1: 0.5 (uniform random weights) -- ASSUMPTION.
inline constexpr double kWeightOneDensity = 0.5;

/// Per-cell, per-pulse array energy of one cell type at one node / supply, before calibration
/// (fJ), split by the capacitance that is switched.
struct CimCellEnergy {
  double row_line_fJ = 0;  ///< input / read word line: wire over one cell pitch + one gate
  double cell_fJ = 0;      ///< the cell's own compute capacitor (charge domain only)
  double col_line_fJ = 0;  ///< column / read bit line share (wire over one pitch + one drain)
  double total_fJ = 0;
};

/// Physics (uncalibrated) energy of one cell per input pulse; `max_pulses` is the pulse count of
/// a full-scale input (1 for bit-serial), which sets the read-bit-line swing per pulse.
CimCellEnergy cim_cell_energy(CimCellType cell, const TechPoint& tech, double max_pulses = 1.0);

/// How a multi-bit input is applied to a row.
enum class InputEncoding {
  kBitSerial,   ///< one bit per activation (dac_bits = 1): input_bits activations per input
  kPulseCount,  ///< dac_bits per activation as 0 .. 2^dac_bits - 1 word-line pulses
  kAmplitude,   ///< dac_bits per activation as one word-line level from an amplitude DAC
                ///< (amplitude_dac, dac.hpp) held for the drive time
};

/// "bit_serial" | "pulse_count" | "amplitude" (the hw.cim.dac names).
const char* input_encoding_name(InputEncoding encoding);

/// Capacitance one row driver charges: cols x (wire over one cell pitch + one gate), the row-line
/// capacitance of cim_cell_energy (fF).
double cim_row_line_cap_fF(CimCellType cell, const TechPoint& tech, int cols);

/// The ADC model the ADC factors of CimCalibration are fitted for (Jia's 8-bit SAR ADCs); no
/// other model is multiplied by them.
inline constexpr AdcModel kCalibratedAdcModel = AdcModel::kNeuroSimSar;

/// Calibration factors fitted on Jia et al. JSSC 2020 (see header comment).
struct CimCalibration {
  double array_energy_factor = 3.8159;  ///< measured / physics array energy (Jia, CiM Table I)
  double adc_energy_factor = 4.3569;    ///< measured / sar-model ADC energy per conversion
  double adc_area_factor = 1.6811;      ///< measured / sar-model ADC area (sar only)
};

struct CimMacroParams {
  int rows = 256;  ///< rows summed on one column (1 .. 8192)
  int cols = 256;  ///< columns (1 .. 8192)
  CimCellType cell = CimCellType::k8T;
  InputEncoding encoding = InputEncoding::kBitSerial;
  int input_bits = 8;           ///< bits of one input value (1 .. 16)
  int dac_bits = 1;             ///< bits per slice (1 for bit-serial, 1 .. 8 for pulse count)
  double input_activity = 0.5;  ///< mean fraction of the maximum pulse count (0 .. 1)
  AdcModel adc_model = AdcModel::kNeuroSimSar;
  int adc_bits = 8;
  int cols_per_conversion = 1;    ///< columns combined in the analog domain (e.g. binary-
                                  ///< weighted charge sharing of one multi-bit weight) before
                                  ///< one conversion; divides cols
  int conversions_per_adc = 1;    ///< conversions time-multiplexed on one ADC per activation
  double adc_sample_rate_Hz = 0;  ///< rate of one ADC; 0: back to back at adc_conversion_ns
  int acc_bits = 24;              ///< shift-add accumulator width
  double pulse_width_ns = 1.0;    ///< word-line pulse (design parameter)
  /// Time one input slice is driven (ns); 0: cim_input_drive_ns (the encoding's own). A given
  /// drive time must be at least the encoding's own (the timing rounds it up to whole cycles).
  double drive_ns = 0;
  TechPoint tech{};
  CimCalibration cal{};
};

struct CimMacroCost {
  // per activation (pJ)
  double array_energy_pJ = 0, driver_energy_pJ = 0, adc_energy_pJ = 0, shift_add_energy_pJ = 0;
  double energy_per_activation_pJ = 0;
  // per macro (um^2)
  double cell_area_um2 = 0;  ///< one bitcell
  double array_area_um2 = 0, driver_area_um2 = 0, adc_area_um2 = 0, shift_add_area_um2 = 0;
  double area_um2 = 0;
  double activation_latency_ns = 0;
  double leakage_uW = 0;
  int adc_count = 0;
  int conversions_per_activation = 0;
  ComponentCost adc;  ///< one ADC, calibration applied
};

/// Calibrated energy of one cell per word-line pulse (fJ): cim_cell_energy(...).total_fJ x
/// cal.array_energy_factor.
double cim_cell_energy_fJ(CimCellType cell, const TechPoint& tech, const CimCalibration& cal,
                          double max_pulses = 1.0);

/// The drive time of one input slice: bit-serial one pulse; pulse count 2^dac_bits - 1 pulses;
/// amplitude max(one pulse, the DAC's settling into the row line, r2r_dac_settle_ns) (ns).
double cim_input_drive_ns(const CimMacroParams& p);

/// Cost of one CIM macro; throws cimba::InvalidArgument on out-of-range parameters.
CimMacroCost cim_macro_cost(const CimMacroParams& p);

}  // namespace cimba::cost
