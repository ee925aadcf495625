// RunConfig -> accelerator, cost models -> energy table and area, layers on the SystemC model,
// and the "hardware" section of result.json (docs/results-format.md).
#include "sim/hardware_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "models/common/error.hpp"
#include "models/cost/adc.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/dram.hpp"
#include "models/cost/sram.hpp"
#include "models/cost/tech.hpp"
#include "models/numerics/group_scales.hpp"
#include "sim/result_format.hpp"
#include "workloads/mamba_forward.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;
using json = nlohmann::ordered_json;

namespace {

const char* dram_preset_name(DramPresetKind kind) {
  switch (kind) {
    case DramPresetKind::Ddr4_3200:
      return "ddr4_3200";
    case DramPresetKind::Lpddr4_4266:
      return "lpddr4_4266";
    case DramPresetKind::Hbm2:
      return "hbm2";
  }
  return "ddr4_3200";
}

cost::AdcModel adc_model(AdcModelKind kind) {
  switch (kind) {
    case AdcModelKind::Murmann:
      return cost::AdcModel::kMurmannSurvey;
    case AdcModelKind::Sar:
      return cost::AdcModel::kNeuroSimSar;
    case AdcModelKind::Flash:
      return cost::AdcModel::kFlash;
  }
  return cost::AdcModel::kNeuroSimSar;
}

cost::CimCellType cell_type(CimCellKind kind) {
  switch (kind) {
    case CimCellKind::Cell6T:
      return cost::CimCellType::k6T;
    case CimCellKind::Cell8T:
      return cost::CimCellType::k8T;
    case CimCellKind::Cell8T1C:
      return cost::CimCellType::k8T1C;
  }
  return cost::CimCellType::k8T;
}

cost::TechPoint tech_of(const RunConfig& c) {
  return cost::TechPoint{c.hw.node_nm, c.hw.vdd_v, c.hw.clock_mhz / 1000.0};
}

// The PWL segment count the cost model accepts (a power of two in 2..1024) nearest above the
// scan's segments; used for the function units when ssm.exp_impl is pwl or lut.
int cost_segments(const RunConfig& c) {
  const int wanted = c.ssm.exp_impl == ExpImplMode::Lut ? c.ssm.lut_entries : c.ssm.exp_segments;
  int s = 2;
  while (s < wanted && s < 1024) s *= 2;
  return s;
}

cost::FunctionImpl function_impl(const RunConfig& c) {
  return c.ssm.exp_impl == ExpImplMode::Exact ? cost::FunctionImpl::kExactFp32
                                              : cost::FunctionImpl::kPwlInt16;
}

// The CIM macro as the cost model sees it. The model needs whole ADC groups: the used output
// columns (floor(cols / weight_cells)) are rounded up to a multiple of cols_per_adc (a no-op for
// the defaults: 64 outputs, 8 per ADC). Each output has digit_columns() ADC inputs of
// cells_per_conversion() cells (one input of weight_cells cells when weights are not sliced).
// Inputs: one numerics slice (quant.slice_bits) is one activation of the array: bit-serial for
// 1-bit slices, else a pulse-count DAC of slice_bits (the cost model allows 1..8 bits; wider slices
// are priced at 8 and flagged by the caller).
cost::CimMacroParams cim_macro_params(const RunConfig& c, const hw::HwParams& hw) {
  cost::CimMacroParams m;
  const int wc = hw.cim.weight_cells();
  const int cpa = std::min(hw.cim.cols_per_adc, std::max(1, hw.cim.outputs_per_macro()));
  const int outputs = (hw.cim.outputs_per_macro() + cpa - 1) / cpa * cpa;
  m.rows = hw.cim.rows;
  m.cols = outputs * wc;
  m.cell = cell_type(c.hw.cim.cell_type);
  m.encoding =
      c.quant.slice_bits == 1 ? cost::InputEncoding::kBitSerial : cost::InputEncoding::kPulseCount;
  m.input_bits = c.quant.a_bits;
  m.dac_bits = std::min(c.quant.slice_bits, 8);
  m.adc_model = adc_model(c.hw.cim.adc.model);
  m.adc_bits = hw.cim.adc.bits;
  m.cols_per_conversion = hw.cim.cells_per_conversion();
  m.conversions_per_adc = cpa;
  m.tech = tech_of(c);
  return m;
}

double bits_per_code(const RunConfig& c) {
  switch (c.workload.ssm_input.scheme) {
    case SsmInputScheme::DualScale:
      return c.workload.ssm_input.value_bits;
    default:
      return 8;
  }
}

std::string fmt4(double v, int precision = 4) {
  if (!std::isfinite(v)) return v > 0 ? "inf" : "nan";
  std::ostringstream os;
  os.precision(precision);
  os << v;
  return os.str();
}

}  // namespace

// ---- config -> accelerator ------------------------------------------------------------------

