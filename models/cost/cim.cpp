#include "models/cost/cim.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "models/common/error.hpp"
#include "models/cost/dac.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/sram.hpp"

namespace cimba::cost {
namespace {

void check_int(const char* what, int v, int lo, int hi) {
  if (v < lo || v > hi)
    throw InvalidArgument(std::string("cost: CIM ") + what + " = " + std::to_string(v) +
                          " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

}  // namespace

double cim_cell_area_multiple(CimCellType cell) {
  switch (cell) {
    case CimCellType::k6T:
      return 1.0;
    // Z. Chen, Q. Jin, J. Wang, Y. Wang, K. Yang, "MC2-RAM: An In-8T-SRAM Computing Macro
    // Featuring Multi-Bit Charge-Domain Computing and ADC-Reduction Weight Encoding" (Rice /
    // Northeastern, 2021; author copy on ResearchGate): the 8T1C cell "is only 41% larger than the
    // standard 6T cells" (capacitor above the transistors). A plain 8T (two-port) cell has the same
    // eight transistors; lacking a per-node 8T source we use the same 1.41 for it.
    case CimCellType::k8T:
    case CimCellType::k8T1C:
      return 1.41;
  }
  return 1.0;
}

CimComputeMechanism cim_compute_mechanism(CimCellType cell) {
  return cell == CimCellType::k8T1C ? CimComputeMechanism::kChargeDomain
                                    : CimComputeMechanism::kReadPortDischarge;
}

CimCellType parse_cim_cell_type(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (lower == "6t") return CimCellType::k6T;
  if (lower == "8t") return CimCellType::k8T;
  if (lower == "8t1c") return CimCellType::k8T1C;
  throw ConfigError("unknown CIM cell type '" + name + "' (allowed: 6t, 8t, 8t1c)");
}

std::string cim_cell_type_name(CimCellType cell) {
  switch (cell) {
    case CimCellType::k6T:
      return "6t";
    case CimCellType::k8T:
      return "8t";
    case CimCellType::k8T1C:
      return "8t1c";
  }
  return "?";
}

// First-principles switched-capacitance energy of one cell per input pulse (before calibration).
//
// Geometry: cell pitch = sqrt(bitcell area) (square cell -- ASSUMPTION; the line energy per cell
// only depends on the pitch along the line, and folding does not change it). Line capacitance per
// cell = kArrayWireCap_fF_per_um (0.2 fF/um, NeuroSim V1.3 SubArray.cpp) x pitch.
// Device load per cell: one transistor's switched capacitance C_T = E_T / V^2, with E_T the
// library's per-transistor switching energy (Horowitz ISSCC 2014 8-bit adder / 224 transistors,
// digital.hpp) moved to (node, vdd) with Stillmaker-Baas -- so device loads scale with the same
// rule as the digital logic.
//
//  charge domain (Jia's multiplying bitcell; MC2-RAM 8T1C):
//    row  : the input line of the row toggles once per pulse (one of IA / IAb): wire over one
//           pitch + the gate of the cell's input switch:         (C_w + C_T) V^2
//    cell : the compute capacitor's bottom plate is driven to VDD when the product is 1
//           (probability kWeightOneDensity for a 1 input):        w C_cell V^2   (upper bound:
//           charge sharing with the floating top plate draws slightly less)
//    col  : the compute (top-plate) line settles at the mean product w V from reset:
//                                                                  w C_w V^2
//  read-port discharge (Sinangil's 8T; 6T through its access pair):
//    row  : the read word line is pulsed: wire + the read-access gate:  (C_w + C_T) V^2
//    col  : a cell storing 1 discharges the precharged RBL by dV = s V / max_pulses per pulse
//           (s = kReadBitlineFullScaleSwing: a full-scale input of a full column swings s V);
//           the precharge restores it, drawing C V dV from the supply, with C = the RBL share of
//           one cell (wire + one drain):                 w (C_w + C_T) V (s V / max_pulses)
//    There is no per-cell capacitor: this is why an 8T cell costs a fraction of a charge-domain
//    cell at the same node.
CimCellEnergy cim_cell_energy(CimCellType cell, const TechPoint& tech, double max_pulses) {
  check_tech(tech);
  if (!(max_pulses >= 1.0)) throw InvalidArgument("cost: CIM max pulses must be >= 1");
  const double v = tech.vdd_V;
  const double pitch_um =
      std::sqrt(sram_bitcell_area_um2(tech.node_nm) * cim_cell_area_multiple(cell));
  const double c_wire_fF = kArrayWireCap_fF_per_um * pitch_um;
  const double e_t_fJ = kTransistorEnergy45_pJ * 1e3 *
                        energy_scale(kReferenceNode_nm, kReferenceVdd_V, tech.node_nm, v);
  const double c_t_fF = e_t_fJ / (v * v);
  CimCellEnergy e;
  e.row_line_fJ = (c_wire_fF + c_t_fF) * v * v;
  if (cim_compute_mechanism(cell) == CimComputeMechanism::kChargeDomain) {
    e.cell_fJ = kWeightOneDensity * kChargeDomainCellCap_fF * v * v;
    e.col_line_fJ = kWeightOneDensity * c_wire_fF * v * v;
  } else {
    const double dv = kReadBitlineFullScaleSwing * v / max_pulses;
    e.col_line_fJ = kWeightOneDensity * (c_wire_fF + c_t_fF) * v * dv;
  }
  e.total_fJ = e.row_line_fJ + e.cell_fJ + e.col_line_fJ;
  return e;
}

const char* input_encoding_name(InputEncoding encoding) {
  switch (encoding) {
    case InputEncoding::kBitSerial:
      return "bit_serial";
    case InputEncoding::kPulseCount:
      return "pulse_count";
    case InputEncoding::kAmplitude:
      return "amplitude";
  }
  return "?";
}

double cim_row_line_cap_fF(CimCellType cell, const TechPoint& tech, int cols) {
  const double v = tech.vdd_V;
  return double(cols) * cim_cell_energy(cell, tech).row_line_fJ / (v * v);
}

double cim_input_drive_ns(const CimMacroParams& p) {
  switch (p.encoding) {
    case InputEncoding::kBitSerial:
      return p.pulse_width_ns;
    case InputEncoding::kPulseCount:
      return (std::ldexp(1.0, p.dac_bits) - 1.0) * p.pulse_width_ns;
    case InputEncoding::kAmplitude:
      return std::max(p.pulse_width_ns,
                      r2r_dac_settle_ns(p.dac_bits, cim_row_line_cap_fF(p.cell, p.tech, p.cols)));
  }
  return p.pulse_width_ns;
}

double cim_cell_energy_fJ(CimCellType cell, const TechPoint& tech, const CimCalibration& cal,
                          double max_pulses) {
  if (!(cal.array_energy_factor > 0.0))
    throw InvalidArgument("cost: CIM array energy factor must be > 0");
  return cim_cell_energy(cell, tech, max_pulses).total_fJ * cal.array_energy_factor;
}

CimMacroCost cim_macro_cost(const CimMacroParams& p) {
  check_tech(p.tech);
  check_int("rows", p.rows, 1, 8192);
  check_int("cols", p.cols, 1, 8192);
  check_int("input bits", p.input_bits, 1, 16);
  check_int("cols per conversion", p.cols_per_conversion, 1, p.cols);
  check_int("accumulator bits", p.acc_bits, 1, 64);
  if (p.cols % p.cols_per_conversion != 0)
    throw InvalidArgument("cost: CIM cols_per_conversion must divide cols");
  const int conversions = p.cols / p.cols_per_conversion;
  check_int("conversions per ADC", p.conversions_per_adc, 1, conversions);
  if (conversions % p.conversions_per_adc != 0)
    throw InvalidArgument("cost: CIM conversions_per_adc must divide cols / cols_per_conversion");
  if (p.encoding == InputEncoding::kBitSerial && p.dac_bits != 1)
    throw InvalidArgument("cost: bit-serial CIM inputs need dac_bits = 1");
  check_int("DAC bits", p.dac_bits, 1, 8);
  if (!(p.input_activity >= 0.0 && p.input_activity <= 1.0))
    throw InvalidArgument("cost: CIM input activity must be in [0, 1]");
  if (!(p.pulse_width_ns > 0.0)) throw InvalidArgument("cost: CIM pulse width must be > 0 ns");
  if (!(p.cal.adc_energy_factor > 0.0 && p.cal.adc_area_factor > 0.0))
    throw InvalidArgument("cost: CIM ADC calibration factors must be > 0");

  const double own_drive_ns = cim_input_drive_ns(p);
  if (!(p.drive_ns == 0.0 || p.drive_ns >= own_drive_ns * (1.0 - 1e-12)))
    throw InvalidArgument("cost: CIM drive time " + std::to_string(p.drive_ns) +
                          " ns is shorter than the input encoding needs (" +
                          std::to_string(own_drive_ns) + " ns)");
  const double drive_ns = p.drive_ns > 0.0 ? p.drive_ns : own_drive_ns;

  CimMacroCost c;
  const double rows = p.rows, cols = p.cols;
  const double max_pulses =
      p.encoding == InputEncoding::kPulseCount ? std::ldexp(1.0, p.dac_bits) - 1.0 : 1.0;
  const double pulses = p.input_activity * max_pulses;
  const int slices = (p.input_bits + p.dac_bits - 1) / p.dac_bits;

  // Array.
  c.cell_area_um2 = sram_bitcell_area_um2(p.tech.node_nm) * cim_cell_area_multiple(p.cell);
  c.array_area_um2 = rows * cols * c.cell_area_um2;
  c.array_energy_pJ =
      rows * cols * pulses * cim_cell_energy_fJ(p.cell, p.tech, p.cal, max_pulses) * 1e-3;

  // Input drivers: bit-serial -> a 1-bit input register per row written once per activation;
  // pulse count -> a dac_bits down-counter (register + adder) per row, stepped once per pulse;
  // amplitude -> an amplitude DAC per row holding its level for the drive time.
  if (p.encoding == InputEncoding::kAmplitude) {
    const ComponentCost dac =
        amplitude_dac(p.dac_bits, p.tech, cim_row_line_cap_fF(p.cell, p.tech, p.cols), drive_ns);
    c.driver_energy_pJ = rows * dac.energy_pJ;
    c.driver_area_um2 = rows * dac.area_um2;
    c.leakage_uW += rows * dac.leakage_uW;
  } else if (p.encoding == InputEncoding::kBitSerial) {
    const ComponentCost reg = register_bits(1, p.tech);
    c.driver_energy_pJ = rows * reg.energy_pJ;
    c.driver_area_um2 = rows * reg.area_um2;
    c.leakage_uW += rows * reg.leakage_uW;
  } else {
    const ComponentCost reg = register_bits(p.dac_bits, p.tech);
    const ComponentCost dec = int_adder(p.dac_bits, p.tech);
    c.driver_energy_pJ = rows * pulses * (reg.energy_pJ + dec.energy_pJ);
    c.driver_area_um2 = rows * (reg.area_um2 + dec.area_um2);
    c.leakage_uW += rows * (reg.leakage_uW + dec.leakage_uW);
  }

  // ADCs: one conversion per (combined) column per activation.
  c.conversions_per_activation = conversions;
  c.adc_count = conversions / p.conversions_per_adc;
  AdcParams ap;
  ap.bits = p.adc_bits;
  ap.node_nm = p.tech.node_nm;
  ap.vdd_V = p.tech.vdd_V;
  // The rate of one ADC: given (the timed conversion), or back to back at the model's own
  // conversion time (adc_conversion_ns).
  ap.sample_rate_Hz = p.adc_sample_rate_Hz > 0.0 ? p.adc_sample_rate_Hz
                                                 : 1e9 / adc_conversion_ns(p.adc_model, p.adc_bits);
  c.adc = adc_cost(p.adc_model, ap);
  // The Jia-fitted ADC factors belong to the model they were fitted for (sar) only.
  if (p.adc_model == kCalibratedAdcModel) {
    c.adc.energy_pJ *= p.cal.adc_energy_factor;
    c.adc.area_um2 *= p.cal.adc_area_factor;
    c.adc.leakage_uW *= p.cal.adc_energy_factor;
  }
  c.adc_energy_pJ = conversions * c.adc.energy_pJ;
  c.adc_area_um2 = c.adc_count * c.adc.area_um2;
  c.leakage_uW += c.adc_count * c.adc.leakage_uW;

  // Shift-add: only needed when an input spans several slices.
  if (slices > 1) {
    const ComponentCost add = int_adder(p.acc_bits, p.tech);
    const ComponentCost reg = register_bits(p.acc_bits, p.tech);
    c.shift_add_energy_pJ = conversions * (add.energy_pJ + reg.energy_pJ);
    c.shift_add_area_um2 = c.adc_count * (add.area_um2 + reg.area_um2);
    c.leakage_uW += c.adc_count * (add.leakage_uW + reg.leakage_uW);
  }

  c.leakage_uW += sram_leakage_uW(rows * cols, p.tech);
  c.energy_per_activation_pJ =
      c.array_energy_pJ + c.driver_energy_pJ + c.adc_energy_pJ + c.shift_add_energy_pJ;
  c.area_um2 = c.array_area_um2 + c.driver_area_um2 + c.adc_area_um2 + c.shift_add_area_um2;
  c.activation_latency_ns = drive_ns + p.conversions_per_adc * c.adc.latency_ns;
  return c;
}

}  // namespace cimba::cost
