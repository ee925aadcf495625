#include "models/cost/dac.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "models/cost/digital.hpp"

namespace cimba::cost {

namespace {
void check_bits(int bits) {
  if (bits < 1 || bits > kMaxAmplitudeDacBits)
    throw InvalidArgument("cost: amplitude DAC bits must be in 1.." +
                          std::to_string(kMaxAmplitudeDacBits) + ", got " + std::to_string(bits));
}
}  // namespace

// Node i (0 = LSB end, bits-1 = output) connects to its bit's input (b_i V_ref or 0) through 2R,
// to its neighbours through R; node 0 is terminated to ground through 2R; the output is unloaded
// (DC). KCL x 2R:  node 0: 4 V_0 - 2 V_1 = b_0 V;  middle: 5 V_i - 2 V_{i-1} - 2 V_{i+1} = b_i V;
// output: 3 V_n - 2 V_{n-1} = b_n V. A tridiagonal system, solved by the Thomas algorithm.
LadderSolution r2r_ladder(int bits, unsigned code, double v_ref) {
  check_bits(bits);
  const auto n = static_cast<std::size_t>(bits);
  std::vector<double> a(n, -2.0), b(n, 5.0), c(n, -2.0), d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = ((code >> i) & 1u) ? v_ref : 0.0;
  b[0] = 4.0;
  b[n - 1] = 3.0;
  if (n == 1) b[0] = 2.0;  // one leg of 2R to the input and 2R to ground: V = b V_ref / 2
  a[0] = 0.0;
  c[n - 1] = 0.0;
  for (std::size_t i = 1; i < n; ++i) {
    const double m = a[i] / b[i - 1];
    b[i] -= m * c[i - 1];
    d[i] -= m * d[i - 1];
  }
  std::vector<double> v(n);
  v[n - 1] = d[n - 1] / b[n - 1];
  for (std::size_t i = n - 1; i-- > 0;) v[i] = (d[i] - c[i] * v[i + 1]) / b[i];
  LadderSolution s;
  s.v_out = v[n - 1];
  for (std::size_t i = 0; i < n; ++i)
    if ((code >> i) & 1u) s.supply_current_times_R += (v_ref - v[i]) / 2.0;
  return s;
}

double r2r_dac_settle_ns(int bits, double load_fF) {
  check_bits(bits);
  if (!(load_fF >= 0.0)) throw InvalidArgument("cost: DAC load capacitance must be >= 0");
  // R_u [Ohm] x C [fF] = 1e-15 s x R = 1e-6 ns x R
  return kR2rUnitResistance_Ohm * load_fF * 1e-6 * std::log(std::ldexp(1.0, bits + 1));
}

ComponentCost amplitude_dac(int bits, const TechPoint& tech, double load_fF, double hold_ns) {
  check_bits(bits);
  check_tech(tech);
  const double settle = r2r_dac_settle_ns(bits, load_fF);
  if (!(hold_ns >= settle))
    throw InvalidArgument("cost: amplitude DAC hold " + std::to_string(hold_ns) +
                          " ns is shorter than its settling time " + std::to_string(settle) +
                          " ns");
  const double v_ref = tech.vdd_V / 2.0;
  const unsigned codes = 1u << bits;
  double i_times_r = 0.0;
  for (unsigned code = 0; code < codes; ++code)
    i_times_r += r2r_ladder(bits, code, v_ref).supply_current_times_R;
  i_times_r /= codes;
  const double v_fs = r2r_ladder(bits, codes - 1, v_ref).v_out;
  // V [V] x I [A] x t [ns] = 1e-9 J x ... ; in pJ: V * (IR / R) * t_ns * 1e3
  const double static_pJ = v_ref * (i_times_r / kR2rUnitResistance_Ohm) * hold_ns * 1e3;
  const double load_pJ = load_fF * v_ref * v_fs / 6.0 * 1e-3;
  const ComponentCost reg = register_bits(bits, tech);
  const double ohms = (3.0 * bits + 1.0) * kR2rUnitResistance_Ohm;
  const double node_ratio = tech.node_nm / 22.0;
  ComponentCost c;
  c.energy_pJ = kR2rLaddersPerDac * (static_pJ + load_pJ) + reg.energy_pJ;
  c.area_um2 =
      kR2rLaddersPerDac * ohms * kResistorAreaPerOhm22_um2 * node_ratio * node_ratio + reg.area_um2;
  c.leakage_uW = reg.leakage_uW;  // the ladders draw current only while driving (in energy_pJ)
  c.latency_ns = hold_ns;
  c.action =
      "drive one " + std::to_string(bits) + " b level for " + std::to_string(hold_ns) + " ns";
  c.source =
      "R-2R ladder x2 at VDD/2 (Wang et al. JSSC 2023), R_u 5 kOhm (CiMLoop wang_vlsi_2022 "
      "variables_free.yaml), 2.35e-3 um^2/Ohm at 22 nm (hwcomponents-library dac_c2c_r2r.py); "
      "nodal solve averaged over uniform codes + register_bits";
  return c;
}

}  // namespace cimba::cost