hw::HwParams to_hw_params(const RunConfig& c) {
  hw::HwParams p;
  p.clock_mhz = c.hw.clock_mhz;
  p.queue_depth = c.hw.queue_depth;
  p.cim.rows = c.hw.cim.rows;
  p.cim.cols = c.hw.cim.cols;
  p.cim.w_bits = c.quant.w_bits;  // one key for the weights of the numerics and the hardware
  p.cim.cell_bits = c.hw.cim.cell_bits;
  p.cim.weight_slice_bits = c.quant.weight_slice_bits;
  p.cim.weight_encoding = to_numerics(c.quant.weight_encoding);
  p.cim.cols_per_adc = c.hw.cim.cols_per_adc;
  p.cim.macros = c.hw.cim.macros;
  p.cim.input_cycles_per_slice = c.hw.cim.input_cycles_per_slice;
  p.cim.write_cycles_per_row = c.hw.cim.write_cycles_per_row;
  p.cim.shift_add_latency = c.hw.cim.shift_add_latency;
  p.cim.adc.bits = c.hw.cim.adc.bits;
  p.cim.adc.conversion_ns = c.hw.cim.adc.conversion_ns;
  p.ssm.lanes = c.hw.ssm.lanes;
  p.ssm.exp_latency = c.hw.ssm.exp_latency;
  p.ssm.mul_latency = c.hw.ssm.mul_latency;
  p.ssm.add_latency = c.hw.ssm.add_latency;
  p.ssm.exp_impl = c.ssm.exp_impl == ExpImplMode::Pwl   ? nm::ExpImpl::Pwl
                   : c.ssm.exp_impl == ExpImplMode::Lut ? nm::ExpImpl::Lut
                                                        : nm::ExpImpl::Exact;
  p.conv.lanes = c.hw.conv.lanes;
  p.conv.latency = c.hw.conv.latency;
  p.index.impl = c.hw.index.impl == IndexImplMode::Sequential ? hw::IndexImpl::Sequential
                 : c.hw.index.impl == IndexImplMode::Lut      ? hw::IndexImpl::Lut
                                                              : hw::IndexImpl::Parallel;
  p.index.units = c.hw.index.units;
  p.index.lookups = c.hw.index.lookups == LookupMode::PerChannel
                        ? hw::LookupGranularity::PerChannel
                        : hw::LookupGranularity::PerElement;
  p.mux.lanes = c.hw.mux.lanes;
  p.mux.latency = c.hw.mux.latency;
  p.vec.lanes = c.hw.vec.lanes;
  p.vec.latency = c.hw.vec.latency;
  p.mac.rows = c.hw.mac.rows;
  p.mac.cols = c.hw.mac.cols;
  p.mac.latency = c.hw.mac.latency;
  const SramDefaultConfig& d = c.hw.sram.default_;
  p.sram_default = hw::SramParams{d.bytes, d.width_bits, d.ports};
  const std::pair<const char*, const SramBufferConfig*> buffers[] = {
      {"x", &c.hw.sram.x},
      {"xn", &c.hw.sram.xn},
      {"xz", &c.hw.sram.xz},
      {"u", &c.hw.sram.u},
      {"xp", &c.hw.sram.xp},
      {"delta", &c.hw.sram.delta},
      {"y", &c.hw.sram.y},
      {"g", &c.hw.sram.g},
      {"mo", &c.hw.sram.mo},
      {"out", &c.hw.sram.out},
      {"weights", &c.hw.sram.weights},
      {"scale_tables", &c.hw.sram.scale_tables},
      {"ssm_state", &c.hw.sram.ssm_state},
      {"ssm_params", &c.hw.sram.ssm_params}};
  for (const auto& [name, b] : buffers) {
    if (b->bytes == 0 && b->width_bits == 0 && b->ports == 0) continue;
    p.sram[name] =
        hw::SramParams{b->bytes ? b->bytes : d.bytes, b->width_bits ? b->width_bits : d.width_bits,
                       b->ports ? b->ports : d.ports};
  }
  p.dram.preset = dram_preset_name(c.hw.dram.preset);
  if (c.hw.dram.bandwidth_gbps > 0.0) p.dram.bandwidth_gbps = c.hw.dram.bandwidth_gbps;
  if (c.hw.dram.latency_ns > 0.0) p.dram.latency_ns = c.hw.dram.latency_ns;
  p.trace = c.hw.trace;
  return p;
}

std::optional<std::string> hardware_config_problem(const RunConfig& config) {
  const auto& nodes = cost::supported_nodes_nm();
  if (std::find(nodes.begin(), nodes.end(), config.hw.node_nm) == nodes.end()) {
    std::string list;
    for (int n : nodes) list += (list.empty() ? "" : ", ") + std::to_string(n);
    return "hw.node_nm: " + std::to_string(config.hw.node_nm) +
           " is not a node of the cost models (" + list + ")";
  }
  try {
    to_hw_params(config).validate();
  } catch (const ConfigError& e) {
    std::string message = e.what();
    // The hardware's weight width is quant.w_bits (one key for both).
    const std::string w_key = "hw.cim.w_bits";
    if (message.rfind(w_key, 0) == 0) message = "quant.w_bits" + message.substr(w_key.size());
    return message;
  }
  return std::nullopt;
}

// ---- energy table ---------------------------------------------------------------------------

std::string PricedEnergyTable::reason_for(const std::string& action_at_component) const {
  const std::string action = action_at_component.substr(0, action_at_component.find('@'));
  for (const auto& u : unpriced)
    if (u.key == action_at_component || u.key == action) return u.reason;
  return "";
}

