#pragma once
// Input drive of a CIM row: the amplitude (voltage) DAC, cimba::cost.
//
// An amplitude DAC turns a multi-bit input slice into one word-line voltage held for the drive
// time (one analog step), instead of a train of 2^b - 1 pulses. The model is an R-2R ladder
// (resistor-string DACs need 2^b resistors; C-2C ladders need a reset phase and are priced the same
// way within the accuracy of this model), sized as the C-2C/R-2R SRAM CIM macro of
//   H. Wang et al., "A Charge Domain SRAM Compute-in-Memory Macro With C-2C Ladder-Based 8b MAC
//   Unit in 22-nm FinFET Process for Edge Inference", IEEE JSSC 58(4):1037-1050, 2023,
//   doi:10.1109/JSSC.2022.3232601 (VLSI 2022 version: 8 b inputs through two R-2R ladders at
//   +-VDD/2 per input),
// with the unit resistor and resistor density CiMLoop uses for that macro (constants below).
// Physics, per drive of one row (docs/cost-models.md "Input drive"):
//   static : each ladder is solved by nodal analysis for the code (KCL at every node); the
//            reference supplies sum_i b_i (V_ref - V_i) / 2R for the whole hold time:
//            E = V_ref * I(code) * t_hold, averaged over uniformly distributed codes;
//   load   : the row line (load_fF) is charged towards the new level: C V_ref V_fs / 6 (mean
//            positive step between two uniform levels, drawn from the reference);
//   input  : a `bits` input register (register_bits) written once per drive.
// Settling: the ladder's output resistance is R_u, so a full-scale step into the row line settles
// to 0.5 LSB in R_u C ln(2^(bits+1)). Area: (3 bits + 1) unit resistors per ladder at the
// resistor density, plus the input register. Plain C++17; bad input throws InvalidArgument.
#include "models/cost/component.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Unit resistance of the R-2R ladders: 5 kOhm, CiMLoop's model of Wang et al. VLSI 2022
/// (mit-emze/cimloop@3177b52, workspace/models/arch/1_macro/wang_vlsi_2022/variables_free.yaml
/// L56-59, "two R-2R ladders", R_u 5e3).
inline constexpr double kR2rUnitResistance_Ohm = 5000.0;
/// Resistor area per ohm at 22 nm: 2.35e-15 m^2/Ohm = 2.35e-3 um^2/Ohm, scaled by (node / 22)^2
/// (Accelergy-Project/hwcomponents-library@8b56f7e, hwcomponents_library/library/dac_c2c_r2r.py
/// L507, the R-2R ladder area of its Wang-macro model).
inline constexpr double kResistorAreaPerOhm22_um2 = 2.35e-3;
/// Ladders per input DAC: 2 (Wang et al.: two R-2R ladders at +VDD/2 and -VDD/2 for signed inputs).
inline constexpr int kR2rLaddersPerDac = 2;

/// Highest input-slice resolution the amplitude DAC model prices (bits).
inline constexpr int kMaxAmplitudeDacBits = 8;
/// Highest input-slice resolution a pulse-count (pulse-train) drive is accepted for: 4 bits = 15
/// unit pulses. Silicon with pulse-count inputs stops at 4 b (Sinangil et al., JSSC 2021, 4 b
/// inputs as a count of read-word-line pulses; a 65 nm 7T SRAM CIM macro with 4 b RWL-pulse
/// inputs, IBM Research); beyond it the drive time grows as 2^b and the pulse-to-pulse mismatch
/// accumulates (docs/notes/issue12-sources.md section 2).
inline constexpr int kMaxPulseCountBits = 4;

/// Output voltage of an R-2R ladder of `bits` with reference `v_ref` for `code`, and the current
/// the reference supplies into the set bits' legs (per unit resistance: I * R_u, in volts).
struct LadderSolution {
  double v_out = 0.0;
  double supply_current_times_R = 0.0;
};
LadderSolution r2r_ladder(int bits, unsigned code, double v_ref);

/// Time for the ladder output to settle to 0.5 LSB after a full-scale step into `load_fF` (ns).
double r2r_dac_settle_ns(int bits, double load_fF);

/// One amplitude DAC (kR2rLaddersPerDac ladders at VDD/2) driving a row line of `load_fF` for
/// `hold_ns` (>= its settling time: a shorter hold is an InvalidArgument): energy per drive, area,
/// leakage (the input register's), latency = hold_ns.
ComponentCost amplitude_dac(int bits, const TechPoint& tech, double load_fF, double hold_ns);

}  // namespace cimba::cost
