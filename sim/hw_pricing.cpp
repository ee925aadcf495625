// The price of an accelerator: RunConfig + HwParams -> cost-model inputs, the energy table of
// every ledger action and the area breakdown (each figure with its source, models/cost).
#include "sim/hw_pricing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "hw/timing.hpp"
#include "models/common/error.hpp"
#include "models/cost/adc.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/dram.hpp"
#include "models/cost/sram.hpp"
#include "models/cost/tech.hpp"
#include "models/numerics/group_scales.hpp"
#include "sim/result_format.hpp"

namespace cimba::sim {
namespace wl = cimba::workloads;

namespace {

// The PWL segment count the cost model accepts (a power of two in 2..1024) nearest above the
// scan's segments; used for the function units when ssm.exp_impl is pwl or lut.
int cost_segments(const hw::HwParams& hw) {
  const int wanted =
      hw.ssm.exp_impl == numerics::ExpImpl::Lut ? hw.ssm.lut_entries : hw.ssm.exp_segments;
  int s = 2;
  while (s < wanted && s < 1024) s *= 2;
  return s;
}

cost::FunctionImpl function_impl(const hw::HwParams& hw) {
  return hw.ssm.exp_impl == numerics::ExpImpl::Exact ? cost::FunctionImpl::kExactFp32
                                                     : cost::FunctionImpl::kPwlInt16;
}

}  // namespace

// The CIM macro as the cost model sees it (hw::cim_macro_geometry), priced at the timed drive
// time and ADC rate: one input slice is driven for cim_drive_cycles, and one ADC converts
// cols_per_adc conversions per CIM step (hw/timing.hpp), so what is priced is what is timed.
cost::CimMacroParams cim_macro_params(const hw::HwParams& hw) {
  cost::CimMacroParams m = hw::cim_macro_geometry(hw);
  m.drive_ns = hw.cycles_to_ns(hw::cim_drive_cycles(hw));
  const double step_ns = hw.cycles_to_ns(hw::cim_step_cycles(hw));
  m.adc_sample_rate_Hz = 1e9 * hw.cim.cols_per_adc / step_ns;
  return m;
}

// ---- energy table ---------------------------------------------------------------------------

BufferCost buffer_cost(const hw::HwParams& hw, const wl::BufferUse& b) {
  const hw::SramParams& s = hw.sram_for(b.name);
  BufferCost c;
  c.sp.capacity_bytes = std::max<std::int64_t>(1, s.bytes ? s.bytes : b.bytes);
  c.sp.width_bits = static_cast<int>(std::min<std::int64_t>(s.width_bits, 8 * c.sp.capacity_bytes));
  c.sp.tech = tech_of(hw);
  c.register_file = b.name == "scale_tables" && c.sp.capacity_bytes <= 64 * 1024 &&
                    8 * c.sp.capacity_bytes / c.sp.width_bits <= 4096;
  c.banks = c.register_file ? 1 : cost::sram_bank_count(c.sp.capacity_bytes, s.bank_bytes);
  c.cost =
      c.register_file ? cost::register_file_cost(c.sp) : cost::banked_sram_cost(c.sp, s.bank_bytes);
  c.what = std::string(c.register_file ? "register_file_cost" : "banked_sram_cost") + "(" +
           std::to_string(c.sp.capacity_bytes) + " B, " + std::to_string(c.sp.width_bits) + " b" +
           (c.register_file ? "" : ", " + std::to_string(c.banks) + " banks") + ")";
  return c;
}

std::string PricedEnergyTable::reason_for(const std::string& action_at_component) const {
  const std::string action = action_at_component.substr(0, action_at_component.find('@'));
  for (const auto& u : unpriced)
    if (u.key == action_at_component || u.key == action) return u.reason;
  return "";
}

namespace {

/// Fills a PricedEnergyTable; each price in its own try: a cost model that rejects a parameter
/// leaves that action unpriced with the model's message, instead of failing the run or guessing.
class EnergyTableBuilder {
 public:
  EnergyTableBuilder(const hw::HwParams& hw, PricedEnergyTable& t)
      : hw_(hw), t_(t), tech_(tech_of(hw)) {}

  /// The CIM macro's actions: a cell activation, a conversion, a shift-add, a cell write.
  void price_cim();
  /// The digital units' actions (models/cost/digital.cpp) and the actions no model prices.
  void price_digital();
  /// Every buffer's read and write per bit.
  void price_buffers(const std::vector<wl::BufferUse>& buffers);
  /// DRAM read and write per bit.
  void price_dram();