PricedEnergyTable build_energy_table(const RunConfig& c, const hw::HwParams& hw,
                                     const std::vector<wl::BufferUse>& buffers) {
  PricedEnergyTable t;
  const cost::TechPoint tech = tech_of(c);
  auto set = [&](const std::string& key, double pJ, const std::string& source) {
    t.table.pj[key] = pJ;
    t.prices.push_back({key, pJ, source});
  };
  auto unpriced = [&](const std::string& key, const std::string& reason) {
    t.unpriced.push_back({key, reason});
  };
  // Each price in its own try: a cost model that rejects a parameter leaves that action unpriced
  // with the model's message, instead of failing the run or guessing.
  auto guarded = [&](const std::string& key, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      unpriced(key, std::string("cost model rejected the parameters: ") + e.what());
    }
  };

  // CIM macro: cim_macro_cost (models/cost/cim.cpp) at the configured geometry, cell, DAC, ADC.
  const cost::CimMacroParams mp = cim_macro_params(c, hw);
  guarded("cim_cell_mac", [&] {
    const cost::CimMacroCost m = cost::cim_macro_cost(mp);
    const double cells = double(mp.rows) * double(mp.cols);
    if (c.quant.slice_bits > 8) {
      unpriced("cim_cell_mac", "quant.slice_bits " + std::to_string(c.quant.slice_bits) +
                                   " exceeds the 8-bit pulse-count DAC of cim_macro_cost");
    } else {
      // One cell in one activation (one input slice): the array energy (cell physics x
      // Jia-fitted factor) plus the row drivers' share, per cell of the macro.
      set("cim_cell_mac", (m.array_energy_pJ + m.driver_energy_pJ) / cells,
          "cim_macro_cost: (array_energy_pJ + driver_energy_pJ) / (rows x cols), " +
              cost::cim_cell_type_name(mp.cell) + " cells, input activity " +
              fmt4(mp.input_activity) + " (cost-model default)");
    }
    // One conversion: adc_cost x the Jia-fitted ADC energy factor, at the rate the macro sets.
    set("adc_conversion", m.adc.energy_pJ,
        "cim_macro_cost -> adc_cost(" + cost::adc_model_name(mp.adc_model) + ", " +
            std::to_string(mp.adc_bits) + " b) x Jia-fitted factor: " + m.adc.source);
  });
  // A shift-add of one converted partial sum: the accumulator adder + register of
  // cim_macro_cost's shift-add stage (int_adder + register_bits of acc_bits).
  guarded("shift_add", [&] {
    const double e = cost::int_adder(mp.acc_bits, tech).energy_pJ +
                     cost::register_bits(mp.acc_bits, tech).energy_pJ;
    set("shift_add", e,
        "int_adder(" + std::to_string(mp.acc_bits) + ") + register_bits(" +
            std::to_string(mp.acc_bits) + "), as cim_macro_cost's shift-add");
  });
  // Programming one cell: an SRAM write of cell_bits in an array of the macro's size
  // (sram_cost write energy per bit; the CIM cell is an SRAM cell).
  guarded("cim_cell_write", [&] {
    cost::SramParams sp;
    sp.capacity_bytes = std::max<std::int64_t>(1, std::int64_t(mp.rows) * mp.cols / 8);
    sp.width_bits = std::min(mp.cols, 4096);
    sp.tech = tech;
    const cost::SramCost s = cost::sram_cost(sp);
    set("cim_cell_write", s.write_energy_pJ / sp.width_bits * hw.cim.cell_bits,
        "sram_cost(macro capacity, width cols).write_energy_pJ / width x hw.cim.cell_bits");
  });

  // Digital units (models/cost/digital.cpp: Horowitz ISSCC'14, Stillmaker-Baas scaling).
  guarded("fp32_mul", [&] {
    const double mul = cost::fp32_multiplier(tech).energy_pJ;
    set("fp32_mul", mul, "fp32_multiplier");
    set("dequant_mul", mul, "fp32_multiplier (code x scale; int-to-float conversion not priced)");
    const double cmp_a = cost::comparator(c.quant.a_bits, tech).energy_pJ;
    set("quant_encode@cim", mul + 2 * cmp_a,
        "fp32_multiplier (x 1/scale) + 2 x comparator(quant.a_bits) (clamp); rounding free");
    const int code_bits = static_cast<int>(bits_per_code(c));
    const double cmp_u = cost::comparator(code_bits, tech).energy_pJ;
    set("quant_encode", mul + 2 * cmp_u,
        "fp32_multiplier (x 1/scale) + 2 x comparator(" + std::to_string(code_bits) +
            " b SSM-input code) (clamp); rounding free");
  });
  guarded("fp32_add", [&] { set("fp32_add", cost::fp32_adder(tech).energy_pJ, "fp32_adder"); });
  guarded("fp32_exp", [&] {
    const cost::ComponentCost e = cost::exp_unit(function_impl(c), tech, cost_segments(c));
    set("fp32_exp", e.energy_pJ, "exp_unit: " + e.action);
  });
  guarded("fp32_softplus", [&] {
    const cost::ComponentCost e = cost::softplus_unit(function_impl(c), tech, cost_segments(c));
    set("fp32_softplus", e.energy_pJ, "softplus_unit: " + e.action);
  });
  guarded("comparison", [&] {
    set("comparison", cost::comparator(32, tech).energy_pJ,
        "comparator(32): an FP32 magnitude compare as a 32-bit integer compare");
  });
  guarded("mux_select", [&] {
    set("mux_select", cost::mux(32, 2, tech).energy_pJ, "mux(32 b, 2 inputs): scale1 / scale2");
  });
  unpriced("scale_lookup",
           "no cost model for the index logic; the table reads it makes are priced as "
           "sram_read_bit@sram.scale_tables");
  unpriced("fp32_div", "models/cost has no FP32 divider");
  unpriced("fp32_sqrt", "models/cost has no FP32 square root");
  unpriced("fp32_silu", "models/cost has no SiLU unit (exp + add + divide + multiply; no divider)");

  // Buffers: sram_cost at the configured capacity, or what the program needs (0 = sized to it);
  // scale tables up to 64 KiB in a register file (as cost_table's scale table).
  for (const wl::BufferUse& b : buffers) {
    const hw::SramParams& s = hw.sram_for(b.name);
    const std::string comp = "sram." + b.name;
    guarded("sram_read_bit@" + comp, [&] {
      cost::SramParams sp;
      sp.capacity_bytes = std::max<std::int64_t>(1, s.bytes ? s.bytes : b.bytes);
      sp.width_bits = static_cast<int>(std::min<std::int64_t>(s.width_bits, 8 * sp.capacity_bytes));
      sp.tech = tech;
      const bool rf = b.name == "scale_tables" && sp.capacity_bytes <= 64 * 1024 &&
                      8 * sp.capacity_bytes / sp.width_bits <= 4096;
      const cost::SramCost sc = rf ? cost::register_file_cost(sp) : cost::sram_cost(sp);
      const std::string what = std::string(rf ? "register_file_cost" : "sram_cost") + "(" +
                               std::to_string(sp.capacity_bytes) + " B, " +
                               std::to_string(sp.width_bits) + " b)";
      set("sram_read_bit@" + comp, sc.read_energy_pJ / sp.width_bits, what + ".read / width");
      set("sram_write_bit@" + comp, sc.write_energy_pJ / sp.width_bits, what + ".write / width");
    });
  }

  // DRAM: energy per bit of the preset (models/cost/dram.hpp).
  switch (c.hw.dram.preset) {
    case DramPresetKind::Lpddr4_4266:
    case DramPresetKind::Hbm2: {
      const cost::DramPreset d =
          cost::dram_preset(c.hw.dram.preset == DramPresetKind::Hbm2 ? cost::DramKind::kHbm2
                                                                     : cost::DramKind::kLpddr4);
      set("dram_read_bit", d.energy_pJ_per_bit, "dram_preset(" + d.name + "): " + d.source);
      set("dram_write_bit", d.energy_pJ_per_bit, "dram_preset(" + d.name + "): " + d.source);
      break;
    }
    case DramPresetKind::Ddr4_3200:
      unpriced("dram_read_bit", "models/cost/dram.hpp has no DDR4 preset (hw.dram.preset)");
      unpriced("dram_write_bit", "models/cost/dram.hpp has no DDR4 preset (hw.dram.preset)");
      break;
  }
  return t;
}

