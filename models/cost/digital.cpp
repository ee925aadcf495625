#include "models/cost/digital.hpp"

#include <cmath>
#include <string>

#include "models/common/error.hpp"

namespace cimba::cost {
namespace {

constexpr const char* kHorowitz =
    "Horowitz, ISSCC 2014 (45 nm, 0.9 V); Stillmaker-Baas 2017 node scaling";

void check_range(const char* what, int v, int lo, int hi) {
  if (v < lo || v > hi)
    throw InvalidArgument(std::string("cost: ") + what + " = " + std::to_string(v) + " outside [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

// Builds a cost from 45 nm / 0.9 V figures: scales energy and area to `tech`, one action takes
// `cycles` clock cycles, leakage is the stated fraction of one-op-per-cycle power.
ComponentCost from45(double energy45_pJ, double area45_um2, double cycles, const TechPoint& tech,
                     std::string action, std::string source = kHorowitz) {
  check_tech(tech);
  ComponentCost c;
  c.energy_pJ =
      energy45_pJ * energy_scale(kReferenceNode_nm, kReferenceVdd_V, tech.node_nm, tech.vdd_V);
  c.area_um2 = area45_um2 * area_scale(kReferenceNode_nm, tech.node_nm);
  c.latency_ns = cycles / tech.clock_GHz;
  // pJ per cycle x GHz = mW; x 1e3 = uW.
  c.leakage_uW = kLogicLeakageFraction * c.energy_pJ * tech.clock_GHz * 1e3;
  c.action = std::move(action);
  c.source = std::move(source);
  return c;
}

// Piecewise-linear interpolation through Horowitz's 8/16/32-bit adder points; proportional to
// bits below 8 and above 32 (a ripple/prefix adder grows linearly with width).
double adder45(int bits, double v8, double v16, double v32) {
  const double b = bits;
  if (b <= 8) return v8 * b / 8.0;
  if (b <= 16) return v8 + (v16 - v8) * (b - 8.0) / 8.0;
  if (b <= 32) return v16 + (v32 - v16) * (b - 16.0) / 16.0;
  return v32 * b / 32.0;
}

// Power law through Horowitz's 8- and 32-bit multiplier points: v(b) = v8 * (b/8)^k with
// k = ln(v32/v8)/ln 4 (energy k = 1.98, area k = 1.82: close to the b^2 of an array multiplier).
double mult45(int bits, double v8, double v32) {
  const double k = std::log(v32 / v8) / std::log(4.0);
  return v8 * std::pow(bits / 8.0, k);
}

// Transistor counts of cells Horowitz does not list (ASSUMPTIONS, textbook static-CMOS cells):
// D flip-flop: 24 transistors (transmission-gate master-slave incl. local clock inverters);
// 2:1 MUX per bit: 8 transistors (2 transmission gates, select inverter, output inverter).
constexpr double kDffTransistors = 24.0;
constexpr double kMux2Transistors = 8.0;

}  // namespace

ComponentCost int_adder(int bits, const TechPoint& tech) {
  check_range("adder bits", bits, 1, 64);
  using namespace horowitz45;
  return from45(adder45(bits, kInt8Add.energy_pJ, kInt16Add.energy_pJ, kInt32Add.energy_pJ),
                adder45(bits, kInt8Add.area_um2, kInt16Add.area_um2, kInt32Add.area_um2), 1.0, tech,
                "INT" + std::to_string(bits) + " add");
}

ComponentCost int_multiplier(int bits, const TechPoint& tech) {
  check_range("multiplier bits", bits, 1, 64);
  using namespace horowitz45;
  return from45(mult45(bits, kInt8Mul.energy_pJ, kInt32Mul.energy_pJ),
                mult45(bits, kInt8Mul.area_um2, kInt32Mul.area_um2), 1.0, tech,
                "INT" + std::to_string(bits) + " mul");
}

ComponentCost fp32_adder(const TechPoint& tech) {
  return from45(horowitz45::kFp32Add.energy_pJ, horowitz45::kFp32Add.area_um2, 1.0, tech,
                "FP32 add");
}
ComponentCost fp32_multiplier(const TechPoint& tech) {
  return from45(horowitz45::kFp32Mul.energy_pJ, horowitz45::kFp32Mul.area_um2, 1.0, tech,
                "FP32 mul");
}
ComponentCost fp16_adder(const TechPoint& tech) {
  return from45(horowitz45::kFp16Add.energy_pJ, horowitz45::kFp16Add.area_um2, 1.0, tech,
                "FP16 add");
}
ComponentCost fp16_multiplier(const TechPoint& tech) {
  return from45(horowitz45::kFp16Mul.energy_pJ, horowitz45::kFp16Mul.area_um2, 1.0, tech,
                "FP16 mul");
}

ComponentCost comparator(int bits, const TechPoint& tech) {
  // A magnitude compare is a subtraction (sign of a - b), so it is costed as an adder of the
  // same width -- the same convention as the energy table of the Frontiers in Neurology article
  // PMC8934428 (Table 3, footnote a), which also takes its add/mul figures from Horowitz 2014.
  ComponentCost c = int_adder(bits, tech);
  c.action = "compare " + std::to_string(bits) + " b";
  return c;
}

ComponentCost mux(int bits, int inputs, const TechPoint& tech) {
  check_range("mux bits", bits, 1, 1024);
  check_range("mux inputs", inputs, 2, 4096);
  // An N:1 mux is a tree of N-1 2:1 muxes per bit; one selection toggles the log2(N) muxes on
  // the selected path per bit.
  const double depth = std::ceil(std::log2(static_cast<double>(inputs)));
  const double e45 = bits * depth * kMux2Transistors * kTransistorEnergy45_pJ;
  const double a45 = bits * (inputs - 1.0) * kMux2Transistors * kTransistorArea45_um2;
  return from45(e45, a45, 1.0, tech,
                std::to_string(inputs) + ":1 mux select (" + std::to_string(bits) + " b)",
                "transistor count x Horowitz-derived per-transistor energy/area; Stillmaker-Baas");
}

ComponentCost logic_gates(int gates, const TechPoint& tech) {
  check_range("logic gates", gates, 1, 1000000);
  const double e45 = gates * 4.0 * kTransistorEnergy45_pJ;
  const double a45 = gates * 4.0 * kTransistorArea45_um2;
  return from45(e45, a45, 1.0, tech, std::to_string(gates) + " NAND2-equivalent gates",
                "NAND2 = 4 transistors x Horowitz-derived per-transistor energy/area; "
                "Stillmaker-Baas");
}

ComponentCost thermometer_encoder(int inputs, const TechPoint& tech) {
  check_range("encoder inputs", inputs, 2, 4096);
  const int out_bits = static_cast<int>(std::ceil(std::log2(static_cast<double>(inputs))));
  ComponentCost c = logic_gates(inputs - 1 + out_bits * ((inputs + 1) / 2), tech);
  c.action = "encode " + std::to_string(inputs) + " compare results";
  return c;
}

ComponentCost register_bits(int bits, const TechPoint& tech) {
  check_range("register bits", bits, 1, 4096);
  const double e45 = bits * kDffTransistors * kTransistorEnergy45_pJ;
  const double a45 = bits * kDffTransistors * kTransistorArea45_um2;
  return from45(e45, a45, 1.0, tech, "write " + std::to_string(bits) + " b",
                "24T DFF x Horowitz-derived per-transistor energy/area; Stillmaker-Baas");
}

namespace {

// Sums `n` copies of `part` into `acc` (energy, area, leakage); latency handled by caller.
void add(ComponentCost& acc, const ComponentCost& part, double n) {
  acc.energy_pJ += n * part.energy_pJ;
  acc.area_um2 += n * part.area_um2;
  acc.leakage_uW += n * part.leakage_uW;
}

// PWL unit: input clamp (2 x 16-bit compare), segment index = top log2(S) bits (wiring only),
// coefficient LUT of S entries x (16-bit slope + 16-bit intercept) in flip-flops read through a
// 32-bit S:1 mux, one INT16 multiply and one INT32 add. 3 cycles (LUT, mul, add).
ComponentCost pwl_unit(const TechPoint& tech, int segments, const std::string& fn) {
  check_range("PWL segments", segments, 2, 1024);
  if ((segments & (segments - 1)) != 0)
    throw InvalidArgument("cost: PWL segments must be a power of two, got " +
                          std::to_string(segments));
  ComponentCost c;
  add(c, comparator(16, tech), 2.0);
  ComponentCost lut = register_bits(32, tech);
  c.area_um2 += segments * lut.area_um2;  // storage; rewritten only at configuration time
  c.leakage_uW += segments * lut.leakage_uW;
  add(c, mux(32, segments, tech), 1.0);
  add(c, int_multiplier(16, tech), 1.0);
  add(c, int_adder(32, tech), 1.0);
  c.latency_ns = 3.0 / tech.clock_GHz;
  c.action = fn + " (PWL, " + std::to_string(segments) + " segments, INT16)";
  c.source = "composition of Horowitz ISSCC 2014 units (see digital.cpp); Stillmaker-Baas";
  return c;
}

// Exact FP32 exp: x*log2(e) (1 mul), split integer/fraction (1 add), 2^f by a degree-5
// polynomial in Horner form (5 mul + 5 add), exponent insertion (1 INT8 add). Units are not
// shared: 6 FP32 mul + 6 FP32 add + 1 INT8 add; 13 dependent steps, one cycle each.
ComponentCost exact_exp(const TechPoint& tech) {
  ComponentCost c;
  add(c, fp32_multiplier(tech), 6.0);
  add(c, fp32_adder(tech), 6.0);
  add(c, int_adder(8, tech), 1.0);
  c.latency_ns = 13.0 / tech.clock_GHz;
  return c;
}

}  // namespace

ComponentCost exp_unit(FunctionImpl impl, const TechPoint& tech, int segments) {
  if (impl == FunctionImpl::kPwlInt16) return pwl_unit(tech, segments, "exp");
  ComponentCost c = exact_exp(tech);
  c.action = "exp (FP32 exact)";
  c.source = "composition of Horowitz ISSCC 2014 units (see digital.cpp); Stillmaker-Baas";
  return c;
}

ComponentCost softplus_unit(FunctionImpl impl, const TechPoint& tech, int segments) {
  if (impl == FunctionImpl::kPwlInt16) return pwl_unit(tech, segments, "softplus");
  // exp(x), 1 + e (1 FP32 add), log: exponent extract (1 INT8 add), log2 of the mantissa by a
  // degree-5 Horner polynomial (5 mul + 5 add), times ln 2 and add e*ln2 (1 mul + 1 add).
  ComponentCost c = exact_exp(tech);
  add(c, fp32_adder(tech), 1.0);
  add(c, int_adder(8, tech), 1.0);
  add(c, fp32_multiplier(tech), 6.0);
  add(c, fp32_adder(tech), 6.0);
  c.latency_ns += 14.0 / tech.clock_GHz;
  c.action = "softplus (FP32 exact)";
  c.source = "composition of Horowitz ISSCC 2014 units (see digital.cpp); Stillmaker-Baas";
  return c;
}

namespace {

// The 8-bit seed of a Newton-Raphson iteration: a 256-entry x 8-bit table in flip-flops read
// through an 8-bit 256:1 mux (storage written at configuration time, as the PWL coefficients).
void add_seed_table(ComponentCost& c, const TechPoint& tech) {
  const ComponentCost entry = register_bits(8, tech);
  c.area_um2 += 256 * entry.area_um2;
  c.leakage_uW += 256 * entry.leakage_uW;
  add(c, mux(8, 256, tech), 1.0);
}

}  // namespace

ComponentCost fp32_divider(const TechPoint& tech) {
  ComponentCost c;
  add_seed_table(c, tech);
  add(c, fp32_multiplier(tech), 5.0);
  add(c, fp32_adder(tech), 2.0);
  c.latency_ns = 8.0 / tech.clock_GHz;  // seed, 2 x (mul, add, mul), final mul
  c.action = "FP32 divide (Newton-Raphson, 2 iterations)";
  c.source =
      "Newton-Raphson reciprocal (Oberman & Flynn 1997) from Horowitz ISSCC 2014 FP32 units; "
      "Stillmaker-Baas";
  return c;
}

ComponentCost fp32_sqrt_unit(const TechPoint& tech) {
  ComponentCost c;
  add_seed_table(c, tech);
  add(c, fp32_multiplier(tech), 7.0);
  add(c, fp32_adder(tech), 2.0);
  add(c, int_adder(8, tech), 2.0);
  c.latency_ns = 10.0 / tech.clock_GHz;  // seed, 2 x (mul, mul, add, mul), final mul
  c.action = "FP32 sqrt (Newton-Raphson on 1/sqrt, 2 iterations)";
  c.source =
      "Newton-Raphson reciprocal square root (Oberman & Flynn 1997) from Horowitz ISSCC 2014 "
      "FP32 units; Stillmaker-Baas";
  return c;
}

ComponentCost silu_unit(FunctionImpl impl, const TechPoint& tech, int segments) {
  ComponentCost c = exp_unit(impl, tech, segments);
  const double exp_latency = c.latency_ns;
  add(c, fp32_adder(tech), 1.0);
  const ComponentCost div = fp32_divider(tech);
  add(c, div, 1.0);
  c.latency_ns = exp_latency + 1.0 / tech.clock_GHz + div.latency_ns;
  c.action = std::string("SiLU (exp ") + (impl == FunctionImpl::kPwlInt16 ? "PWL" : "FP32 exact") +
             " + add + divide)";
  c.source = "exp_unit + fp32_adder + fp32_divider (see digital.cpp); Stillmaker-Baas";
  return c;
}

}  // namespace cimba::cost