 private:
  void set(const std::string& key, double pJ, const std::string& source) {
    t_.table.pj[key] = pJ;
    t_.prices.push_back({key, pJ, source});
  }
  void unpriced(const std::string& key, const std::string& reason) {
    t_.unpriced.push_back({key, reason});
  }
  void guarded(const std::string& key, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      unpriced(key, std::string("cost model rejected the parameters: ") + e.what());
    }
  }

  const hw::HwParams& hw_;
  PricedEnergyTable& t_;
  const cost::TechPoint tech_;
};

void EnergyTableBuilder::price_cim() {
  const hw::HwParams& hw = hw_;
  const cost::TechPoint& tech = tech_;
  // CIM macro: cim_macro_cost (models/cost/cim.cpp) at the configured geometry, cell, DAC, ADC.
  const cost::CimMacroParams mp = cim_macro_params(hw);
  guarded("cim_cell_mac", [&] {
    const cost::CimMacroCost m = cost::cim_macro_cost(mp);
    const double cells = double(mp.rows) * double(mp.cols);
    // One cell in one activation (one input slice): the array energy (cell physics x
    // Jia-fitted factor) plus the row drivers' share (input registers, pulse counters or
    // amplitude DACs held for the timed drive), per cell of the macro.
    set("cim_cell_mac", (m.array_energy_pJ + m.driver_energy_pJ) / cells,
        "cim_macro_cost: (array_energy_pJ + driver_energy_pJ) / (rows x cols), " +
            cost::cim_cell_type_name(mp.cell) + " cells, " + hw::input_drive_name(hw.cim.dac) +
            " drive of " + std::to_string(mp.dac_bits) + "-bit slices for " + fmt(mp.drive_ns, 4) +
            " ns, input activity " + fmt(mp.input_activity, 4) + " (cost-model default)");
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
}

void EnergyTableBuilder::price_digital() {
  const cost::TechPoint& tech = tech_;
  const hw::HwParams& hw = hw_;
  // Digital units (models/cost/digital.cpp: Horowitz ISSCC'14, Stillmaker-Baas scaling).
  guarded("fp32_mul", [&] {
    const double mul = cost::fp32_multiplier(tech).energy_pJ;
    set("fp32_mul", mul, "fp32_multiplier");
    set("dequant_mul", mul, "fp32_multiplier (code x scale; int-to-float conversion not priced)");
    const double cmp_a = cost::comparator(hw.cim.a_bits, tech).energy_pJ;
    set("quant_encode@cim", mul + 2 * cmp_a,
        "fp32_multiplier (x 1/scale) + 2 x comparator(quant.a_bits) (clamp); rounding free");
    const int code_bits = hw.conv.code_bits;
    const double cmp_u = cost::comparator(code_bits, tech).energy_pJ;
    set("quant_encode", mul + 2 * cmp_u,
        "fp32_multiplier (x 1/scale) + 2 x comparator(" + std::to_string(code_bits) +
            " b SSM-input code) (clamp); rounding free");
  });
  guarded("fp32_add", [&] { set("fp32_add", cost::fp32_adder(tech).energy_pJ, "fp32_adder"); });
  guarded("fp32_exp", [&] {
    const cost::ComponentCost e = cost::exp_unit(function_impl(hw), tech, cost_segments(hw));
    set("fp32_exp", e.energy_pJ, "exp_unit: " + e.action);
  });
  guarded("fp32_softplus", [&] {
    const cost::ComponentCost e = cost::softplus_unit(function_impl(hw), tech, cost_segments(hw));
    set("fp32_softplus", e.energy_pJ, "softplus_unit: " + e.action);
  });
  guarded("comparison", [&] {
    set("comparison", cost::comparator(32, tech).energy_pJ,
        "comparator(32): an FP32 magnitude compare as a 32-bit integer compare");
  });
  guarded("mux_select", [&] {
    set("mux_select", cost::mux(32, 2, tech).energy_pJ, "mux(32 b, 2 inputs): scale1 / scale2");
  });
  // The index logic of one scale lookup (hw.index.impl), from gate counts (logic_gates): its
  // comparisons and table reads are booked and priced as their own actions.
  //   parallel  : HG and DG compare results -> group ids (thermometer encoders), the table
  //               address hg DG + dg (an adder of the id bits), and the pipeline registers of
  //               its 3 stages (x and the ids: 2 x (32 + id bits));
  //   sequential: the walker's FSM (3 states: head walk, dim walk, read) as 2 state flops and
  //               ~8 gates, plus the address register loaded once; each walk step adds the
  //               step counter's increment to its comparison (comparison@index);
  //   lut       : the group id read from the table forms the scale address (a register of the
  //               id bits); no comparisons.
  guarded("scale_lookup", [&] {
    const int hg = std::max(2, hw.index.head_groups), dg = std::max(2, hw.index.dim_groups);
    const int id_bits = hw::lut_id_bits(hw.index.head_groups, hw.index.dim_groups);  // >= 1
    double e = 0.0;
    std::string what;
    switch (hw.index.impl) {
      case hw::IndexImpl::Parallel:
        e = cost::thermometer_encoder(hg, tech).energy_pJ +
            cost::thermometer_encoder(dg, tech).energy_pJ +
            cost::int_adder(id_bits, tech).energy_pJ +
            2.0 * cost::register_bits(32 + id_bits, tech).energy_pJ;
        what =
            "thermometer_encoder(HG) + thermometer_encoder(DG) + int_adder(id bits) + 2 x "
            "register_bits(32 + id bits)";
        break;
      case hw::IndexImpl::Sequential:
        e = cost::logic_gates(8, tech).energy_pJ + cost::register_bits(2, tech).energy_pJ +
            cost::register_bits(id_bits, tech).energy_pJ;
        what = "FSM: logic_gates(8) + register_bits(2) + register_bits(id bits)";
        break;
      case hw::IndexImpl::Lut:
        e = cost::register_bits(id_bits, tech).energy_pJ;
        what = "register_bits(id bits)";
        break;
    }
    set("scale_lookup", e,
        std::string(hw::index_impl_name(hw.index.impl)) + " index logic from gate counts: " + what);
    if (hw.index.impl == hw::IndexImpl::Sequential) {
      set("comparison@index",
          cost::comparator(32, tech).energy_pJ + cost::int_adder(id_bits, tech).energy_pJ +
              cost::register_bits(id_bits, tech).energy_pJ,
          "comparator(32) + the walk's step counter: int_adder(id bits) + register_bits(id "
          "bits)");
    }
  });
  guarded("fp32_div", [&] {
    const cost::ComponentCost d = cost::fp32_divider(tech);
    set("fp32_div", d.energy_pJ, "fp32_divider: " + d.action);
  });
  guarded("fp32_sqrt", [&] {
    const cost::ComponentCost q = cost::fp32_sqrt_unit(tech);
    set("fp32_sqrt", q.energy_pJ, "fp32_sqrt_unit: " + q.action);
  });
  guarded("fp32_silu", [&] {
    const cost::ComponentCost f = cost::silu_unit(function_impl(hw), tech, cost_segments(hw));
    set("fp32_silu", f.energy_pJ, "silu_unit: " + f.action);
  });
}

void EnergyTableBuilder::price_buffers(const std::vector<wl::BufferUse>& buffers) {
  // Buffers as buffer_cost builds them: banks of the configured or the needed capacity; scale
  // tables up to 64 KiB in a register file (as cost_table's scale table).
  for (const wl::BufferUse& b : buffers) {
    const std::string comp = "sram." + b.name;
    guarded("sram_read_bit@" + comp, [&] {
      const BufferCost c = buffer_cost(hw_, b);
      const double w = c.sp.width_bits;
      set("sram_read_bit@" + comp, c.cost.read_energy_pJ / w, c.what + ".read / width");
      set("sram_write_bit@" + comp, c.cost.write_energy_pJ / w, c.what + ".write / width");
    });
  }
}

void EnergyTableBuilder::price_dram() {
  // DRAM: energy per bit of the preset (models/cost/dram.hpp).
  if (hw_.dram.preset == "lpddr4_4266" || hw_.dram.preset == "hbm2") {
    const cost::DramPreset d = cost::dram_preset(
        hw_.dram.preset == "hbm2" ? cost::DramKind::kHbm2 : cost::DramKind::kLpddr4);
    set("dram_read_bit", d.energy_pJ_per_bit, "dram_preset(" + d.name + "): " + d.source);
    set("dram_write_bit", d.energy_pJ_per_bit, "dram_preset(" + d.name + "): " + d.source);
  } else {
    unpriced("dram_read_bit", "models/cost/dram.hpp has no DDR4 preset (hw.dram.preset)");
    unpriced("dram_write_bit", "models/cost/dram.hpp has no DDR4 preset (hw.dram.preset)");
  }
}

}  // namespace

PricedEnergyTable build_energy_table(const hw::HwParams& hw,
                                     const std::vector<wl::BufferUse>& buffers) {
  PricedEnergyTable t;
  EnergyTableBuilder b(hw, t);
  b.price_cim();
  b.price_digital();
  b.price_buffers(buffers);
  b.price_dram();
  return t;
}

// ---- area -----------------------------------------------------------------------------------

cost::AcceleratorDesc accelerator_desc(const hw::HwParams& hw) {
  if (hw.cim.macros < 1)
    throw CheckFailed(
        "accelerator_desc: hw.cim.macros 0 (sized to the model) must be resolved by "
        "hw::plan_cim_weights before the accelerator is priced");
  cost::AcceleratorDesc d;
  const cost::CimMacroParams mp = cim_macro_params(hw);
  d.tech = tech_of(hw);
  d.cim_macros = hw.cim.macros;
  d.cim_rows = mp.rows;
  d.cim_cols = mp.cols;
  d.cim_cell = mp.cell;
  d.cim_encoding = mp.encoding;
  d.cim_input_bits = mp.input_bits;
  d.cim_dac_bits = mp.dac_bits;
  d.cim_pulse_width_ns = mp.pulse_width_ns;
  d.cim_drive_ns = mp.drive_ns;  // the timed drive
  d.cim_cols_per_conversion = mp.cols_per_conversion;
  d.cim_conversions_per_adc = mp.conversions_per_adc;
  d.adc_model = mp.adc_model;
  d.adc_bits = mp.adc_bits;
  d.adc_sample_rate_Hz = mp.adc_sample_rate_Hz;  // the timed rate
  // Datapaths per lane (ASSUMPTION, from the units' formulas in docs/hardware.md): SSM core lane
  // 2 FP32 mul + 2 FP32 add + 1 exp + 1 softplus (exp(delta A), delta B u, h update, C h sum);
  // vector lane 1 mul + 1 add; conv lane conv_kernel taps (mul + add each); MUX lane 1 mul.
  const int K = hw.conv.taps;
  d.fp32_multipliers = 2 * hw.ssm.lanes + hw.vec.lanes + K * hw.conv.lanes + hw.mux.lanes;
  d.fp32_adders = 2 * hw.ssm.lanes + hw.vec.lanes + K * hw.conv.lanes;
  d.exp_units = hw.ssm.lanes;
  d.softplus_units = hw.ssm.lanes;
  // SiLU on every lane of the units that book it (conv output, the vector unit's gate, the SSM
  // core's z gate); one FP32 divider and square root in the vector unit (RMSNorm: one 1/sqrt
  // per token row).
  d.silu_units = hw.conv.lanes + hw.vec.lanes + hw.ssm.lanes;
  d.fp32_dividers = 1;
  d.fp32_sqrt_units = 1;
  d.sfu_impl = function_impl(hw);
  d.pwl_segments = cost_segments(hw);
  // Index unit comparators as 32-bit adders (cost model convention: a compare is a subtraction):
  // parallel HG + DG per unit, sequential 1 per unit, LUT none.
  const int hg = hw.index.head_groups, dg = hw.index.dim_groups;
  d.int_adders = hw.index.impl == hw::IndexImpl::Parallel     ? hw.index.units * (hg + dg)
                 : hw.index.impl == hw::IndexImpl::Sequential ? hw.index.units
                                                              : 0;
  d.int_adder_bits = 32;
  return d;
}

std::vector<AreaRow> area_breakdown(const hw::HwParams& hw,
                                    const std::vector<wl::BufferUse>& buffers) {
  const cost::AcceleratorDesc d = accelerator_desc(hw);
  const int K = hw.conv.taps;
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
    else if (r.name == "SiLU unit")
      a.counted_as = "hw.conv.lanes + hw.vec.lanes + hw.ssm.lanes";
    else if (r.name == "FP32 divider" || r.name == "FP32 sqrt unit")
      a.counted_as = "one in the vector unit (RMSNorm: one per token row)";
    else if (r.name.rfind("INT", 0) == 0)
      a.counted_as =
          "index comparators: hw.index.units x (n_head_groups + n_dim_groups) "
          "(parallel), x 1 (sequential), 0 (lut)";
    else
      a.counted_as = "hw.ssm.lanes";
    if (a.count > 0) rows.push_back(a);
  }
  for (const wl::BufferUse& b : buffers) {
    const hw::SramParams& s = hw.sram_for(b.name);
    AreaRow a;
    a.component = "sram." + b.name;
    a.count = 1;
    try {
      const BufferCost c = buffer_cost(hw, b);
      a.counted_as =
          std::to_string(c.sp.capacity_bytes) + " B" +
          (s.bytes ? " (" + hw.sram_key(b.name) + ".bytes)" : " (sized to the program)") + ", " +
          std::to_string(c.sp.width_bits) + " b wide" +
          (c.register_file ? ", register file"
                           : ", " + std::to_string(c.banks) + (c.banks == 1 ? " bank" : " banks"));
      a.area_um2_each = a.area_um2 = c.cost.area_um2;
      a.leakage_uW = c.cost.leakage_uW;
      a.source = c.cost.source;
    } catch (const Error& e) {
      a.counted_as = std::to_string(s.bytes ? s.bytes : b.bytes) + " B";
      a.source = std::string("not costed: ") + e.what();  // area 0, named as such
    }
    rows.push_back(a);
  }
  return rows;
}

}  // namespace cimba::sim