// ---- area -----------------------------------------------------------------------------------

cost::AcceleratorDesc accelerator_desc(const RunConfig& c, const hw::HwParams& hw,
                                       const wl::Mamba1LayerShape& shape) {
  cost::AcceleratorDesc d;
  const cost::CimMacroParams mp = cim_macro_params(c, hw);
  d.tech = tech_of(c);
  d.cim_macros = hw.cim.macros;
  d.cim_rows = mp.rows;
  d.cim_cols = mp.cols;
  d.cim_cell = mp.cell;
  d.cim_encoding = mp.encoding;
  d.cim_input_bits = mp.input_bits;
  d.cim_dac_bits = mp.dac_bits;
  d.cim_cols_per_conversion = mp.cols_per_conversion;
  d.cim_conversions_per_adc = mp.conversions_per_adc;
  d.adc_model = mp.adc_model;
  d.adc_bits = mp.adc_bits;
  // Datapaths per lane (ASSUMPTION, from the units' formulas in docs/hardware.md): SSM core lane
  // 2 FP32 mul + 2 FP32 add + 1 exp + 1 softplus (exp(delta A), delta B u, h update, C h sum);
  // vector lane 1 mul + 1 add; conv lane conv_kernel taps (mul + add each); MUX lane 1 mul.
  const int K = static_cast<int>(shape.conv_kernel);
  d.fp32_multipliers = 2 * hw.ssm.lanes + hw.vec.lanes + K * hw.conv.lanes + hw.mux.lanes;
  d.fp32_adders = 2 * hw.ssm.lanes + hw.vec.lanes + K * hw.conv.lanes;
  d.exp_units = hw.ssm.lanes;
  d.softplus_units = hw.ssm.lanes;
  d.sfu_impl = function_impl(c);
  d.pwl_segments = cost_segments(c);
  // Index unit comparators as 32-bit adders (cost model convention: a compare is a subtraction):
  // parallel HG + DG per unit, sequential 1 per unit, LUT none.
  const int hg = c.workload.ssm_input.n_head_groups, dg = c.workload.ssm_input.n_dim_groups;
  d.int_adders = hw.index.impl == hw::IndexImpl::Parallel     ? hw.index.units * (hg + dg)
                 : hw.index.impl == hw::IndexImpl::Sequential ? hw.index.units
                                                              : 0;
  d.int_adder_bits = 32;
  return d;
}

std::vector<AreaRow> area_breakdown(const RunConfig& c, const hw::HwParams& hw,
                                    const std::vector<wl::BufferUse>& buffers,
                                    const wl::Mamba1LayerShape& shape) {
  const cost::AcceleratorDesc d = accelerator_desc(c, hw, shape);
  const int K = static_cast<int>(shape.conv_kernel);
  const std::string lanes = "ssm 2x" + std::to_string(hw.ssm.lanes) + " + vec " +
                            std::to_string(hw.vec.lanes) + " + conv " + std::to_string(K) + "x" +
                            std::to_string(hw.conv.lanes);
  std::vector<AreaRow> rows;
  for (const cost::CostRow& r : cost::cost_table(d)) {
    if (r.name == "input buffer SRAM" || r.name == "output buffer SRAM" ||
        r.name == "SSM state SRAM" || r.name == "scale table (register file)" ||
        r.name.rfind("DRAM", 0) == 0)
      continue;  // replaced by the program's buffers below; DRAM is off chip
    AreaRow a;
    a.component = r.name;
    a.count = r.count;
    a.area_um2_each = r.area_um2;
    a.area_um2 = r.count * r.area_um2;
    a.leakage_uW = r.count * r.leakage_uW;
    a.source = r.source;
    if (r.name.rfind("CIM", 0) == 0 || r.name.rfind("shift-add", 0) == 0)
      a.counted_as = "hw.cim.macros";
    else if (r.name.rfind("ADC", 0) == 0)
      a.counted_as = "hw.cim.macros x outputs per macro / hw.cim.cols_per_adc";
    else if (r.name == "FP32 multiplier")
      a.counted_as = lanes + " + mux " + std::to_string(hw.mux.lanes);
    else if (r.name == "FP32 adder")
      a.counted_as = lanes;
    else if (r.name.rfind("INT", 0) == 0)
      a.counted_as =
          "index comparators: hw.index.units x (n_head_groups + n_dim_groups) "
          "(parallel), x 1 (sequential), 0 (lut)";
    else
      a.counted_as = "hw.ssm.lanes";
    if (a.count > 0) rows.push_back(a);
  }
  const cost::TechPoint tech = tech_of(c);
  for (const wl::BufferUse& b : buffers) {
    const hw::SramParams& s = hw.sram_for(b.name);
    cost::SramParams sp;
    sp.capacity_bytes = std::max<std::int64_t>(1, s.bytes ? s.bytes : b.bytes);
    sp.width_bits = static_cast<int>(std::min<std::int64_t>(s.width_bits, 8 * sp.capacity_bytes));
    sp.tech = tech;
    const bool rf = b.name == "scale_tables" && sp.capacity_bytes <= 64 * 1024 &&
                    8 * sp.capacity_bytes / sp.width_bits <= 4096;
    AreaRow a;
    a.component = "sram." + b.name;
    a.count = 1;
    a.counted_as = std::to_string(sp.capacity_bytes) + " B" +
                   (s.bytes ? " (" + hw.sram_key(b.name) + ".bytes)" : " (sized to the program)") +
                   ", " + std::to_string(sp.width_bits) + " b wide" + (rf ? ", register file" : "");
    try {
      const cost::SramCost sc = rf ? cost::register_file_cost(sp) : cost::sram_cost(sp);
      a.area_um2_each = a.area_um2 = sc.area_um2;
      a.leakage_uW = sc.leakage_uW;
      a.source = sc.source;
    } catch (const Error& e) {
      a.source = std::string("not costed: ") + e.what();  // area 0, named as such
    }
    rows.push_back(a);
  }
  return rows;
}

