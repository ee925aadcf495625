#pragma once
// Digital datapath cost models (adders, multipliers, FP32 units, exp/softplus, comparators,
// MUXes, registers), cimba::cost.
//
// Anchors: M. Horowitz, "1.1 Computing's energy problem (and what we can do about it)",
// IEEE ISSCC 2014 Digest, pp. 10-14, doi:10.1109/ISSCC.2014.6757323 -- energy (pJ) and area
// (um^2) of arithmetic units at 45 nm, 0.9 V. Moved to other nodes / supplies with the
// Stillmaker-Baas rule (tech.hpp). Units composed of Horowitz primitives (exp, softplus, MUX,
// register) state their composition in digital.cpp.
//
// Every function returns a ComponentCost for ONE unit instance and ONE operation:
//   energy_pJ  : dynamic energy of one operation at tech.node_nm / tech.vdd_V
//   area_um2   : area of one unit
//   latency_ns : cycles of the unit (design assumption stated per unit) / tech.clock_GHz
//   leakage_uW : kLogicLeakageFraction of the power at one operation per clock cycle
// Bad input (bits outside the documented range, bad tech point) throws cimba::InvalidArgument.
#include "models/cost/component.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Horowitz ISSCC 2014 table entries at 45 nm / 0.9 V (exposed for tests and documentation).
/// Verification status (see docs/cost-models.md): energies of INT32 add (0.1), INT32 mult (3.1),
/// FP32 add (0.9), FP32 mult (3.7) verified as quoted with Horowitz as source in PMC8934428,
/// Table 3; INT8/INT16 add, INT8 mult and FP16 add energies secondary (a public energy table
/// citing Horowitz 2014 / Dally 2019 gives the same values); FP16 mult energy and all areas are as
/// given in the issue / common reproductions of the Horowitz table, NOT re-verified against the
/// slide in this work.
struct HorowitzEntry {
  double energy_pJ;
  double area_um2;
};
namespace horowitz45 {
inline constexpr HorowitzEntry kInt8Add{0.03, 36.0};
inline constexpr HorowitzEntry kInt16Add{0.05, 67.0};
inline constexpr HorowitzEntry kInt32Add{0.1, 137.0};
inline constexpr HorowitzEntry kInt8Mul{0.2, 282.0};
inline constexpr HorowitzEntry kInt32Mul{3.1, 3495.0};
inline constexpr HorowitzEntry kFp16Add{0.4, 1360.0};
inline constexpr HorowitzEntry kFp32Add{0.9, 4184.0};
inline constexpr HorowitzEntry kFp16Mul{1.1, 1640.0};
inline constexpr HorowitzEntry kFp32Mul{3.7, 7700.0};
}  // namespace horowitz45

/// Energy (pJ) of one switching transistor and area (um^2) of one placed transistor at 45 nm,
/// derived from the Horowitz 8-bit adder (0.03 pJ, 36 um^2) assuming the textbook 28-transistor
/// mirror full adder per bit (8 x 28 = 224 transistors). Used for units Horowitz does not list.
inline constexpr double kTransistorEnergy45_pJ = 0.03 / 224.0;
inline constexpr double kTransistorArea45_um2 = 36.0 / 224.0;

/// Integer (two's complement) adder, 1 <= bits <= 64. One cycle.
ComponentCost int_adder(int bits, const TechPoint& tech);
/// Integer array multiplier bits x bits, 1 <= bits <= 64. One cycle (pipelined).
ComponentCost int_multiplier(int bits, const TechPoint& tech);
/// IEEE binary32 adder / multiplier (Horowitz). One cycle (pipelined).
ComponentCost fp32_adder(const TechPoint& tech);
ComponentCost fp32_multiplier(const TechPoint& tech);
/// IEEE binary16 adder / multiplier (Horowitz). One cycle (pipelined).
ComponentCost fp16_adder(const TechPoint& tech);
ComponentCost fp16_multiplier(const TechPoint& tech);
/// Magnitude comparator of `bits` (1..64): costed as a subtractor = int_adder(bits).
ComponentCost comparator(int bits, const TechPoint& tech);
/// `inputs`-to-1 multiplexer of `bits`-wide words (2 <= inputs <= 4096, 1 <= bits <= 1024).
ComponentCost mux(int bits, int inputs, const TechPoint& tech);
/// `gates` NAND2-equivalent gates (1..1e6) of random logic, every gate switching once per action:
/// 4 transistors each at the Horowitz-derived per-transistor energy and area (at 45 nm,
/// 0.54 fJ and 0.64 um^2 per gate; NeuroSim's 45 nm NAND2 is 0.52 fJ and 0.646 um^2,
/// docs/notes/issue12-sources.md section 4).
ComponentCost logic_gates(int gates, const TechPoint& tech);
/// Thermometer-to-binary encoder of `inputs` (2..4096) compare results: the first 1-to-0
/// transition (inputs - 1 gates) one-hot encoded into ceil(log2 inputs) bits by an OR tree
/// (inputs / 2 gates per output bit).
ComponentCost thermometer_encoder(int inputs, const TechPoint& tech);
/// Edge-triggered register of `bits` flip-flops (1..4096); action = one clocked write.
ComponentCost register_bits(int bits, const TechPoint& tech);

/// Implementation of a transcendental unit.
enum class FunctionImpl {
  kExactFp32,  ///< FP32 range reduction + degree-5 polynomial (Horner) in FP32 units
  kPwlInt16,   ///< piecewise-linear, uniform segments, INT16 datapath, coefficient LUT in flops
};
/// exp(x). For kPwlInt16, `segments` (2..1024, power of two) sets the LUT size; ignored otherwise.
ComponentCost exp_unit(FunctionImpl impl, const TechPoint& tech, int segments = 32);
/// softplus(x) = log(1 + exp(x)). Same parameters as exp_unit.
ComponentCost softplus_unit(FunctionImpl impl, const TechPoint& tech, int segments = 32);
/// FP32 a / b by Newton-Raphson on the reciprocal (Oberman & Flynn, IEEE Trans. Computers
/// 46(8):833-854, 1997, doi:10.1109/12.609274): an 8-bit seed from a 256-entry table, two
/// iterations x' = x (2 - b x) (8 -> 16 -> 32 bits; 2 mul + 1 add each), then a x (1 mul).
ComponentCost fp32_divider(const TechPoint& tech);
/// FP32 sqrt(a) by Newton-Raphson on 1/sqrt(a) (same reference): an 8-bit seed table, two
/// iterations y' = y (3 - a y^2) / 2 (3 mul + 1 add each; the halving is an exponent decrement,
/// 1 INT8 add), then sqrt(a) = a y (1 mul).
ComponentCost fp32_sqrt_unit(const TechPoint& tech);
/// SiLU(x) = x / (1 + exp(-x)): exp_unit(impl) + 1 FP32 add + fp32_divider.
ComponentCost silu_unit(FunctionImpl impl, const TechPoint& tech, int segments = 32);

}  // namespace cimba::cost
