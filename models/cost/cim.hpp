#pragma once
// Compute-in-memory (SRAM CIM) macro cost model, cimba::cost.
//
// One "activation" = one input slice applied to every row of one macro and every column read
// out once (one analog MVM step). Per activation the model charges:
//   array   : rows * cols * pulses * E_cell(node, vdd); pulses = input_activity for bit-serial
//             inputs, input_activity * (2^dac_bits - 1) for pulse-count (temporal) inputs.
//             E_cell lumps the cell's share of word-line, bit-line and compute-capacitor charge.
//   drivers : per row, the input register (bit-serial) or a dac_bits down-counter stepped once per
//             pulse (pulse-count DAC), from the digital models (digital.hpp).
//   ADC     : cols / cols_per_conversion conversions of the selected ADC model (adc.hpp) x
//             calibration factor, on cols / cols_per_conversion / conversions_per_adc ADCs.
//   shift-add: per column output and slice, an acc_bits adder + register (only when the input
//             needs several slices).
// Area: cells = rows * cols * 6T-bitcell(node) * cell multiple; drivers, ADCs, shift-adders from
// their models. Latency: max pulses * pulse width + conversions_per_adc * ADC conversion latency.
//
// Calibration. E_cell at 45 nm / 0.9 V and the two ADC factors (energy, area) are NOT from a
// generic source: they are fitted on ONE published macro -- Jia et al., JSSC 2020 (65 nm) -- by
// fit_calibration_on_jia() (validation.hpp) and then used unchanged for every other design. The
// defaults below are that fit (a test keeps them equal). docs/cost-models.md shows the arithmetic.
#include <string>

#include "models/cost/adc.hpp"
#include "models/cost/component.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Bitcell of the CIM array. Area as a multiple of the node's 6T high-density bitcell.
enum class CimCellType {
  k6T,    ///< 1.00 x 6T
  k8T,    ///< 1.41 x 6T (decoupled read port; same multiple as 8T1C, see cim.cpp)
  k8T1C,  ///< 1.41 x 6T: 8T + capacitor above the cell (Chen et al., MC2-RAM, 2021: "8T1C ...
          ///< only 41% larger than the standard 6T cells")
};
double cim_cell_area_multiple(CimCellType cell);

/// How a multi-bit input is applied to a row.
enum class InputEncoding {
  kBitSerial,   ///< one bit per activation (dac_bits = 1): input_bits activations per input
  kPulseCount,  ///< dac_bits per activation as 0 .. 2^dac_bits - 1 word-line pulses
};

/// Calibration factors fitted on Jia et al. JSSC 2020 (see header comment).
struct CimCalibration {
  double cell_energy45_fJ = 3.0855;   ///< E_cell at 45 nm, 0.9 V (fJ per cell per pulse)
  double adc_energy_factor = 4.3569;  ///< measured / model ADC energy per conversion
  double adc_area_factor = 4.5506;    ///< measured / model ADC area
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
  double adc_sample_rate_Hz = 0;  ///< 0: derived from the activation latency
  int acc_bits = 24;              ///< shift-add accumulator width
  double pulse_width_ns = 1.0;    ///< word-line pulse (design parameter)
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

/// Energy of one cell per word-line pulse (fJ) at `tech` under calibration `cal`.
double cim_cell_energy_fJ(const TechPoint& tech, const CimCalibration& cal);

/// Cost of one CIM macro; throws cimba::InvalidArgument on out-of-range parameters.
CimMacroCost cim_macro_cost(const CimMacroParams& p);

}  // namespace cimba::cost