// ---- the layers on the accelerator ----------------------------------------------------------

json unit_json(const hw::UnitReport& u, double clock_mhz) {
  return {{"unit", u.name},
          {"ops", u.ops},
          {"busy_cycles", u.busy_cycles},
          {"stall_cycles", u.stall_cycles},
          {"critical_path_cycles", u.critical_path_cycles},
          {"busy_ns", double(u.busy_cycles) * 1000.0 / clock_mhz},
          {"utilization", u.utilization},
          {"energy_pJ", u.energy_pJ}};
}

// Prices the report's ledger with `table` again (energy, per unit, per buffer).
void reprice(hw::HwReport& r, const hw::EnergyTable& table) {
  r.energy = hw::price(r.ledger, table);
  std::map<std::string, double> by_component;
  for (const hw::ComponentEnergy& e : r.energy.components) by_component[e.component] = e.energy_pJ;
  for (hw::UnitReport& u : r.units) u.energy_pJ = by_component[u.name];
  for (hw::BufferReport& b : r.buffers) b.energy_pJ = by_component["sram." + b.name];
}

json area_rows_json(const std::vector<AreaRow>& area, double& area_um2, double& leakage_uW) {
  json rows = json::array();
  for (const AreaRow& a : area) {
    area_um2 += a.area_um2;
    leakage_uW += a.leakage_uW;
    rows.push_back({{"component", a.component},
                    {"count", a.count},
                    {"area_um2_each", a.area_um2_each},
                    {"area_um2", a.area_um2},
                    {"leakage_uW", a.leakage_uW},
                    {"counted_as", a.counted_as},
                    {"source", a.source}});
  }
  return rows;
}

json energy_by_component_json(const hw::HwReport& r) {
  json energy = json::object();
  for (const hw::ComponentEnergy& e : r.energy.components) energy[e.component] = e.energy_pJ;
  return energy;
}

json action_counts_json(const hw::HwReport& r) {
  json counts = json::object();
  for (const auto& [component, actions] : r.ledger.components())
    for (hw::Action a : hw::all_actions())
      if (actions[static_cast<std::size_t>(a)] != 0)
        counts[std::string(hw::action_name(a)) + "@" + component] =
            actions[static_cast<std::size_t>(a)];
  return counts;
}

json buffers_json(const hw::HwReport& r) {
  json buffers = json::array();
  for (const hw::BufferReport& b : r.buffers)
    buffers.push_back({{"buffer", b.name},
                       {"key", b.key},
                       {"required_bytes", b.required_bytes},
                       {"configured_bytes", b.configured_bytes},
                       {"bits_read", b.bits_read},
                       {"bits_written", b.bits_written},
                       {"energy_pJ", b.energy_pJ}});
  return buffers;
}

void add_unpriced_counts(const hw::HwReport& r, std::int64_t times,
                         std::map<std::string, std::int64_t>& counts) {
  for (const std::string& key : r.energy.unpriced) {
    const std::string action = key.substr(0, key.find('@'));
    const std::string component = key.substr(key.find('@') + 1);
    for (hw::Action a : hw::all_actions())
      if (action == hw::action_name(a)) counts[key] += times * r.ledger.count(component, a);
  }
}

json price_rows_json(const PricedEnergyTable& prices) {
  json rows = json::array();
  for (const EnergyPrice& p : prices.prices)
    rows.push_back({{"action", p.key}, {"pJ", p.pJ}, {"source", p.source}});
  return rows;
}

json unpriced_rows_json(const std::map<std::string, std::int64_t>& counts,
                        const PricedEnergyTable& prices) {
  json rows = json::array();
  for (const auto& [key, count] : counts)
    rows.push_back({{"action", key}, {"count", count}, {"reason", prices.reason_for(key)}});
  return rows;
}

