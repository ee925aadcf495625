#include "models/cost/report.hpp"

#include <cstdio>
#include <sstream>
#include <string>

#include "models/common/error.hpp"
#include "models/cost/sram.hpp"

namespace cimba::cost {
namespace {

CostRow from(const std::string& name, int count, const ComponentCost& c) {
  return CostRow{name,     count,        c.area_um2,   c.energy_pJ,
                 c.action, c.latency_ns, c.leakage_uW, c.source};
}

CostRow from_mem(const std::string& name, const SramCost& s, int width_bits) {
  char action[96];
  std::snprintf(action, sizeof action, "read %d b (write %.3g pJ)", width_bits, s.write_energy_pJ);
  return CostRow{name,         1,       s.area_um2, s.read_energy_pJ, action, s.access_latency_ns,
                 s.leakage_uW, s.source};
}

}  // namespace

std::vector<CostRow> cost_table(const AcceleratorDesc& d) {
  check_tech(d.tech);
  if (d.cim_macros < 0 || d.fp32_adders < 0 || d.fp32_multipliers < 0 || d.int_adders < 0 ||
      d.exp_units < 0 || d.softplus_units < 0 || d.silu_units < 0 || d.fp32_dividers < 0 ||
      d.fp32_sqrt_units < 0)
    throw InvalidArgument("cost: component counts must be >= 0");
  std::vector<CostRow> rows;

  CimMacroParams m;
  m.rows = d.cim_rows;
  m.cols = d.cim_cols;
  m.cell = d.cim_cell;
  m.encoding = d.cim_encoding;
  m.input_bits = d.cim_input_bits;
  m.dac_bits = d.cim_dac_bits;
  m.input_activity = d.cim_input_activity;
  m.adc_model = d.adc_model;
  m.adc_bits = d.adc_bits;
  m.adc_sample_rate_Hz = d.adc_sample_rate_Hz;
  m.cols_per_conversion = d.cim_cols_per_conversion;
  m.conversions_per_adc = d.cim_conversions_per_adc;
  m.acc_bits = d.cim_acc_bits;
  m.pulse_width_ns = d.cim_pulse_width_ns;
  m.drive_ns = d.cim_drive_ns;
  m.tech = d.tech;
  m.cal = d.cim_cal;
  const CimMacroCost c = cim_macro_cost(m);
  const int n = d.cim_macros;
  const std::string geo = std::to_string(d.cim_rows) + "x" + std::to_string(d.cim_cols);
  rows.push_back(
      CostRow{"CIM array " + geo, n, c.array_area_um2, c.array_energy_pJ,
              "activation (all rows, one slice)", c.activation_latency_ns,
              sram_leakage_uW(double(d.cim_rows) * d.cim_cols, d.tech),
              "cell physics (" + cim_cell_type_name(d.cim_cell) +
                  "): NeuroSim 0.2 fF/um lines, Horowitz-derived device load" +
                  (d.cim_cell == CimCellType::k8T1C ? ", 2 fF cell capacitor (CiMLoop's Jia model)"
                                                    : ", partial RBL discharge") +
                  " x Jia-fitted array factor; bitcells (sram.cpp); MC2-RAM 8T/8T1C"});
  rows.push_back(CostRow{
      "CIM input drivers/DAC", n, c.driver_area_um2, c.driver_energy_pJ, "activation (all rows)",
      d.cim_drive_ns > 0.0 ? d.cim_drive_ns : cim_input_drive_ns(m), 0.0,
      d.cim_encoding == InputEncoding::kAmplitude
          ? "R-2R amplitude DAC per row (dac.hpp: Wang et al. JSSC 2023 organisation, CiMLoop "
            "R_u, hwcomponents-library resistor density)"
          : "24T DFF / counter from Horowitz-derived digital models"});
  rows.push_back(
      CostRow{"ADC (" + adc_model_name(d.adc_model) + ", " + std::to_string(d.adc_bits) + " b)",
              n * c.adc_count, c.adc.area_um2, c.adc.energy_pJ, "convert", c.adc.latency_ns,
              c.adc.leakage_uW, c.adc.source + "; x Jia-fitted calibration"});
  if (c.shift_add_area_um2 > 0.0)
    rows.push_back(CostRow{"shift-add accumulators", n, c.shift_add_area_um2, c.shift_add_energy_pJ,
                           "activation (all outputs)", 1.0 / d.tech.clock_GHz, 0.0,
                           "Horowitz ISSCC'14 adder + 24T DFF register"});

  SramParams sp;
  sp.tech = d.tech;
  sp.width_bits = d.sram_width_bits;
  sp.capacity_bytes = d.input_buffer_bytes;
  rows.push_back(from_mem("input buffer SRAM", sram_cost(sp), sp.width_bits));
  sp.capacity_bytes = d.output_buffer_bytes;
  rows.push_back(from_mem("output buffer SRAM", sram_cost(sp), sp.width_bits));
  sp.capacity_bytes = d.ssm_state_bytes;
  rows.push_back(from_mem("SSM state SRAM", sram_cost(sp), sp.width_bits));
  SramParams rf;
  rf.tech = d.tech;
  rf.capacity_bytes = d.scale_table_bytes;
  rf.width_bits = d.scale_table_width_bits;
  rows.push_back(from_mem("scale table (register file)", register_file_cost(rf), rf.width_bits));

  rows.push_back(from("FP32 adder", d.fp32_adders, fp32_adder(d.tech)));
  rows.push_back(from("FP32 multiplier", d.fp32_multipliers, fp32_multiplier(d.tech)));
  rows.push_back(from("INT" + std::to_string(d.int_adder_bits) + " adder", d.int_adders,
                      int_adder(d.int_adder_bits, d.tech)));
  rows.push_back(from("exp unit", d.exp_units, exp_unit(d.sfu_impl, d.tech, d.pwl_segments)));
  rows.push_back(
      from("softplus unit", d.softplus_units, softplus_unit(d.sfu_impl, d.tech, d.pwl_segments)));
  if (d.silu_units > 0)
    rows.push_back(from("SiLU unit", d.silu_units, silu_unit(d.sfu_impl, d.tech, d.pwl_segments)));
  if (d.fp32_dividers > 0)
    rows.push_back(from("FP32 divider", d.fp32_dividers, fp32_divider(d.tech)));
  if (d.fp32_sqrt_units > 0)
    rows.push_back(from("FP32 sqrt unit", d.fp32_sqrt_units, fp32_sqrt_unit(d.tech)));

  const DramPreset dram = dram_preset(d.dram);
  rows.push_back(CostRow{"DRAM " + dram.name, 1, 0.0, dram_transfer_energy_pJ(dram, 64.0),
                         "transfer 64 B", dram_transfer_time_ns(dram, 64.0), 0.0, dram.source});
  return rows;
}

std::string render_cost_table(const std::vector<CostRow>& rows) {
  std::ostringstream os;
  char buf[640];
  double total_area = 0.0, total_leak = 0.0;
  for (const auto& r : rows) {
    total_area += r.count * r.area_um2;
    total_leak += r.count * r.leakage_uW;
  }
  std::snprintf(buf, sizeof buf, "%-30s %6s %14s %12s %7s %12s %-36s %10s %12s\n", "component",
                "count", "area_um2/inst", "area_mm2", "area%", "energy_pJ", "per action",
                "latency_ns", "leakage_uW");
  os << buf;
  for (const auto& r : rows) {
    const double area = r.count * r.area_um2;
    std::snprintf(buf, sizeof buf, "%-30s %6d %14.4g %12.4g %6.1f%% %12.4g %-36s %10.4g %12.4g\n",
                  r.name.c_str(), r.count, r.area_um2, area * 1e-6,
                  total_area > 0.0 ? 100.0 * area / total_area : 0.0, r.energy_pJ, r.action.c_str(),
                  r.latency_ns, r.leakage_uW);
    os << buf;
  }
  std::snprintf(buf, sizeof buf, "total on-chip area: %.4g mm^2, total leakage: %.4g mW\n",
                total_area * 1e-6, total_leak * 1e-3);
  os << buf
     << "(area_um2/inst, energy_pJ, latency_ns, leakage_uW: one instance, one action; "
        "area_mm2 and area%: all instances; DRAM is off chip)\n"
     << "sources:\n";
  for (const auto& r : rows) os << "  " << r.name << ": " << r.source << "\n";
  return os.str();
}

std::string render_cost_table(const AcceleratorDesc& desc) {
  return render_cost_table(cost_table(desc));
}

}  // namespace cimba::cost
