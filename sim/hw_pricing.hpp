#pragma once
// The price of an accelerator from models/cost: hw::HwParams (which carries every cost input:
// node, supply, ADC model, cell, input drive, function units, index comparators) -> the cost
// models' inputs, the energy table (pJ per ledger action, each with its source) and the area of
// every component.
#include <string>
#include <vector>

#include "hw/accelerator.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/report.hpp"
#include "models/cost/sram.hpp"
#include "workloads/program/op_program.hpp"

namespace cimba::sim {

/// The technology point (node, supply, clock) of the cost models (hw/params.hpp).
using hw::tech_of;

/// The CIM macro as the cost model sees it (see hw_pricing.cpp).
cost::CimMacroParams cim_macro_params(const hw::HwParams& hw);

/// An on-chip buffer as the hardware builds it: hw.sram.<b>.bytes or the bytes the program
/// needs, hw.sram.<b>.width_bits, banks of hw.sram.<b>.bank_bytes (cost::banked_sram_cost); the
/// scale tables up to 64 KiB are a register file.
struct BufferCost {
  cost::SramParams sp;
  bool register_file = false;
  std::int64_t banks = 1;
  cost::SramCost cost;
  std::string what;  // "banked_sram_cost(65536 B, 256 b, 2 banks)"
};
/// Throws the cost model's InvalidArgument for a buffer it cannot price.
BufferCost buffer_cost(const hw::HwParams& hw, const workloads::BufferUse& b);

/// One entry of the energy table: `key` is "<action>" (every component) or
/// "<action>@<component>"; `source` names the cost function that gave `pJ`.
struct EnergyPrice {
  std::string key;
  double pJ = 0.0;
  std::string source;
};

/// A ledger action the cost models cannot price, and why (never priced as 0 silently).
struct UnpricedAction {
  std::string key;  // "<action>" or "<action>@<component>"
  std::string reason;
};

struct PricedEnergyTable {
  hw::EnergyTable table;                 // what run_on_hardware prices the ledger with
  std::vector<EnergyPrice> prices;       // the same entries with their sources
  std::vector<UnpricedAction> unpriced;  // actions deliberately left without a price
  /// The reason for an unpriced "<action>@<component>" (or "" when none is recorded).
  std::string reason_for(const std::string& action_at_component) const;
};

/// Prices of every ledger action at the configured node and supply, ADC model and bits, CIM
/// geometry and cell, SRAM buffer sizes (configured, or the bytes `buffers` says the layer needs)
/// and DRAM preset.
PricedEnergyTable build_energy_table(const hw::HwParams& hw,
                                     const std::vector<workloads::BufferUse>& buffers);

/// The AcceleratorDesc of models/cost that describes `hw` (CIM macros,
/// ADCs, digital units counted from the lanes of the units; see hardware_report.cpp).
cost::AcceleratorDesc accelerator_desc(const hw::HwParams& hw);

/// One component of the area breakdown (all instances).
struct AreaRow {
  std::string component;
  int count = 0;
  double area_um2_each = 0.0;
  double area_um2 = 0.0;    // count x area_um2_each
  double leakage_uW = 0.0;  // all instances
  std::string counted_as;   // how `count` follows from the hw keys
  std::string source;
};

/// cost_table(accelerator_desc(...)) without its three generic SRAM rows, the scale-table
/// register file and DRAM, plus one row per buffer in `buffers` (sram_cost, or
/// register_file_cost for scale_tables up to 64 KiB) at its configured or required size.
std::vector<AreaRow> area_breakdown(const hw::HwParams& hw,
                                    const std::vector<workloads::BufferUse>& buffers);

}  // namespace cimba::sim