json run_mamba_hardware(const RunConfig& cfg, const wl::MambaModel& model,
                        const wl::TokenWindows& windows, const hw::LayerQuant& base,
                        const wl::MambaCalibration* calibration,
                        const std::function<void(int)>& layer_done) {
  const hw::HwParams hw = to_hw_params(cfg);
  hw.validate();
  const wl::MambaConfig& mc = model.config;
  wl::Mamba1LayerShape shape;
  shape.d_model = mc.hidden_size;
  shape.d_inner = mc.intermediate_size;
  shape.d_state = mc.state_size;
  shape.dt_rank = mc.time_step_rank;
  shape.conv_kernel = mc.conv_kernel;
  shape.length = windows.window;
  const int n_layers = static_cast<int>(model.layers.size());

  const auto& si = cfg.workload.ssm_input;
  // Every Mamba layer has the same shape, and the ledger's counts and the cycle counts follow from
  // the shapes and the hw.* keys alone, with one exception: the sequential index walk of the group
  // scheme stops at a data-dependent threshold. So hw.simulate_layers first plays layer 0 and
  // counts it n_layers times (exact for latency and energy), unless that walk is in the program.
  const bool data_dependent_walk =
      si.scheme == SsmInputScheme::Group && cfg.hw.index.impl == IndexImplMode::Sequential;
  const bool simulate_all = cfg.hw.simulate_layers == SimulateLayers::All || data_dependent_walk;
  const int simulated = simulate_all ? n_layers : std::min(n_layers, 1);

  // The FP32 reference's block inputs on the first window (layer 0's is the embedding).
  std::vector<nm::MatrixF> block_in(static_cast<std::size_t>(n_layers));
  if (simulate_all) {
    wl::MambaForwardOptions fo;
    fo.observer = [&](int layer, const std::string& point, const nm::MatrixF& value) {
      if (layer >= 0 && point == "block.in") block_in[static_cast<std::size_t>(layer)] = value;
    };
    wl::mamba_forward(model, windows.input(0), 1, windows.window, fo);
  } else if (n_layers > 0) {
    nm::MatrixF& x0 = block_in[0];
    x0.resize(windows.window, mc.hidden_size);
    const std::int32_t* tokens = windows.input(0);
    for (std::int64_t t = 0; t < windows.window; ++t) x0.row(t) = model.embeddings.row(tokens[t]);
  }

  std::vector<hw::HwReport> reports;
  PricedEnergyTable prices;
  std::vector<AreaRow> area;
  for (int l = 0; l < simulated; ++l) {
    const wl::MambaLayerWeights& w = model.layers[static_cast<std::size_t>(l)];
    const nm::MatrixF& x = block_in[static_cast<std::size_t>(l)];
    hw::LayerQuant q = hw::calibrate_static(w, shape, base, hw, x, si.head_dim);
    if (q.ssm_input == wl::SsmInputScheme::Group && calibration != nullptr &&
        static_cast<std::int64_t>(calibration->layers[l].ssm_input.channel_absmax.size()) ==
            shape.d_inner) {
      // The replay's group layout (G, HG, DG, P, grouping) with the run's calibrated ranges.
      q.groups = nm::calibrate_group_scales(
          calibration->layers[static_cast<std::size_t>(l)].ssm_input.channel_absmax,
          nm::GroupLayout::for_mamba1(shape.d_inner, si.n_ssd_groups, si.head_dim),
          si.n_head_groups, si.n_dim_groups,
          si.grouping == GroupingMode::KMeans ? nm::Grouping::KMeans : nm::Grouping::EqualSize);
    }
    const wl::OpProgram program = wl::build_mamba1_layer_program(
        shape, hw::mamba1_program_options(hw, shape, q, cfg.hw.token_chunk),
        "layers." + std::to_string(l));
    hw::HwParams hw_layer = hw;
    if (l > 0) hw_layer.trace.clear();  // the VCD holds the first layer
    hw::LayerExecutor ex(shape, w, q, hw_layer, x);
    reports.push_back(hw::run_on_hardware(program, ex, hw_layer, prices.table));
    if (l == 0) {
      // The buffers the accelerator used (the program's plus the SSM core's state and
      // parameters) at the bytes they needed: price them, and the first layer again.
      std::vector<wl::BufferUse> buffers;
      for (const hw::BufferReport& b : reports.back().buffers)
        buffers.push_back({b.name, b.required_bytes});
      prices = build_energy_table(cfg, hw, buffers);
      area = area_breakdown(cfg, hw, buffers, shape);
      reprice(reports.back(), prices.table);
    }
    if (layer_done) layer_done(l);
  }
  // hw.simulate_layers first: layers 1.. are layer 0's report (same shapes, same counts).
  for (int l = simulated; l < n_layers; ++l) {
    reports.push_back(reports.front());
    if (layer_done) layer_done(l);
  }

  // ---- the "hardware" section ----
  const double tokens = static_cast<double>(windows.window);
  double area_um2 = 0.0, leakage_uW = 0.0;
  const json area_rows = area_rows_json(area, area_um2, leakage_uW);

  json layers = json::array();
  std::int64_t total_cycles = 0;
  double total_ns = 0.0, dynamic_pJ = 0.0;
  std::map<std::string, double> energy_by_component;
  std::map<std::string, std::int64_t> ops_by_unit, busy_by_unit, stall_by_unit, critical_by_unit;
  std::vector<std::string> unit_order;
  std::map<std::string, std::int64_t> unpriced_counts;
  for (std::size_t l = 0; l < reports.size(); ++l) {
    const hw::HwReport& r = reports[l];
    json units = json::array();
    for (const hw::UnitReport& u : r.units) {
      units.push_back(unit_json(u, r.clock_mhz));
      if (!busy_by_unit.count(u.name)) unit_order.push_back(u.name);
      ops_by_unit[u.name] += u.ops;
      busy_by_unit[u.name] += u.busy_cycles;
      stall_by_unit[u.name] += u.stall_cycles;
      critical_by_unit[u.name] += u.critical_path_cycles;
    }
    for (const hw::ComponentEnergy& e : r.energy.components)
      energy_by_component[e.component] += e.energy_pJ;
    add_unpriced_counts(r, 1, unpriced_counts);
    const double leak_pJ = leakage_uW * r.latency_ns * 1e-3;  // uW x ns = 1e-15 J = 1e-3 pJ
    layers.push_back(
        {{"layer", static_cast<int>(l)},
         {"ops", static_cast<std::int64_t>(r.ops.size())},
         {"latency_cycles", r.total_cycles},
         {"latency_ns", r.latency_ns},
         {"bounding_unit", r.bounding_unit},
         {"dynamic_energy_pJ", r.energy.total_pJ},
         {"leakage_energy_pJ", leak_pJ},
         {"energy_pJ", r.energy.total_pJ + leak_pJ},
         {"cim_weights_stationary", r.cim_weights_stationary},
         {"cim_weight_tiles", r.cim_weight_tiles},
         {"simulated", static_cast<int>(l) < simulated},
         // Saturation depends on the layer's data: known only where it was played.
         {"adc_saturated", static_cast<int>(l) < simulated ? json(r.adc_saturated) : json(nullptr)},
         {"units", units},
         {"energy_by_component_pJ", energy_by_component_json(r)},
         {"buffers", buffers_json(r)},
         {"counts", action_counts_json(r)}});
    total_cycles += r.total_cycles;
    total_ns += r.latency_ns;
    dynamic_pJ += r.energy.total_pJ;
  }
  const double leakage_pJ = leakage_uW * total_ns * 1e-3;
  const double energy_pJ = dynamic_pJ + leakage_pJ;
  std::string bounding;
  std::int64_t best = -1;
  for (const std::string& u : unit_order)
    if (critical_by_unit[u] > best) {
      best = critical_by_unit[u];
      bounding = u;
    }
  json units = json::array();
  for (const std::string& u : unit_order)
    units.push_back({{"unit", u},
                     {"ops", ops_by_unit[u]},
                     {"busy_cycles", busy_by_unit[u]},
                     {"stall_cycles", stall_by_unit[u]},
                     {"critical_path_cycles", critical_by_unit[u]},
                     {"busy_ns", double(busy_by_unit[u]) * 1000.0 / hw.clock_mhz}});
  json by_component = json::object();
  for (const auto& [k, v] : energy_by_component) by_component[k] = v;

  const json price_rows = price_rows_json(prices);
  const json unpriced = unpriced_rows_json(unpriced_counts, prices);

  const cost::CimMacroParams mp = cim_macro_params(cfg, hw);
  // The cost model's own conversion time (at the rate the macro sustains), beside the timing's
  // hw.cim.adc.conversion_ns: the two are separate parameters and may disagree.
  double adc_latency_ns = 0.0;
  try {
    adc_latency_ns = cost::cim_macro_cost(mp).adc.latency_ns;
  } catch (const Error&) {
  }
  json accelerator = {{"node_nm", cfg.hw.node_nm},
                      {"vdd_v", cfg.hw.vdd_v},
                      {"clock_mhz", hw.clock_mhz},
                      {"cim_macros", hw.cim.macros},
                      {"cim_rows", hw.cim.rows},
                      {"cim_cols", hw.cim.cols},
                      {"cim_cell_type", cost::cim_cell_type_name(mp.cell)},
                      {"w_bits", hw.cim.w_bits},
                      {"cell_bits", hw.cim.cell_bits},
                      {"outputs_per_macro", hw.cim.outputs_per_macro()},
                      {"adc_model", cost::adc_model_name(mp.adc_model)},
                      {"adc_bits", hw.cim.adc.bits},
                      {"adcs_per_macro", mp.cols / mp.cols_per_conversion / mp.conversions_per_adc},
                      {"adc_conversion_ns", hw.cim.adc.conversion_ns},
                      {"adc_cost_model_latency_ns", adc_latency_ns},
                      {"dram_preset", hw.dram.preset},
                      {"dram_bandwidth_gbps", hw.dram_bandwidth_gbps()},
                      {"dram_latency_ns", hw.dram_latency_ns()},
                      {"token_chunk", cfg.hw.token_chunk}};
  json notes = json::array();
  notes.push_back(
      "one sequence of L = workload.mamba.window tokens (the first evaluation window) per layer; "
      "layers run one after another, so the window's latency is the sum of the layers'");
  notes.push_back("the lm_head (and the embedding, norm_f) do not run on the accelerator");
  notes.push_back("leakage energy = total leakage power x latency; energy_pJ = dynamic + leakage");
  if (simulated < n_layers)
    notes.push_back(
        "hw.simulate_layers first: layer 0 was played on the accelerator and its latency, "
        "ledger and energy are counted for each of the " +
        std::to_string(n_layers) +
        " layers (every layer has the same shape, and the counts depend on shapes only); "
        "adc_saturated is known for layer 0 only (null for the others); hw.simulate_layers all "
        "plays every layer");
  else if (cfg.hw.simulate_layers == SimulateLayers::First && data_dependent_walk)
    notes.push_back(
        "every layer was played although hw.simulate_layers is first: the sequential index walk "
        "(hw.index.impl sequential, group scheme) has data-dependent comparisons and cycles");
  notes.push_back("accuracy: the replay converts " +
                  (cfg.hw.cim.rows_per_adc == 0
                       ? std::string("hw.cim.rows = ") + std::to_string(hw.cim.rows) +
                             " rows per conversion (hw.cim.rows_per_adc 0), as the hardware"
                       : std::to_string(cfg.hw.cim.rows_per_adc) +
                             " rows per conversion (hw.cim.rows_per_adc), as the hardware"));
  if (adc_latency_ns > 0.0 &&
      std::abs(adc_latency_ns - hw.cim.adc.conversion_ns) > 0.01 * hw.cim.adc.conversion_ns)
    notes.push_back(
        "ADC: the timing uses hw.cim.adc.conversion_ns = " + fmt4(hw.cim.adc.conversion_ns) +
        " ns per conversion; the " + cost::adc_model_name(mp.adc_model) + " cost model's " +
        std::to_string(mp.adc_bits) + "-bit conversion takes " + fmt4(adc_latency_ns) +
        " ns (energy and area are priced at its own rate)");
  const auto& ql = cfg.quant.layers;
  bool per_type = false;
  for (const LinearTypeOverride* o : {&ql.in_proj, &ql.x_proj, &ql.dt_proj, &ql.out_proj})
    per_type = per_type || o->w_bits || o->adc_bits || !o->quantize;
  if (per_type)
    notes.push_back(
        "quant.layers.* overrides change the accuracy replay only: the hardware runs "
        "every linear on the CIM at quant.w_bits and hw.cim.adc.bits");

  json out = {{"accelerator", accelerator},
              {"tokens_per_window", windows.window},
              {"totals",
               {{"latency_cycles", total_cycles},
                {"latency_ns", total_ns},
                {"latency_ns_per_token", total_ns / tokens},
                {"throughput_tokens_per_s", tokens / (total_ns * 1e-9)},
                {"dynamic_energy_pJ", dynamic_pJ},
                {"leakage_energy_pJ", leakage_pJ},
                {"energy_pJ", energy_pJ},
                {"energy_pJ_per_token", energy_pJ / tokens},
                {"bounding_unit", bounding},
                {"units", units},
                {"energy_by_component_pJ", by_component}}},
              {"area",
               {{"area_um2", area_um2},
                {"area_mm2", area_um2 * 1e-6},
                {"leakage_uW", leakage_uW},
                {"components", area_rows}}},
              {"layers", layers},
              {"energy_table", price_rows},
              {"unpriced", unpriced},
              {"notes", notes}};
  return out;
}

json hardware_layer_columns(const json& hardware, int layer) {
  const json* row = nullptr;
  for (const json& l : hardware.at("layers"))
    if (l.at("layer").get<int>() == layer) row = &l;
  json c = json::object();
  auto put = [&](const std::string& key, const json& value) {
    c[key] = row ? value : json(nullptr);
  };
  put("hw_latency_cycles", row ? row->at("latency_cycles") : json());
  put("hw_latency_ns", row ? row->at("latency_ns") : json());
  put("hw_energy_pJ", row ? row->at("energy_pJ") : json());
  put("hw_dynamic_energy_pJ", row ? row->at("dynamic_energy_pJ") : json());
  put("hw_bounding_unit", row ? row->at("bounding_unit") : json());
  for (const json& u : hardware.at("totals").at("units")) {
    const std::string name = u.at("unit").get<std::string>();
    const json* lu = nullptr;
    if (row)
      for (const json& x : row->at("units"))
        if (x.at("unit") == name) lu = &x;
    put("hw_" + name + "_busy_cycles", lu ? lu->at("busy_cycles") : json(0));
    put("hw_" + name + "_stall_cycles", lu ? lu->at("stall_cycles") : json(0));
    put("hw_" + name + "_energy_pJ", lu ? lu->at("energy_pJ") : json(0.0));
  }
  double sram = 0.0;
  if (row)
    for (const auto& [k, v] : row->at("energy_by_component_pJ").items())
      if (k.rfind("sram.", 0) == 0) sram += v.get<double>();
  put("hw_sram_energy_pJ", sram);
  return c;
}

std::string render_hardware_summary(const json& h) {
  std::ostringstream s;
  char buf[256];
  const json& a = h.at("accelerator");
  const json& t = h.at("totals");
  const json& area = h.at("area");
  s << "  accelerator  " << a.at("node_nm").get<int>() << " nm, "
    << fmt4(a.at("vdd_v").get<double>()) << " V, " << fmt4(a.at("clock_mhz").get<double>())
    << " MHz; " << a.at("cim_macros").get<int>() << " CIM macros " << a.at("cim_rows").get<int>()
    << "x" << a.at("cim_cols").get<int>() << " " << a.at("cim_cell_type").get<std::string>() << ", "
    << a.at("adcs_per_macro").get<int>() << " " << a.at("adc_model").get<std::string>()
    << " ADCs of " << a.at("adc_bits").get<int>() << " b per macro; DRAM "
    << a.at("dram_preset").get<std::string>() << "\n";
  s << "  area         " << fmt4(area.at("area_mm2").get<double>(), 5) << " mm^2 ("
    << fmt4(area.at("area_um2").get<double>(), 7) << " um^2), leakage "
    << fmt4(area.at("leakage_uW").get<double>() * 1e-3, 4) << " mW\n";
  const double total_area = area.at("area_um2").get<double>();
  for (const json& r : area.at("components")) {
    std::snprintf(buf, sizeof buf, "    %-28s %6d x %11.4g um^2 = %11.5g um^2  %5.1f%%\n",
                  r.at("component").get<std::string>().c_str(), r.at("count").get<int>(),
                  r.at("area_um2_each").get<double>(), r.at("area_um2").get<double>(),
                  total_area > 0 ? 100.0 * r.at("area_um2").get<double>() / total_area : 0.0);
    s << buf;
  }
  const double tokens = h.at("tokens_per_window").get<double>();
  const double energy = t.at("energy_pJ").get<double>();
  s << "  energy       " << fmt4(energy / 1e6, 5) << " uJ per window of " << tokens
    << " tokens = " << fmt4(t.at("energy_pJ_per_token").get<double>() / 1e3, 5)
    << " nJ/token (dynamic " << fmt4(t.at("dynamic_energy_pJ").get<double>() / 1e6, 5)
    << " uJ, leakage " << fmt4(t.at("leakage_energy_pJ").get<double>() / 1e6, 5) << " uJ)\n";
  std::vector<std::pair<double, std::string>> by;
  for (const auto& [k, v] : t.at("energy_by_component_pJ").items())
    by.push_back({v.get<double>(), k});
  std::sort(by.begin(), by.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  for (const auto& [v, k] : by) {
    bool unpriced = false;
    for (const json& u : h.at("unpriced"))
      unpriced = unpriced || u.at("action").get<std::string>().substr(
                                 u.at("action").get<std::string>().find('@') + 1) == k;
    if (v == 0.0 && unpriced) {
      std::snprintf(buf, sizeof buf, "    %-28s     unpriced\n", k.c_str());
    } else {
      std::snprintf(buf, sizeof buf, "    %-28s %12.5g pJ  %5.1f%%  %10.4g pJ/token%s\n", k.c_str(),
                    v, energy > 0 ? 100.0 * v / energy : 0.0, v / tokens,
                    unpriced ? "  (+ unpriced actions)" : "");
    }
    s << buf;
  }
  if (!h.at("unpriced").empty()) {
    s << "    unpriced (not in the totals):";
    for (const json& u : h.at("unpriced"))
      s << " " << u.at("action").get<std::string>() << " (" << u.at("count").get<std::int64_t>()
        << ")";
    s << "\n";
  }
  s << "  latency      " << fmt4(t.at("latency_ns").get<double>() / 1e3, 5) << " us per window ("
    << t.at("latency_cycles").get<std::int64_t>()
    << " cycles) = " << fmt4(t.at("latency_ns_per_token").get<double>(), 5)
    << " ns/token, throughput " << fmt4(t.at("throughput_tokens_per_s").get<double>(), 5)
    << " tokens/s; bounded by " << t.at("bounding_unit").get<std::string>() << "\n";
  s << "    unit       busy cycles  stall cycles  critical path\n";
  for (const json& u : t.at("units")) {
    if (u.at("ops").get<std::int64_t>() == 0) continue;  // a unit this workload does not use
    std::snprintf(buf, sizeof buf, "    %-8s %13lld %13lld %14lld\n",
                  u.at("unit").get<std::string>().c_str(),
                  static_cast<long long>(u.at("busy_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("stall_cycles").get<std::int64_t>()),
                  static_cast<long long>(u.at("critical_path_cycles").get<std::int64_t>()));
    s << buf;
  }
  s << "    per layer:";
  for (const json& l : h.at("layers"))
    s << " " << l.at("layer").get<int>() << ": " << fmt4(l.at("latency_ns").get<double>() / 1e3, 4)
      << " us " << fmt4(l.at("energy_pJ").get<double>() / 1e6, 4) << " uJ ("
      << l.at("bounding_unit").get<std::string>() << ")";
  s << "\n";
  for (const json& n : h.at("notes")) s << "  note         " << n.get<std::string>() << "\n";
  return s.str();
}

}  // namespace cimba::sim
